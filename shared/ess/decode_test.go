package ess

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// decUpdating reports whether the package's -update flag (declared once for the whole test
// binary, in client_test.go) asks for golden files to be rewritten.
func decUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// decWant is one expected violation.
type decWant struct {
	path, rule, param string
}

func decViolations(t *testing.T, err error) []Violation {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *ValidationError", err, err)
	}
	for _, v := range ve.Violations {
		if v.Message == "" || v.MessageZH == "" {
			t.Errorf("violation %+v lacks a message", v)
		}
		if v.Path != "" && (!strings.HasPrefix(v.Message, v.Path) || !strings.HasPrefix(v.MessageZH, v.Path)) {
			t.Errorf("messages of %+v do not start with the path", v)
		}
	}
	return ve.Violations
}

func decCheck(t *testing.T, got []Violation, want []decWant) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d violations %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i, w := range want {
		g := got[i]
		if g.Path != w.path || g.Rule != w.rule || (w.param != "*" && g.Param != w.param) {
			t.Errorf("violation %d = {%q %q %q}, want {%q %q %q}", i, g.Path, g.Rule, g.Param, w.path, w.rule, w.param)
		}
	}
}

func TestDecodeCreateFlowsRequestErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []decWant
	}{
		{"typo with suggestion", `{"FlowInfos":[{"FlowAprovers":[]}]}`,
			[]decWant{{"FlowInfos[0].FlowAprovers", RuleUnknownField, "FlowApprovers"}}},
		{"case differs", `{"FlowInfos":[{"flowname":"x"}]}`,
			[]decWant{{"FlowInfos[0].flowname", RuleUnknownField, "FlowName"}}},
		{"unknown without suggestion", `{"Zzzzzzzzzz":1}`,
			[]decWant{{"Zzzzzzzzzz", RuleUnknownField, ""}}},
		{"unknown with object value skipped", `{"Extra":{"a":[1,{"b":2}]},"NeedPreview":true}`,
			[]decWant{{"Extra", RuleUnknownField, ""}}},
		{"string for Deadline", `{"FlowInfos":[{},{"FlowApprovers":[{"Deadline":"1604910797"}]}]}`,
			[]decWant{{"FlowInfos[1].FlowApprovers[0].Deadline", RuleType, "integer"}}},
		{"object for FlowInfos", `{"FlowInfos":{"FlowName":"x"}}`,
			[]decWant{{"FlowInfos", RuleType, "array"}}},
		{"array for Agent", `{"Agent":[1,2]}`,
			[]decWant{{"Agent", RuleType, "object"}}},
		{"number for string", `{"Agent":{"AppId":123}}`,
			[]decWant{{"Agent.AppId", RuleType, "string"}}},
		{"string for bool", `{"NeedPreview":"true"}`,
			[]decWant{{"NeedPreview", RuleType, "boolean"}}},
		{"fraction for int64", `{"FlowInfos":[{"Deadline":1.5}]}`,
			[]decWant{{"FlowInfos[0].Deadline", RuleType, "integer"}}},
		{"exponent for int64", `{"PreviewType":1e3}`,
			[]decWant{{"PreviewType", RuleType, "integer"}}},
		{"beyond int64", `{"PreviewType":9223372036854775808}`,
			[]decWant{{"PreviewType", RuleType, "integer"}}},
		{"negative for uint64", `{"FlowInfos":[{"FlowApprovers":[{"SignTypeSelector":-1}]}]}`,
			[]decWant{{"FlowInfos[0].FlowApprovers[0].SignTypeSelector", RuleType, "unsigned integer"}}},
		{"float out of range", `{"FlowInfos":[{"FlowApprovers":[{"SignComponents":[{"ComponentWidth":1e400}]}]}]}`,
			[]decWant{{"FlowInfos[0].FlowApprovers[0].SignComponents[0].ComponentWidth", RuleType, "number"}}},
		{"string in int list", `{"FlowInfos":[{"FlowApprovers":[{"ApproverVerifyTypes":[1,"2"]}]}]}`,
			[]decWant{{"FlowInfos[0].FlowApprovers[0].ApproverVerifyTypes[1]", RuleType, "integer"}}},
		{"duplicate key", `{"NeedPreview":true,"NeedPreview":false}`,
			[]decWant{{"NeedPreview", RuleDuplicate, ""}}},
		{"all errors at once", `{"Agent":{"AppID":"a","ProxyOperator":{"OpenId":7}},"FlowInfos":[{"FlowAprovers":[],"Deadline":"x"},{"FlowName":false}],"Previewtype":0}`,
			[]decWant{
				{"Agent.AppID", RuleUnknownField, "AppId"},
				{"Agent.ProxyOperator.OpenId", RuleType, "string"},
				{"FlowInfos[0].FlowAprovers", RuleUnknownField, "FlowApprovers"},
				{"FlowInfos[0].Deadline", RuleType, "integer"},
				{"FlowInfos[1].FlowName", RuleType, "string"},
				{"Previewtype", RuleUnknownField, "PreviewType"},
			}},
		{"null top level", `null`, []decWant{{"", RuleType, "object"}}},
		{"array top level", `[{}]`, []decWant{{"", RuleType, "object"}}},
		{"string top level", `"x"`, []decWant{{"", RuleType, "object"}}},
		{"empty body", ``, []decWant{{"", RuleJSON, "0"}}},
		{"blank body", " \n\t", []decWant{{"", RuleJSON, "3"}}},
		{"trailing object", `{}{}`, []decWant{{"", RuleJSON, "2"}}},
		{"trailing garbage", `{"NeedPreview":true} x`, []decWant{{"", RuleJSON, "20"}}},
		{"syntax error", `{"Agent": }`, []decWant{{"Agent", RuleJSON, "10"}}},
		{"truncated", `{"Agent":{"AppId":"a"`, []decWant{{"Agent", RuleJSON, "21"}}},
		{"type errors kept before syntax error", `{"NeedPreview":1,"Agent":{,}}`,
			[]decWant{{"NeedPreview", RuleType, "boolean"}, {"Agent", RuleJSON, "*"}}},
		{"bad key in unknown object", `{"X":{"a" 1}}`, []decWant{{"X", RuleUnknownField, ""}, {"", RuleJSON, "*"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodeCreateFlowsRequest([]byte(tc.in))
			if req != nil {
				t.Errorf("got a request with an error")
			}
			decCheck(t, decViolations(t, err), tc.want)
		})
	}
}

