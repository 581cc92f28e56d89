// Package redis is an idempotency store on Redis (TencentDB for Redis, ElastiCache or a
// self-run server; tested with Redis 7), shared by every function instance.
//
// Open connects with a URL and pings once:
//
//	store, err := redis.Open(ctx, "rediss://default:PASSWORD@host:6379/0?prefix=essflow:idem:", redis.Options{})
//	if err != nil {
//		return err // names host:port, never the password
//	}
//	defer store.Close()
//	r, err := store.Begin(ctx, key, payloadHash, invocationID, deadline, 24*time.Hour)
//
// Each record is one hash under prefix+key with the fields status, hash, owner, lock_until,
// expires_at, updated_at (unix milliseconds) and result, and a PEXPIREAT at expires_at.
// Begin, Finish, Release and Delete are Lua scripts (EVALSHA, falling back to EVAL once after a
// script-cache flush), so each is one atomic round trip. The store reads "now" from its clock
// (Options.Now) and passes it to the scripts: a record whose expires_at has passed on that
// clock is treated as absent even if Redis still holds it, and LockUntil, which the caller
// computes from the same clock, is compared with it too. Function instances must therefore
// keep their clocks in sync (NTP), as they do on SCF and Lambda.
//
// Every error names the operation and the key and wraps the cause. When Redis is unreachable
// every operation fails; the processor treats that as retryable and never creates contracts
// without the lock (fail closed).
package redis

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/essflow/essflow/shared/idem"
)

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Prefix is prepended to every key, so several deployments can share one database. It
	// overrides the URL's prefix query parameter when not empty.
	Prefix string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// PoolSize caps the connections per instance (go-redis's default when zero). One function
	// instance handles one request at a time, so a handful is plenty.
	PoolSize int
	// TLSConfig replaces the TLS settings of a rediss:// URL, for a private CA. ServerName is
	// filled in from the URL's host when empty. It is ignored for redis:// URLs.
	TLSConfig *tls.Config
}

// defaultDialTimeout bounds a connection attempt when the URL sets no dial_timeout: a store
// that cannot be reached must fail the request quickly, not use up the invocation.
const defaultDialTimeout = 2 * time.Second

// Store is the Redis idempotency store. It is safe for concurrent use.
type Store struct {
	client *goredis.Client
	prefix string
	now    func() time.Time
}

// Open connects to the Redis named by rawURL — redis://[user:password@]host:port/db, or
// rediss:// for TLS, with an optional ?prefix=… and go-redis's own query parameters — and
// pings it once. The error of an unusable URL or an unreachable server names host:port and the
// database, never the password. Unless the URL says otherwise (dial_timeout, max_retries …),
// a connection attempt times out after 2 s, is not repeated at once, and a command that failed
// on its connection is resent up to 3 times on a new one.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	copts, prefix, err := parseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open redis idempotency store: %w", err)
	}
	if opts.Prefix != "" {
		prefix = opts.Prefix
	}
	if opts.PoolSize > 0 {
		copts.PoolSize = opts.PoolSize
	}
	if copts.DialTimeout == 0 {
		copts.DialTimeout = defaultDialTimeout
	}
	copts.DialerRetries = 1 // commands are retried (max_retries) with a fresh dial anyway
	if copts.TLSConfig != nil && opts.TLSConfig != nil {
		cfg := opts.TLSConfig.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = copts.TLSConfig.ServerName
		}
		copts.TLSConfig = cfg
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	client := goredis.NewClient(copts)
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("open redis idempotency store at %s (db %d): ping: %w", copts.Addr, copts.DB, err)
	}
	return &Store{client: client, prefix: prefix, now: now}, nil
}

// Close closes the connections. Later operations fail.
func (s *Store) Close() error {
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("close redis idempotency store: %w", err)
	}
	return nil
}

// clock returns the current time truncated to the millisecond, the precision records keep.
func (s *Store) clock() time.Time { return time.UnixMilli(s.now().UnixMilli()) }

