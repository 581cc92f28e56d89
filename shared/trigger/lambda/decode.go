// Package lambda turns AWS Lambda trigger events (API Gateway REST and HTTP APIs, function
// URLs, SQS, S3) into essflow jobs and storage objects, and outcomes into the answers Lambda
// expects. It uses the event types of aws-lambda-go and imports nothing from Tencent.
package lambda

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/trigger/httpx"
	"github.com/essflow/essflow/shared/trigger/summary"
)

// Event kinds, also used as the jobs' Trigger.
const (
	KindRESTAPI     = "rest_api"     // API Gateway REST API, proxy integration (payload 1.0)
	KindHTTPAPI     = "http_api"     // API Gateway HTTP API (payload 2.0, or 1.0 when so configured)
	KindFunctionURL = "function_url" // Lambda function URL
	KindSQS         = "sqs"          // SQS queue, standard or FIFO
	KindS3          = "s3"           // S3 object notification
)

// ErrUnknownShape is wrapped by the error Decode returns for an event of no known trigger.
var ErrUnknownShape = errors.New("unknown Lambda event shape: expected an API Gateway REST (httpMethod + requestContext) " +
	"or HTTP API / function URL (version 2.0 + requestContext) request, or Records from aws:sqs or aws:s3")

// Event is a decoded Lambda event.
type Event struct {
	// Kind is one of the Kind constants.
	Kind string
	// PayloadVersion is the HTTP payload format, "1.0" or "2.0", which decides the response type.
	PayloadVersion string
	// HTTP is the request of an API Gateway or function URL event.
	HTTP *httpx.Request
	// Jobs are the messages of an SQS event, in record order. A message whose body could not
	// be extracted is a job with DecodeErr set.
	Jobs []flows.Job
	// Ordered is true for a FIFO queue (eventSourceARN ending in ".fifo").
	Ordered bool
	// Objects are the created objects of an S3 event.
	Objects []objects.Ref
	// Invalid lists S3 records that could not be read; they are reported rejected.
	Invalid []Skipped
	// Ignored lists S3 records that are not object creations.
	Ignored []Skipped
	// Note says why an event carries nothing to do (the s3:TestEvent S3 sends on setup).
	Note string
}

// Skipped is a storage record that yields no object, with the reason.
type Skipped = summary.Skipped

// DecodeError is the error Decode returns. Kind and PayloadVersion are set when the shape was
// recognised (an HTTP event with a bad base64 body), empty otherwise.
type DecodeError struct {
	Kind           string
	PayloadVersion string
	// AcceptLanguage is the caller's Accept-Language header of an HTTP event, for the answer.
	AcceptLanguage string
	Err            error
}

// Error describes the failure, naming the event kind when it is known.
func (e *DecodeError) Error() string {
	if e.Kind == "" {
		return "decode Lambda event: " + e.Err.Error()
	}
	return "decode Lambda " + e.Kind + " event: " + e.Err.Error()
}

// Unwrap returns the underlying cause.
func (e *DecodeError) Unwrap() error { return e.Err }

