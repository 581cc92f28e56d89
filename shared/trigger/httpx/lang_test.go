package httpx

import (
	"strings"
	"testing"
)

func TestPreferChinese(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"zh", true},
		{"zh-CN", true},
		{"ZH-cn", true},
		{"zh-Hant-TW", true},
		{"en", false},
		{"en-US,en;q=0.9", false},
		{"zh-CN,zh;q=0.9,en;q=0.8", true},                    // the SCF sample browser header
		{"en-US,en,cn", false},                               // the Tencent doc sample: "cn" is not a language tag for Chinese
		{"en;q=0.5, zh;q=0.9", true},                         // order does not matter, weights do
		{"zh;q=0.5, en;q=0.9", false},                        //
		{"zh;q=0.8, en;q=0.8", false},                        // a tie answers English
		{"fr, zh;q=0.8", true},                               // English not acceptable at all
		{"fr, zh;q=0.8, *;q=0.9", false},                     // English acceptable through the wildcard
		{"*", false},                                         // anything: English
		{"*;q=0.5, zh", true},                                //
		{"zh;q=0", false},                                    // q=0 means "not acceptable"
		{"zh;q=0, *", false},                                 //
		{"zh-TW;q=0, zh-CN", true},                           // the best zh range counts
		{"zh;q=1.0", true},                                   //
		{"zh;q=1.001, en;q=0.1", false},                      // invalid q: the zh range is ignored
		{"zh;q=NaN, en;q=0.1", false},                        //
		{"zh;q=0.1234, en;q=0.1", false},                     // more than three decimals
		{"zh;q=.5, en;q=0.1", false},                         //
		{"zh;q=0.5;level=1, en;q=0.4", true},                 // extra parameters are ignored
		{"  zh ; q = 0.7 ,en;q=0.6", true},                   // blanks around tokens
		{",,;q=1,zh", true},                                  // empty members are skipped
		{"chinese, zhx, en;q=0.1", false},                    // only the primary subtag "zh" names Chinese
		{"en-GB;q=0.9, zh-HK;q=0.91", true},                  //
		{strings.Repeat("en;q=0.1,", 50) + "zh;q=0.2", true}, // long headers work
	}
	for _, tt := range tests {
		if got := PreferChinese(tt.header); got != tt.want {
			t.Errorf("PreferChinese(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func FuzzPreferChinese(f *testing.F) {
	for _, s := range []string{"", "zh-CN,zh;q=0.9,en;q=0.8", "en;q=0.5, zh;q=0.9", "*;q=0.1", "zh;q=1.000", "zh;q=0,en"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got := PreferChinese(header)
		// Chinese can only win if some range names it or is a wildcard.
		lower := strings.ToLower(header)
		if got && !strings.Contains(lower, "zh") && !strings.Contains(lower, "*") {
			t.Fatalf("PreferChinese(%q) = true without a zh or * range", header)
		}
		// With an English range of weight 1 appended, Chinese can at best tie, and a tie
		// answers English.
		if PreferChinese(header + ",en") {
			t.Fatalf("PreferChinese(%q) = true although English has weight 1", header+",en")
		}
	})
}