// fail wraps err with the operation and key.
func fail(op, key string, err error) error {
	return fmt.Errorf("redis idempotency %s %q: %w", op, key, err)
}

// Begin takes the IN_PROGRESS lock for key when no live record exists (Acquired) or when the
// existing IN_PROGRESS record's LockUntil has passed (Acquired and TookOver). The new record
// holds payloadHash, owner, lockUntil, UpdatedAt = now and ExpiresAt = now+ttl. Otherwise it
// returns Acquired=false with the existing record, which is left untouched: the caller
// compares its PayloadHash. An empty key or owner, or a ttl that is not positive, is an error.
//
// A Begin repeated by the owner that holds the live lock, with the same payloadHash, reports
// Acquired again and changes nothing: go-redis resends a command whose connection failed, and
// owners are unique per invocation, so that is this call's own earlier attempt.
func (s *Store) Begin(ctx context.Context, key, payloadHash, owner string, lockUntil time.Time, ttl time.Duration) (idem.BeginResult, error) {
	if err := checkArgs("begin", key, owner, ttl); err != nil {
		return idem.BeginResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return idem.BeginResult{}, fail("begin", key, err)
	}
	now := s.clock()
	reply, err := beginScript.Run(ctx, s.client, []string{s.prefix + key},
		millis(now), payloadHash, owner, millis(lockUntil), millis(now.Add(ttl))).Slice()
	if err != nil {
		return idem.BeginResult{}, fail("begin", key, err)
	}
	if len(reply) < 2 {
		return idem.BeginResult{}, fail("begin", key, fmt.Errorf("unexpected script reply of %d elements", len(reply)))
	}
	if reply[0] == int64(1) {
		return idem.BeginResult{Acquired: true, TookOver: reply[1] == int64(1)}, nil
	}
	flat, ok := reply[len(reply)-1].([]any)
	if len(reply) != 3 || !ok {
		return idem.BeginResult{}, fail("begin", key, errors.New("unexpected script reply without the existing record"))
	}
	fields, err := flatToMap(flat)
	if err != nil {
		return idem.BeginResult{}, fail("begin", key, err)
	}
	rec, err := decodeRecord(key, fields)
	if err != nil {
		return idem.BeginResult{}, fail("begin", key, err)
	}
	return idem.BeginResult{Existing: rec}, nil
}

// Finish stores status (COMPLETE or UNKNOWN) and result under key, and makes the record live
// for ttl from now, provided owner still holds the IN_PROGRESS record; a lock whose LockUntil
// passed still counts as held until another Begin takes it over. Otherwise it returns
// idem.ErrNotOwner and changes nothing. A Finish repeated by the same owner with
// the same status and result (a resent command) succeeds without changing the record.
func (s *Store) Finish(ctx context.Context, key, owner string, status idem.Status, result []byte, ttl time.Duration) error {
	if err := checkArgs("finish", key, owner, ttl); err != nil {
		return err
	}
	if status != idem.StatusComplete && status != idem.StatusUnknown {
		return fmt.Errorf("redis idempotency finish %q: status %q is not COMPLETE or UNKNOWN", key, status)
	}
	if err := ctx.Err(); err != nil {
		return fail("finish", key, err)
	}
	now := s.clock()
	n, err := finishScript.Run(ctx, s.client, []string{s.prefix + key},
		millis(now), owner, string(status), result, millis(now.Add(ttl))).Int64()
	if err != nil {
		return fail("finish", key, err)
	}
	if n != 1 {
		return fail("finish", key, idem.ErrNotOwner)
	}
	return nil
}