// Decode recognises the trigger of a raw Lambda event and extracts its jobs or objects:
//
//   - REST API (httpMethod + requestContext, events.APIGatewayProxyRequest; an HTTP API with
//     payload 1.0 has the same shape and "version":"1.0"), HTTP API (version "2.0",
//     events.APIGatewayV2HTTPRequest) and function URL (version "2.0" with a requestContext
//     domainName containing ".lambda-url.", events.LambdaFunctionURLRequest): an HTTP
//     request with lower-cased headers and the body base64-decoded when isBase64Encoded.
//     Custom-authorizer, WebSocket and ALB events are not accepted.
//   - SQS (Records[].eventSource "aws:sqs"): one job per message, RecordID the messageId,
//     DerivedKey "sqs:<messageId>"; Ordered when eventSourceARN ends with ".fifo".
//   - S3 (Records[].eventSource "aws:s3"): one objects.Ref per ObjectCreated record (others are
//     Ignored), the key
//     URL-decoded, with ETag, versionId and size; the sequencer is the EventID.
//
// A message whose body cannot be extracted becomes a job with DecodeErr; the others are still
// processed. Decode returns a *DecodeError for input that is not a JSON object, an unknown
// shape (wrapping ErrUnknownShape), an empty Records array, or an HTTP event that cannot be
// read.
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
	if ev, ok := top["Event"]; ok && bytes.Equal(bytes.TrimSpace(ev), []byte(`"s3:TestEvent"`)) {
		return &Event{Kind: KindS3, Note: "s3:TestEvent: nothing to do"}, nil
	}
	rc, ok := top["requestContext"]
	if !ok {
		return nil, &DecodeError{Err: ErrUnknownShape}
	}
	var ctx map[string]json.RawMessage
	if json.Unmarshal(rc, &ctx) != nil {
		return nil, &DecodeError{Err: fmt.Errorf("requestContext is not an object: %w", ErrUnknownShape)}
	}
	for _, k := range []string{"methodArn", "routeArn", "authorizationToken"} {
		if _, isAuth := top[k]; isAuth {
			return nil, &DecodeError{Err: fmt.Errorf("custom authorizer request: %w", ErrUnknownShape)}
		}
	}
	if _, isALB := ctx["elb"]; isALB {
		return nil, &DecodeError{Err: fmt.Errorf("ALB target request: %w", ErrUnknownShape)}
	}
	if _, isWS := ctx["connectionId"]; isWS {
		return nil, &DecodeError{Err: fmt.Errorf("WebSocket request: %w", ErrUnknownShape)}
	}
	var version string
	_ = json.Unmarshal(top["version"], &version)
	_, hasMethod := top["httpMethod"]
	switch {
	case version == "2.0":
		var domain string
		_ = json.Unmarshal(ctx["domainName"], &domain)
		if strings.Contains(domain, ".lambda-url.") {
			return decodeFunctionURL(raw)
		}
		return decodeHTTPAPI(raw)
	case hasMethod:
		kind := KindRESTAPI
		if version == "1.0" {
			kind = KindHTTPAPI
		}
		return decodeProxy(raw, kind)
	}
	return nil, &DecodeError{Err: ErrUnknownShape}
}

func decodeProxy(raw []byte, kind string) (*Event, error) {
	var e events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, &DecodeError{Kind: kind, PayloadVersion: "1.0", Err: fmt.Errorf("read request: %w", err)}
	}
	h := e.Headers
	if len(h) == 0 && len(e.MultiValueHeaders) > 0 {
		h = make(map[string]string, len(e.MultiValueHeaders))
		for k, vs := range e.MultiValueHeaders {
			h[k] = strings.Join(vs, ",")
		}
	}
	return httpEvent(kind, "1.0", e.HTTPMethod, e.Path, h, e.Body, e.IsBase64Encoded,
		e.RequestContext.RequestID, e.RequestContext.Identity.SourceIP)
}

func decodeHTTPAPI(raw []byte) (*Event, error) {
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, &DecodeError{Kind: KindHTTPAPI, PayloadVersion: "2.0", Err: fmt.Errorf("read request: %w", err)}
	}
	rc := e.RequestContext
	return httpEvent(KindHTTPAPI, "2.0", rc.HTTP.Method, e.RawPath, e.Headers, e.Body, e.IsBase64Encoded, rc.RequestID, rc.HTTP.SourceIP)
}

func decodeFunctionURL(raw []byte) (*Event, error) {
	var e events.LambdaFunctionURLRequest
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, &DecodeError{Kind: KindFunctionURL, PayloadVersion: "2.0", Err: fmt.Errorf("read request: %w", err)}
	}
	rc := e.RequestContext
	return httpEvent(KindFunctionURL, "2.0", rc.HTTP.Method, e.RawPath, e.Headers, e.Body, e.IsBase64Encoded, rc.RequestID, rc.HTTP.SourceIP)
}

func httpEvent(kind, version, method, path string, headers map[string]string, body string, b64 bool, requestID, sourceIP string) (*Event, error) {
	h := httpx.LowerKeys(headers)
	b, err := httpx.DecodeBody(body, b64)
	if err != nil {
		return nil, &DecodeError{Kind: kind, PayloadVersion: version, AcceptLanguage: h["accept-language"], Err: err}
	}
	return &Event{Kind: kind, PayloadVersion: version, HTTP: &httpx.Request{
		Trigger: kind, Method: method, Path: path, Headers: h, Body: b, RequestID: requestID, SourceIP: sourceIP,
	}}, nil
}

// record is one entry of Records, read in one pass whatever its source: the SQS message fields
// and the S3 ones do not overlap beyond eventSource and awsRegion.
type record struct {
	events.SQSMessage
	EventName string           `json:"eventName"`
	S3        *events.S3Entity `json:"s3"`
}

