package httpx

import (
	"strings"
)

// PreferChinese reports whether an Accept-Language header value (RFC 9110 §12.5.4) prefers
// Chinese over English, the two languages essflow answers in.
//
// Each language gets the highest quality (q, default 1) of the ranges whose primary subtag
// names it ("zh", "zh-CN", "zh-Hant-TW" all name Chinese), or the quality of "*" when no range
// names it, or 0. Chinese wins only with a strictly higher quality than English, so an empty or
// unparsable header, "*", or a tie answers English. Ranges with a malformed or out-of-range q
// are ignored.
func PreferChinese(acceptLanguage string) bool {
	var zh, en, star float64 = -1, -1, -1
	for part := range strings.SplitSeq(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		if tag == "" {
			continue
		}
		q, ok := quality(params)
		if !ok {
			continue
		}
		primary, _, _ := strings.Cut(tag, "-")
		switch primary {
		case "zh":
			zh = max(zh, q)
		case "en":
			en = max(en, q)
		case "*":
			star = max(star, q)
		}
	}
	if zh < 0 {
		zh = max(star, 0)
	}
	if en < 0 {
		en = max(star, 0)
	}
	return zh > en
}

// quality parses the parameters after a language range (";q=0.8") and returns its weight; a
// range without q weighs 1. It reports false for a malformed or out-of-range weight.
func quality(params string) (float64, bool) {
	q := 1.0
	for p := range strings.SplitSeq(params, ";") {
		name, value, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue
		}
		f, ok := parseQValue(strings.TrimSpace(value))
		if !ok {
			return 0, false
		}
		q = f
	}
	return q, true
}

// parseQValue parses an RFC 9110 qvalue: "0" or "1", optionally followed by a dot and up to
// three digits ("1" allows only zeros after the dot).
func parseQValue(v string) (float64, bool) {
	if v == "" || len(v) > 5 || (v[0] != '0' && v[0] != '1') {
		return 0, false
	}
	frac := ""
	if len(v) > 1 {
		if v[1] != '.' {
			return 0, false
		}
		frac = v[2:]
	}
	n := 0
	for i := 0; i < 3; i++ {
		n *= 10
		if i < len(frac) {
			c := frac[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n += int(c - '0')
		}
	}
	if v[0] == '1' {
		if n != 0 {
			return 0, false
		}
		return 1, true
	}
	return float64(n) / 1000, true
}
