package flows_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/ess"
	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/idem"
	"github.com/essflow/essflow/shared/idem/memory"
	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sandbox"
	"github.com/essflow/essflow/shared/sink/webhook"
)

// recordingSink is a Sink made of a function field that records what it was given.
type recordingSink struct {
	mu   sync.Mutex
	msgs []*result.Message
	fail func(*result.Message) error
}

func (s *recordingSink) Deliver(_ context.Context, m *result.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		if err := s.fail(m); err != nil {
			return err
		}
	}
	s.msgs = append(s.msgs, m)
	return nil
}

func (s *recordingSink) delivered() []*result.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*result.Message(nil), s.msgs...)
}

// faultyStore wraps a real store and fails the operations named in failOn.
type faultyStore struct {
	flows.Store
	mu     sync.Mutex
	failOn map[string]bool
}

func (f *faultyStore) fails(op string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failOn[op]
}

func (f *faultyStore) Finish(ctx context.Context, key, owner string, status idem.Status, result []byte, ttl time.Duration) error {
	if f.fails("Finish") {
		return errors.New("connection reset")
	}
	return f.Store.Finish(ctx, key, owner, status, result, ttl)
}

func (f *faultyStore) Begin(ctx context.Context, key, hash, owner string, lockUntil time.Time, ttl time.Duration) (idem.BeginResult, error) {
	if f.fails("Begin") {
		return idem.BeginResult{}, errors.New("connection refused")
	}
	return f.Store.Begin(ctx, key, hash, owner, lockUntil, ttl)
}

type fixture struct {
	sb     *sandbox.Running
	client *ess.Client
	store  *faultyStore
	sink   *recordingSink
	proc   *flows.Processor
}

