package lambda

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/objects"
)

const body = `{"Agent":{"AppId":"yDwhxUUckp3gl8j5UuFX33LSNozpRsbi"},"FlowInfos":[{"FlowName":"lease","TemplateId":"tpl"}]}`

const awsBody = "{\r\n\t\"a\": 1\r\n}" // the body of aws-lambda-go's API Gateway samples

var (
	awsDirOnce sync.Once
	awsDir     string
	awsDirErr  error
)

// awsSample reads one of aws-lambda-go's sample events from the module cache. (go test puts
// its own go command first in PATH.)
func awsSample(t testing.TB, name string) []byte {
	t.Helper()
	awsDirOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
		awsDir, awsDirErr = strings.TrimSpace(string(out)), err
	})
	if awsDirErr != nil || awsDir == "" {
		t.Fatalf("locate aws-lambda-go in the module cache: %v", awsDirErr)
	}
	b, err := os.ReadFile(filepath.Join(awsDir, "events", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type jobView struct {
	Trigger, RecordID, Body, DerivedKey, DecodeErr string
}

func viewJobs(jobs []flows.Job) []jobView {
	var out []jobView
	for _, j := range jobs {
		v := jobView{j.Trigger, j.RecordID, string(j.Body), j.DerivedKey, ""}
		if j.DecodeErr != nil {
			v.DecodeErr = "ERR"
		}
		out = append(out, v)
	}
	return out
}

type httpView struct {
	Trigger, Method, Path, RequestID, SourceIP, Body string
	Headers                                          map[string]string // only the keys listed are compared
}

func skippedIDs(s []Skipped) []string {
	var out []string
	for _, r := range s {
		out = append(out, r.RecordID)
	}
	return out
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		raw     func(testing.TB) []byte
		kind    string
		version string
		http    *httpView
		jobs    []jobView
		ordered bool
		objects []objects.Ref
		invalid []string
		ignored []string
	}{
		{name: "aws apigw-request", raw: aws("apigw-request.json"), kind: KindRESTAPI, version: "1.0", http: &httpView{
			Trigger: "rest_api", Method: "POST", Path: "/hello/world", RequestID: "deef4878-7910-11e6-8f14-25afc3e9ae33",
			SourceIP: "192.168.196.186", Body: awsBody, Headers: map[string]string{"content-type": "application/json", "accept": "*/*"}}},
		{name: "aws apigw-restapi-openapi-request", raw: aws("apigw-restapi-openapi-request.json"), kind: KindRESTAPI, version: "1.0", http: &httpView{
			Trigger: "rest_api", Method: "POST", Path: "/hello/world", RequestID: "deef4878-7910-11e6-8f14-25afc3e9ae33",
			SourceIP: "192.168.196.186", Body: awsBody}},
		{name: "aws apigw-v2-request-no-authorizer", raw: aws("apigw-v2-request-no-authorizer.json"), kind: KindHTTPAPI, version: "2.0", http: &httpView{
			Trigger: "http_api", Method: "GET", Path: "/", RequestID: "LV7fzho-PHcEJPw=", SourceIP: "1.2.3.4"}},
		{name: "aws apigw-v2-request-iam", raw: aws("apigw-v2-request-iam.json"), kind: KindHTTPAPI, version: "2.0", http: &httpView{
			Trigger: "http_api", Method: "GET", Path: "/my/path", RequestID: "id", SourceIP: "IP", Body: awsBody}},
		{name: "aws apigw-v2-request-jwt-authorizer", raw: aws("apigw-v2-request-jwt-authorizer.json"), kind: KindHTTPAPI, version: "2.0", http: &httpView{
			Trigger: "http_api", Method: "GET", Path: "/my/path", RequestID: "id", SourceIP: "IP", Body: awsBody}},
		{name: "aws apigw-v2-request-lambda-authorizer", raw: aws("apigw-v2-request-lambda-authorizer.json"), kind: KindHTTPAPI, version: "2.0", http: &httpView{
			Trigger: "http_api", Method: "GET", Path: "/my/path", RequestID: "id", SourceIP: "IP", Body: awsBody}},
		{name: "aws lambda-urls-request", raw: aws("lambda-urls-request.json"), kind: KindFunctionURL, version: "2.0", http: &httpView{
			Trigger: "function_url", Method: "POST", Path: "/my/path", RequestID: "id", SourceIP: "123.123.123.123",
			Body: "Hello from client!", Headers: map[string]string{"header2": "value1,value2"}}},
		{name: "aws sqs-event", raw: aws("sqs-event.json"), kind: KindSQS,
			jobs: []jobView{{"sqs", "MessageID_1", "Message Body", "sqs:MessageID_1", ""}}},
		{name: "aws s3-event", raw: aws("s3-event.json"), kind: KindS3, objects: []objects.Ref{{Store: "s3", Bucket: "sourcebucket",
			Region: "us-east-1", Key: "Happy Face.jpg", ETag: "d41d8cd98f00b204e9800998ecf8427e", VersionID: "version", Size: 1024, EventID: "Happy Sequencer"}}},
		{name: "aws s3-event-with-decoded", raw: aws("s3-event-with-decoded.json"), kind: KindS3, objects: []objects.Ref{{Store: "s3", Bucket: "sourcebucket",
			Region: "us-east-1", Key: "Happy Face.jpg", ETag: "d41d8cd98f00b204e9800998ecf8427e", VersionID: "version", Size: 1024, EventID: "Happy Sequencer"}}},
		{name: "aws s3-lifecycle-event", raw: aws("s3-lifecycle-event.json"), kind: KindS3, ignored: []string{"s3://" + lifecycleBucket(t) + "/lifecycle-test.dat"}},
		{name: "http api base64", raw: file("http-api-base64.json"), kind: KindHTTPAPI, version: "2.0", http: &httpView{
			Trigger: "http_api", Method: "POST", Path: "/flows", RequestID: "JKJaXmPLvHcESHA=", SourceIP: "203.0.113.9", Body: body,
			Headers: map[string]string{"accept-language": "zh-CN", "idempotency-key": "order-42"}}},
		{name: "REST multiValueHeaders only", raw: file("rest-multivalue.json"), kind: KindRESTAPI, version: "1.0", http: &httpView{
			Trigger: "rest_api", Method: "POST", Path: "/flows", RequestID: "rest-req-1", SourceIP: "198.51.100.7", Body: body,
			Headers: map[string]string{"content-type": "application/json", "x-correlation-id": "corr-7"}}},
		{name: "SQS FIFO", raw: file("sqs-fifo.json"), kind: KindSQS, ordered: true, jobs: []jobView{
			{"sqs", "m-1", body, "sqs:m-1", ""}, {"sqs", "m-2", body, "sqs:m-2", ""}, {"sqs", "m-3", body, "sqs:m-3", ""}}},
		{name: "SQS with bad messages", raw: file("sqs-mixed.json"), kind: KindSQS, jobs: []jobView{
			{"sqs", "m-1", body, "sqs:m-1", ""},
			{"sqs", "m-2", "not json", "sqs:m-2", ""}, // processed; the processor rejects it
			{"sqs", "m-3", "", "", "ERR"},             // empty body
			{"sqs", "record[3]", "", "", "ERR"},       // no messageId
			{"sqs", "record[4]", "", "", "ERR"},       // body is a number
			{"sqs", "record[5]", "", "", "ERR"},       // a Kinesis record
		}},
		{name: "S3 URL-encoded key", raw: file("s3-encoded-key.json"), kind: KindS3,
			objects: []objects.Ref{{Store: "s3", Bucket: "essflow-in", Region: "ap-east-1", Key: "in/my file(1).json",
				ETag: "0123456789abcdef0123456789abcdef", VersionID: "v1", Size: 2048, EventID: "0055AED6DCD90281E5"}},
			ignored: []string{"s3://essflow-in/in/old.json"},
			invalid: []string{"record[2]", "record[3]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode(tt.raw(t))
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != tt.kind || ev.PayloadVersion != tt.version || ev.Ordered != tt.ordered {
				t.Fatalf("kind %q version %q ordered %v; want %q %q %v", ev.Kind, ev.PayloadVersion, ev.Ordered, tt.kind, tt.version, tt.ordered)
			}
			if (ev.HTTP != nil) != (tt.http != nil) {
				t.Fatalf("HTTP = %+v, want %+v", ev.HTTP, tt.http)
			}
			if tt.http != nil {
				r := ev.HTTP
				got := httpView{r.Trigger, r.Method, r.Path, r.RequestID, r.SourceIP, string(r.Body), map[string]string{}}
				want := *tt.http
				if want.Headers == nil {
					want.Headers = map[string]string{}
				}
				for k := range want.Headers {
					got.Headers[k] = r.Headers[k]
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("HTTP = %+v\nwant   %+v", got, want)
				}
				for k := range r.Headers {
					if k != strings.ToLower(k) {
						t.Fatalf("header key %q is not lower-case", k)
					}
				}
			}
			if got := viewJobs(ev.Jobs); !reflect.DeepEqual(got, tt.jobs) {
				t.Fatalf("jobs = %+v\nwant   %+v", got, tt.jobs)
			}
			if !reflect.DeepEqual(ev.Objects, tt.objects) {
				t.Fatalf("objects = %+v\nwant      %+v", ev.Objects, tt.objects)
			}
			if got := skippedIDs(ev.Invalid); !reflect.DeepEqual(got, tt.invalid) {
				t.Fatalf("invalid = %q, want %q", got, tt.invalid)
			}
			if got := skippedIDs(ev.Ignored); !reflect.DeepEqual(got, tt.ignored) {
				t.Fatalf("ignored = %q, want %q", got, tt.ignored)
			}
		})
	}
}

func aws(name string) func(testing.TB) []byte {
	return func(t testing.TB) []byte { return awsSample(t, name) }
}

func file(name string) func(testing.TB) []byte {
	return func(t testing.TB) []byte { return readFile(t, name) }
}

// lifecycleBucket reads the bucket name of the lifecycle sample, so the test does not restate it.
func lifecycleBucket(t *testing.T) string {
	raw := string(awsSample(t, "s3-lifecycle-event.json"))
	i := strings.Index(raw, `"bucket"`)
	j := strings.Index(raw[i:], `"name"`)
	rest := raw[i+j+len(`"name"`):]
	rest = rest[strings.Index(rest, `"`)+1:]
	return rest[:strings.Index(rest, `"`)]
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		raw     func(testing.TB) []byte
		kind    string
		version string
		unknown bool
	}{
		{name: "malformed JSON", raw: lit(`{"Records": [`)},
		{name: "not an object", raw: lit(`"hello"`)},
		{name: "null", raw: lit(`null`)},
		{name: "empty object", raw: lit(`{}`), unknown: true},
		{name: "empty Records", raw: lit(`{"Records":[]}`)},
		{name: "SCF CMQ event", raw: lit(`{"Records":[{"CMQ":{"msgId":"1","msgBody":"{}"}}]}`), unknown: true},
		{name: "SCF API gateway event", raw: lit(`{"httpMethod":"POST","path":"/","headers":{}}`), unknown: true},
		{name: "aws kinesis-event", raw: aws("kinesis-event.json"), unknown: true},
		{name: "aws dynamodb-event", raw: aws("dynamodb-event.json"), unknown: true},
		{name: "aws apigw-custom-auth-request", raw: aws("apigw-custom-auth-request.json"), unknown: true},
		{name: "aws apigw-custom-auth-request-type-request", raw: aws("apigw-custom-auth-request-type-request.json"), unknown: true},
		{name: "aws apigw-v2-custom-authorizer-v1-request", raw: aws("apigw-v2-custom-authorizer-v1-request.json"), unknown: true},
		{name: "aws apigw-v2-custom-authorizer-v2-request", raw: aws("apigw-v2-custom-authorizer-v2-request.json"), unknown: true},
		{name: "aws apigw-websocket-request", raw: aws("apigw-websocket-request.json"), unknown: true},
		{name: "aws alb-lambda-target-request-headers-only", raw: aws("alb-lambda-target-request-headers-only.json"), unknown: true},
		{name: "function URL bad base64", raw: file("function-url-bad-base64.json"), kind: KindFunctionURL, version: "2.0"},
		{name: "REST bad base64", raw: lit(`{"httpMethod":"POST","requestContext":{},"isBase64Encoded":true,"body":"!"}`), kind: KindRESTAPI, version: "1.0"},
		{name: "HTTP API headers of the wrong type", raw: lit(`{"version":"2.0","requestContext":{"domainName":"x"},"headers":{"a":[1]}}`), kind: KindHTTPAPI, version: "2.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode(tt.raw(t))
			if err == nil {
				t.Fatalf("Decode = %+v, want an error", ev)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DecodeError", err)
			}
			if de.Kind != tt.kind || de.PayloadVersion != tt.version {
				t.Fatalf("kind %q version %q, want %q %q (%v)", de.Kind, de.PayloadVersion, tt.kind, tt.version, err)
			}
			if errors.Is(err, ErrUnknownShape) != tt.unknown {
				t.Fatalf("errors.Is(ErrUnknownShape) = %v, want %v (%v)", !tt.unknown, tt.unknown, err)
			}
		})
	}
}

