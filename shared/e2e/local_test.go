package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sandbox"
	"github.com/essflow/essflow/shared/testenv"
)

// buildLocal compiles scripts/local once per test binary.
var (
	buildOnce sync.Once
	localBin  string
	buildErr  error
)

func localRunner(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "essflow-local-")
		if err != nil {
			buildErr = err
			return
		}
		localBin = filepath.Join(dir, "local")
		out, err := exec.Command("go", "build", "-o", localBin, "../../scripts/local").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build scripts/local: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return localBin
}

// runLocal runs `local invoke` with the environment given and returns its stdout.
func runLocal(t *testing.T, envv []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, localRunner(t), args...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), envv...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("local %v: %v\nstderr:\n%s", args, err, stderr.String())
	}
	return string(out)
}

// TestExactlyOnceLocal is issue 5's acceptance check: with a Redis idempotency store and one
// standalone sandbox, the same SQS event delivered six times through the local runner (three at
// once, then three in a row) creates each contract exactly once.
func TestExactlyOnceLocal(t *testing.T) {
	testenv.NeedTCP(t, "Redis", testenv.RedisAddr())
	sb, err := sandbox.Start(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	envv := []string{
		"ESSFLOW_ESS_ENDPOINT=" + sb.URL,
		"ESSFLOW_APP_ID=" + sandbox.DefaultAppID,
		"TENCENTCLOUD_SECRETID=" + sandbox.DefaultSecretID,
		"TENCENTCLOUD_SECRETKEY=" + sandbox.DefaultSecretKey,
		"ESSFLOW_IDEMPOTENCY_STORE=redis://" + testenv.RedisAddr() + "/13?prefix=essflow-e2e-" + randomHex(4) + ":",
		"ESSFLOW_FUNCTION_NAME=essflow-once",
		"ESSFLOW_RESULT_SINKS=",
	}
	args := []string{"invoke", "--platform", "lambda", "--event", "scripts/local/events/lambda-sqs.json"}
	var wg sync.WaitGroup
	outs := make([]string, 3)
	for i := range outs {
		wg.Add(1)
		go func(i int) { defer wg.Done(); outs[i] = runLocal(t, envv, args...) }(i)
	}
	wg.Wait()
	for i := 0; i < 3; i++ {
		outs = append(outs, runLocal(t, envv, args...))
	}
	resp, err := http.Get(sb.URL + "/_sandbox/flows")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var created []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		t.Fatal(err)
	}
	perFlow := map[string]int{}
	for _, f := range created {
		perFlow[f["CustomerData"].(string)]++
	}
	if len(created) != 2 || perFlow["employee-10003"] != 1 || perFlow["consent-20001"] != 1 {
		t.Errorf("GET /_sandbox/flows lists %d flows %v, want each of the 2 requested exactly once", len(created), perFlow)
	}
	// The last three (sequential) deliveries found every record done.
	for _, out := range outs[3:] {
		if !strings.Contains(out, `"batchItemFailures":[]`) {
			t.Errorf("sequential redelivery answered %s", out)
		}
	}
}