// probeSource returns the eventSource of a record that failed to decode, or "".
func probeSource(raw json.RawMessage) string {
	var head struct {
		EventSource string `json:"eventSource"`
	}
	_ = json.Unmarshal(raw, &head)
	return head.EventSource
}

func decodeRecords(raw json.RawMessage) (*Event, error) {
	var recs []json.RawMessage
	if err := json.Unmarshal(raw, &recs); err != nil {
		return nil, &DecodeError{Err: fmt.Errorf("Records is not an array: %w", err)}
	}
	if len(recs) == 0 {
		return nil, &DecodeError{Err: errors.New("Records is empty")}
	}
	// The kind is that of the first record naming a known source; a batch never mixes sources.
	parsed := make([]record, len(recs))
	errs := make([]error, len(recs))
	kind := ""
	for i, r := range recs {
		if errs[i] = json.Unmarshal(r, &parsed[i]); errs[i] != nil {
			parsed[i] = record{}
			parsed[i].EventSource = probeSource(r)
		}
		if kind == "" {
			switch parsed[i].EventSource {
			case "aws:sqs":
				kind = KindSQS
			case "aws:s3":
				kind = KindS3
			}
		}
	}
	if kind == "" {
		return nil, &DecodeError{Err: ErrUnknownShape}
	}
	ev := &Event{Kind: kind}
	for i := range parsed {
		r := &parsed[i]
		var fail error
		switch want := "aws:" + kind; {
		case r.EventSource != want:
			fail = fmt.Errorf("record %d is not from %s", i, want)
		case errs[i] != nil:
			fail = fmt.Errorf("record %d: malformed %s record", i, want)
		}
		if kind == KindSQS {
			job, fifo := sqsJob(i, r, fail)
			ev.Jobs = append(ev.Jobs, job)
			ev.Ordered = ev.Ordered || fifo
		} else {
			s3Object(ev, i, r, fail)
		}
	}
	return ev, nil
}

func recordID(i int) string { return "record[" + strconv.Itoa(i) + "]" }

func sqsJob(i int, m *record, fail error) (flows.Job, bool) {
	job := flows.Job{Trigger: KindSQS}
	fifo := strings.HasSuffix(m.EventSourceARN, ".fifo")
	switch {
	case fail != nil:
		job.RecordID, job.DecodeErr = recordID(i), fail
	case m.MessageId == "":
		job.RecordID, job.DecodeErr = recordID(i), fmt.Errorf("SQS message %d has no messageId", i)
	case strings.TrimSpace(m.Body) == "":
		job.RecordID, job.DecodeErr = m.MessageId, fmt.Errorf("SQS message %s has an empty body", m.MessageId)
	default:
		job.DerivedKey = "sqs:" + m.MessageId
		job.RecordID = job.DerivedKey[len("sqs:"):]
		job.Body = []byte(m.Body)
	}
	return job, fifo
}

func s3Object(ev *Event, i int, r *record, fail error) {
	if fail == nil && r.S3 == nil {
		fail = fmt.Errorf("S3 record %d has no s3 entry", i)
	}
	if fail != nil {
		ev.Invalid = append(ev.Invalid, Skipped{RecordID: recordID(i), Reason: fail})
		return
	}
	o := r.S3.Object
	key := o.URLDecodedKey
	if key == "" {
		key = o.Key
	}
	ref := objects.Ref{
		Store: "s3", Bucket: r.S3.Bucket.Name, Region: r.AWSRegion, Key: key,
		ETag: strings.Trim(o.ETag, `"`), VersionID: o.VersionID, Size: o.Size, EventID: o.Sequencer,
	}
	if ref.Bucket == "" || ref.Key == "" {
		ev.Invalid = append(ev.Invalid, Skipped{RecordID: recordID(i), Reason: fmt.Errorf("S3 record %d lacks a bucket name or object key", i)})
		return
	}
	if name := strings.TrimPrefix(r.EventName, "s3:"); name != "" && !strings.HasPrefix(name, "ObjectCreated:") {
		ev.Ignored = append(ev.Ignored, Skipped{RecordID: ref.String(), Reason: fmt.Errorf("event %s is not an object creation", r.EventName)})
		return
	}
	ev.Objects = append(ev.Objects, ref)
}
