// Package amqp delivers result messages to RabbitMQ (or any AMQP 0-9-1 broker) with publisher
// confirms: a message counts as delivered only when the broker has confirmed it, and an
// unroutable message (published as mandatory and returned) is a failure.
package amqp

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
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink"
)

// EnvPassword supplies the broker password when the sink URL carries none.
const EnvPassword = "ESSFLOW_AMQP_PASSWORD"

// HeaderSpecVersion is the message header carrying the result spec version.
const HeaderSpecVersion = "essflow-specversion"

// ErrUnroutable is returned (wrapped) when the broker returned a message because no queue was
// bound for its exchange and routing key.
var ErrUnroutable = errors.New("amqp message unroutable: no queue bound for the routing key")

// ErrNacked is returned (wrapped) when the broker negatively acknowledged a message.
var ErrNacked = errors.New("amqp broker refused the message (nack)")

// ErrClosed is returned by Deliver after Close.
var ErrClosed = errors.New("amqp sink is closed")

// Options configures a Sink.
type Options struct {
	// URL is the amqp:// or amqps:// URL to dial: user, password, host, port, vhost and the
	// broker's own query parameters (heartbeat, connection_timeout …).
	URL string
	// Exchange is the exchange to publish to; "" is the default exchange, which routes by
	// queue name.
	Exchange string
	// RoutingKey is the routing key of every message.
	RoutingKey string
	// Declare declares, on every (re)connection, a durable queue bound to Exchange with
	// RoutingKey, and the exchange itself unless it is "" or amq.*; meant for local runs.
	Declare bool
	// ExchangeType is the type of a declared exchange; "" means "direct".
	ExchangeType string
	// Queue names the declared queue; "" means RoutingKey.
	Queue string
	// TLS configures amqps connections; nil means the system roots and the URL's host name.
	TLS *tls.Config
	// DialTimeout bounds connecting and the AMQP handshake; 0 means 15 s. A shorter context
	// deadline applies to connecting too.
	DialTimeout time.Duration
}

// Sink publishes result messages with publisher confirms. It is safe for concurrent use: the
// broker's confirms are matched to publishers by delivery tag, so many Deliver calls share one
// connection and channel. A closed connection or channel is re-opened by the next Deliver.
type Sink struct {
	opts Options
	name string

	mu     sync.Mutex // guards sess and closed; held while (re)connecting
	sess   *session
	closed bool
}

// New connects to the broker (so a wrong URL or password fails here) and returns the sink.
func New(ctx context.Context, opts Options) (*Sink, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "amqp" && u.Scheme != "amqps") || u.Host == "" {
		return nil, errors.New("new amqp sink: URL must be amqp://… or amqps://… with a host")
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 15 * time.Second
	}
	if opts.ExchangeType == "" {
		opts.ExchangeType = amqp.ExchangeDirect
	}
	if opts.Queue == "" {
		opts.Queue = opts.RoutingKey
	}
	s := &Sink{opts: opts, name: displayName(u, opts)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.sessionLocked(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func displayName(u *url.URL, o Options) string {
	q := url.Values{}
	q.Set("exchange", o.Exchange)
	q.Set("routing_key", o.RoutingKey)
	path := u.Path
	if path == "" {
		path = "/"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: path, RawQuery: q.Encode()}).String()
}

// Open is the sink.Opener for amqp and amqps URLs:
// amqp://user[:password]@host:5672/vhost?exchange=x&routing_key=k[&declare=true][&queue=q][&exchange_type=topic].
// The password may come from ESSFLOW_AMQP_PASSWORD instead of the URL. Other query
// parameters are passed to the broker connection (heartbeat, connection_timeout …).
func Open(ctx context.Context, u *url.URL, getenv func(string) string) (sink.Sink, error) {
	opts, err := OptionsFromURL(u, getenv)
	if err != nil {
		return nil, err
	}
	return New(ctx, opts)
}

// OptionsFromURL turns a sink URL into Options (see Open).
func OptionsFromURL(u *url.URL, getenv func(string) string) (Options, error) {
	if u == nil || (u.Scheme != "amqp" && u.Scheme != "amqps") || u.Host == "" {
		return Options{}, errors.New("amqp sink: URL must be amqp://… or amqps://… with a host")
	}
	q := u.Query()
	o := Options{
		Exchange:     q.Get("exchange"),
		RoutingKey:   q.Get("routing_key"),
		ExchangeType: q.Get("exchange_type"),
		Queue:        q.Get("queue"),
	}
	if v := q.Get("declare"); v != "" {
		d, err := strconv.ParseBool(v)
		if err != nil {
			return Options{}, fmt.Errorf("amqp sink: declare=%q: want true or false", v)
		}
		o.Declare = d
	}
	for _, k := range []string{"exchange", "routing_key", "exchange_type", "queue", "declare"} {
		q.Del(k)
	}
	dial := *u
	dial.RawQuery = q.Encode()
	dial.Fragment, dial.RawFragment = "", ""
	if u.User != nil {
		if _, hasPw := u.User.Password(); !hasPw && getenv != nil && getenv(EnvPassword) != "" {
			dial.User = url.UserPassword(u.User.Username(), getenv(EnvPassword))
		}
	} else if getenv != nil && getenv(EnvPassword) != "" {
		return Options{}, fmt.Errorf("amqp sink: %s is set but the URL names no user", EnvPassword)
	}
	o.URL = dial.String()
	if o.Exchange == "" && o.RoutingKey == "" {
		return Options{}, errors.New("amqp sink: set exchange and/or routing_key in the URL query")
	}
	return o, nil
}

// Name is the broker URL without user or password, with exchange and routing key, e.g.
// "amqp://127.0.0.1:5672/?exchange=x&routing_key=k".
func (s *Sink) Name() string { return s.name }

// Close closes the connection; pending Deliver calls fail.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.sess == nil {
		return nil
	}
	err := s.sess.close()
	s.sess = nil
	if err != nil && !errors.Is(err, amqp.ErrClosed) {
		return fmt.Errorf("close amqp sink %s: %w", s.name, err)
	}
	return nil
}

