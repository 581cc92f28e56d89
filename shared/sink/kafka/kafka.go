// Package kafka delivers result messages to a Kafka topic (CKafka, MSK or any Kafka) with an
// idempotent producer and acks from all in-sync replicas. Each record is keyed by the
// message's partition key, so the results of one request stay in order on one partition.
package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink"
)

// Environment variables read by OptionsFromURL.
const (
	EnvUsername = "ESSFLOW_KAFKA_USERNAME" // SASL user when the URL names none
	EnvPassword = "ESSFLOW_KAFKA_PASSWORD" // SASL password when the URL carries none
)

// Record header names.
const (
	HeaderContentType = "content-type"
	HeaderSpecVersion = "essflow-specversion"
	HeaderType        = "essflow-type"
	HeaderID          = "essflow-id"
)

// SASL mechanisms accepted in Options.SASL and the sasl= query parameter.
const (
	SASLPlain       = "plain"
	SASLScramSHA256 = "scram-sha-256"
	SASLScramSHA512 = "scram-sha-512"
)

// DefaultDeliveryTimeout bounds how long a record may wait for its acknowledgement when the
// context has no earlier deadline.
const DefaultDeliveryTimeout = 30 * time.Second

// Options configures a Sink.
type Options struct {
	// Brokers are the seed brokers, host:port.
	Brokers []string
	// Topic receives every message.
	Topic string
	// SASL is "", "plain", "scram-sha-256" or "scram-sha-512"; Username and Password are its
	// credentials.
	SASL     string
	Username string
	Password string
	// TLS enables TLS with this configuration; nil means plaintext.
	TLS *tls.Config
	// ClientID names the client to the brokers; "" means "essflow".
	ClientID string
	// Linger is how long the producer waits for more records before sending a batch; 0 sends
	// at once (results are few and latency matters more than batching).
	Linger time.Duration
	// DeliveryTimeout bounds a record's wait for its acknowledgement; 0 means
	// DefaultDeliveryTimeout.
	DeliveryTimeout time.Duration
}

// Sink produces result messages to one topic. It is safe for concurrent use.
type Sink struct {
	client *kgo.Client
	topic  string
	name   string
}

// New creates the producer client. It does not contact the brokers: an unreachable or
// misconfigured cluster shows up as an error from the first Deliver.
func New(opts Options) (*Sink, error) {
	if len(opts.Brokers) == 0 || opts.Topic == "" {
		return nil, errors.New("new kafka sink: brokers and topic are required")
	}
	if opts.ClientID == "" {
		opts.ClientID = "essflow"
	}
	if opts.DeliveryTimeout <= 0 {
		opts.DeliveryTimeout = DefaultDeliveryTimeout
	}
	kopts := []kgo.Opt{
		kgo.SeedBrokers(opts.Brokers...),
		kgo.DefaultProduceTopic(opts.Topic),
		kgo.ClientID(opts.ClientID),
		kgo.RequiredAcks(kgo.AllISRAcks()), // also the default: idempotent writes need it
		kgo.ProducerLinger(opts.Linger),
		kgo.RecordDeliveryTimeout(opts.DeliveryTimeout),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)), // murmur2 of the key, as the Java client
	}
	if opts.TLS != nil {
		kopts = append(kopts, kgo.DialTLSConfig(opts.TLS.Clone()))
	}
	if opts.SASL != "" {
		mech, err := mechanism(opts.SASL, opts.Username, opts.Password)
		if err != nil {
			return nil, fmt.Errorf("new kafka sink: %w", err)
		}
		kopts = append(kopts, kgo.SASL(mech))
	}
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return nil, fmt.Errorf("new kafka sink: %w", err)
	}
	return &Sink{client: cl, topic: opts.Topic, name: displayName(opts)}, nil
}

