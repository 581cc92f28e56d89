// Package sink defines how essflow delivers result messages to their destinations (callback
// webhooks, AMQP, Kafka, SQS, CMQ) and fans one message out to every configured destination.
//
// Each destination lives in its own package under shared/sink and exports an Open function of
// type Opener; a binary builds a Registry of the sinks it links and calls Registry.Open with
// the ESSFLOW_RESULT_SINKS list.
package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/essflow/essflow/shared/result"
)

// Sink delivers result messages to one destination. Deliver returns only when the destination
// has durably accepted the message (HTTP 2xx, publisher confirm, Kafka ack, SQS/CMQ success) or
// failed. Implementations are safe for concurrent use.
type Sink interface {
	// Deliver sends msg and waits for the destination's acknowledgement.
	Deliver(ctx context.Context, msg *result.Message) error
	// Name is the redacted destination for logs (no password, no token), for example
	// "amqp://127.0.0.1:5672/?exchange=x".
	Name() string
	// Close releases the sink's connections; Deliver must not be called afterwards.
	Close() error
}

// BatchSink is implemented by sinks that can send several messages in one call (SQS
// SendMessageBatch, a Kafka produce of several records). DeliverBatch returns nil when every
// message was accepted, a *BatchError naming the messages that failed, or another error when
// the whole batch failed.
type BatchSink interface {
	DeliverBatch(ctx context.Context, msgs []*result.Message) error
}

// Opener opens a sink for one URL of ESSFLOW_RESULT_SINKS; getenv reads configuration variables
// (secrets such as passwords, which never appear in the URL list).
type Opener func(ctx context.Context, u *url.URL, getenv func(string) string) (Sink, error)

// Registry maps lower-case URL schemes to openers; each binary registers only the sinks it links.
type Registry map[string]Opener

// Encode is the serialisation every sink uses: the JSON encoding of msg without HTML escaping
// and without a trailing newline, so every destination carries identical bytes.
func Encode(msg *result.Message) ([]byte, error) {
	if msg == nil {
		return nil, errors.New("encode result message: nil message")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(msg); err != nil {
		return nil, fmt.Errorf("encode result message %s: %w", msg.ID, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Redact returns u as scheme://host/path with the password, the query and the fragment removed,
// for logs and error messages. The user name is kept.
func Redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	if u.User != nil {
		c.User = url.User(u.User.Username())
	}
	return c.String()
}

// SplitList splits a comma-separated sink list. A comma starts a new entry only when it is
// followed (after optional spaces) by a URL scheme and "://", so that Kafka broker lists such
// as kafka://b1:9092,b2:9092/topic stay in one entry. Entries are trimmed of spaces and of
// leading or trailing commas; empty entries are dropped.
func SplitList(list string) []string {
	var out []string
	start := 0
	for i := 0; i < len(list); i++ {
		if list[i] != ',' || !startsWithScheme(strings.TrimLeft(list[i+1:], " \t\r\n")) {
			continue
		}
		out = appendTrimmed(out, list[start:i])
		start = i + 1
	}
	return appendTrimmed(out, list[start:])
}

func appendTrimmed(out []string, s string) []string {
	if s = strings.Trim(s, " \t\r\n,"); s != "" {
		out = append(out, s)
	}
	return out
}

// startsWithScheme reports whether s begins with scheme "://" where scheme is
// ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) as in RFC 3986.
func startsWithScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return strings.HasPrefix(s[i:], "://")
		default:
			return false
		}
	}
	return false
}

// Open parses the comma-separated list (the value of ESSFLOW_RESULT_SINKS, split with
// SplitList), opens each URL with the opener registered for its scheme and returns a Fanout
// over all of them. Every bad entry is reported at once in one joined error, and sinks already
// opened are closed again. An empty list gives a Fanout with no sinks. Errors name entries by
// position and redacted URL, never with their password or query.
func (r Registry) Open(ctx context.Context, list string, getenv func(string) string) (*Fanout, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var (
		sinks []Sink
		errs  []error
	)
	for i, entry := range SplitList(list) {
		pos := "sink " + strconv.Itoa(i+1)
		u, err := url.Parse(entry)
		if err != nil {
			// url.Error quotes the whole input, which may hold a password: report the position only.
			errs = append(errs, fmt.Errorf("%s: not a valid URL", pos))
			continue
		}
		scheme := strings.ToLower(u.Scheme)
		open, ok := r[scheme]
		if !ok {
			errs = append(errs, fmt.Errorf("%s (%s): no sink registered for scheme %q (known: %s)", pos, Redact(u), scheme, r.schemes()))
			continue
		}
		s, err := open(ctx, u, getenv)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", pos, Redact(u), err))
			continue
		}
		sinks = append(sinks, s)
	}
	if len(errs) > 0 {
		for _, s := range sinks {
			_ = s.Close()
		}
		return nil, fmt.Errorf("open result sinks: %w", errors.Join(errs...))
	}
	return NewFanout(sinks...), nil
}

func (r Registry) schemes() string {
	names := make([]string, 0, len(r))
	for k := range r {
		names = append(names, k)
	}
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
