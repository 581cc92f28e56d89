// Package scf turns Tencent SCF trigger events into essflow jobs and storage objects, and
// outcomes into the answers SCF expects. It reads the raw event JSON with its own structs
// rather than scf-go-lib's events package, whose types reject real events (a null msgTag, a
// function-URL event, a string reqid) and drop fields (isBase64Encoded). It imports nothing
// from AWS.
package scf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/trigger/httpx"
	"github.com/essflow/essflow/shared/trigger/summary"
)

// Event kinds, also used as the jobs' Trigger.
const (
	KindAPIGW       = "apigw"        // API gateway trigger, integration request
	KindFunctionURL = "function_url" // function URL of an event function
	KindCMQ         = "cmq"          // CMQ / TDMQ-CMQ topic subscription
	KindCkafka      = "ckafka"       // CKafka trigger: ordered batch of one partition
	KindCOS         = "cos"          // COS object event
	KindTimer       = "timer"        // timer trigger tick
)

// ErrUnknownShape is wrapped by the error Decode returns for an event of no known trigger.
var ErrUnknownShape = errors.New("unknown SCF event shape: expected an API gateway or function URL request " +
	"(httpMethod, with or without requestContext), a timer tick (Type \"Timer\"), or Records of CMQ, Ckafka or cos")

// Event is a decoded SCF event.
type Event struct {
	// Kind is one of the Kind constants.
	Kind string
	// HTTP is the request of an API gateway or function URL event.
	HTTP *httpx.Request
	// Jobs are the requests of a CMQ, CKafka or timer event, in record order. A record whose
	// body could not be extracted is a job with DecodeErr set.
	Jobs []flows.Job
	// Tags holds the routing tags (msgTag) of each CMQ job, parallel to Jobs; nil otherwise.
	Tags [][]string
	// Ordered is true for CKafka: the records come from one partition, in offset order.
	Ordered bool
	// Objects are the created objects of a COS event.
	Objects []objects.Ref
	// Invalid lists COS records that could not be read; they are reported rejected.
	Invalid []Skipped
	// Ignored lists COS records that are not object creations (deletions, restores …).
	Ignored []Skipped
	// Note says why an event carries nothing to do: a timer tick with an empty Message.
	Note string
}

// Skipped is a storage record that yields no object, with the reason.
type Skipped = summary.Skipped

// DecodeError is the error Decode returns. Kind is the event kind when the shape was
// recognised (an HTTP event with a bad base64 body), empty otherwise.
type DecodeError struct {
	Kind string
	// AcceptLanguage is the caller's Accept-Language header of an HTTP event, for the answer.
	AcceptLanguage string
	Err            error
}

// Error describes the failure, naming the event kind when it is known.
func (e *DecodeError) Error() string {
	if e.Kind == "" {
		return "decode SCF event: " + e.Err.Error()
	}
	return "decode SCF " + e.Kind + " event: " + e.Err.Error()
}

// Unwrap returns the underlying cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// Decode recognises the trigger of a raw SCF event and extracts its jobs or objects:
//
//   - API gateway (httpMethod and requestContext) and function URL (httpMethod without
//     requestContext, as SCF sends it to event functions): an HTTP request; headers are
//     lower-cased, a body with isBase64Encoded true is base64-decoded, queryString is not used
//     (so its string, array and boolean values never fail decoding).
//   - CMQ topic (Records[].CMQ): one job per message, DerivedKey "cmq:<topicName>:<msgId>";
//     msgTag may be a string ("a,b" or "a, b"), an array or null.
//   - CKafka (Records[].Ckafka): one job per message, Ordered, DerivedKey
//     "ckafka:<topic>:<partition>:<offset>".
//   - COS (Records[].cos): one objects.Ref per cos:ObjectCreated:* record, the key stripped of
//     its "/<appid>/<bucket>/" prefix, Bucket "<name>-<appid>", ETag from the object meta.
//   - Timer (Type "Timer"): one job whose body is Message (a request or an envelope),
//     DerivedKey "timer:<TriggerName>@<Time>" so a retried tick is deduplicated. An empty
//     Message gives no job and a Note: there is nothing to do.
//
// A record whose body cannot be extracted becomes a job with DecodeErr (rejected by the
// processor, never retried) and the others are still processed. Decode returns a *DecodeError
// for input that is not a JSON object, an unknown shape (wrapping ErrUnknownShape), an empty
// Records array, or an HTTP event whose body or headers cannot be decoded.
func Decode(raw []byte) (*Event, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, &DecodeError{Err: fmt.Errorf("event is not a JSON object: %w", err)}
	}
	if top == nil {
		return nil, &DecodeError{Err: errors.New("event is null")}
	}
	if recs, ok := top["Records"]; ok {
		return decodeRecords(recs)
	}
	if typ, ok := top["Type"]; ok && bytes.Equal(bytes.TrimSpace(typ), []byte(`"Timer"`)) {
		return decodeTimer(raw)
	}
	if _, ok := top["httpMethod"]; ok {
		kind := KindFunctionURL
		if _, ok := top["requestContext"]; ok {
			kind = KindAPIGW
		}
		return decodeHTTP(raw, kind)
	}
	return nil, &DecodeError{Err: ErrUnknownShape}
}