// Deliver publishes msg (persistent, mandatory, MessageId = msg.ID, Type = msg.Type,
// content-type application/json, header essflow-specversion) and waits for the broker's
// confirm. A returned message fails with ErrUnroutable, a nack with ErrNacked. When the
// connection or channel was closed, Deliver reconnects once before publishing.
func (s *Sink) Deliver(ctx context.Context, msg *result.Message) error {
	p, err := s.publish(ctx, msg)
	if err != nil {
		return err
	}
	return p.wait(ctx)
}

// DeliverBatch publishes all messages in order, then waits for all confirms; it returns a
// *sink.BatchError naming the messages that failed.
func (s *Sink) DeliverBatch(ctx context.Context, msgs []*result.Message) error {
	pending := make([]*pendingConfirm, len(msgs))
	be := &sink.BatchError{}
	fail := func(i int, err error) {
		id := ""
		if msgs[i] != nil {
			id = msgs[i].ID
		}
		be.Failures = append(be.Failures, sink.BatchFailure{Index: i, ID: id, Err: err})
	}
	for i, m := range msgs {
		p, err := s.publish(ctx, m)
		if err != nil {
			fail(i, err)
			continue
		}
		pending[i] = p
	}
	for i, p := range pending {
		if p == nil {
			continue
		}
		if err := p.wait(ctx); err != nil {
			fail(i, err)
		}
	}
	if len(be.Failures) == 0 {
		return nil
	}
	// Publish failures were recorded first: restore index order.
	slices.SortFunc(be.Failures, func(a, b sink.BatchFailure) int { return a.Index - b.Index })
	return be
}

// pendingConfirm is one published message waiting for its confirm.
type pendingConfirm struct {
	id   string
	name string
	done chan error // buffered (1); receives the outcome exactly once
}