// TestSinksLocal is issue 4's acceptance check: a queue-triggered local invocation with
// ESSFLOW_RESULT_SINKS naming a callback URL and RabbitMQ delivers signed results that the
// Standard Webhooks reference verifier accepts, and the same results arrive in RabbitMQ.
func TestSinksLocal(t *testing.T) {
	testenv.NeedTCP(t, "RabbitMQ", testenv.AMQPAddr())
	secret := base64.StdEncoding.EncodeToString([]byte("local-acceptance-secret-32-bytes!"))
	verifier, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	hooked := map[string][]byte{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := verifier.Verify(body, r.Header); err != nil {
			t.Errorf("signature rejected by the reference verifier: %v", err)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var m result.Message
		json.Unmarshal(body, &m)
		mu.Lock()
		hooked[m.ID] = body
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer hook.Close()

	queue := "essflow-e2e-" + randomHex(4)
	conn, err := amqp091.Dial(testenv.AMQPURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.QueueDelete(queue, false, false, false)
	amqpURL := strings.TrimSuffix(testenv.AMQPURL(), "/") + "/?exchange=essflow.e2e&exchange_type=direct&routing_key=" + queue + "&declare=true&queue=" + queue
	envv := []string{
		"ESSFLOW_RESULT_SINKS=" + hook.URL + "/essflow," + amqpURL,
		"ESSFLOW_WEBHOOK_SECRET=whsec_" + secret,
		"ESSFLOW_WEBHOOK_ALLOW_PRIVATE=true",
		"ESSFLOW_IDEMPOTENCY_STORE=memory",
		"ESSFLOW_ESS_ENDPOINT=",
	}
	out := runLocal(t, envv, "invoke", "--platform", "scf", "--event", "scripts/local/events/scf-cmq.json")
	if !strings.Contains(out, `"retryable":0`) {
		t.Fatalf("invoke answered %s", out)
	}
	mu.Lock()
	n := len(hooked)
	mu.Unlock()
	if n != 2 {
		t.Fatalf("callback received %d verified results, want 2", n)
	}
	msgs, err := ch.Consume(queue, "", true, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		select {
		case d := <-msgs:
			mu.Lock()
			want, ok := hooked[d.MessageId]
			mu.Unlock()
			if !ok || string(want) != string(d.Body) || d.DeliveryMode != amqp091.Persistent {
				t.Errorf("RabbitMQ message %s differs from the callback's (persistent=%v)", d.MessageId, d.DeliveryMode == amqp091.Persistent)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d results arrived in RabbitMQ", i)
		}
	}
}

// TestIdemCommand walks the operator's path for an outcome-unknown request with the real
// command: the call is dropped after the create, `idem list` and `idem get` show the UNKNOWN
// record, redelivery does not re-send, and after `idem delete` the next delivery calls ESS again.
func TestIdemCommand(t *testing.T) {
	testenv.NeedTCP(t, "Redis", testenv.RedisAddr())
	sb, err := sandbox.Start(sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if err := sb.Server.InjectFault(sandbox.Fault{Kind: sandbox.FaultDropAfterCreate, Count: 1}); err != nil {
		t.Fatal(err)
	}
	store := "redis://" + testenv.RedisAddr() + "/13?prefix=essflow-idem-" + randomHex(4) + ":"
	envv := []string{
		"ESSFLOW_ESS_ENDPOINT=" + sb.URL, "ESSFLOW_APP_ID=" + sandbox.DefaultAppID,
		"TENCENTCLOUD_SECRETID=" + sandbox.DefaultSecretID, "TENCENTCLOUD_SECRETKEY=" + sandbox.DefaultSecretKey,
		"ESSFLOW_IDEMPOTENCY_STORE=" + store, "ESSFLOW_FUNCTION_NAME=essflow-idem", "ESSFLOW_RESULT_SINKS=",
	}
	event := []string{"invoke", "--platform", "scf", "--event", "scripts/local/events/scf-timer.json"}
	out := runLocal(t, envv, event...)
	if !strings.Contains(out, `"status":"outcome_unknown"`) {
		t.Fatalf("first delivery: %s", out)
	}
	var recs []struct {
		Key    string `json:"key"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(runLocal(t, envv, "idem", "list", "--store", store, "--prefix", "essflow-idem|")), &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Status != "UNKNOWN" {
		t.Fatalf("idem list = %+v, want one UNKNOWN record", recs)
	}
	if got := runLocal(t, envv, "idem", "get", "--store", store, recs[0].Key); !strings.Contains(got, `"status": "UNKNOWN"`) {
		t.Errorf("idem get: %s", got)
	}
	runLocal(t, envv, event...)
	if n := sb.Server.Calls("CreateFlowsByTemplates"); n != 1 {
		t.Fatalf("redelivery called ESS again (%d calls)", n)
	}
	runLocal(t, envv, "idem", "delete", "--store", store, recs[0].Key)
	if out := runLocal(t, envv, event...); !strings.Contains(out, `"status":"created"`) {
		t.Errorf("after idem delete: %s", out)
	}
	if n := sb.Server.Calls("CreateFlowsByTemplates"); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

// TestServeLocal runs `local serve` and talks plain HTTP to it, as curl would.
func TestServeLocal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, platform := range []string{"scf", "lambda"} {
		t.Run(platform, func(t *testing.T) {
			cmd := exec.Command(localRunner(t), "serve", "--addr", addr, "--platform", platform)
			cmd.Dir = "../.."
			cmd.Env = append(os.Environ(), "ESSFLOW_ESS_ENDPOINT=", "ESSFLOW_IDEMPOTENCY_STORE=memory", "ESSFLOW_RESULT_SINKS=")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cmd.Process.Kill(); cmd.Wait() }()
			url := "http://" + addr + "/flows"
			var resp *http.Response
			for i := 0; i < 100; i++ {
				body, _ := os.Open("../../scripts/local/events/request.json")
				req, _ := http.NewRequest(http.MethodPost, url, body)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", "serve-"+platform)
				if resp, err = http.DefaultClient.Do(req); err == nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("serve never answered: %v", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), `"FlowIds"`) {
				t.Fatalf("POST: %d %s", resp.StatusCode, b)
			}
			resp, err = http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("GET: %d, want 405", resp.StatusCode)
			}
		})
	}
}