type httpEvent struct {
	HTTPMethod      string            `json:"httpMethod"`
	Path            string            `json:"path"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	RequestContext  *struct {
		RequestID string `json:"requestId"`
		SourceIP  string `json:"sourceIp"`
	} `json:"requestContext"`
}

func decodeHTTP(raw []byte, kind string) (*Event, error) {
	var e httpEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, &DecodeError{Kind: kind, Err: fmt.Errorf("read request: %w", err)}
	}
	headers := httpx.LowerKeys(e.Headers)
	body, err := httpx.DecodeBody(e.Body, e.IsBase64Encoded)
	if err != nil {
		return nil, &DecodeError{Kind: kind, AcceptLanguage: headers["accept-language"], Err: err}
	}
	req := &httpx.Request{Trigger: kind, Method: e.HTTPMethod, Path: e.Path, Headers: headers, Body: body}
	if rc := e.RequestContext; rc != nil {
		req.RequestID, req.SourceIP = rc.RequestID, rc.SourceIP
	}
	if req.SourceIP == "" {
		req.SourceIP = forwardedFor(headers)
	}
	return &Event{Kind: kind, HTTP: req}, nil
}

// forwardedFor returns the client address a proxy reported: the first X-Forwarded-For entry,
// else X-Real-IP.
func forwardedFor(h map[string]string) string {
	if v := h["x-forwarded-for"]; v != "" {
		first, _, _ := strings.Cut(v, ",")
		return strings.TrimSpace(first)
	}
	return strings.TrimSpace(h["x-real-ip"])
}

type timerEvent struct {
	Type        string `json:"Type"`
	TriggerName string `json:"TriggerName"`
	Time        string `json:"Time"`
	Message     string `json:"Message"`
}

func decodeTimer(raw []byte) (*Event, error) {
	var t timerEvent
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, &DecodeError{Kind: KindTimer, Err: fmt.Errorf("read timer tick: %w", err)}
	}
	ev := &Event{Kind: KindTimer}
	id := t.TriggerName + "@" + t.Time
	if strings.TrimSpace(t.Message) == "" {
		ev.Note = "timer " + id + ": empty Message, nothing to do"
		return ev, nil
	}
	job := flows.Job{Trigger: KindTimer, RecordID: id, Body: []byte(t.Message), DerivedKey: "timer:" + id}
	if t.Time == "" || t.TriggerName == "" {
		// Without both, every tick would derive the same key and be served from the idempotency
		// store instead of running.
		job.DerivedKey = ""
		job.DecodeErr = errors.New("timer tick without TriggerName or Time: cannot derive an idempotency key")
	}
	ev.Jobs = []flows.Job{job}
	return ev, nil
}

// record is one entry of Records; exactly one of CMQ, Ckafka and COS is set in a well-formed
// record. (encoding/json matches the keys without regard to case; SCF always sends them as
// written here.)
type record struct {
	CMQ    *cmqMessage    `json:"CMQ"`
	Ckafka *ckafkaMessage `json:"Ckafka"`
	COS    *cosEntity     `json:"cos"`
	Event  cosEvent       `json:"event"`
}

// entryKey is the record key of each record kind.
var entryKey = map[string]string{KindCMQ: "CMQ", KindCkafka: "Ckafka", KindCOS: "cos"}

// kind returns the kind the record names, or "".
func (r *record) kind() string {
	switch {
	case r.CMQ != nil:
		return KindCMQ
	case r.Ckafka != nil:
		return KindCkafka
	case r.COS != nil:
		return KindCOS
	}
	return ""
}

// probeKind returns the kind a record that failed to decode names by its keys, or "".
func probeKind(raw json.RawMessage) string {
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) != nil {
		return ""
	}
	for _, k := range []string{KindCMQ, KindCkafka, KindCOS} {
		if _, ok := keys[entryKey[k]]; ok {
			return k
		}
	}
	return ""
}

func decodeRecords(raw json.RawMessage) (*Event, error) {
	var recs []json.RawMessage
	if err := json.Unmarshal(raw, &recs); err != nil {
		return nil, &DecodeError{Err: fmt.Errorf("Records is not an array: %w", err)}
	}
	if len(recs) == 0 {
		return nil, &DecodeError{Err: errors.New("Records is empty")}
	}
	// The kind is that of the first record that names one; a batch never mixes triggers.
	parsed := make([]record, len(recs))
	bad := make([]bool, len(recs))
	kind := ""
	for i, r := range recs {
		k := ""
		if json.Unmarshal(r, &parsed[i]) == nil {
			k = parsed[i].kind()
		} else {
			parsed[i], bad[i] = record{}, true
			k = probeKind(r)
		}
		if kind == "" {
			kind = k
		}
	}
	if kind == "" {
		return nil, &DecodeError{Err: ErrUnknownShape}
	}
	ev := &Event{Kind: kind, Ordered: kind == KindCkafka}
	for i := range parsed {
		var fail error
		if bad[i] {
			fail = fmt.Errorf("record %d: malformed %s entry", i, entryKey[kind])
		} else if parsed[i].kind() != kind {
			fail = fmt.Errorf("record %d has no %s entry", i, entryKey[kind])
		}
		switch kind {
		case KindCMQ:
			job, tags := cmqJob(i, parsed[i].CMQ, fail)
			ev.Jobs = append(ev.Jobs, job)
			ev.Tags = append(ev.Tags, tags)
		case KindCkafka:
			ev.Jobs = append(ev.Jobs, ckafkaJob(i, parsed[i].Ckafka, fail))
		case KindCOS:
			cosObject(ev, i, &parsed[i], fail)
		}
	}
	return ev, nil
}

func recordID(i int) string { return "record[" + strconv.Itoa(i) + "]" }

type cmqMessage struct {
	MsgID     flexString `json:"msgId"`
	MsgBody   *string    `json:"msgBody"`
	MsgTag    cmqTags    `json:"msgTag"`
	TopicName string     `json:"topicName"`
}

func cmqJob(i int, m *cmqMessage, fail error) (flows.Job, []string) {
	job := flows.Job{Trigger: KindCMQ}
	if fail != nil {
		job.RecordID, job.DecodeErr = recordID(i), fail
		return job, nil
	}
	switch {
	case m.MsgID == "":
		job.RecordID, job.DecodeErr = recordID(i), fmt.Errorf("CMQ message %d has no msgId", i)
	case m.MsgBody == nil || strings.TrimSpace(*m.MsgBody) == "":
		job.RecordID, job.DecodeErr = string(m.MsgID), fmt.Errorf("CMQ message %s has an empty msgBody", m.MsgID)
	default:
		job.DerivedKey = "cmq:" + m.TopicName + ":" + string(m.MsgID)
		job.RecordID = job.DerivedKey[len(job.DerivedKey)-len(m.MsgID):]
		job.Body = []byte(*m.MsgBody)
	}
	return job, m.MsgTag
}

type ckafkaMessage struct {
	Topic     string     `json:"topic"`
	Partition flexString `json:"partition"`
	Offset    flexString `json:"offset"`
	MsgBody   *string    `json:"msgBody"`
}

func ckafkaJob(i int, m *ckafkaMessage, fail error) flows.Job {
	job := flows.Job{Trigger: KindCkafka}
	if fail == nil && (m.Topic == "" || !isUint(string(m.Partition)) || !isUint(string(m.Offset))) {
		fail = fmt.Errorf("Ckafka message %d lacks a topic, partition or offset", i)
	}
	if fail != nil {
		job.RecordID, job.DecodeErr = recordID(i), fail
		return job
	}
	key := "ckafka:" + m.Topic + ":" + string(m.Partition) + ":" + string(m.Offset)
	job.RecordID = key[len("ckafka:"):]
	if m.MsgBody == nil || strings.TrimSpace(*m.MsgBody) == "" {
		job.DecodeErr = fmt.Errorf("Ckafka message %s has an empty msgBody", job.RecordID)
		return job
	}
	job.Body = []byte(*m.MsgBody)
	job.DerivedKey = key
	return job
}

type cosEntity struct {
	Bucket struct {
		AppID  flexString `json:"appid"`
		Region string     `json:"region"`
		Name   string     `json:"name"`
	} `json:"cosBucket"`
	Object struct {
		Key  string                     `json:"key"`
		Size flexString                 `json:"size"`
		Meta map[string]json.RawMessage `json:"meta"`
		VID  string                     `json:"vid"`
	} `json:"cosObject"`
}

type cosEvent struct {
	Name  string     `json:"eventName"`
	ReqID flexString `json:"reqid"`
}

func cosObject(ev *Event, i int, r *record, fail error) {
	if fail != nil {
		ev.Invalid = append(ev.Invalid, Skipped{RecordID: recordID(i), Reason: fail})
		return
	}
	b, o := r.COS.Bucket, r.COS.Object
	appid := string(b.AppID)
	ref := objects.Ref{
		Store:     "cos",
		Bucket:    cosBucket(b.Name, appid),
		Region:    b.Region,
		Key:       cosKey(o.Key, appid, b.Name),
		ETag:      metaETag(o.Meta),
		VersionID: o.VID,
		EventID:   string(r.Event.ReqID),
	}
	ref.Size, _ = strconv.ParseInt(string(o.Size), 10, 64)
	if b.Name == "" || ref.Key == "" {
		ev.Invalid = append(ev.Invalid, Skipped{RecordID: recordID(i), Reason: fmt.Errorf("COS record %d lacks a bucket name or object key", i)})
		return
	}
	if r.Event.Name != "" && !strings.HasPrefix(r.Event.Name, "cos:ObjectCreated:") {
		ev.Ignored = append(ev.Ignored, Skipped{RecordID: ref.String(), Reason: fmt.Errorf("event %s is not an object creation", r.Event.Name)})
		return
	}
	ev.Objects = append(ev.Objects, ref)
}

// cosBucket returns the bucket name the COS API expects, <name>-<appid>; a name that already
// ends with -<appid> is kept.
func cosBucket(name, appid string) string {
	if appid == "" || strings.HasSuffix(name, "-"+appid) {
		return name
	}
	return name + "-" + appid
}

// cosKey strips the "/<appid>/<name>/" prefix COS puts before the object key. A key without
// that prefix loses only its leading slash.
func cosKey(key, appid, name string) string {
	for _, p := range []string{"/" + appid + "/" + name + "/", "/" + appid + "/" + cosBucket(name, appid) + "/"} {
		if appid != "" && name != "" && strings.HasPrefix(key, p) {
			return key[len(p):]
		}
	}
	return strings.TrimPrefix(key, "/")
}

// metaETag returns the object's ETag from the event meta (key matched case-insensitively,
// quotes removed), or "".
func metaETag(meta map[string]json.RawMessage) string {
	for k, v := range meta {
		if !strings.EqualFold(k, "etag") && !strings.EqualFold(k, "x-cos-etag") {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			return strings.Trim(s, `"`)
		}
	}
	return ""
}