func newFixture(t *testing.T, mod func(*flows.Options)) *fixture {
	t.Helper()
	sb, err := sandbox.Start(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	client, err := ess.NewClient(ess.Config{
		Endpoint:    sb.URL,
		Credentials: ess.StaticCredentials{SecretID: sandbox.DefaultSecretID, SecretKey: sandbox.DefaultSecretKey},
		QPS:         500, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		AttemptTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{sb: sb, client: client, store: &faultyStore{Store: memory.New(memory.Options{}), failOn: map[string]bool{}}, sink: &recordingSink{}}
	opt := flows.Options{AppID: sandbox.DefaultAppID, Function: "essflow-test", InProgressWait: 3 * time.Second}
	if mod != nil {
		mod(&opt)
	}
	f.proc, err = flows.New(client, ess.NewValidator(ess.ValidatorOptions{}), f.store, f.sink, opt)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// request returns a valid labour-contract request with n flows as JSON.
func request(n int, mod func(m map[string]any)) []byte {
	flowsJSON := make([]any, n)
	for i := range flowsJSON {
		flowsJSON[i] = map[string]any{
			"FlowName": fmt.Sprintf("劳动合同_%d", i), "TemplateId": sandbox.TemplateLaborB2C,
			"Deadline":   time.Now().Add(72 * time.Hour).Unix(),
			"FormFields": []any{map[string]any{"ComponentName": "姓名", "ComponentValue": "张三"}, map[string]any{"ComponentName": "岗位", "ComponentValue": "工程师"}},
			"FlowApprovers": []any{
				map[string]any{"ApproverType": "ORGANIZATION", "RecipientId": sandbox.RecipientLaborEmployer, "OpenId": "hrOperator01"},
				map[string]any{"ApproverType": "PERSON", "RecipientId": sandbox.RecipientLaborEmployee, "Name": "张三", "Mobile": fmt.Sprintf("138%08d", i)},
			},
			"CustomerData": fmt.Sprintf("employee-%d", i),
		}
	}
	m := map[string]any{
		"Agent":     map[string]any{"ProxyOrganizationOpenId": "orgEssflowDemo", "ProxyOperator": map[string]any{"OpenId": "hrOperator01"}},
		"FlowInfos": flowsJSON,
	}
	if mod != nil {
		mod(m)
	}
	b, _ := json.Marshal(m)
	return b
}

func job(body []byte, key string) flows.Job {
	return flows.Job{Trigger: "sqs", RecordID: "rec-" + key, Body: body, DerivedKey: key}
}

func (f *fixture) created() int { return len(f.sb.Server.Flows()) }

// TestProcess covers the outcome of one job for each kind of input and service behaviour.
func TestProcess(t *testing.T) {
	tests := []struct {
		name       string
		opts       func(*flows.Options)
		before     func(*fixture)
		job        flows.Job
		status     flows.Status
		http       int
		msgType    string
		errCode    string
		retryable  bool
		created    int
		violations bool
	}{
		{name: "created", job: job(request(2, nil), "k1"), status: flows.StatusCreated, http: 200, msgType: result.TypeCreated, created: 2},
		{name: "app id pinned when absent", job: job(request(1, nil), "k1"), status: flows.StatusCreated, http: 200, msgType: result.TypeCreated, created: 1},
		{name: "foreign app id refused", job: job(request(1, func(m map[string]any) {
			m["Agent"].(map[string]any)["AppId"] = "yDwSomebodyElsesApplication00001"
		}), "k1"), status: flows.StatusRejected, http: 403, msgType: result.TypeRejected, errCode: "essflow.ForbiddenApp"},
		{name: "organization not allowed", opts: func(o *flows.Options) { o.AllowedOrgs = []string{"orgOther"} }, job: job(request(1, nil), "k1"),
			status: flows.StatusRejected, http: 403, msgType: result.TypeRejected, errCode: "essflow.ForbiddenOrganization"},
		{name: "validation violations", job: job(request(1, func(m map[string]any) {
			m["FlowInfos"].([]any)[0].(map[string]any)["FlowApprovers"].([]any)[1].(map[string]any)["Mobile"] = "+8613800000000"
			delete(m["FlowInfos"].([]any)[0].(map[string]any), "FlowName")
		}), "k1"), status: flows.StatusRejected, http: 400, msgType: result.TypeRejected, errCode: "essflow.InvalidRequest", violations: true},
		{name: "unknown field", job: job([]byte(`{"Agent":{"ProxyOrganizationOpenId":"o","ProxyOperator":{"OpenId":"u"}},"FlowInfos":[{"FlowAprovers":[]}]}`), "k1"),
			status: flows.StatusRejected, http: 400, msgType: result.TypeRejected, errCode: "essflow.InvalidRequest", violations: true},
		{name: "malformed json", job: job([]byte(`{"Agent":`), "k1"), status: flows.StatusRejected, http: 400, msgType: result.TypeRejected, errCode: "essflow.InvalidRequest", violations: true},
		{name: "record unreadable", job: flows.Job{Trigger: "sqs", RecordID: "r", DecodeErr: errors.New("bad base64")}, status: flows.StatusRejected, http: 400, msgType: result.TypeRejected, errCode: "essflow.InvalidRequest"},
		{name: "partial failure", job: job(request(2, func(m map[string]any) {
			f := m["FlowInfos"].([]any)[1].(map[string]any)
			f["FlowApprovers"] = f["FlowApprovers"].([]any)[:1]
		}), "k1"), status: flows.StatusPartiallyFailed, http: 200, msgType: result.TypePartiallyFailed, created: 1},
		{name: "unknown template fails the call", job: job(request(1, func(m map[string]any) {
			m["FlowInfos"].([]any)[0].(map[string]any)["TemplateId"] = "yDwNoSuchTemplate000000000000001"
		}), "k1"), status: flows.StatusFailed, http: 422, msgType: result.TypeFailed, errCode: "ResourceNotFound.Template"},
		{name: "outcome unknown", before: func(f *fixture) {
			f.sb.Server.InjectFault(sandbox.Fault{Kind: sandbox.FaultDropAfterCreate, Count: 1})
		}, job: job(request(1, nil), "k1"), status: flows.StatusUnknown, http: 504, msgType: result.TypeOutcomeUnknown, errCode: "essflow.OutcomeUnknown", created: 1},
		{name: "service errors exhaust retries", before: func(f *fixture) {
			f.sb.Server.InjectFault(sandbox.Fault{Kind: sandbox.FaultInternalError, Count: 10})
		}, job: job(request(1, nil), "k1"), status: flows.StatusRetryable, http: 502, errCode: "InternalError", retryable: true},
		{name: "store unavailable fails closed", before: func(f *fixture) { f.store.failOn["Begin"] = true },
			job: job(request(1, nil), "k1"), status: flows.StatusRetryable, http: 503, errCode: "essflow.StoreUnavailable", retryable: true},
		{name: "sink down keeps the record retryable", before: func(f *fixture) {
			f.sink.fail = func(*result.Message) error { return errors.New("sink down") }
		}, job: job(request(1, nil), "k1"), status: flows.StatusCreated, http: 200, msgType: result.TypeCreated, retryable: true, created: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts)
			if tt.before != nil {
				tt.before(f)
			}
			o := f.proc.Process(context.Background(), tt.job)
			if o.Status != tt.status || o.HTTPStatus != tt.http || o.Retryable != tt.retryable {
				t.Fatalf("outcome = %s/%d retryable=%v (err %v), want %s/%d retryable=%v", o.Status, o.HTTPStatus, o.Retryable, o.Err, tt.status, tt.http, tt.retryable)
			}
			if got := f.created(); got != tt.created {
				t.Errorf("sandbox created %d flows, want %d", got, tt.created)
			}
			if tt.errCode != "" && (o.Message == nil || o.Message.Error == nil || o.Message.Error.Code != tt.errCode) {
				t.Errorf("message error = %+v, want code %s", o.Message, tt.errCode)
			}
			if tt.violations != (len(o.Violations) > 0) {
				t.Errorf("violations = %+v", o.Violations)
			}
			delivered := f.sink.delivered()
			if tt.msgType == "" || f.sink.fail != nil {
				if len(delivered) != 0 {
					t.Errorf("delivered %d messages, want none", len(delivered))
				}
				if tt.msgType != "" && (o.Message == nil || o.Message.Type != tt.msgType) {
					t.Errorf("undelivered message %+v, want type %s", o.Message, tt.msgType)
				}
				return
			}
			if len(delivered) != 1 || delivered[0].Type != tt.msgType || delivered[0].SpecVersion != result.SpecVersion {
				t.Fatalf("delivered %+v, want one %s", delivered, tt.msgType)
			}
			m := delivered[0]
			if m.AppId != sandbox.DefaultAppID || m.Source.Trigger != "sqs" || (tt.job.DerivedKey != "" && m.Correlation.IdempotencyKey != tt.job.DerivedKey) {
				t.Errorf("message header %+v", m)
			}
			for _, fl := range m.Flows {
				if fl.Status == result.FlowCreated && len(fl.FlowId) != 32 {
					t.Errorf("created flow without a FlowId: %+v", fl)
				}
			}
		})
	}
}

// TestDuplicates ensures a redelivered job never creates its contracts again, whatever
// happened the first time, and that the same key with another payload is a conflict, never a
// replay (the "record already exists" path).
func TestDuplicates(t *testing.T) {
	t.Run("replay after success", func(t *testing.T) {
		f := newFixture(t, nil)
		first := f.proc.Process(context.Background(), job(request(2, nil), "dup"))
		second := f.proc.Process(context.Background(), job(request(2, nil), "dup"))
		if first.Status != flows.StatusCreated || second.Status != flows.StatusCreated || !second.Replayed || first.Replayed {
			t.Fatalf("first %s replayed=%v, second %s replayed=%v", first.Status, first.Replayed, second.Status, second.Replayed)
		}
		if f.created() != 2 {
			t.Errorf("created %d flows, want 2", f.created())
		}
		if first.Message.ID != second.Message.ID || first.Message.Flows[0].FlowId != second.Message.Flows[0].FlowId {
			t.Errorf("replayed message differs: %s vs %s", first.Message.ID, second.Message.ID)
		}
		if n := len(f.sink.delivered()); n != 2 {
			t.Errorf("delivered %d messages, want 2 (the replay is delivered again)", n)
		}
	})
	t.Run("conflict on the record-exists path", func(t *testing.T) {
		f := newFixture(t, nil)
		f.proc.Process(context.Background(), job(request(1, nil), "same-key"))
		other := request(1, func(m map[string]any) { m["FlowInfos"].([]any)[0].(map[string]any)["FlowName"] = "劳动合同_改" })
		o := f.proc.Process(context.Background(), job(other, "same-key"))
		if o.Status != flows.StatusRejected || o.HTTPStatus != http.StatusConflict || o.Replayed {
			t.Fatalf("outcome %s/%d replayed=%v, want a 409 conflict", o.Status, o.HTTPStatus, o.Replayed)
		}
		if f.created() != 1 {
			t.Errorf("created %d, want 1", f.created())
		}
		msgs := f.sink.delivered()
		if len(msgs) != 2 || msgs[0].ID == msgs[1].ID {
			t.Errorf("the conflict must get its own result id: %v", msgs)
		}
	})
	t.Run("unknown is never re-sent", func(t *testing.T) {
		f := newFixture(t, nil)
		f.sb.Server.InjectFault(sandbox.Fault{Kind: sandbox.FaultDropAfterCreate, Count: 1})
		a := f.proc.Process(context.Background(), job(request(1, nil), "unk"))
		b := f.proc.Process(context.Background(), job(request(1, nil), "unk"))
		if a.Status != flows.StatusUnknown || b.Status != flows.StatusUnknown || !b.Replayed {
			t.Fatalf("statuses %s, %s (replayed %v)", a.Status, b.Status, b.Replayed)
		}
		if f.created() != 1 || f.sb.Server.Calls(ess.ActionCreateFlowsByTemplates) != 1 {
			t.Errorf("created %d flows in %d calls, want 1 and 1", f.created(), f.sb.Server.Calls(ess.ActionCreateFlowsByTemplates))
		}
	})
	t.Run("retry after a transient failure creates once", func(t *testing.T) {
		f := newFixture(t, nil)
		f.sb.Server.InjectFault(sandbox.Fault{Kind: sandbox.FaultRateLimit, Count: 4})
		a := f.proc.Process(context.Background(), job(request(1, nil), "tr"))
		b := f.proc.Process(context.Background(), job(request(1, nil), "tr"))
		if a.Status != flows.StatusRetryable || b.Status != flows.StatusCreated || b.Replayed {
			t.Fatalf("statuses %s then %s (replayed %v)", a.Status, b.Status, b.Replayed)
		}
		if f.created() != 1 {
			t.Errorf("created %d, want 1", f.created())
		}
	})
	t.Run("sink down then back delivers the once-created flows", func(t *testing.T) {
		f := newFixture(t, nil)
		f.sink.fail = func(*result.Message) error { return errors.New("sink down") }
		a := f.proc.Process(context.Background(), job(request(1, nil), "sink"))
		f.sink.fail = nil
		b := f.proc.Process(context.Background(), job(request(1, nil), "sink"))
		if !a.Retryable || b.Retryable || !b.Replayed {
			t.Fatalf("first retryable=%v, second retryable=%v replayed=%v", a.Retryable, b.Retryable, b.Replayed)
		}
		msgs := f.sink.delivered()
		if len(msgs) != 1 || msgs[0].Flows[0].FlowId != a.Message.Flows[0].FlowId || f.created() != 1 {
			t.Errorf("delivered %v; created %d", msgs, f.created())
		}
	})
	t.Run("concurrent duplicates create once", func(t *testing.T) {
		f := newFixture(t, nil)
		f.sb.Server.InjectFault(sandbox.Fault{Kind: sandbox.FaultLatency, Count: 1, Latency: 300 * time.Millisecond})
		var wg sync.WaitGroup
		outs := make([]flows.Outcome, 6)
		for i := range outs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				outs[i] = f.proc.Process(context.Background(), job(request(1, nil), "conc"))
			}(i)
		}
		wg.Wait()
		fresh := 0
		for _, o := range outs {
			if o.Status == flows.StatusCreated && !o.Replayed {
				fresh++
			} else if !o.Replayed && o.Status != flows.StatusRetryable {
				t.Errorf("unexpected outcome %s", o.Status)
			}
		}
		if fresh != 1 || f.created() != 1 {
			t.Errorf("%d fresh outcomes, %d flows created; want 1 and 1", fresh, f.created())
		}
	})
	t.Run("an abandoned lock is never re-sent", func(t *testing.T) {
		// The first attempt creates the contracts but cannot record the outcome (the store
		// fails, as when the invocation is killed); once its lock expires, the redelivery must
		// report the outcome as unknown instead of creating the contracts again.
		clock := time.Now()
		var mu sync.Mutex
		now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		f := newFixture(t, nil)
		f.store.Store = memory.New(memory.Options{Now: now})
		f.store.failOn["Finish"] = true
		a := f.proc.Process(context.Background(), job(request(1, nil), "abandon"))
		f.store.failOn["Finish"] = false
		mu.Lock()
		clock = clock.Add(10 * time.Minute)
		mu.Unlock()
		b := f.proc.Process(context.Background(), job(request(1, nil), "abandon"))
		c := f.proc.Process(context.Background(), job(request(1, nil), "abandon"))
		if a.Status != flows.StatusCreated || b.Status != flows.StatusUnknown || c.Status != flows.StatusUnknown || !c.Replayed {
			t.Fatalf("statuses %s, %s, %s (replayed %v); want created, outcome_unknown, outcome_unknown replayed", a.Status, b.Status, c.Status, c.Replayed)
		}
		if f.created() != 1 || f.sb.Server.Calls(ess.ActionCreateFlowsByTemplates) != 1 {
			t.Errorf("created %d flows in %d calls, want 1 and 1", f.created(), f.sb.Server.Calls(ess.ActionCreateFlowsByTemplates))
		}
	})
	t.Run("http body hash is the key when none is given", func(t *testing.T) {
		f := newFixture(t, nil)
		j := flows.Job{Trigger: "apigw", RecordID: "req-1", Body: request(1, nil)}
		a := f.proc.Process(context.Background(), j)
		j.RecordID = "req-2"
		b := f.proc.Process(context.Background(), j)
		if !b.Replayed || f.created() != 1 || a.Message.Correlation.IdempotencyKey[:7] != "sha256:" {
			t.Errorf("second replayed=%v created=%d key=%s", b.Replayed, f.created(), a.Message.Correlation.IdempotencyKey)
		}
	})
}

