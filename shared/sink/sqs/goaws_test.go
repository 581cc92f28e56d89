package sqs_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/Admiral-Piett/goaws/app"
	"github.com/Admiral-Piett/goaws/app/router"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/sirupsen/logrus"
)

func TestMain(m *testing.M) {
	logrus.SetOutput(io.Discard) // goaws logs every message body at Info level
	// goaws deduplicates FIFO messages only with this flag (its name notwithstanding).
	app.CurrentEnvironment.EnableDuplicates = true
	os.Exit(m.Run())
}

// emulator is the goaws SQS emulator running in-process behind an httptest server. Its
// handler can refuse chosen SendMessageBatch entries the way SQS does (a
// BatchResultErrorEntry in an otherwise successful answer), since goaws itself never refuses a
// single entry.
type emulator struct {
	URL string

	mu         sync.Mutex
	batchCalls []int          // entries per SendMessageBatch call that reached the handler
	refuse     map[string]int // body marker -> how many more times to refuse (-1: always)
	senderSide map[string]bool
}

var queueSeq struct {
	sync.Mutex
	n int
}

// startGoaws starts goaws's router on 127.0.0.1:0.
func startGoaws(tb testing.TB) *emulator {
	tb.Helper()
	e := &emulator{refuse: map[string]int{}, senderSide: map[string]bool{}}
	srv := httptest.NewServer(e.handler(router.New()))
	tb.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

// newQueue creates a queue with a name unique in the process (goaws keeps queues in a global
// map) and returns its name.
func (e *emulator) newQueue(tb testing.TB, fifo bool) string {
	tb.Helper()
	queueSeq.Lock()
	queueSeq.n++
	name := fmt.Sprintf("%s-%d", strings.NewReplacer("/", "-", "_", "-").Replace(tb.Name()), queueSeq.n)
	queueSeq.Unlock()
	if len(name) > 70 {
		name = name[len(name)-70:]
	}
	in := &awssqs.CreateQueueInput{QueueName: aws.String(name)}
	if fifo {
		name += ".fifo"
		in.QueueName = aws.String(name)
		in.Attributes = map[string]string{"FifoQueue": "true"}
	}
	if _, err := e.client().CreateQueue(context.Background(), in); err != nil {
		tb.Fatalf("create queue %s: %v", name, err)
	}
	return name
}

// client is an SDK client for the emulator with static test credentials.
func (e *emulator) client() *awssqs.Client {
	return awssqs.New(awssqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(e.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
	}, func(o *awssqs.Options) { o.Protocol = awsquery.New(schemas.AmazonSQS) })
}

func (e *emulator) queueURL(queue string) string { return e.URL + "/100010001000/" + queue }

// refuseEntries makes the emulator refuse batch entries whose body contains marker: times
// times (-1: always), as the sender's fault or the service's.
func (e *emulator) refuseEntries(marker string, times int, senderFault bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.refuse[marker] = times
	e.senderSide[marker] = senderFault
}

func (e *emulator) calls() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]int(nil), e.batchCalls...)
}

type refusal struct {
	id     string
	sender bool
}

func (e *emulator) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("Action") != "SendMessageBatch" {
			next.ServeHTTP(w, r)
			return
		}
		kept, refused := e.split(r.PostForm)
		body := kept.Encode()
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(strings.NewReader(body))
		r2.ContentLength = int64(len(body))
		r2.PostForm, r2.Form = nil, nil
		rec := httptest.NewRecorder()
		if len(refused) == 0 || strings.Contains(body, "SendMessageBatchRequestEntry.") {
			next.ServeHTTP(rec, r2)
		} else { // every entry refused: goaws would answer EmptyBatchRequest
			rec.WriteString("<SendMessageBatchResponse><SendMessageBatchResult></SendMessageBatchResult></SendMessageBatchResponse>")
		}
		out := rec.Body.String()
		if rec.Code == http.StatusOK && len(refused) > 0 {
			var b strings.Builder
			for _, f := range refused {
				fmt.Fprintf(&b, "<BatchResultErrorEntry><Id>%s</Id><SenderFault>%t</SenderFault><Code>%s</Code><Message>injected</Message></BatchResultErrorEntry>",
					f.id, f.sender, map[bool]string{true: "InvalidParameterValue", false: "InternalError"}[f.sender])
			}
			out = strings.Replace(out, "</SendMessageBatchResult>", b.String()+"</SendMessageBatchResult>", 1)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		io.WriteString(w, out)
	})
}

