package objects

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// splitAll runs a splitter over data and returns every record.
func splitAll(tb testing.TB, data []byte, max int) ([]record, bool) {
	tb.Helper()
	s, err := newSplitter(bytes.NewReader(data), max)
	if err != nil {
		tb.Fatalf("newSplitter: %v", err)
	}
	var recs []record
	for {
		rec, err := s.next()
		if err == io.EOF {
			return recs, s.array
		}
		if err != nil {
			tb.Fatalf("next: %v", err)
		}
		recs = append(recs, rec)
		if len(recs) > len(data)+2 {
			tb.Fatalf("more records than input bytes: the splitter does not advance")
		}
	}
}

// describe renders records as "n:body" or "n!error" for comparison.
func describe(recs []record) string {
	var parts []string
	for _, r := range recs {
		if r.err != nil {
			parts = append(parts, fmt.Sprintf("%d!%v", r.n, r.err))
		} else {
			parts = append(parts, fmt.Sprintf("%d:%s", r.n, r.body))
		}
	}
	return strings.Join(parts, " | ")
}

func TestSplitter(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		max   int
		array bool
		want  string
	}{
		{"empty", "", 100, false, ""},
		{"only whitespace", " \n\t\r\n ", 100, false, ""},
		{"ndjson", "{\"a\":1}\n{\"b\":2}\n", 100, false, `1:{"a":1} | 2:{"b":2}`},
		{"ndjson without final newline", "{\"a\":1}\n{\"b\":2}", 100, false, `1:{"a":1} | 2:{"b":2}`},
		{"ndjson blank lines keep numbering", "\n\n{\"a\":1}\n  \n\t{\"b\":2} \r\n\n", 100, false, `3:{"a":1} | 5:{"b":2}`},
		{"ndjson CRLF", "{\"a\":1}\r\n{\"b\":2}\r\n", 100, false, `1:{"a":1} | 2:{"b":2}`},
		{"ndjson with BOM", "\xEF\xBB\xBF{\"a\":1}\n", 100, false, `1:{"a":1}`},
		{"ndjson invalid line", "{\"a\":1}\n{oops\n{\"b\":2}\n", 100, false, `1:{"a":1} | 2!line 2 is not valid JSON | 3:{"b":2}`},
		{"ndjson too long line", "{\"a\":1}\n{\"b\":\"0123456789\"}\n{\"c\":3}\n", 12, false, `1:{"a":1} | 2!line 2 is longer than 12 bytes | 3:{"c":3}`},
		{"ndjson limit excludes surrounding spaces", "   {\"a\":1}     \n", 7, false, `1:{"a":1}`},
		{"ndjson limit is inclusive", "{\"a\":12}\n", 8, false, `1:{"a":12}`},
		{"ndjson long last line", "{\"a\":\"0123456789\"}", 12, false, `1!line 1 is longer than 12 bytes`},
		{"ndjson line of arrays is an array", "[1]\n[2]\n", 100, true, `0:1 | 1!element 1: unexpected data after the array`},
		{"array", `[{"a":1},{"b":2}]`, 100, true, `0:{"a":1} | 1:{"b":2}`},
		{"array pretty", "[\n  {\"a\": [1, 2]},\n  {\"b\": \"x,]}\\\"\"}\n]\n", 100, true, `0:{"a": [1, 2]} | 1:{"b": "x,]}\""}`},
		{"empty array", " [ ] ", 100, true, ""},
		{"array with BOM", "\xEF\xBB\xBF [1]", 100, true, "0:1"},
		{"array invalid element", `[{"a":1},{oops},{"b":2}]`, 100, true, `0:{"a":1} | 1!element 1 is not valid JSON | 2:{"b":2}`},
		{"array empty element", `[1,,2]`, 100, true, `0:1 | 1!element 1 is empty | 2:2`},
		{"array trailing comma", `[1,]`, 100, true, `0:1 | 1!element 1 is empty`},
		{"array too long element", `[{"a":1},{"b":"0123456789"},{"c":3}]`, 12, true, `0:{"a":1} | 1!element 1 is longer than 12 bytes | 2:{"c":3}`},
		{"array not closed", `[{"a":1},{"b":2}`, 100, true, `0:{"a":1} | 1!element 1: the array is not closed`},
		{"array only bracket", `[`, 100, true, `0!element 0: the array is not closed`},
		{"array trailing data", `[1] {"x":1}`, 100, true, `0:1 | 1!element 1: unexpected data after the array`},
		{"empty array trailing data", `[] x`, 100, true, `0!element 0: unexpected data after the array`},
		{"array stray closing brace", `[1},2]`, 100, true, `0!element 0 is not valid JSON | 1:2`},
		{"array escaped quote", `["a\"],", "b"]`, 100, true, `0:"a\"]," | 1:"b"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, array := splitAll(t, []byte(tc.in), tc.max)
			if array != tc.array {
				t.Errorf("array = %v, want %v", array, tc.array)
			}
			if got := describe(recs); got != tc.want {
				t.Errorf("records\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}

// TestSplitterSmallReads feeds the splitter one byte at a time, so that every record spans many
// buffer refills, and a line much longer than the read buffer.
func TestSplitterSmallReads(t *testing.T) {
	long := `{"pad":"` + strings.Repeat("x", 200<<10) + `"}`
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"ndjson", "{\"a\":1}\n\n{\"b\":2}", 100, `1:{"a":1} | 3:{"b":2}`},
		{"array", `[ {"a":[1,"]"]} , 2 ]`, 100, `0:{"a":[1,"]"]} | 1:2`},
		{"long line kept", long + "\n{\"b\":2}\n", 300 << 10, "1:" + long + ` | 2:{"b":2}`},
		{"long line refused", long + "\n{\"b\":2}\n", 100 << 10, `1!line 1 is longer than 102400 bytes | 2:{"b":2}`},
		{"long element refused", "[" + long + ",3]", 100 << 10, `0!element 0 is longer than 102400 bytes | 1:3`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newSplitter(iotest.OneByteReader(strings.NewReader(tc.in)), tc.max)
			if err != nil {
				t.Fatal(err)
			}
			var recs []record
			for {
				rec, err := s.next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				recs = append(recs, rec)
			}
			if got := describe(recs); got != tc.want {
				if len(got) > 300 {
					got = got[:300] + "…"
				}
				t.Errorf("records\n got: %s\nwant: %.300s", got, tc.want)
			}
		})
	}
}

// TestSplitterReadError checks that a failing object read is returned as an error, not as a
// record.
func TestSplitterReadError(t *testing.T) {
	boom := errors.New("connection reset")
	for _, in := range []string{"{\"a\":1}\n{\"b\":", `[{"a":1},{"b":`} {
		r := io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom))
		s, err := newSplitter(r, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got error
		for got == nil {
			_, got = s.next()
		}
		if !errors.Is(got, boom) {
			t.Errorf("%q: error = %v, want %v", in, got, boom)
		}
	}
}

// FuzzSplitter checks that the splitter never panics and never loses a record: NDJSON yields one
// record per non-blank line, in order, with the line's text when it is valid JSON; a valid JSON
// array yields exactly the elements encoding/json finds.
func FuzzSplitter(f *testing.F) {
	for _, seed := range []string{
		"", "\n", "{\"a\":1}\n{\"b\":2}\n", "\n\n {\"a\":1} \r\n\n", "{oops\n{\"a\":\"x\"}",
		`[{"a":1},{"b":[2,"]"]}]`, "[\n 1 ,\n \"s,]\" ]\n", "[]", "[1,,2]", "[1,]", "[", `[1] x`,
		`["\\", "\"", {"k":"}]"}]`, "\xEF\xBB\xBF[1]", "\xEF\xBB\xBF{}\n", `[1},2]`, "[[[[]]]]", "{}{}\n[]",
	} {
		f.Add([]byte(seed), uint16(64))
	}
	f.Fuzz(func(t *testing.T, data []byte, maxLen uint16) {
		max := int(maxLen%256) + 1
		recs, array := splitAll(t, data, max)
		for i, r := range recs {
			if i > 0 && r.n <= recs[i-1].n {
				t.Fatalf("record numbers not increasing: %s", describe(recs))
			}
			if r.err == nil && (len(r.body) > max || !json.Valid(r.body)) {
				t.Fatalf("record %d: body %q is too long or invalid", r.n, r.body)
			}
			if (r.err == nil) == (r.body == nil) {
				t.Fatalf("record %d: exactly one of body and err must be set", r.n)
			}
		}
		text := bytes.TrimPrefix(data, bom)
		if !array {
			checkNDJSON(t, text, max, recs)
			return
		}
		if len(text) <= max && json.Valid(text) {
			var elems []json.RawMessage
			if err := json.Unmarshal(text, &elems); err != nil {
				t.Fatalf("valid array does not decode: %v", err)
			}
			if len(elems) != len(recs) {
				t.Fatalf("%d records for %d elements: %s", len(recs), len(elems), describe(recs))
			}
			for i, e := range elems {
				if recs[i].n != i || !bytes.Equal(recs[i].body, e) {
					t.Fatalf("record %d = %d:%q, want %d:%q", i, recs[i].n, recs[i].body, i, e)
				}
			}
		}
	})
}

// checkNDJSON compares records with the non-blank lines of text.
func checkNDJSON(t *testing.T, text []byte, max int, recs []record) {
	t.Helper()
	var want []record
	for i, line := range bytes.Split(text, []byte("\n")) {
		trimmed := bytes.Trim(line, jsonSpace)
		switch {
		case len(trimmed) == 0:
			continue
		case len(trimmed) > max || !json.Valid(trimmed):
			want = append(want, record{n: i + 1, err: errors.New("refused")})
		default:
			want = append(want, record{n: i + 1, body: trimmed})
		}
	}
	if len(want) != len(recs) {
		t.Fatalf("%d records for %d non-blank lines:\n got: %s\nwant: %s", len(recs), len(want), describe(recs), describe(want))
	}
	for i := range want {
		if recs[i].n != want[i].n || (recs[i].err == nil) != (want[i].err == nil) || !bytes.Equal(recs[i].body, want[i].body) {
			t.Fatalf("record %d:\n got: %s\nwant: %s", i, describe(recs[i:i+1]), describe(want[i:i+1]))
		}
	}
}

// benchInput returns about 4 MB of requests as NDJSON or as a pretty-printed JSON array.
func benchInput(array bool) []byte {
	var b bytes.Buffer
	if array {
		b.WriteString("[\n")
	}
	for i := 0; b.Len() < 4<<20; i++ {
		if array && i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"Agent":{"AppId":"app","ProxyOrganizationOpenId":"org"},"FlowInfos":[{"FlowName":"contract %d","TemplateId":"tpl_%d","FlowApprovers":[{"RecipientId":"r1","OpenId":"u%d"}],"CustomerData":"order-%d"}]}`, i, i%7, i, i)
		if !array {
			b.WriteByte('\n')
		}
	}
	if array {
		b.WriteString("\n]\n")
	}
	return b.Bytes()
}

// BenchmarkSplitter measures the splitter; the Baseline benchmarks do the same work the obvious
// way (bufio.Scanner plus json.Valid for NDJSON, json.Decoder Token/More for an array), which
// cannot bound a record's size or resume after an invalid element.
func BenchmarkSplitter(b *testing.B) {
	for _, array := range []bool{false, true} {
		name := map[bool]string{false: "NDJSON", true: "Array"}[array]
		in := benchInput(array)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				s, err := newSplitter(bytes.NewReader(in), DefaultMaxLineBytes)
				if err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := s.next(); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
				}
			}
		})
		b.Run(name+"Baseline", func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if array {
					dec := json.NewDecoder(bytes.NewReader(in))
					if _, err := dec.Token(); err != nil {
						b.Fatal(err)
					}
					for dec.More() {
						var raw json.RawMessage
						if err := dec.Decode(&raw); err != nil {
							b.Fatal(err)
						}
					}
					continue
				}
				sc := bufio.NewScanner(bytes.NewReader(in))
				sc.Buffer(make([]byte, 64<<10), DefaultMaxLineBytes)
				for sc.Scan() {
					if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 && json.Valid(line) {
						_ = bytes.Clone(line)
					}
				}
			}
		})
	}
}