// TestEnvelope ensures the optional envelope's key and correlation id are used.
func TestEnvelope(t *testing.T) {
	f := newFixture(t, nil)
	var req any
	json.Unmarshal(request(1, nil), &req)
	body, _ := json.Marshal(map[string]any{"IdempotencyKey": "order-1", "CorrelationId": "crm-7", "Request": req})
	o := f.proc.Process(context.Background(), flows.Job{Trigger: "cmq", RecordID: "m1", Body: body, DerivedKey: "cmq:t:m1"})
	if o.Status != flows.StatusCreated || o.Message.Correlation.IdempotencyKey != "order-1" || o.Message.Correlation.CorrelationId != "crm-7" {
		t.Fatalf("outcome %s %+v", o.Status, o.Message.Correlation)
	}
	bad, _ := json.Marshal(map[string]any{"IdempotencyKey": "order-2", "Reqest": req, "Request": req})
	if o := f.proc.Process(context.Background(), flows.Job{Trigger: "cmq", RecordID: "m2", Body: bad}); o.Status != flows.StatusRejected || len(o.Violations) == 0 || o.Violations[0].Path != "Reqest" {
		t.Errorf("typo in the envelope: %s %+v", o.Status, o.Violations)
	}
}

// TestOrderedBatch ensures an ordered batch stops at the first retryable record and reports
// the rest as not processed, while an unordered batch lets the others through.
func TestOrderedBatch(t *testing.T) {
	for _, ordered := range []bool{true, false} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			f := newFixture(t, nil)
			f.sink.fail = func(m *result.Message) error {
				if m.Source.RecordID == "rec-b" {
					return errors.New("sink down for b")
				}
				return nil
			}
			jobs := []flows.Job{job(request(1, nil), "a"), job(request(1, func(m map[string]any) {
				m["FlowInfos"].([]any)[0].(map[string]any)["CustomerData"] = "b"
			}), "b"), job(request(1, func(m map[string]any) {
				m["FlowInfos"].([]any)[0].(map[string]any)["CustomerData"] = "c"
			}), "c")}
			outs := f.proc.ProcessBatch(context.Background(), jobs, flows.BatchOptions{Ordered: ordered})
			if outs[0].Retryable || !outs[1].Retryable {
				t.Fatalf("a retryable=%v, b retryable=%v", outs[0].Retryable, outs[1].Retryable)
			}
			if ordered && (outs[2].Status != flows.StatusNotProcessed || !outs[2].Retryable || f.created() != 2) {
				t.Errorf("c = %s retryable=%v, created %d; want not_processed and 2 created", outs[2].Status, outs[2].Retryable, f.created())
			}
			if !ordered && (outs[2].Status != flows.StatusCreated || f.created() != 3) {
				t.Errorf("c = %s, created %d; want created and 3", outs[2].Status, f.created())
			}
		})
	}
}