// split counts the call and removes the entries to refuse from the form, renumbering the rest.
func (e *emulator) split(form url.Values) (url.Values, []refusal) {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for k := range form {
		if strings.HasPrefix(k, "SendMessageBatchRequestEntry.") && strings.HasSuffix(k, ".Id") {
			n++
		}
	}
	e.batchCalls = append(e.batchCalls, n)
	kept := url.Values{}
	for k, v := range form {
		if !strings.HasPrefix(k, "SendMessageBatchRequestEntry.") {
			kept[k] = v
		}
	}
	var refused []refusal
	next := 1
	for i := 1; i <= n; i++ {
		prefix := "SendMessageBatchRequestEntry." + strconv.Itoa(i) + "."
		body := form.Get(prefix + "MessageBody")
		refuse := false
		for marker, times := range e.refuse {
			if times != 0 && strings.Contains(body, marker) {
				refuse = true
				if times > 0 {
					e.refuse[marker]--
				}
				refused = append(refused, refusal{id: form.Get(prefix + "Id"), sender: e.senderSide[marker]})
				break
			}
		}
		if refuse {
			continue
		}
		for k, v := range form {
			if rest, ok := strings.CutPrefix(k, prefix); ok {
				kept["SendMessageBatchRequestEntry."+strconv.Itoa(next)+"."+rest] = v
			}
		}
		next++
	}
	return kept, refused
}

// received is one message read back from the emulator.
type received struct {
	Body  string
	Attrs map[string]string
}

// receiveAll reads every visible message of queue, failing tb on error.
func (e *emulator) receiveAll(tb testing.TB, queue string) []received {
	tb.Helper()
	out, err := e.receive(queue)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// receive reads every visible message of queue through the ReceiveMessage action (query
// protocol, as goaws speaks it).
func (e *emulator) receive(queue string) ([]received, error) {
	var out []received
	for {
		resp, err := http.PostForm(e.queueURL(queue), url.Values{
			"Action": {"ReceiveMessage"}, "MaxNumberOfMessages": {"10"}, "MessageAttributeName.1": {"All"},
		})
		if err != nil {
			return nil, fmt.Errorf("receive from %s: %w", queue, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("receive from %s: HTTP %d: %s", queue, resp.StatusCode, raw)
		}
		var doc struct {
			Messages []struct {
				Body  string `xml:"Body"`
				Attrs []struct {
					Name  string `xml:"Name"`
					Value string `xml:"Value>StringValue"`
				} `xml:"MessageAttribute"`
			} `xml:"ReceiveMessageResult>Message"`
		}
		if err := xml.NewDecoder(bytes.NewReader(raw)).Decode(&doc); err != nil {
			return nil, fmt.Errorf("decode receive answer: %w", err)
		}
		if len(doc.Messages) == 0 {
			return out, nil
		}
		for _, m := range doc.Messages {
			r := received{Body: m.Body, Attrs: map[string]string{}}
			for _, a := range m.Attrs {
				r.Attrs[a.Name] = a.Value
			}
			out = append(out, r)
		}
	}
}

// stored returns goaws's stored copies of the messages of queue (for the FIFO fields, which
// goaws does not return on ReceiveMessage).
func stored(queue string) []app.Message {
	app.SyncQueues.RLock()
	defer app.SyncQueues.RUnlock()
	q, ok := app.SyncQueues.Queues[queue]
	if !ok {
		return nil
	}
	return append([]app.Message(nil), q.Messages...)
}
