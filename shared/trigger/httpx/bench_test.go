package httpx

import (
	"encoding/json"
	"testing"
)

// BenchmarkRender measures rendering a partial-failure 200 with flows, warnings and headers.
func BenchmarkRender(b *testing.B) {
	o := partialOutcome()
	b.ReportAllocs()
	for b.Loop() {
		_ = Render(o, "zh-CN,zh;q=0.9,en;q=0.8")
	}
}

// BenchmarkRenderBaseline is the floor Render is compared with: encoding the same ESS response
// and result message with json.Marshal, without language negotiation or headers.
func BenchmarkRenderBaseline(b *testing.B) {
	o := partialOutcome()
	v := struct {
		R any
		M any
	}{o.Response, o.Message}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(v); err != nil {
			b.Fatal(err)
		}
	}
}
