package scf

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/objects"
)

const body = `{"Agent":{"AppId":"yDwhxUUckp3gl8j5UuFX33LSNozpRsbi"},"FlowInfos":[{"FlowName":"lease","TemplateId":"tpl"}]}`

// jobView is a flows.Job in comparable form; DecodeErr becomes "ERR" when set.
type jobView struct {
	Trigger, RecordID, Body, IdempotencyKey, DerivedKey, DecodeErr string
}

func viewJobs(jobs []flows.Job) []jobView {
	var out []jobView
	for _, j := range jobs {
		v := jobView{j.Trigger, j.RecordID, string(j.Body), j.IdempotencyKey, j.DerivedKey, ""}
		if j.DecodeErr != nil {
			v.DecodeErr = "ERR"
		}
		out = append(out, v)
	}
	return out
}

// httpView is the part of an httpx.Request the tests check.
type httpView struct {
	Trigger, Method, Path, RequestID, SourceIP, Body string
	Headers                                          map[string]string // only the keys listed are compared
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
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
		file    string
		kind    string
		http    *httpView
		jobs    []jobView
		tags    [][]string
		ordered bool
		objects []objects.Ref
		invalid []string
		ignored []string
		note    bool
	}{
		{file: "scf-go-lib/apigw.json", kind: KindAPIGW, http: &httpView{
			Trigger: "apigw", Method: "GET", Path: "/ritchiechen-apigw-test", SourceIP: "8.8.8.8",
			Headers: map[string]string{"accept-language": "zh-CN,zh;q=0.9,en;q=0.8", "x-qualifier": "$LATEST"}}},
		{file: "scf-go-lib/cmq.json", kind: KindCMQ,
			jobs: []jobView{{"cmq", "13510798882111490", "aaaaaaaaaa", "", "cmq:ritchiechen-cmq-test:13510798882111490", ""}},
			tags: [][]string{{"aaaa", "bbbbb", "cccc"}}},
		{file: "scf-go-lib/ckafka.json", kind: KindCkafka, ordered: true,
			jobs: []jobView{{"ckafka", "ritchiechen-ckafka-test:0:7", "hello world", "", "ckafka:ritchiechen-ckafka-test:0:7", ""}}},
		{file: "scf-go-lib/cos.json", kind: KindCOS, objects: []objects.Ref{{
			Store: "cos", Bucket: "ritchiechen-cos-test-123456", Region: "bj", Key: "foobar.zip",
			VersionID: "15945fbff94a6476647d1e08b64ed9f71566028555", Size: 9755203, EventID: "566750263"}}},
		{file: "scf-go-lib/timer.json", kind: KindTimer, note: true},
		{file: "apigw-post.json", kind: KindAPIGW, http: &httpView{
			Trigger: "apigw", Method: "POST", Path: "/flows", RequestID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", SourceIP: "10.0.2.14", Body: body,
			Headers: map[string]string{"idempotency-key": "order-42", "x-correlation-id": "corr-7", "accept-language": "zh-CN,zh;q=0.9"}}},
		{file: "apigw-base64.json", kind: KindAPIGW, http: &httpView{
			Trigger: "apigw", Method: "POST", Path: "/flows", RequestID: "req-b64", SourceIP: "8.8.8.8", Body: body,
			Headers: map[string]string{"content-type": "application/json"}}},
		{file: "function-url.json", kind: KindFunctionURL, http: &httpView{
			Trigger: "function_url", Method: "POST", Path: "/", SourceIP: "203.0.113.9", Body: body,
			Headers: map[string]string{"host": "1250000000-abcd-ap-guangzhou.scf.tencentcs.com"}}},
		{file: "cmq-tags.json", kind: KindCMQ,
			jobs: []jobView{
				{"cmq", "123345346", body, "", "cmq:flows:123345346", ""},
				{"cmq", "123345347", "not json at all", "", "cmq:flows:123345347", ""}, // processed; the processor rejects it
				{"cmq", "123345348", body, "", "cmq:flows:123345348", ""},              // numeric msgId, null msgTag
				{"cmq", "123345349", "", "", "", "ERR"},                                // empty body
				{"cmq", "record[4]", "", "", "", "ERR"},                                // no msgId
				{"cmq", "record[5]", "", "", "", "ERR"},                                // CMQ is not an object
			},
			tags: [][]string{{"tag1", "tag2"}, {"tag1", "tag2"}, nil, {"a", "b"}, nil, nil}},
		{file: "ckafka-batch.json", kind: KindCkafka, ordered: true,
			jobs: []jobView{
				{"ckafka", "flows:1:36", body, "", "ckafka:flows:1:36", ""},
				{"ckafka", "flows:1:37", "{not json", "", "ckafka:flows:1:37", ""},
				{"ckafka", "record[2]", "", "", "", "ERR"}, // no offset
				{"ckafka", "flows:1:39", body, "", "ckafka:flows:1:39", ""},
			}},
		{file: "cos-prefix.json", kind: KindCOS,
			objects: []objects.Ref{{Store: "cos", Bucket: "in-1250000000", Region: "gz", Key: "in/batch-1.jsonl",
				ETag: "9b2cf535f27731c974343645a3985328", Size: 1029, EventID: "179398952"}},
			ignored: []string{"cos://in-1250000000/in/old.jsonl"},
			invalid: []string{"record[2]", "record[3]"}},
		{file: "timer-message.json", kind: KindTimer,
			jobs: []jobView{{"timer", "EveryDay@2019-02-21T11:49:00Z", body, "", "timer:EveryDay@2019-02-21T11:49:00Z", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ev, err := Decode(readFile(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != tt.kind || ev.Ordered != tt.ordered {
				t.Fatalf("kind %q ordered %v, want %q %v", ev.Kind, ev.Ordered, tt.kind, tt.ordered)
			}
			if (ev.HTTP != nil) != (tt.http != nil) {
				t.Fatalf("HTTP = %+v, want %+v", ev.HTTP, tt.http)
			}
			if tt.http != nil {
				r := ev.HTTP
				got := httpView{r.Trigger, r.Method, r.Path, r.RequestID, r.SourceIP, string(r.Body), map[string]string{}}
				for k := range tt.http.Headers {
					got.Headers[k] = r.Headers[k]
				}
				if !reflect.DeepEqual(got, *tt.http) {
					t.Fatalf("HTTP = %+v\nwant   %+v", got, *tt.http)
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
			if !reflect.DeepEqual(ev.Tags, tt.tags) {
				t.Fatalf("tags = %q, want %q", ev.Tags, tt.tags)
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
			if (ev.Note != "") != tt.note {
				t.Fatalf("note = %q", ev.Note)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		kind    string // DecodeError.Kind
		unknown bool   // wraps ErrUnknownShape
		lang    string
	}{
		{name: "malformed JSON", raw: `{"Records": [`},
		{name: "not an object", raw: `[1,2]`},
		{name: "null", raw: `null`},
		{name: "empty object", raw: `{}`, unknown: true},
		{name: "SQS event", raw: `{"Records":[{"messageId":"m1","eventSource":"aws:sqs","body":"{}"}]}`, unknown: true},
		{name: "timer of another type", raw: `{"Type":"Cron","Message":"x"}`, unknown: true},
		{name: "empty Records", raw: `{"Records":[]}`},
		{name: "Records not an array", raw: `{"Records":{"CMQ":{}}}`},
		{name: "bad base64", raw: string(readFile(t, "apigw-bad-base64.json")), kind: KindAPIGW, lang: "zh-CN"},
		{name: "header of wrong type", raw: `{"httpMethod":"POST","requestContext":{},"headers":{"a":1}}`, kind: KindAPIGW},
		{name: "function URL, bad base64", raw: `{"httpMethod":"POST","isBase64Encoded":true,"body":"!!"}`, kind: KindFunctionURL},
		{name: "timer with a numeric message", raw: `{"Type":"Timer","Message":5}`, kind: KindTimer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Decode([]byte(tt.raw))
			if err == nil {
				t.Fatalf("Decode = %+v, want an error", ev)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DecodeError", err)
			}
			if de.Kind != tt.kind || de.AcceptLanguage != tt.lang {
				t.Fatalf("kind %q lang %q, want %q %q (%v)", de.Kind, de.AcceptLanguage, tt.kind, tt.lang, err)
			}
			if errors.Is(err, ErrUnknownShape) != tt.unknown {
				t.Fatalf("errors.Is(ErrUnknownShape) = %v, want %v (%v)", !tt.unknown, tt.unknown, err)
			}
		})
	}
}

func TestDecodeTimerWithoutTime(t *testing.T) {
	ev, err := Decode([]byte(`{"Type":"Timer","TriggerName":"t","Message":"{}"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Jobs) != 1 || ev.Jobs[0].DecodeErr == nil || ev.Jobs[0].DerivedKey != "" {
		t.Fatalf("jobs = %+v, want one rejected job without a derived key", ev.Jobs)
	}
}

func TestCMQTags(t *testing.T) {
	tests := []struct {
		raw  string
		want cmqTags
	}{
		{`"tag1,tag2"`, cmqTags{"tag1", "tag2"}},
		{`"aaaa, bbbbb, cccc"`, cmqTags{"aaaa", "bbbbb", "cccc"}},
		{`" a ,, b "`, cmqTags{"a", "b"}},
		{`"one"`, cmqTags{"one"}},
		{`""`, nil},
		{`["tag1","tag2"]`, cmqTags{"tag1", "tag2"}},
		{`[]`, nil},
		{`null`, nil},
		{`5`, nil},
		{`[1,2]`, nil},
	}
	for _, tt := range tests {
		var got cmqTags
		if err := json.Unmarshal([]byte(tt.raw), &got); err != nil {
			t.Errorf("%s: %v", tt.raw, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestCOSNames(t *testing.T) {
	tests := []struct{ key, appid, name, wantKey, wantBucket string }{
		{"/123456/b/x.json", "123456", "b", "x.json", "b-123456"},
		{"/123456/b/b/x.json", "123456", "b", "b/x.json", "b-123456"}, // only one prefix is stripped
		{"/123456/b-123456/dir/x.json", "123456", "b-123456", "dir/x.json", "b-123456"},
		{"/123456/b-123456/x.json", "123456", "b", "x.json", "b-123456"},
		{"x.json", "123456", "b", "x.json", "b-123456"},
		{"/other/x.json", "123456", "b", "other/x.json", "b-123456"},
		{"/x.json", "", "b", "x.json", "b"},
	}
	for _, tt := range tests {
		if got := cosKey(tt.key, tt.appid, tt.name); got != tt.wantKey {
			t.Errorf("cosKey(%q, %q, %q) = %q, want %q", tt.key, tt.appid, tt.name, got, tt.wantKey)
		}
		if got := cosBucket(tt.name, tt.appid); got != tt.wantBucket {
			t.Errorf("cosBucket(%q, %q) = %q, want %q", tt.name, tt.appid, got, tt.wantBucket)
		}
	}
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	more, _ := filepath.Glob("testdata/scf-go-lib/*.json")
	for _, p := range append(files, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Records":[{"CMQ":{"msgId":1,"msgBody":"x","msgTag":null}},{"Ckafka":{}}]}`))
	f.Add([]byte(`{"Records":[{"cos":{"cosBucket":{"appid":1,"name":"b"},"cosObject":{"key":"/1/b/k","size":"12"}},"event":{"reqid":"r"}}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := Decode(raw)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || ev != nil {
				t.Fatalf("Decode returned %v and %T %v", ev, err, err)
			}
			return
		}
		switch ev.Kind {
		case KindAPIGW, KindFunctionURL:
			if ev.HTTP == nil || ev.HTTP.Trigger != ev.Kind {
				t.Fatalf("HTTP event without request: %+v", ev)
			}
		case KindCMQ, KindCkafka, KindTimer:
			for _, j := range ev.Jobs {
				if j.Trigger != ev.Kind || j.RecordID == "" {
					t.Fatalf("job without trigger or record id: %+v", j)
				}
				if (j.DecodeErr == nil) == (j.DerivedKey == "") {
					t.Fatalf("a job has a derived key exactly when it decoded: %+v", j)
				}
			}
			if ev.Kind == KindCMQ && len(ev.Tags) != len(ev.Jobs) {
				t.Fatalf("%d tag lists for %d jobs", len(ev.Tags), len(ev.Jobs))
			}
		case KindCOS:
			for _, o := range ev.Objects {
				if o.Bucket == "" || o.Key == "" || o.Store != "cos" {
					t.Fatalf("incomplete object %+v", o)
				}
			}
		default:
			t.Fatalf("unknown kind %q", ev.Kind)
		}
	})
}
