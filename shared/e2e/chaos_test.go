package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/essflow/essflow/shared/ess"
	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/idem/redis"
	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/objects/objectstest"
	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sandbox"
	"github.com/essflow/essflow/shared/sink"
	"github.com/essflow/essflow/shared/sink/webhook"
	"github.com/essflow/essflow/shared/testenv"
	lambdatrigger "github.com/essflow/essflow/shared/trigger/lambda"
	scftrigger "github.com/essflow/essflow/shared/trigger/scf"
)

// receiver is a callback endpoint that fails a share of deliveries and records the others.
type receiver struct {
	mu       sync.Mutex
	rnd      *mrand.Rand
	failRate float64
	byRecord map[string]*result.Message // last delivered message per source record
	count    int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rnd.Float64() < r.failRate {
		http.Error(w, "injected sink failure", http.StatusInternalServerError)
		return
	}
	var m result.Message
	if err := json.Unmarshal(body, &m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.byRecord[m.Source.Trigger+"|"+m.Source.RecordID] = &m
	r.count++
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) delivered(trigger, recordID string) *result.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byRecord[trigger+"|"+recordID]
}

// chaosRequest is a one- or two-flow request; every flow carries a unique CustomerData so
// contracts can be counted per requested flow.
func chaosRequest(tag string, flowsN int) string {
	fl := make([]any, flowsN)
	for i := range fl {
		fl[i] = map[string]any{
			"FlowName": "劳动合同_混沌", "TemplateId": sandbox.TemplateLaborB2C, "Deadline": time.Now().Add(48 * time.Hour).Unix(),
			"FormFields": []any{map[string]any{"ComponentName": "姓名", "ComponentValue": "张三"}, map[string]any{"ComponentName": "岗位", "ComponentValue": "测试"}},
			"FlowApprovers": []any{
				map[string]any{"ApproverType": "ORGANIZATION", "RecipientId": sandbox.RecipientLaborEmployer, "OpenId": "hrOperator01"},
				map[string]any{"ApproverType": "PERSON", "RecipientId": sandbox.RecipientLaborEmployee, "Name": "张三", "Mobile": "13800000001"},
			},
			"CustomerData": fmt.Sprintf("%s-f%d", tag, i),
		}
	}
	b, _ := json.Marshal(map[string]any{
		"Agent":     map[string]any{"ProxyOrganizationOpenId": "orgEssflowDemo", "ProxyOperator": map[string]any{"OpenId": "hrOperator01"}},
		"FlowInfos": fl,
	})
	return string(b)
}