// Release deletes key's IN_PROGRESS record when owner holds it, so that a retry may run at
// once. Otherwise (another owner, a final record, no record) it returns idem.ErrNotOwner and
// changes nothing.
func (s *Store) Release(ctx context.Context, key, owner string) error {
	if key == "" || owner == "" {
		return fmt.Errorf("redis idempotency release %q: key and owner must not be empty", key)
	}
	if err := ctx.Err(); err != nil {
		return fail("release", key, err)
	}
	n, err := releaseScript.Run(ctx, s.client, []string{s.prefix + key}, millis(s.clock()), owner).Int64()
	if err != nil {
		return fail("release", key, err)
	}
	if n != 1 {
		return fail("release", key, idem.ErrNotOwner)
	}
	return nil
}

// Get returns the live record under key, or idem.ErrNotFound when there is none or it has
// expired.
func (s *Store) Get(ctx context.Context, key string) (*idem.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fail("get", key, err)
	}
	fields, err := s.client.HGetAll(ctx, s.prefix+key).Result()
	if err != nil {
		return nil, fail("get", key, err)
	}
	rec, err := s.live(key, fields, s.clock())
	if err != nil {
		return nil, fail("get", key, err)
	}
	return rec, nil
}

// live decodes a record hash, returning idem.ErrNotFound for an empty or expired one.
func (s *Store) live(key string, fields map[string]string, now time.Time) (*idem.Record, error) {
	if len(fields) == 0 {
		return nil, idem.ErrNotFound
	}
	rec, err := decodeRecord(key, fields)
	if err != nil {
		return nil, err
	}
	if !now.Before(rec.ExpiresAt) {
		return nil, idem.ErrNotFound
	}
	return rec, nil
}

// Delete removes the record under key whatever its state (an operator clearing a key), or
// returns idem.ErrNotFound when there is no live record.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fail("delete", key, err)
	}
	n, err := deleteScript.Run(ctx, s.client, []string{s.prefix + key}, millis(s.clock())).Int64()
	if err != nil {
		return fail("delete", key, err)
	}
	if n != 1 {
		return fail("delete", key, idem.ErrNotFound)
	}
	return nil
}

// listBatch is how many keys one SCAN step and one pipelined read cover.
const listBatch = 200

// List returns the live records whose key starts with prefix, sorted by key: the first limit
// of them, or all when limit is not positive. It SCANs the whole database for matching keys,
// so it is for operators, not for the request path.
func (s *Store) List(ctx context.Context, prefix string, limit int) ([]idem.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fail("list", prefix, err)
	}
	seen := make(map[string]struct{})
	iter := s.client.Scan(ctx, 0, globEscape(s.prefix+prefix)+"*", listBatch).Iterator()
	for iter.Next(ctx) {
		seen[iter.Val()] = struct{}{}
	}
	if err := iter.Err(); err != nil {
		return nil, fail("list", prefix, fmt.Errorf("scan: %w", err))
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	now := s.clock()
	var out []idem.Record
	for start := 0; start < len(keys) && (limit <= 0 || len(out) < limit); start += listBatch {
		batch := keys[start:min(start+listBatch, len(keys))]
		cmds := make([]*goredis.MapStringStringCmd, len(batch))
		_, err := s.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for i, k := range batch {
				cmds[i] = p.HGetAll(ctx, k)
			}
			return nil
		})
		if err != nil {
			return nil, fail("list", prefix, err)
		}
		for i, cmd := range cmds {
			key := strings.TrimPrefix(batch[i], s.prefix)
			rec, err := s.live(key, cmd.Val(), now)
			if errors.Is(err, idem.ErrNotFound) {
				continue // expired or deleted since the scan
			}
			if err != nil {
				return nil, fail("list", prefix, fmt.Errorf("record %q: %w", key, err))
			}
			out = append(out, *rec)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// globEscape escapes the characters that SCAN MATCH treats as a pattern.
func globEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func checkArgs(op, key, owner string, ttl time.Duration) error {
	switch {
	case key == "":
		return fmt.Errorf("redis idempotency %s: empty key", op)
	case owner == "":
		return fmt.Errorf("redis idempotency %s %q: empty owner", op, key)
	case ttl <= 0:
		return fmt.Errorf("redis idempotency %s %q: ttl %v is not positive", op, key, ttl)
	}
	return nil
}