func (p *pendingConfirm) wait(ctx context.Context) error {
	select {
	case err := <-p.done:
		if err != nil {
			return fmt.Errorf("deliver %s to %s: %w", p.id, p.name, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("deliver %s to %s: waiting for the broker confirm: %w", p.id, p.name, ctx.Err())
	}
}

func (s *Sink) publish(ctx context.Context, msg *result.Message) (*pendingConfirm, error) {
	if msg == nil {
		return nil, fmt.Errorf("deliver to %s: nil message", s.name)
	}
	body, err := sink.Encode(msg)
	if err != nil {
		return nil, fmt.Errorf("deliver to %s: %w", s.name, err)
	}
	ts := msg.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	pub := amqp.Publishing{
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		MessageId:    msg.ID,
		Type:         msg.Type,
		Timestamp:    ts.UTC(),
		AppId:        "essflow",
		Headers:      amqp.Table{HeaderSpecVersion: msg.SpecVersion},
		Body:         body,
	}
	var lastErr error
	for try := 0; try < 2; try++ {
		sess, err := s.session(ctx)
		if err != nil {
			return nil, fmt.Errorf("deliver %s to %s: %w", msg.ID, s.name, err)
		}
		p, err := sess.publish(ctx, s.opts.Exchange, s.opts.RoutingKey, pub)
		if err == nil {
			p.name = s.name
			return p, nil
		}
		lastErr = err
		if !sess.isDead() && !errors.Is(err, amqp.ErrClosed) {
			break
		}
		s.drop(sess) // closed under us: reconnect once and publish again
	}
	return nil, fmt.Errorf("deliver %s to %s: publish: %w", msg.ID, s.name, lastErr)
}

// session returns the live session, connecting when there is none or it died.
func (s *Sink) session(ctx context.Context) (*session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessionLocked(ctx)
}

func (s *Sink) sessionLocked(ctx context.Context) (*session, error) {
	if s.closed {
		return nil, ErrClosed
	}
	if s.sess != nil && !s.sess.isDead() {
		return s.sess, nil
	}
	if s.sess != nil {
		_ = s.sess.close()
		s.sess = nil
	}
	sess, err := dial(ctx, s.opts)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", s.name, err)
	}
	s.sess = sess
	return sess, nil
}

func (s *Sink) drop(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess == sess {
		_ = sess.close()
		s.sess = nil
	}
}

// session is one connection and confirm-mode channel plus the goroutine that matches the
// broker's returns and confirms to the waiting publishers.
type session struct {
	conn *amqp.Connection
	ch   *amqp.Channel

	pubMu sync.Mutex // serialises publishing so delivery tags are known before the publish

	mu       sync.Mutex
	waiters  map[uint64]*pendingConfirm
	returned map[string][]amqp.Return // by MessageId, returns not yet matched to a confirm
	deadErr  error                    // set once the channel or connection closed
	dead     chan struct{}
}

func dial(ctx context.Context, o Options) (*session, error) {
	timeout := o.DialTimeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	cfg := amqp.Config{
		Dial: func(network, addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: timeout}
			conn, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// Bound the TLS and AMQP handshake; amqp091 clears the deadline once open.
			if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
				conn.Close()
				return nil, err
			}
			return conn, nil
		},
		TLSClientConfig: o.TLS,
		Properties:      amqp.Table{"product": "essflow", "connection_name": "essflow result sink"},
	}
	conn, err := amqp.DialConfig(o.URL, cfg)
	if err != nil {
		return nil, redactDialError(err, o.URL)
	}
	ch, err := conn.Channel()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		conn.Close()
		return nil, fmt.Errorf("enable publisher confirms: %w", err)
	}
	if o.Declare {
		if err := declare(ch, o); err != nil {
			conn.Close()
			return nil, err
		}
	}
	s := &session{
		conn:     conn,
		ch:       ch,
		waiters:  map[uint64]*pendingConfirm{},
		returned: map[string][]amqp.Return{},
		dead:     make(chan struct{}),
	}
	// Unbuffered: the reader goroutine hands each return and confirm over in wire order, and
	// one dispatcher goroutine handles them in that order, so a return (sent by the broker
	// before the confirm of the same message) is always recorded before that confirm.
	returns := ch.NotifyReturn(make(chan amqp.Return))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation))
	chClosed := ch.NotifyClose(make(chan *amqp.Error, 1))
	connClosed := conn.NotifyClose(make(chan *amqp.Error, 1))
	go s.dispatch(returns, confirms, chClosed, connClosed)
	return s, nil
}

// redactDialError keeps the cause of a failed dial but never the URL's password.
func redactDialError(err error, rawURL string) error {
	msg := err.Error()
	if u, perr := url.Parse(rawURL); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "[redacted]")
			if esc := url.QueryEscape(pw); esc != pw {
				msg = strings.ReplaceAll(msg, esc, "[redacted]")
			}
		}
	}
	if msg == err.Error() {
		return fmt.Errorf("dial: %w", err)
	}
	return fmt.Errorf("dial: %s", msg)
}