func isUint(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// flexString reads a JSON string or number as text (null gives ""), for ids that SCF sends
// as either: reqid, msgId, partition, offset.
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	// encoding/json hands over exactly one valid JSON value.
	switch {
	case len(b) == 0:
		return errors.New("empty value")
	case b[0] == '"':
		if bytes.IndexByte(b, '\\') < 0 {
			*f = flexString(b[1 : len(b)-1])
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*f = flexString(b)
	case string(b) == "null":
		*f = ""
	default:
		return fmt.Errorf("want a string or a number, got %.20s", b)
	}
	return nil
}

// cmqTags reads msgTag in every shape seen: a comma-separated string with or without spaces
// after the commas ("a,b", "a, b"), an array of strings, or null. Tags are trimmed and empty
// ones dropped. Any other value gives no tags rather than an error: tags route messages to the
// subscription and are not needed to process one.
type cmqTags []string

// UnmarshalJSON implements json.Unmarshaler; it never fails.
func (t *cmqTags) UnmarshalJSON(b []byte) error {
	*t = nil
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = splitTags(strings.Split(s, ","))
		return nil
	}
	var arr []string
	if json.Unmarshal(b, &arr) == nil {
		*t = splitTags(arr)
	}
	return nil
}

func splitTags(parts []string) cmqTags {
	var out cmqTags
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
