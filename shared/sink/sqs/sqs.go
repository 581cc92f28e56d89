// Package sqs delivers essflow result messages to an Amazon SQS queue (standard or FIFO).
//
// The body of every SQS message is sink.Encode of the result message, byte for byte, and two
// String message attributes carry its type and specversion. On a FIFO queue the
// MessageGroupId is the message's PartitionKey (all results of one request stay in order) and
// the MessageDeduplicationId is its ID (a redelivered result is dropped by SQS for five
// minutes). The sink URL forms are described on Target.
//
// SQS refuses bodies holding U+FFFE or U+FFFF, which JSON carries unescaped; such a message
// fails permanently (InvalidMessageContents), as does any message over the size limit.
package sqs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/schemas"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/essflow/essflow/shared/awsenv"
	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink"
)

// Limits of SQS. MaxMessageBytes is the classic 256 KiB limit of one message (body plus
// attribute names, types and values) and of the sum of a SendMessageBatch call; queues may
// allow more, never less.
const (
	MaxMessageBytes = 256 * 1024
	MaxBatchEntries = 10
)

// ErrPermanent marks a failure that sending the same message again cannot fix: the message is
// too large, SQS blamed the sender (invalid attribute, missing queue, access denied). Test with
// errors.Is.
var ErrPermanent = sink.ErrPermanent

// API is the part of the SQS client the sink uses; *sqs.Client of aws-sdk-go-v2 implements it.
type API interface {
	SendMessage(ctx context.Context, in *awssqs.SendMessageInput, optFns ...func(*awssqs.Options)) (*awssqs.SendMessageOutput, error)
	SendMessageBatch(ctx context.Context, in *awssqs.SendMessageBatchInput, optFns ...func(*awssqs.Options)) (*awssqs.SendMessageBatchOutput, error)
}

// Options configures a Sink made by New.
type Options struct {
	// QueueURL is the queue's URL; a name ending in .fifo makes it a FIFO queue. Required.
	QueueURL string
	// Client sends the requests. Required.
	Client API
	// Name is what Name returns; QueueURL when empty.
	Name string
	// MaxMessageBytes is the largest message accepted (body plus attributes); larger messages
	// fail permanently without being sent. Default MaxMessageBytes.
	MaxMessageBytes int
	// MaxBatchBytes bounds the summed size of one SendMessageBatch call. Default MaxMessageBytes.
	MaxBatchBytes int
	// MaxAttempts is how many times DeliverBatch sends an entry that SQS refused for its own
	// reasons (SenderFault false) or whose call failed transiently, within the context's
	// deadline. Default 4. The SDK's own retries of a whole call come on top.
	MaxAttempts int
	// RetryBase is the pause before the second attempt; it doubles for each further attempt,
	// with jitter, up to 5 s. Default 100 ms.
	RetryBase time.Duration
}

// Sink sends result messages to one SQS queue. It implements sink.Sink and sink.BatchSink and is
// safe for concurrent use.
type Sink struct {
	api       API
	queueURL  string
	name      string
	fifo      bool
	maxMsg    int
	maxBatch  int
	attempts  int
	retryBase time.Duration
}

var (
	_ sink.Sink      = (*Sink)(nil)
	_ sink.BatchSink = (*Sink)(nil)
)