// TestChaos delivers the same SQS, CMQ, CKafka and COS events five times each, concurrently and
// in sequence, while the sandbox injects ESS faults (InternalError, RequestLimitExceeded, 503,
// latency, connections dropped after the create) and the callback sink fails at random. It
// checks that every requested flow was created at most once and that every record ended
// delivered or still retryable.
func TestChaos(t *testing.T) {
	testenv.NeedTCP(t, "Redis", testenv.RedisAddr())
	ctx := context.Background()
	run := randomHex(4)

	sb, err := sandbox.Start(sandbox.Config{FaultRate: 0.2, Seed: 42, QPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	recv := &receiver{rnd: mrand.New(mrand.NewPCG(7, 9)), failRate: 0.25, byRecord: map[string]*result.Message{}}
	hook := httptest.NewServer(recv)
	defer hook.Close()

	client, err := ess.NewClient(ess.Config{
		Endpoint:    sb.URL,
		Credentials: ess.StaticCredentials{SecretID: sandbox.DefaultSecretID, SecretKey: sandbox.DefaultSecretKey},
		QPS:         200, AttemptTimeout: 700 * time.Millisecond, MaxAttempts: 3,
		BaseBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	store, err := redis.Open(ctx, "redis://"+testenv.RedisAddr()+"/14", redis.Options{Prefix: "essflow-chaos-" + run + ":"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	secret, _ := webhook.ParseSecrets("whsec_" + base64.StdEncoding.EncodeToString([]byte("chaos-secret-0123456789abcdef")))
	hookURL, _ := url.Parse(hook.URL)
	wh, err := webhook.New(hookURL, webhook.Options{Secrets: secret, AllowPrivate: true, MaxAttempts: 1, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	fan := sink.NewFanout(wh)
	proc, err := flows.New(client, ess.NewValidator(ess.ValidatorOptions{}), store, fan, flows.Options{
		AppID: sandbox.DefaultAppID, Function: "chaos-" + run, InProgressWait: 200 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	bucket := "chaos-1250000000"
	objs := objectstest.Start(t, bucket)
	runner := &objects.Runner{Stores: map[string]objects.Store{"cos": objs.COSStore(t, nil)}, Processor: proc}
	scfH := &scftrigger.Handler{Processor: proc, Objects: runner}
	lamH := &lambdatrigger.Handler{Processor: proc}

	// Build the events: 8 records each, one with an invalid request so that rejections are part
	// of the mix, and one with two flows.
	type record struct {
		trigger, id, tag string
		flows            int
	}
	var records []record
	const perEvent = 8
	body := func(trigger string, i int) (string, record) {
		tag := fmt.Sprintf("%s-%s-%d", run, trigger, i)
		n := 1 + i%2
		req := chaosRequest(tag, n)
		if i == 5 {
			req = strings.Replace(req, `"Mobile":"13800000001"`, `"Mobile":"+86-138"`, 1)
			n = 0
		}
		return req, record{trigger: trigger, tag: tag, flows: n}
	}
	var sqsRecs, cmqRecs, kafkaRecs []any
	var ndjson bytes.Buffer
	for i := 0; i < perEvent; i++ {
		b, r := body("sqs", i)
		r.id = fmt.Sprintf("msg-%s-%d", run, i)
		records = append(records, r)
		sqsRecs = append(sqsRecs, map[string]any{"messageId": r.id, "receiptHandle": "h", "body": b, "eventSource": "aws:sqs",
			"eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:chaos", "awsRegion": "ap-east-1", "attributes": map[string]any{}, "messageAttributes": map[string]any{}})
		b, r = body("cmq", i)
		r.id = fmt.Sprintf("cmq-%s-%d", run, i)
		records = append(records, r)
		cmqRecs = append(cmqRecs, map[string]any{"CMQ": map[string]any{"type": "topic", "topicOwner": 1, "topicName": "chaos", "subscriptionName": "s",
			"publishTime": "2026-11-27T00:00:00Z", "msgId": r.id, "requestId": "r", "msgBody": b, "msgTag": "a, b"}})
		b, r = body("ckafka", i)
		r.id = fmt.Sprintf("chaos-%s:0:%d", run, i)
		records = append(records, r)
		kafkaRecs = append(kafkaRecs, map[string]any{"Ckafka": map[string]any{"topic": "chaos-" + run, "partition": 0, "offset": i, "msgKey": "k", "msgBody": b}})
		b, r = body("cos", i)
		r.id = fmt.Sprintf("cos://%s/in/chaos-%s.ndjson#%d", bucket, run, i+1)
		records = append(records, r)
		ndjson.WriteString(b + "\n")
	}
	objKey := "in/chaos-" + run + ".ndjson"
	objs.PutObject(t, bucket, objKey, bytes.NewReader(ndjson.Bytes()), int64(ndjson.Len()))
	mustJSON := func(v any) []byte { b, _ := json.Marshal(v); return b }
	sqsEvent := mustJSON(map[string]any{"Records": sqsRecs})
	cmqEvent := mustJSON(map[string]any{"Records": cmqRecs})
	kafkaEvent := mustJSON(map[string]any{"Records": kafkaRecs})
	cosEvent := mustJSON(map[string]any{"Records": []any{map[string]any{
		"cos": map[string]any{"cosSchemaVersion": "1.0", "cosNotificationId": "n", "cosBucket": map[string]any{"appid": "1250000000", "name": "chaos", "region": "ap-guangzhou"},
			"cosObject": map[string]any{"key": "/1250000000/chaos/" + objKey, "size": ndjson.Len(), "url": "u", "meta": map[string]any{}, "vid": ""}},
		"event": map[string]any{"eventName": "cos:ObjectCreated:Put", "eventQueue": "q", "eventSource": "qcs::cos", "eventTime": 1, "eventVersion": "1.0", "reqid": 1,
			"requestParameters": map[string]any{"requestHeaders": map[string]any{}, "requestSourceIP": "1.1.1.1"}, "reservedInfo": ""}}}})

	// retryable[trigger|record] = what the latest sequential delivery said.
	var mu sync.Mutex
	retryable := map[string]bool{}
	note := func(trigger string, answer any, err error) {
		b, _ := json.Marshal(answer)
		mu.Lock()
		defer mu.Unlock()
		if trigger == "sqs" {
			var resp struct {
				BatchItemFailures []struct{ ItemIdentifier string } `json:"batchItemFailures"`
			}
			json.Unmarshal(b, &resp)
			for _, r := range records {
				if r.trigger == "sqs" {
					retryable["sqs|"+r.id] = false
				}
			}
			for _, f := range resp.BatchItemFailures {
				retryable["sqs|"+f.ItemIdentifier] = true
			}
			return
		}
		if trigger == "cos" {
			// Per line, from the results object the last invocation wrote.
			for _, line := range strings.Split(strings.TrimSpace(string(objs.Object(t, bucket, "results/"+objKey+".ndjson"))), "\n") {
				var l struct {
					RecordID  string `json:"recordId"`
					Retryable bool   `json:"retryable"`
				}
				json.Unmarshal([]byte(line), &l)
				retryable["cos|"+l.RecordID] = l.Retryable
			}
			return
		}
		var s struct {
			Records []struct {
				RecordID  string `json:"recordId"`
				Retryable bool   `json:"retryable"`
			} `json:"records"`
		}
		json.Unmarshal(b, &s)
		for _, r := range s.Records {
			retryable[trigger+"|"+r.RecordID] = r.Retryable
		}
	}
	deliver := func(trigger string, ev []byte) {
		ictx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		var answer any
		var err error
		if trigger == "sqs" {
			answer, err = lamH.Invoke(ictx, ev)
		} else {
			answer, err = scfH.Invoke(ictx, ev)
		}
		note(trigger, answer, err)
	}
	triggers := []struct {
		name string
		ev   []byte
	}{{"sqs", sqsEvent}, {"cmq", cmqEvent}, {"ckafka", kafkaEvent}, {"cos", cosEvent}}
	for _, tr := range triggers {
		// Besides the random faults, every trigger meets each kind at least once.
		for _, f := range []sandbox.Fault{
			{Kind: sandbox.FaultDropAfterCreate, Count: 2},
			{Kind: sandbox.FaultLatency, Count: 1, Latency: 1500 * time.Millisecond},
			{Kind: sandbox.FaultInternalError, Count: 2},
			{Kind: sandbox.FaultRateLimit, Count: 2},
			{Kind: sandbox.FaultHTTP5xx, Count: 1, Status: 503},
		} {
			if err := sb.Server.InjectFault(f); err != nil {
				t.Fatal(err)
			}
		}
		// Three deliveries at once, then two in a row (the last one decides "still retryable").
		var wg sync.WaitGroup
		for i := 0; i < 3; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); deliver(tr.name, tr.ev) }()
		}
		wg.Wait()
		deliver(tr.name, tr.ev)
		deliver(tr.name, tr.ev)
	}

	// Count contracts per requested flow.
	perFlow := map[string]int{}
	for _, f := range sb.Server.Flows() {
		perFlow[f.CustomerData]++
	}
	var requested, created, duplicates, unknown, delivered, stillRetryable, lost int
	for _, r := range records {
		requested++
		for i := 0; i < r.flows; i++ {
			n := perFlow[fmt.Sprintf("%s-f%d", r.tag, i)]
			if n > 0 {
				created++
			}
			if n > 1 {
				duplicates++
				t.Errorf("flow %s-f%d created %d times", r.tag, i, n)
			}
		}
		m := recv.delivered(r.trigger, r.id)
		switch {
		case m != nil:
			delivered++
			if m.Type == result.TypeOutcomeUnknown {
				unknown++
			}
		case retryable[r.trigger+"|"+r.id]:
			stillRetryable++
		default:
			lost++
			t.Errorf("record %s|%s neither delivered nor retryable", r.trigger, r.id)
		}
	}
	t.Logf("chaos tally: requests=%d flows created=%d duplicates=%d outcome_unknown=%d delivered=%d still_retryable=%d lost=%d (ESS calls=%d, sink deliveries=%d)",
		requested, created, duplicates, unknown, delivered, stillRetryable, lost, sb.Server.Calls(ess.ActionCreateFlowsByTemplates), recv.count)
	fmt.Printf("chaos tally: requests=%d created=%d duplicates=%d unknown=%d delivered=%d retryable=%d lost=%d\n",
		requested, created, duplicates, unknown, delivered, stillRetryable, lost)
	if delivered == 0 || created == 0 || unknown == 0 {
		t.Error("the chaos run must create, deliver, and meet outcome-unknown calls; it did not")
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