func mechanism(name, user, pass string) (sasl.Mechanism, error) {
	if user == "" || pass == "" {
		return nil, fmt.Errorf("sasl=%s needs a user name and a password (%s, %s)", name, EnvUsername, EnvPassword)
	}
	switch strings.ToLower(name) {
	case SASLPlain:
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case SASLScramSHA256:
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	case SASLScramSHA512:
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("sasl=%q: want plain, scram-sha-256 or scram-sha-512", name)
}

func displayName(o Options) string {
	u := url.URL{Scheme: "kafka", Host: strings.Join(o.Brokers, ","), Path: "/" + o.Topic}
	q := url.Values{}
	if o.SASL != "" {
		q.Set("sasl", strings.ToLower(o.SASL))
	}
	if o.TLS != nil {
		q.Set("tls", "true")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Open is the sink.Opener for kafka URLs (see OptionsFromURL).
func Open(_ context.Context, u *url.URL, getenv func(string) string) (sink.Sink, error) {
	opts, err := OptionsFromURL(u, getenv)
	if err != nil {
		return nil, err
	}
	return New(opts)
}

// OptionsFromURL parses kafka://[user[:password]@]broker1:9092,broker2:9092/topic with the
// query parameters sasl (plain, scram-sha-256, scram-sha-512), tls (true/false), client_id
// and linger (a Go duration). A broker without a port gets 9092. The user may come from
// ESSFLOW_KAFKA_USERNAME and the password from ESSFLOW_KAFKA_PASSWORD; unknown query
// parameters are an error, so a typo does not silently disable TLS or SASL.
func OptionsFromURL(u *url.URL, getenv func(string) string) (Options, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if u == nil || u.Scheme != "kafka" {
		return Options{}, errors.New("kafka sink: URL must be kafka://broker:9092[,broker…]/topic")
	}
	var (
		o    Options
		errs []error
	)
	for _, b := range strings.Split(u.Host, ",") {
		if b = strings.TrimSpace(b); b == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(b); err != nil {
			b = net.JoinHostPort(strings.Trim(b, "[]"), "9092")
		}
		o.Brokers = append(o.Brokers, b)
	}
	if len(o.Brokers) == 0 {
		errs = append(errs, errors.New("no broker in the URL"))
	}
	o.Topic = strings.TrimPrefix(u.Path, "/")
	if o.Topic == "" || strings.Contains(o.Topic, "/") {
		errs = append(errs, errors.New("the URL path must be /topic"))
	}
	q := u.Query()
	for k := range q {
		if !slices.Contains([]string{"sasl", "tls", "client_id", "linger"}, k) {
			errs = append(errs, fmt.Errorf("unknown query parameter %q (known: sasl, tls, client_id, linger)", k))
		}
	}
	o.SASL = strings.ToLower(q.Get("sasl"))
	o.ClientID = q.Get("client_id")
	if v := q.Get("tls"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("tls=%q: want true or false", v))
		} else if on {
			o.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	if v := q.Get("linger"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("linger=%q: want a duration such as 5ms", v))
		}
		o.Linger = d
	}
	if u.User != nil {
		o.Username = u.User.Username()
		o.Password, _ = u.User.Password()
	}
	if o.Username == "" {
		o.Username = getenv(EnvUsername)
	}
	if o.Password == "" {
		o.Password = getenv(EnvPassword)
	}
	if o.SASL != "" {
		if _, err := mechanism(o.SASL, o.Username, o.Password); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return Options{}, fmt.Errorf("kafka sink: %w", errors.Join(errs...))
	}
	return o, nil
}

// Name is the broker list and topic with SASL and TLS settings, never credentials.
func (s *Sink) Name() string { return s.name }

// Close closes the client; records not yet acknowledged fail.
func (s *Sink) Close() error {
	s.client.Close()
	return nil
}

func (s *Sink) record(msg *result.Message) (*kgo.Record, error) {
	if msg == nil {
		return nil, fmt.Errorf("deliver to %s: nil message", s.name)
	}
	body, err := sink.Encode(msg)
	if err != nil {
		return nil, fmt.Errorf("deliver to %s: %w", s.name, err)
	}
	return &kgo.Record{
		Topic: s.topic,
		Key:   []byte(msg.PartitionKey()),
		Value: body,
		Headers: []kgo.RecordHeader{
			{Key: HeaderContentType, Value: []byte("application/json")},
			{Key: HeaderSpecVersion, Value: []byte(msg.SpecVersion)},
			{Key: HeaderType, Value: []byte(msg.Type)},
			{Key: HeaderID, Value: []byte(msg.ID)},
		},
	}, nil
}

// Deliver produces msg and waits until all in-sync replicas acknowledged it, ctx ended or the
// delivery timeout passed.
func (s *Sink) Deliver(ctx context.Context, msg *result.Message) error {
	rec, err := s.record(msg)
	if err != nil {
		return err
	}
	if err := s.client.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return fmt.Errorf("deliver %s to %s: %w", msg.ID, s.name, err)
	}
	return nil
}

// DeliverBatch produces all messages at once (in order per partition key) and waits for all
// acknowledgements; it returns a *sink.BatchError naming the messages that failed.
func (s *Sink) DeliverBatch(ctx context.Context, msgs []*result.Message) error {
	be := &sink.BatchError{}
	recs := make([]*kgo.Record, 0, len(msgs))
	index := make([]int, 0, len(msgs))
	for i, m := range msgs {
		rec, err := s.record(m)
		if err != nil {
			be.Failures = append(be.Failures, sink.BatchFailure{Index: i, Err: err})
			continue
		}
		recs = append(recs, rec)
		index = append(index, i)
	}
	if len(recs) > 0 {
		for j, r := range s.client.ProduceSync(ctx, recs...) {
			if r.Err != nil {
				i := index[j]
				be.Failures = append(be.Failures, sink.BatchFailure{Index: i, ID: msgs[i].ID,
					Err: fmt.Errorf("deliver %s to %s: %w", msgs[i].ID, s.name, r.Err)})
			}
		}
	}
	if len(be.Failures) == 0 {
		return nil
	}
	slices.SortFunc(be.Failures, func(a, b sink.BatchFailure) int { return a.Index - b.Index })
	return be
}