// New returns a Sink for opts. It fails when QueueURL or Client is missing.
func New(opts Options) (*Sink, error) {
	if opts.Client == nil {
		return nil, errors.New("sqs sink: no client")
	}
	if opts.QueueURL == "" {
		return nil, errors.New("sqs sink: no queue URL")
	}
	s := &Sink{
		api:       opts.Client,
		queueURL:  opts.QueueURL,
		name:      opts.Name,
		fifo:      strings.HasSuffix(opts.QueueURL, ".fifo"),
		maxMsg:    orDefault(opts.MaxMessageBytes, MaxMessageBytes),
		maxBatch:  orDefault(opts.MaxBatchBytes, MaxMessageBytes),
		attempts:  orDefault(opts.MaxAttempts, 4),
		retryBase: time.Duration(orDefault(int(opts.RetryBase), int(100*time.Millisecond))),
	}
	if s.name == "" {
		s.name = opts.QueueURL
	}
	return s, nil
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Open opens the sink for an sqs:// URL (see Target); it matches sink.Opener. The region comes
// from the URL. Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN read through getenv at every call (on Lambda, the function role's keys).
func Open(ctx context.Context, u *url.URL, getenv func(string) string) (sink.Sink, error) {
	t, err := ParseURL(u)
	if err != nil {
		return nil, err
	}
	cfg := awsenv.Config(getenv, t.Region)
	client := awssqs.NewFromConfig(cfg, func(o *awssqs.Options) {
		if t.Endpoint != "" {
			o.BaseEndpoint = aws.String(t.Endpoint)
		}
		if t.Protocol == ProtocolQuery {
			o.Protocol = awsquery.New(schemas.AmazonSQS)
		}
	})
	return New(Options{QueueURL: t.QueueURL, Client: client, Name: t.String()})
}

// Name returns the destination for logs: the canonical sqs:// URL or the queue URL.
func (s *Sink) Name() string { return s.name }

// Close releases nothing (the SDK client only pools connections) and always returns nil.
func (s *Sink) Close() error { return nil }

// entry is one message ready to send.
type entry struct {
	body    string
	attrs   map[string]types.MessageAttributeValue
	groupID *string
	dedupID *string
	size    int
}

// prepare encodes msg and checks its size. Its errors are permanent.
func (s *Sink) prepare(msg *result.Message) (entry, error) {
	body, err := sink.Encode(msg)
	if err != nil {
		return entry{}, fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	e := entry{body: string(body), attrs: map[string]types.MessageAttributeValue{}}
	e.size = len(body)
	for name, v := range map[string]string{"type": msg.Type, "specversion": msg.SpecVersion} {
		if v == "" {
			continue // SQS refuses empty attribute values
		}
		e.attrs[name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		e.size += len(name) + len("String") + len(v)
	}
	if e.size > s.maxMsg {
		return entry{}, fmt.Errorf("%w: message %s is %d bytes, over the queue limit of %d", ErrPermanent, msg.ID, e.size, s.maxMsg)
	}
	if s.fifo {
		e.groupID = aws.String(fifoID(msg.PartitionKey()))
		e.dedupID = aws.String(fifoID(msg.ID))
	}
	return e, nil
}

// fifoID returns s when SQS accepts it as a MessageGroupId or MessageDeduplicationId (1-128
// printable ASCII characters other than space) and otherwise the hex SHA-256 of s, which is
// accepted and still the same for the same s.
func fifoID(s string) string {
	ok := len(s) >= 1 && len(s) <= 128
	for i := 0; ok && i < len(s); i++ {
		ok = s[i] >= 0x21 && s[i] <= 0x7e
	}
	if ok {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Deliver sends msg with SendMessage and returns when SQS has stored it. Errors wrap
// ErrPermanent when resending cannot help; the SDK has already retried throttling and
// transient failures.
func (s *Sink) Deliver(ctx context.Context, msg *result.Message) error {
	if msg == nil {
		return fmt.Errorf("sqs send to %s: %w: nil message", s.name, ErrPermanent)
	}
	e, err := s.prepare(msg)
	if err != nil {
		return fmt.Errorf("sqs send %s to %s: %w", msg.ID, s.name, err)
	}
	_, err = s.api.SendMessage(ctx, &awssqs.SendMessageInput{
		QueueUrl:               aws.String(s.queueURL),
		MessageBody:            aws.String(e.body),
		MessageAttributes:      e.attrs,
		MessageGroupId:         e.groupID,
		MessageDeduplicationId: e.dedupID,
	})
	if err != nil {
		return fmt.Errorf("sqs send %s to %s: %w", msg.ID, s.name, classify(err))
	}
	return nil
}

// classify marks errors that SQS blamed on the sender as permanent, except throttling.
func classify(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorFault() == smithy.FaultClient && !throttling(api.ErrorCode()) {
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	return err
}

func throttling(code string) bool {
	switch code {
	case "RequestThrottled", "ThrottlingException", "Throttling", "KmsThrottled", "OverLimit":
		return true
	}
	return false
}

// DeliverBatch sends msgs with SendMessageBatch, in order, in calls of at most ten entries and
// MaxBatchBytes. Entries that SQS refuses for its own reasons, and calls that fail
// transiently, are sent again up to MaxAttempts times with exponential backoff, as long as the
// context's deadline leaves time for the pause; entries refused as the sender's fault, and
// messages over MaxMessageBytes, fail at once. It returns nil when every message was stored
// and otherwise a *sink.BatchError listing the failed messages (by index and ID) with their
// last error. A retried entry may land after later entries of the same FIFO group.
func (s *Sink) DeliverBatch(ctx context.Context, msgs []*result.Message) error {
	entries := make([]entry, len(msgs))
	failed := map[int]error{}
	var pending []int
	for i, m := range msgs {
		if m == nil {
			failed[i] = fmt.Errorf("%w: nil message", ErrPermanent)
			continue
		}
		e, err := s.prepare(m)
		if err != nil {
			failed[i] = err
			continue
		}
		entries[i] = e
		pending = append(pending, i)
	}

	for attempt := 1; len(pending) > 0; attempt++ {
		var retry []int
		lastErr := map[int]error{}
		for _, chunk := range s.chunks(pending, entries) {
			for i, err := range s.sendChunk(ctx, chunk, entries) {
				if errors.Is(err, ErrPermanent) {
					failed[i] = err
				} else {
					retry = append(retry, i)
					lastErr[i] = err
				}
			}
		}
		if len(retry) == 0 {
			break
		}
		if attempt >= s.attempts || !sink.Sleep(ctx, s.backoff(attempt)) {
			for _, i := range retry {
				failed[i] = fmt.Errorf("after %d attempt(s): %w", attempt, lastErr[i])
			}
			break
		}
		pending = retry
	}

	if len(failed) == 0 {
		return nil
	}
	be := &sink.BatchError{}
	for i := range msgs {
		if err, ok := failed[i]; ok {
			id := ""
			if msgs[i] != nil {
				id = msgs[i].ID
			}
			be.Failures = append(be.Failures, sink.BatchFailure{Index: i, ID: id, Err: fmt.Errorf("sqs send to %s: %w", s.name, err)})
		}
	}
	return be
}

// chunks splits pending (indexes into entries) into batches of at most MaxBatchEntries entries
// and maxBatch bytes, keeping their order.
func (s *Sink) chunks(pending []int, entries []entry) [][]int {
	var out [][]int
	var cur []int
	size := 0
	for _, i := range pending {
		if len(cur) == MaxBatchEntries || (len(cur) > 0 && size+entries[i].size > s.maxBatch) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, i)
		size += entries[i].size
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// sendChunk sends one SendMessageBatch call and returns the error of every entry that was not
// stored, keyed by message index. Entry ids are the message indexes.
func (s *Sink) sendChunk(ctx context.Context, chunk []int, entries []entry) map[int]error {
	in := &awssqs.SendMessageBatchInput{QueueUrl: aws.String(s.queueURL)}
	for _, i := range chunk {
		e := entries[i]
		in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{
			Id:                     aws.String(strconv.Itoa(i)),
			MessageBody:            aws.String(e.body),
			MessageAttributes:      e.attrs,
			MessageGroupId:         e.groupID,
			MessageDeduplicationId: e.dedupID,
		})
	}
	errs := map[int]error{}
	out, err := s.api.SendMessageBatch(ctx, in)
	if err != nil {
		err = classify(err)
		for _, i := range chunk {
			errs[i] = err
		}
		return errs
	}
	for _, i := range chunk {
		errs[i] = errors.New("SQS neither stored nor refused the entry")
	}
	for _, ok := range out.Successful {
		if i, err := strconv.Atoi(aws.ToString(ok.Id)); err == nil {
			delete(errs, i)
		}
	}
	for _, f := range out.Failed {
		i, err := strconv.Atoi(aws.ToString(f.Id))
		if _, known := errs[i]; err != nil || !known {
			continue
		}
		ferr := fmt.Errorf("entry refused: %s: %s", aws.ToString(f.Code), aws.ToString(f.Message))
		if f.SenderFault {
			ferr = fmt.Errorf("%w: %w", ErrPermanent, ferr)
		}
		errs[i] = ferr
	}
	return errs
}

// backoff returns the pause after the given attempt: RetryBase doubled per attempt, capped at
// 5 s, with jitter.
func (s *Sink) backoff(attempt int) time.Duration {
	return sink.Backoff(s.retryBase, 5*time.Second, attempt)
}