func lit(s string) func(testing.TB) []byte { return func(testing.TB) []byte { return []byte(s) } }

func TestDecodeS3TestEvent(t *testing.T) {
	ev, err := Decode([]byte(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-20T08:00:00.000Z","Bucket":"essflow-in","RequestId":"r","HostId":"h"}`))
	if err != nil || ev.Kind != KindS3 || ev.Note == "" || len(ev.Objects) != 0 {
		t.Fatalf("Decode = %+v, %v; want an S3 event with a note and nothing to do", ev, err)
	}
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range []string{"apigw-request.json", "apigw-v2-request-iam.json", "lambda-urls-request.json", "sqs-event.json",
		"s3-event.json", "apigw-websocket-request.json", "kinesis-event.json"} {
		f.Add(awsSample(f, name))
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := Decode(raw)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || ev != nil {
				t.Fatalf("Decode returned %v and %T %v", ev, err, err)
			}
			if (de.Kind == "") != (de.PayloadVersion == "") {
				t.Fatalf("a DecodeError names a kind exactly when it names a payload version: %+v", de)
			}
			return
		}
		switch ev.Kind {
		case KindRESTAPI, KindHTTPAPI, KindFunctionURL:
			if ev.HTTP == nil || ev.HTTP.Trigger != ev.Kind || (ev.PayloadVersion != "1.0" && ev.PayloadVersion != "2.0") {
				t.Fatalf("bad HTTP event %+v", ev)
			}
		case KindSQS:
			for _, j := range ev.Jobs {
				if j.Trigger != KindSQS || j.RecordID == "" || (j.DecodeErr == nil) == (j.DerivedKey == "") {
					t.Fatalf("bad job %+v", j)
				}
			}
		case KindS3:
			for _, o := range ev.Objects {
				if o.Store != "s3" || o.Bucket == "" || o.Key == "" {
					t.Fatalf("incomplete object %+v", o)
				}
			}
		default:
			t.Fatalf("unknown kind %q", ev.Kind)
		}
	})
}