func TestDecodeAcceptsValidShapes(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check func(*CreateFlowsByTemplatesRequest) bool
	}{
		{"empty object", `{}`, func(r *CreateFlowsByTemplatesRequest) bool { return r.Agent == nil && r.FlowInfos == nil }},
		{"nulls leave fields nil", `{"Agent":null,"FlowInfos":null,"NeedPreview":null}`,
			func(r *CreateFlowsByTemplatesRequest) bool {
				return r.Agent == nil && r.FlowInfos == nil && r.NeedPreview == nil
			}},
		{"null element kept", `{"FlowInfos":[null,{}]}`,
			func(r *CreateFlowsByTemplatesRequest) bool { return len(r.FlowInfos) == 2 && r.FlowInfos[0] == nil }},
		{"empty array is non-nil", `{"FlowInfos":[]}`,
			func(r *CreateFlowsByTemplatesRequest) bool { return r.FlowInfos != nil && len(r.FlowInfos) == 0 }},
		{"explicit zero values", `{"NeedPreview":false,"PreviewType":0,"Agent":{"AppId":""}}`,
			func(r *CreateFlowsByTemplatesRequest) bool {
				return r.NeedPreview != nil && !*r.NeedPreview && r.PreviewType != nil && *r.PreviewType == 0 &&
					r.Agent.AppId != nil && *r.Agent.AppId == ""
			}},
		{"max int64 and escapes", `{"PreviewType":9223372036854775807,"Agent":{"AppId":"\u672a\u547d\u540d"}}`,
			func(r *CreateFlowsByTemplatesRequest) bool {
				return *r.PreviewType == 1<<63-1 && *r.Agent.AppId == "未命名"
			}},
		{"negative int64 and whitespace", " \n{ \"PreviewType\" : -3 }\n",
			func(r *CreateFlowsByTemplatesRequest) bool { return *r.PreviewType == -3 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodeCreateFlowsRequest([]byte(tc.in))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !tc.check(req) {
				t.Errorf("decoded %+v does not have the expected shape", req)
			}
		})
	}
}