func declare(ch *amqp.Channel, o Options) error {
	if o.Exchange != "" && !strings.HasPrefix(o.Exchange, "amq.") {
		if err := ch.ExchangeDeclare(o.Exchange, o.ExchangeType, true, false, false, false, nil); err != nil {
			return fmt.Errorf("declare exchange %s: %w", o.Exchange, err)
		}
	}
	if o.Queue == "" {
		return errors.New("declare: no queue name (set queue or routing_key)")
	}
	if _, err := ch.QueueDeclare(o.Queue, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare queue %s: %w", o.Queue, err)
	}
	if o.Exchange != "" {
		if err := ch.QueueBind(o.Queue, o.RoutingKey, o.Exchange, false, nil); err != nil {
			return fmt.Errorf("bind queue %s to %s: %w", o.Queue, o.Exchange, err)
		}
	}
	return nil
}

func (s *session) dispatch(returns <-chan amqp.Return, confirms <-chan amqp.Confirmation, chClosed, connClosed <-chan *amqp.Error) {
	for {
		select {
		case r, ok := <-returns:
			if !ok {
				returns = nil
				continue
			}
			s.mu.Lock()
			s.returned[r.MessageId] = append(s.returned[r.MessageId], r)
			s.mu.Unlock()
		case c, ok := <-confirms:
			if !ok {
				confirms = nil
				continue
			}
			s.confirm(c)
		case e := <-chClosed:
			s.die(e)
			s.drain(returns, confirms)
			return
		case e := <-connClosed:
			s.die(e)
			s.drain(returns, confirms)
			return
		}
	}
}

// drain keeps receiving until the library closes the notification channels, so its reader
// goroutine never waits on a dead session.
func (s *session) drain(returns <-chan amqp.Return, confirms <-chan amqp.Confirmation) {
	for returns != nil || confirms != nil {
		select {
		case _, ok := <-returns:
			if !ok {
				returns = nil
			}
		case _, ok := <-confirms:
			if !ok {
				confirms = nil
			}
		}
	}
}

func (s *session) confirm(c amqp.Confirmation) {
	s.mu.Lock()
	p := s.waiters[c.DeliveryTag]
	delete(s.waiters, c.DeliveryTag)
	var err error
	switch {
	case p == nil:
		s.mu.Unlock()
		return
	case !c.Ack:
		err = ErrNacked
	default:
		if rs := s.returned[p.id]; len(rs) > 0 {
			r := rs[0]
			if len(rs) == 1 {
				delete(s.returned, p.id)
			} else {
				s.returned[p.id] = rs[1:]
			}
			err = fmt.Errorf("%w (exchange %q, routing key %q: %d %s)", ErrUnroutable, r.Exchange, r.RoutingKey, r.ReplyCode, r.ReplyText)
		}
	}
	s.mu.Unlock()
	p.done <- err
}

func (s *session) die(e *amqp.Error) {
	err := errors.New("connection closed")
	if e != nil {
		err = fmt.Errorf("channel closed by the broker: %w", e)
	}
	s.mu.Lock()
	if s.deadErr == nil {
		s.deadErr = err
		close(s.dead)
	}
	waiters := s.waiters
	s.waiters = map[uint64]*pendingConfirm{}
	s.mu.Unlock()
	for _, p := range waiters {
		p.done <- fmt.Errorf("outcome unknown, %w before the confirm", err)
	}
}

func (s *session) isDead() bool {
	select {
	case <-s.dead:
		return true
	default:
		return s.conn.IsClosed() || s.ch.IsClosed()
	}
}

func (s *session) publish(ctx context.Context, exchange, key string, pub amqp.Publishing) (*pendingConfirm, error) {
	p := &pendingConfirm{id: pub.MessageId, done: make(chan error, 1)}
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	tag := s.ch.GetNextPublishSeqNo()
	s.mu.Lock()
	if s.deadErr != nil {
		err := s.deadErr
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: %w", amqp.ErrClosed, err)
	}
	s.waiters[tag] = p
	s.mu.Unlock()
	if err := s.ch.PublishWithContext(ctx, exchange, key, true, false, pub); err != nil {
		s.mu.Lock()
		delete(s.waiters, tag)
		s.mu.Unlock()
		return nil, err
	}
	return p, nil
}

func (s *session) close() error {
	return s.conn.Close()
}
