package redis_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/essflow/essflow/shared/idem"
	"github.com/essflow/essflow/shared/idem/idemtest"
	"github.com/essflow/essflow/shared/idem/redis"
	"github.com/essflow/essflow/shared/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// The processor's Store interface (mirrored by idemtest.Store) must be satisfied exactly.
var _ idemtest.Store = (*redis.Store)(nil)

// testDB is the database the tests use, so they stay clear of data in db 0.
const testDB = 15

func testURL() string { return fmt.Sprintf("redis://%s/%d", testenv.RedisAddr(), testDB) }

// randomPrefix returns a key prefix no other test run uses.
func randomPrefix(tb testing.TB) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	return "essflow-test:" + hex.EncodeToString(b[:]) + ":"
}

// adminClient returns a plain client on the test database, closed with the test.
func adminClient(tb testing.TB) *goredis.Client {
	tb.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: testenv.RedisAddr(), DB: testDB})
	tb.Cleanup(func() { c.Close() })
	return c
}

// cleanKeys deletes every key under prefix when the test ends.
func cleanKeys(tb testing.TB, admin *goredis.Client, prefix string) {
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := admin.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			if err := admin.Del(ctx, iter.Val()).Err(); err != nil {
				tb.Errorf("clean up %s: %v", iter.Val(), err)
			}
		}
		if err := iter.Err(); err != nil {
			tb.Errorf("clean up keys under %s: %v", prefix, err)
		}
	})
}

// openStore opens a store on the test database under a fresh prefix, reading time from now,
// and removes its keys when the test ends. It returns the store and its prefix.
func openStore(tb testing.TB, now func() time.Time) (*redis.Store, string) {
	tb.Helper()
	testenv.NeedTCP(tb, "Redis", testenv.RedisAddr())
	prefix := randomPrefix(tb)
	cleanKeys(tb, adminClient(tb), prefix)
	s, err := redis.Open(context.Background(), testURL()+"?prefix="+prefix, redis.Options{Now: now, PoolSize: 60})
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() }) // a conformance case may have closed it already
	return s, prefix
}

func TestConformance(t *testing.T) {
	testenv.NeedTCP(t, "Redis", testenv.RedisAddr())
	idemtest.Run(t, func(t *testing.T, now func() time.Time) idemtest.Store {
		s, _ := openStore(t, now)
		return s
	})
}

// TestStoredLayout pins the hash a record is stored as, since records written by one release
// are read by the next. Run with -update to rewrite testdata/record.golden.
func TestStoredLayout(t *testing.T) {
	at := time.Date(2100, 1, 2, 3, 4, 5, 678e6, time.UTC) // far future: PEXPIREAT keeps the key
	s, prefix := openStore(t, func() time.Time { return at })
	admin := adminClient(t)
	ctx := context.Background()
	if _, err := s.Begin(ctx, "order-42", "sha256:abc", "inv-1", at.Add(15*time.Minute), time.Hour); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	dump := func(stage string) {
		fields, err := admin.HGetAll(ctx, prefix+"order-42").Result()
		if err != nil {
			t.Fatal(err)
		}
		names := make([]string, 0, len(fields))
		for k := range fields {
			names = append(names, k)
		}
		sort.Strings(names)
		fmt.Fprintf(&got, "# %s\n", stage)
		for _, k := range names {
			fmt.Fprintf(&got, "%s=%q\n", k, fields[k])
		}
		pexp, err := admin.Do(ctx, "PEXPIRETIME", prefix+"order-42").Int64()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&got, "PEXPIRETIME=%d\n", pexp)
	}
	dump("after Begin")
	if err := s.Finish(ctx, "order-42", "inv-1", idem.StatusComplete, []byte(`{"FlowIds":["f1"]}`), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	dump("after Finish")

	golden := filepath.Join("testdata", "record.golden")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("stored layout changed (run with -update if intended):\ngot:\n%s\nwant:\n%s", got.Bytes(), want)
	}
}