func TestDecodeMessages(t *testing.T) {
	tests := []struct {
		in, en, zh string
	}{
		{`{"FlowInfos":[{"FlowAprovers":[]}]}`,
			"FlowInfos[0].FlowAprovers: unknown field (did you mean FlowApprovers?)",
			"FlowInfos[0].FlowAprovers：未知字段（是否应为 FlowApprovers？）"},
		{`{"FlowInfos":[{"Deadline":"soon"}]}`,
			"FlowInfos[0].Deadline: wrong type: expected an integer, got a string",
			"FlowInfos[0].Deadline：类型错误：应为整数，实际为字符串"},
		{`{"FlowInfos":[{"Deadline":1.5}]}`,
			"FlowInfos[0].Deadline: wrong type: expected an integer, got a number with a fraction or exponent",
			"FlowInfos[0].Deadline：类型错误：应为整数，实际为带小数或指数的数字"},
		{`{} []`,
			"request body: invalid JSON at byte offset 2: trailing data after the top-level value",
			"请求体：JSON 无效（字节偏移 2）：顶层值之后有多余的数据"},
		{`null`,
			"request body: the top-level value must be an object, not null",
			"请求体：顶层值必须是对象，不能为 null"},
	}
	for _, tc := range tests {
		_, err := DecodeCreateFlowsRequest([]byte(tc.in))
		v := decViolations(t, err)
		if len(v) != 1 {
			t.Fatalf("%s: got %d violations, want 1", tc.in, len(v))
		}
		if v[0].Message != tc.en || v[0].MessageZH != tc.zh {
			t.Errorf("%s:\n got %q / %q\nwant %q / %q", tc.in, v[0].Message, v[0].MessageZH, tc.en, tc.zh)
		}
	}
}

func TestDecodeNeverEchoesValues(t *testing.T) {
	in := `{"FlowInfos":[{"FlowApprovers":[{"Mobile":13912345678,"IdCardNumber":110105194912310021,"Name":["王小明"]}]}],"SecretKey":"Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"}`
	_, err := DecodeCreateFlowsRequest([]byte(in))
	v := decViolations(t, err)
	if len(v) != 4 {
		t.Fatalf("got %d violations, want 4: %+v", len(v), v)
	}
	for _, secret := range []string{"13912345678", "110105194912310021", "王小明", "Gu5t9x"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error text contains %q", secret)
		}
		for _, x := range v {
			if strings.Contains(x.Message+x.MessageZH+x.Param, secret) {
				t.Errorf("violation %+v contains %q", x, secret)
			}
		}
	}
}

func TestDecodeStopsAfterTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 150 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"unknown` + strings.Repeat("x", i) + `":1`)
	}
	b.WriteString("}")
	_, err := DecodeCreateFlowsRequest([]byte(b.String()))
	v := decViolations(t, err)
	if len(v) != decMaxViolations+1 || v[decMaxViolations].Rule != RuleTooManyErrors {
		t.Fatalf("got %d violations ending in %+v, want %d ending in %s", len(v), v[len(v)-1], decMaxViolations+1, RuleTooManyErrors)
	}
}

func TestDecodeStrictBadTarget(t *testing.T) {
	var req CreateFlowsByTemplatesRequest
	var nilReq *CreateFlowsByTemplatesRequest
	for _, target := range []any{nil, req, nilReq} {
		err := DecodeStrict([]byte(`{}`), target)
		var ve *ValidationError
		if err == nil || errors.As(err, &ve) {
			t.Errorf("DecodeStrict into %T: got %v, want a plain error", target, err)
		}
	}
}

// decEnvelope exercises DecodeStrict on shapes the essbasic types do not use.
type decEnvelope struct {
	decEnvelopeMeta
	*DecEnvelopeTrace
	Kind    string            `json:"kind"`
	Body    json.RawMessage   `json:"body"`
	Labels  map[string]int64  `json:"labels"`
	Count   int32             `json:"count,string"`
	When    time.Time         `json:"when"`
	Any     any               `json:"any"`
	Bytes   []byte            `json:"bytes"`
	Pair    [2]string         `json:"pair"`
	Ignored string            `json:"-"`
	Nested  map[string]*Agent `json:"nested"`
	hidden  string
}

type decEnvelopeMeta struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // shadowed by decEnvelope.Kind
}

type DecEnvelopeTrace struct {
	TraceID string `json:"traceId"`
}

func TestDecodeStrictGenericShapes(t *testing.T) {
	in := `{"id":"m1","traceId":"t1","kind":"job","body":{"free":[1,2]},"labels":{"a":1},"count":"42",
		"when":"2026-01-02T03:04:05Z","any":{"x":1.5},"bytes":"aGk=","pair":["a","b"],
		"nested":{"k":{"AppId":"app"}}}`
	var env decEnvelope
	if err := DecodeStrict([]byte(in), &env); err != nil {
		t.Fatalf("decode: %v", err)
	}
	want := decEnvelope{
		decEnvelopeMeta:  decEnvelopeMeta{ID: "m1"},
		DecEnvelopeTrace: &DecEnvelopeTrace{TraceID: "t1"},
		Kind:             "job", Body: json.RawMessage(`{"free":[1,2]}`), Labels: map[string]int64{"a": 1}, Count: 42,
		When: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Any: map[string]any{"x": json.Number("1.5")},
		Bytes: []byte("hi"), Pair: [2]string{"a", "b"}, Nested: map[string]*Agent{"k": {AppId: String("app")}},
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("got  %+v\nwant %+v", env, want)
	}

	bad := `{"Ignored":"x","hidden":"y","labels":{"a":"1"},"count":"4.5","when":"yesterday",
		"nested":{"k":{"appid":"x"}},"traceid":"t"}`
	err := DecodeStrict([]byte(bad), &decEnvelope{})
	decCheck(t, decViolations(t, err), []decWant{
		{"Ignored", RuleUnknownField, ""},
		{"hidden", RuleUnknownField, ""},
		{"labels.a", RuleType, "integer"},
		{"count", RuleType, "integer"},
		{"when", RuleType, "value"},
		{"nested.k.appid", RuleUnknownField, "AppId"},
		{"traceid", RuleUnknownField, "traceId"},
	})
}

func TestDecodeDescribeTemplatesRequest(t *testing.T) {
	var req DescribeTemplatesRequest
	err := DecodeStrict([]byte(`{"Agent":{"AppId":"a"},"TemplateIDs":["x"],"Limit":-1}`), &req)
	decCheck(t, decViolations(t, err), []decWant{
		{"TemplateIDs", RuleUnknownField, "TemplateIds"},
		{"Limit", RuleType, "unsigned integer"},
	})
}

// decExample is one request file of testdata/requests and the type it holds.
type decExample struct {
	name string
	data []byte
	new  func() any
}

func decExamples(t testing.TB) []decExample {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "requests", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no request examples: %v", err)
	}
	var out []decExample
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		e := decExample{name: strings.TrimSuffix(filepath.Base(f), ".json"), data: data,
			new: func() any { return new(CreateFlowsByTemplatesRequest) }}
		if strings.HasPrefix(e.name, "describe") {
			e.new = func() any { return new(DescribeTemplatesRequest) }
		}
		out = append(out, e)
	}
	return out
}

func decTree(t *testing.T, data []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode tree: %v", err)
	}
	return v
}

// TestRoundTrip decodes every example strictly, re-encodes it with json.Marshal and checks that
// the result means the same JSON and matches the golden bytes.
func TestRoundTrip(t *testing.T) {
	for _, e := range decExamples(t) {
		t.Run(e.name, func(t *testing.T) {
			v := e.new()
			if err := DecodeStrict(e.data, v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if got, want := decTree(t, out), decTree(t, e.data); !reflect.DeepEqual(got, want) {
				t.Errorf("re-encoded JSON differs:\n got %s\nwant %s", out, e.data)
			}
			std := e.new()
			if err := json.Unmarshal(e.data, std); err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			if !reflect.DeepEqual(v, std) {
				t.Errorf("strict decoding differs from encoding/json")
			}
			golden := filepath.Join("testdata", "requests", e.name+".golden")
			out = append(out, '\n')
			if decUpdating() {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update to create it): %v", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("re-encoded bytes differ from %s:\n got %s\nwant %s", golden, out, want)
			}
		})
	}
}

// TestRoundTripKeepsExplicitZeros checks that explicit false, 0, "" and [] of full.json survive
// decoding and re-encoding, which is what distinguishes them from absent fields on the wire.
func TestRoundTripKeepsExplicitZeros(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "requests", "full.json"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := DecodeCreateFlowsRequest(data)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	out, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	tree := decTree(t, out)
	tests := []struct {
		path string
		want any
	}{
		{"NeedPreview", false},
		{"PreviewType", json.Number("0")},
		{"Agent.ProxyAppId", ""},
		{"FlowInfos.0.FlowDescription", ""},
		{"FlowInfos.0.NeedSignReview", false},
		{"FlowInfos.0.CcInfos.0.CcType", json.Number("0")},
		{"FlowInfos.0.FlowApprovers.0.Components", []any{}},
		{"FlowInfos.0.FlowApprovers.0.ApproverOption.FillType", json.Number("0")},
		{"FlowInfos.0.FlowApprovers.0.AddSignComponentsLimits.1.ComponentValue", []any{}},
		{"FlowInfos.0.FlowApprovers.1.ApproverVerifyTypes", []any{}},
		{"FlowInfos.0.FlowApprovers.1.SignEndpoints", []any{}},
		{"FlowInfos.0.FlowApprovers.1.PreReadTime", json.Number("0")},
		{"FlowInfos.0.FlowApprovers.1.Intention.IntentionQuestions", []any{}},
		{"FlowInfos.1.FlowApprovers", []any{}},
		{"FlowInfos.1.Deadline", json.Number("0")},
		{"FlowInfos.1.FlowOperateLimit", map[string]any{}},
	}
	for _, tc := range tests {
		got, ok := decLookup(tree, tc.path)
		if !ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s = %#v (present %v), want %#v", tc.path, got, ok, tc.want)
		}
	}
	if _, ok := decLookup(tree, "FlowInfos.1.FlowName"); !ok {
		t.Errorf("FlowInfos.1.FlowName lost")
	}
	if _, ok := decLookup(tree, "FlowInfos.1.CustomerData"); ok {
		t.Errorf("absent FlowInfos.1.CustomerData appeared")
	}
}

// decLookup follows a dotted path of keys and array indexes in a decoded JSON tree.
func decLookup(v any, path string) (any, bool) {
	for key := range strings.SplitSeq(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[key]; !ok {
				return nil, false
			}
		case []any:
			i := 0
			for _, c := range key {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// TestExamplesUseEveryField proves that full.json and describe_full.json set every JSON field of
// every struct reachable from the request types, so the round trip covers the whole model.
func TestExamplesUseEveryField(t *testing.T) {
	for _, tc := range []struct {
		file string
		typ  reflect.Type
	}{
		{"full.json", reflect.TypeFor[CreateFlowsByTemplatesRequest]()},
		{"describe_full.json", reflect.TypeFor[DescribeTemplatesRequest]()},
	} {
		data, err := os.ReadFile(filepath.Join("testdata", "requests", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		decSeen(decTree(t, data), tc.typ, seen)
		decRequire(t, tc.file, tc.typ, seen, map[reflect.Type]bool{})
	}
}

// decSeen records, for each struct type, the JSON names present in tree.
func decSeen(tree any, typ reflect.Type, seen map[string]bool) {
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		if typ.Kind() == reflect.Slice {
			if arr, ok := tree.([]any); ok {
				for _, e := range arr {
					decSeen(e, typ.Elem(), seen)
				}
			}
			return
		}
		typ = typ.Elem()
	}
	obj, ok := tree.(map[string]any)
	if !ok || typ.Kind() != reflect.Struct {
		return
	}
	info := decFieldsOf(typ)
	for k, v := range obj {
		if f, ok := info.byName[k]; ok {
			seen[typ.Name()+"."+k] = true
			decSeen(v, f.typ, seen)
		}
	}
}

func decRequire(t *testing.T, file string, typ reflect.Type, seen map[string]bool, done map[reflect.Type]bool) {
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct || done[typ] {
		return
	}
	done[typ] = true
	info := decFieldsOf(typ)
	for _, name := range info.names {
		if !seen[typ.Name()+"."+name] {
			t.Errorf("%s never sets %s.%s", file, typ.Name(), name)
		}
		decRequire(t, file, info.byName[name].typ, seen, done)
	}
}

func TestSuggest(t *testing.T) {
	names := decFieldsOf(reflect.TypeFor[FlowInfo]()).names
	tests := []struct{ key, want string }{
		{"FlowAprovers", "FlowApprovers"},
		{"flowapprovers", "FlowApprovers"},
		{"DeadLine", "Deadline"},
		{"TemplateID", "TemplateId"},
		{"CCInfos", "CcInfos"},
		{"FlowNam", "FlowName"},
		{"Foo", ""},
		{"X", ""},
		{strings.Repeat("FlowName", 20), ""},
	}
	for _, tc := range tests {
		if got := decSuggest(tc.key, names); got != tc.want {
			t.Errorf("decSuggest(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}
