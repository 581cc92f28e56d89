package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"github.com/essflow/essflow/shared/sandbox"
)

// outcome is what a client saw for one call.
type outcome struct {
	status  int
	code    string
	connErr error
}

func rawCall(t *testing.T, base string, a apiRequest) outcome {
	t.Helper()
	res, err := http.DefaultClient.Do(a.build(t, base))
	if err != nil {
		return outcome{connErr: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return outcome{connErr: err}
	}
	o := outcome{status: res.StatusCode}
	if res.StatusCode == http.StatusOK {
		var env struct{ Response response }
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatalf("HTTP 200 without an envelope: %s", raw)
		}
		o.code = code(env.Response)
	}
	return o
}

func TestFaultKinds(t *testing.T) {
	ok := create(createBody(laborFlow("劳动合同", "")))
	tests := []struct {
		fault       sandbox.Fault
		wantStatus  int
		wantCode    string
		wantConnErr bool
		wantFlows   int
	}{
		{sandbox.Fault{Kind: sandbox.FaultInternalError}, 200, sandbox.CodeInternalError, false, 0},
		{sandbox.Fault{Kind: sandbox.FaultRateLimit}, 200, sandbox.CodeRequestLimitExceeded, false, 0},
		{sandbox.Fault{Kind: sandbox.FaultHTTP5xx}, 503, "", false, 0},
		{sandbox.Fault{Kind: sandbox.FaultHTTP5xx, Status: 502}, 502, "", false, 0},
		{sandbox.Fault{Kind: sandbox.FaultDropBefore}, 0, "", true, 0},
		{sandbox.Fault{Kind: sandbox.FaultDropAfterCreate}, 0, "", true, 1},
		{sandbox.Fault{Kind: sandbox.FaultLatency, Latency: 150 * time.Millisecond}, 200, "", false, 1},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault.Kind), func(t *testing.T) {
			s, hs := newSandbox(t, nil)
			if err := s.InjectFault(tt.fault); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			got := rawCall(t, hs.URL, ok)
			if got.status != tt.wantStatus || got.code != tt.wantCode || (got.connErr != nil) != tt.wantConnErr {
				t.Fatalf("saw %+v, want status %d code %q connection error %v", got, tt.wantStatus, tt.wantCode, tt.wantConnErr)
			}
			if tt.fault.Kind == sandbox.FaultLatency && time.Since(start) < tt.fault.Latency {
				t.Fatalf("answered before the injected latency")
			}
			if n := len(s.Flows()); n != tt.wantFlows {
				t.Fatalf("%d flows recorded, want %d", n, tt.wantFlows)
			}
			// The fault is consumed: the next call is normal.
			if next := rawCall(t, hs.URL, ok); next.status != 200 || next.code != "" {
				t.Fatalf("next call %+v", next)
			}
			if s.Calls(sandbox.ActionCreateFlowsByTemplates) != 2 {
				t.Fatalf("Calls = %d, want 2", s.Calls(sandbox.ActionCreateFlowsByTemplates))
			}
		})
	}
}

func TestFaultMatchingAndCount(t *testing.T) {
	s, hs := newSandbox(t, nil)
	createCall := create(createBody(laborFlow("劳动合同", "")))
	describe := apiRequest{action: sandbox.ActionDescribeTemplates, body: mustJSON(t, map[string]any{"Agent": agentJSON()})}
	if err := s.InjectFault(sandbox.Fault{Kind: sandbox.FaultInternalError, Action: sandbox.ActionCreateFlowsByTemplates, Count: 2}); err != nil {
		t.Fatal(err)
	}
	if got := rawCall(t, hs.URL, describe); got.code != "" {
		t.Fatalf("fault for another action hit DescribeTemplates: %+v", got)
	}
	for i, want := range []string{sandbox.CodeInternalError, sandbox.CodeInternalError, ""} {
		if got := rawCall(t, hs.URL, createCall); got.code != want {
			t.Fatalf("call %d: %+v, want %q", i, got, want)
		}
	}
	// Queued faults, cleared before use, never fire.
	if err := s.InjectFault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 5}); err != nil {
		t.Fatal(err)
	}
	s.ClearFaults()
	if got := rawCall(t, hs.URL, createCall); got.code != "" {
		t.Fatalf("cleared fault fired: %+v", got)
	}
	for _, bad := range []sandbox.Fault{{Kind: "explode"}, {Kind: sandbox.FaultHTTP5xx, Status: 404}, {Kind: sandbox.FaultLatency, Latency: -time.Second}} {
		if err := s.InjectFault(bad); err == nil {
			t.Errorf("InjectFault(%+v) accepted", bad)
		}
	}
}