// TestBatchStaysUnderQPS ensures a batch runs concurrently but never faster than the configured
// call rate: the sandbox, limiting at the same 20 calls/s, refuses none of 30 requests.
func TestBatchStaysUnderQPS(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Config{QPS: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	client, err := ess.NewClient(ess.Config{
		Endpoint:    sb.URL,
		Credentials: ess.StaticCredentials{SecretID: sandbox.DefaultSecretID, SecretKey: sandbox.DefaultSecretKey},
		QPS:         20, MaxAttempts: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	proc, err := flows.New(client, ess.NewValidator(ess.ValidatorOptions{}), memory.New(memory.Options{}), nil,
		flows.Options{AppID: sandbox.DefaultAppID, Concurrency: 20})
	if err != nil {
		t.Fatal(err)
	}
	jobs := make([]flows.Job, 30)
	for i := range jobs {
		jobs[i] = job(request(1, func(m map[string]any) {
			m["FlowInfos"].([]any)[0].(map[string]any)["CustomerData"] = fmt.Sprintf("qps-%d", i)
		}), fmt.Sprintf("qps-%d", i))
	}
	for i, o := range proc.ProcessBatch(context.Background(), jobs, flows.BatchOptions{}) {
		if o.Status != flows.StatusCreated {
			t.Errorf("job %d: %s (%v)", i, o.Status, o.Err)
		}
	}
	if got := sb.Server.Calls(ess.ActionCreateFlowsByTemplates); got != 30 || len(sb.Server.Flows()) != 30 {
		t.Errorf("%d calls, %d flows; want 30 and 30 (no call refused for rate)", got, len(sb.Server.Flows()))
	}
}

// TestCallbackURL covers the envelope's per-request CallbackUrl with the real webhook
// callbacks: refused when not enabled or not on the allow list, delivered (signed) when allowed,
// retryable when the receiver fails, and delivered again on the redelivery without a second
// contract.
func TestCallbackURL(t *testing.T) {
	var mu sync.Mutex
	var got []string
	fail := true
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("webhook-signature") == "" {
			t.Errorf("unsigned callback")
		}
		if fail {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		got = append(got, r.Header.Get("webhook-id"))
	}))
	defer recv.Close()
	secrets, err := webhook.ParseSecrets("whsec_" + base64.StdEncoding.EncodeToString([]byte("callback-test-secret-0123456789")))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := webhook.NewCallbacks(webhook.Options{Secrets: secrets, AllowPrivate: true, MaxAttempts: 1}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close()
	envelope := func(url string) []byte {
		var req any
		json.Unmarshal(request(1, nil), &req)
		b, _ := json.Marshal(map[string]any{"IdempotencyKey": "cb-1", "CallbackUrl": url, "Request": req})
		return b
	}

	t.Run("not enabled", func(t *testing.T) {
		f := newFixture(t, nil)
		o := f.proc.Process(context.Background(), flows.Job{Trigger: "cmq", RecordID: "m", Body: envelope(recv.URL + "/hook")})
		if o.Status != flows.StatusRejected || f.created() != 0 {
			t.Errorf("%s, created %d", o.Status, f.created())
		}
	})
	t.Run("host not allowed", func(t *testing.T) {
		f := newFixture(t, func(o *flows.Options) { o.Callbacks = cb })
		o := f.proc.Process(context.Background(), flows.Job{Trigger: "cmq", RecordID: "m", Body: envelope("https://attacker.example/hook")})
		if o.Status != flows.StatusRejected || o.HTTPStatus != 400 || f.created() != 0 {
			t.Errorf("%s/%d, created %d", o.Status, o.HTTPStatus, f.created())
		}
	})
	t.Run("receiver down then up", func(t *testing.T) {
		f := newFixture(t, func(o *flows.Options) { o.Callbacks = cb })
		j := flows.Job{Trigger: "cmq", RecordID: "m", Body: envelope(recv.URL + "/hook")}
		a := f.proc.Process(context.Background(), j)
		mu.Lock()
		fail = false
		mu.Unlock()
		b := f.proc.Process(context.Background(), j)
		if a.Status != flows.StatusCreated || !a.Retryable || b.Retryable || !b.Replayed {
			t.Fatalf("first %s retryable=%v; second retryable=%v replayed=%v", a.Status, a.Retryable, b.Retryable, b.Replayed)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 || got[0] != a.Message.ID || f.created() != 1 {
			t.Errorf("callbacks %v, created %d", got, f.created())
		}
	})
}