// TestRedisDropsExpiredKeys checks that Redis itself forgets a record at its ExpiresAt, with
// the real clock and a short ttl.
func TestRedisDropsExpiredKeys(t *testing.T) {
	s, prefix := openStore(t, time.Now)
	admin := adminClient(t)
	ctx := context.Background()
	if _, err := s.Begin(ctx, "k", "h", "o", time.Now().Add(time.Second), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(ctx, "k", "o", idem.StatusComplete, []byte("r"), 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	rec, err := s.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	pexp, err := admin.Do(ctx, "PEXPIRETIME", prefix+"k").Int64()
	if err != nil {
		t.Fatal(err)
	}
	if pexp != rec.ExpiresAt.UnixMilli() {
		t.Fatalf("PEXPIRETIME = %d; want ExpiresAt %d", pexp, rec.ExpiresAt.UnixMilli())
	}
	time.Sleep(time.Until(rec.ExpiresAt) + 50*time.Millisecond)
	if n, err := admin.Exists(ctx, prefix+"k").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS after expiry = %d, %v; want 0", n, err)
	}
}

// TestMalformedRecordFailsClosed checks that a foreign value under a record key is an error,
// never a lock granted over it.
func TestMalformedRecordFailsClosed(t *testing.T) {
	s, prefix := openStore(t, time.Now)
	admin := adminClient(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(key string) error
	}{
		{"hash without times", func(key string) error { return admin.HSet(ctx, key, "status", "COMPLETE").Err() }},
		{"unknown status", func(key string) error {
			return admin.HSet(ctx, key, "status", "DONE", "lock_until", "1", "expires_at", "9999999999999", "updated_at", "1").Err()
		}},
		{"string value", func(key string) error { return admin.Set(ctx, key, "x", 0).Err() }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("bad-%d", i)
			if err := tt.setup(prefix + key); err != nil {
				t.Fatal(err)
			}
			r, err := s.Begin(ctx, key, "h", "o", time.Now().Add(time.Minute), time.Hour)
			if err == nil {
				t.Fatalf("Begin over a malformed record = %+v; want an error", r)
			}
			if !strings.Contains(err.Error(), "begin") || !strings.Contains(err.Error(), key) {
				t.Errorf("Begin error %q does not name the operation and key", err)
			}
			if _, err := s.Get(ctx, key); err == nil || errors.Is(err, idem.ErrNotFound) {
				t.Errorf("Get over a malformed record = %v; want a decode error", err)
			}
		})
	}
}

func TestOpenErrorsHidePassword(t *testing.T) {
	const secret = "s3cr3t-pa55"
	// A port nothing listens on: grab a free one and close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := l.Addr().String()
	l.Close()

	tests := []struct {
		name      string
		url       string
		needRedis bool
		wantIn    []string
	}{
		{"unreachable", "redis://user:" + secret + "@" + deadAddr + "/0?dial_timeout=1s", false, []string{deadAddr, "ping"}},
		{"bad scheme", "http://user:" + secret + "@" + deadAddr + "/0", false, []string{"scheme"}},
		{"bad port", "redis://user:" + secret + "@127.0.0.1:port/0", false, []string{"parse redis URL"}},
		{"bad db", "redis://user:" + secret + "@" + deadAddr + "/x", false, []string{"database"}},
		{"unknown option", "redis://user:" + secret + "@" + deadAddr + "/0?nope=1", false, []string{"nope"}},
		{"wrong password", "redis://user:" + secret + "@" + testenv.RedisAddr() + "/0", true, []string{testenv.RedisAddr()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needRedis {
				testenv.NeedTCP(t, "Redis", testenv.RedisAddr())
			}
			s, err := redis.Open(context.Background(), tt.url, redis.Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded; want an error", tt.name)
			}
			msg := err.Error()
			if strings.Contains(msg, secret) {
				t.Fatalf("error reveals the password: %q", msg)
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

// TestTLS opens a rediss:// URL through a real TLS listener that forwards to the local Redis,
// as TencentDB for Redis and ElastiCache with in-transit encryption are reached.
func TestTLS(t *testing.T) {
	testenv.NeedTCP(t, "Redis", testenv.RedisAddr())
	cert, pool := selfSigned(t)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go forward(c, testenv.RedisAddr())
		}
	}()

	prefix := randomPrefix(t)
	cleanKeys(t, adminClient(t), prefix)
	url := fmt.Sprintf("rediss://%s/%d?prefix=%s", l.Addr(), testDB, prefix)

	if _, err := redis.Open(context.Background(), url+"&dial_timeout=2s", redis.Options{}); err == nil {
		t.Fatalf("Open trusted a self-signed certificate without the CA")
	}
	s, err := redis.Open(context.Background(), url, redis.Options{TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatalf("Open over TLS: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	if r, err := s.Begin(ctx, "k", "h", "o", time.Now().Add(time.Minute), time.Minute); err != nil || !r.Acquired {
		t.Fatalf("Begin over TLS = %+v, %v", r, err)
	}
	if rec, err := s.Get(ctx, "k"); err != nil || rec.Owner != "o" {
		t.Fatalf("Get over TLS = %+v, %v", rec, err)
	}
}

// forward copies bytes between c and a new connection to addr until either side closes.
func forward(c net.Conn, addr string) {
	defer c.Close()
	up, err := net.Dial("tcp", addr)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
}

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "essflow test redis"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