func TestFaultsOverHTTP(t *testing.T) {
	_, hs := newSandbox(t, nil)
	post := func(body string) int {
		res, err := http.Post(hs.URL+"/_sandbox/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, tt := range []struct {
		body string
		want int
	}{
		{`{"Kind":"http_5xx","Status":500,"Count":1}`, http.StatusNoContent},
		{`{"Kind":"latency","Latency":"20ms"}`, http.StatusNoContent},
		{`{"Kind":"latency","Latency":20000000}`, http.StatusNoContent},
		{`{"Kind":"nope"}`, http.StatusBadRequest},
		{`{"Kind":"latency","Latency":"soon"}`, http.StatusBadRequest},
		{`{"Kind":"rate_limit","Extra":1}`, http.StatusBadRequest},
		{`[`, http.StatusBadRequest},
	} {
		if got := post(tt.body); got != tt.want {
			t.Errorf("POST %s: HTTP %d, want %d", tt.body, got, tt.want)
		}
	}
	ok := create(createBody(laborFlow("劳动合同", "")))
	if got := rawCall(t, hs.URL, ok); got.status != 500 {
		t.Fatalf("HTTP-injected fault: %+v", got)
	}
	req, _ := http.NewRequest(http.MethodDelete, hs.URL+"/_sandbox/faults", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	start := time.Now()
	if got := rawCall(t, hs.URL, ok); got.code != "" || time.Since(start) > 5*time.Second {
		t.Fatalf("after DELETE: %+v", got)
	}
}

func TestRandomFaultsAreSeeded(t *testing.T) {
	kinds := func() []string {
		s, hs := newSandbox(t, func(c *sandbox.Config) { c.FaultRate = 1; c.Seed = 99 })
		var seen []string
		for range 12 {
			o := rawCall(t, hs.URL, create(createBody(laborFlow("劳动合同", ""))))
			switch {
			case o.connErr != nil:
				seen = append(seen, "drop")
			case o.status != 200:
				seen = append(seen, "5xx")
			case o.code == "":
				t.Fatalf("FaultRate 1 let a call through")
			default:
				seen = append(seen, o.code)
			}
		}
		drops := 0
		for _, k := range seen {
			if k == "drop" {
				drops++
			}
		}
		if len(s.Flows()) != drops {
			t.Fatalf("%d flows for %d drop_after_create faults", len(s.Flows()), drops)
		}
		return seen
	}
	a, b := kinds(), kinds()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	distinct := map[string]bool{}
	for _, k := range a {
		distinct[k] = true
	}
	if len(distinct) < 3 {
		t.Fatalf("12 random faults show only %v", distinct)
	}
}

// TestDropAfterCreateWithSDK is the outcome-unknown case as the official SDK sees it: a network
// error although the flow exists.
func TestDropAfterCreateWithSDK(t *testing.T) {
	run := startReal(t, sandbox.Config{})
	if err := run.Server.InjectFault(sandbox.Fault{Kind: sandbox.FaultDropAfterCreate, Action: sandbox.ActionCreateFlowsByTemplates}); err != nil {
		t.Fatal(err)
	}
	c := sdkClient(run.Host, common.NewCredential(sandbox.DefaultSecretID, sandbox.DefaultSecretKey), "")
	_, err := sdkCall(t, c, "essbasic", "2021-05-26", "CreateFlowsByTemplates", realBody())
	if err == nil || sdkCode(err) != "ClientError.NetworkError" {
		t.Fatalf("SDK saw %v, want ClientError.NetworkError", err)
	}
	if flows := run.Server.Flows(); len(flows) != 1 || flows[0].CustomerData != "c2Rr" {
		t.Fatalf("flow not recorded: %+v", flows)
	}
	if n := run.Server.Calls(sandbox.ActionCreateFlowsByTemplates); n != 1 {
		t.Fatalf("the SDK or transport retried: %d calls", n)
	}
}

func TestFaultJSONRoundTrip(t *testing.T) {
	in := sandbox.Fault{Kind: sandbox.FaultLatency, Action: "DescribeTemplates", Count: 3, Latency: 1500 * time.Millisecond}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"Latency":"1.5s"`)) {
		t.Fatalf("marshalled %s", b)
	}
	var out sandbox.Fault
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("round trip %+v %v", out, err)
	}
}

func FuzzFaultJSON(f *testing.F) {
	f.Add([]byte(`{"Kind":"http_5xx","Action":"CreateFlowsByTemplates","Count":2,"Status":502}`))
	f.Add([]byte(`{"Kind":"latency","Latency":"250ms"}`))
	f.Add([]byte(`{"Kind":"latency","Latency":250000000}`))
	f.Add([]byte(`{"Kind":"drop_after_create","Latency":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fl sandbox.Fault
		if err := json.Unmarshal(b, &fl); err != nil {
			return
		}
		again, err := json.Marshal(fl)
		if err != nil {
			t.Fatalf("marshal %+v: %v", fl, err)
		}
		var back sandbox.Fault
		if err := json.Unmarshal(again, &back); err != nil || back != fl {
			t.Fatalf("round trip of %s: %+v %v", again, back, err)
		}
		s, err := sandbox.New(sandbox.Config{})
		if err != nil {
			t.Fatal(err)
		}
		_ = s.InjectFault(fl)
	})
}
