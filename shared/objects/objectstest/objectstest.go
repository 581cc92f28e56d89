// Package objectstest provides what tests of storage-triggered batches need: an in-process
// S3-compatible server (gofakes3 over an in-memory backend) reachable through both the s3 and
// the cos adapters, and a Processor made of a function.
package objectstest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/objects/cos"
	"github.com/essflow/essflow/shared/objects/s3"
	"github.com/essflow/essflow/shared/result"
)

// VirtualHostBase is the host under which the server also accepts virtual-host-style requests
// (http://<bucket>.cos.ap-guangzhou.myqcloud.com/<key>) from a client whose transport dials the
// server for every host.
const VirtualHostBase = "cos.ap-guangzhou.myqcloud.com"

// Server is a running gofakes3 server. COS clients reach it path-style; since gofakes3 does not
// return COS's x-cos-hash-crc64ecma header, the server adds it to PUT answers so that the COS
// SDK's CRC check runs as it does against COS.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:port.
	URL string
	// Backend is the in-memory store behind the server.
	Backend *s3mem.Backend

	srv  *httptest.Server
	mu   sync.Mutex
	seen []http.Header
}

// New starts a server with the given buckets; Close stops it.
func New(buckets ...string) (*Server, error) {
	s := &Server{Backend: s3mem.New()}
	for _, b := range buckets {
		if err := s.Backend.CreateBucket(b); err != nil {
			return nil, fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	fake := gofakes3.New(s.Backend, gofakes3.WithLogger(gofakes3.DiscardLog()), gofakes3.WithHostBucketBase(VirtualHostBase))
	s.srv = httptest.NewServer(s.cosCompat(fake.Server()))
	s.URL = s.srv.URL
	return s, nil
}

// Start starts a server with the given buckets and stops it when the test ends.
func Start(tb testing.TB, buckets ...string) *Server {
	tb.Helper()
	s, err := New(buckets...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// cosCompat records request headers and, for PUTs, answers with the CRC64 of the body.
func (s *Server) cosCompat(next http.Handler) http.Handler {
	table := crc64.MakeTable(crc64.ECMA)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, r.Header.Clone())
		s.mu.Unlock()
		if r.Method == http.MethodPut && r.Header.Get("Authorization") != "" &&
			strings.HasPrefix(r.Header.Get("Authorization"), "q-sign-algorithm=") {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			w.Header().Set("x-cos-hash-crc64ecma", strconv.FormatUint(crc64.Checksum(body, table), 10))
		}
		next.ServeHTTP(w, r)
	})
}

// Headers returns a copy of the headers of every request received so far.
func (s *Server) Headers() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.seen...)
}

// S3Client returns an aws-sdk-go-v2 S3 client for the server (path-style, static test keys).
func (s *Server) S3Client() *awss3.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
	}
	return awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		o.BaseEndpoint = aws.String(s.URL)
		o.UsePathStyle = true
	})
}

// S3Store returns the s3 adapter pointed at the server.
func (s *Server) S3Store() *s3.Store { return s3.New(s.S3Client()) }

// COSStore returns the cos adapter pointed at the server, path-style, with fixed test
// credentials unless creds is given.
func (s *Server) COSStore(tb testing.TB, creds func() (cos.Credentials, error)) *cos.Store {
	tb.Helper()
	if creds == nil {
		creds = func() (cos.Credentials, error) {
			return cos.Credentials{SecretID: "AKIDTEST", SecretKey: "test-secret", SessionToken: "test-token"}, nil
		}
	}
	st, err := cos.New(cos.Options{Region: "ap-guangzhou", BaseURL: s.URL + "/{bucket}", Credentials: creds})
	if err != nil {
		tb.Fatalf("cos store: %v", err)
	}
	return st
}

// Stores returns both adapters keyed by their Ref.Store name, as objects.Runner wants them.
func (s *Server) Stores(tb testing.TB) map[string]objects.Store {
	return map[string]objects.Store{"s3": s.S3Store(), "cos": s.COSStore(tb, nil)}
}

// Put stores size bytes of r as bucket/key directly in the backend.
func (s *Server) Put(bucket, key string, r io.Reader, size int64) error {
	if _, err := s.Backend.PutObject(bucket, key, map[string]string{}, r, size, nil); err != nil {
		return fmt.Errorf("put %s/%s: %w", bucket, key, err)
	}
	return nil
}

// Get returns the content of bucket/key, read directly from the backend.
func (s *Server) Get(bucket, key string) ([]byte, error) {
	obj, err := s.Backend.GetObject(bucket, key, nil)
	if err != nil {
		return nil, fmt.Errorf("get %s/%s: %w", bucket, key, err)
	}
	defer obj.Contents.Close()
	b, err := io.ReadAll(obj.Contents)
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", bucket, key, err)
	}
	return b, nil
}

// PutObject is Put that fails the test on error.
func (s *Server) PutObject(tb testing.TB, bucket, key string, r io.Reader, size int64) {
	tb.Helper()
	if err := s.Put(bucket, key, r, size); err != nil {
		tb.Fatal(err)
	}
}

// Object is Get that fails the test on error.
func (s *Server) Object(tb testing.TB, bucket, key string) []byte {
	tb.Helper()
	b, err := s.Get(bucket, key)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Exists reports whether bucket/key exists.
func (s *Server) Exists(bucket, key string) bool {
	_, err := s.Backend.HeadObject(bucket, key)
	return err == nil
}

// Processor is an objects.Processor made of a function; it records the jobs of every call.
type Processor struct {
	// Func processes one batch; it must return one outcome per job.
	Func func(ctx context.Context, jobs []flows.Job, opts flows.BatchOptions) []flows.Outcome
	// Forget drops the jobs' bodies instead of recording them, for tests that measure memory.
	Forget bool

	mu      sync.Mutex
	batches [][]flows.Job
}

// ProcessBatch records jobs and calls Func.
func (p *Processor) ProcessBatch(ctx context.Context, jobs []flows.Job, opts flows.BatchOptions) []flows.Outcome {
	kept := append([]flows.Job(nil), jobs...)
	if p.Forget {
		for i := range kept {
			kept[i].Body = nil
		}
	}
	p.mu.Lock()
	p.batches = append(p.batches, kept)
	p.mu.Unlock()
	return p.Func(ctx, jobs, opts)
}

// Batches returns the jobs of every call so far, in call order.
func (p *Processor) Batches() [][]flows.Job {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]flows.Job(nil), p.batches...)
}

// Jobs returns every job received so far, in order.
func (p *Processor) Jobs() []flows.Job {
	var all []flows.Job
	for _, b := range p.Batches() {
		all = append(all, b...)
	}
	return all
}

// MessageTime is the fixed time of the messages Classify produces.
var MessageTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Classify returns a Processor that decides by the body alone: a job with DecodeErr, or whose
// body is not a JSON object, is rejected; a body containing "retry" is retryable; any other is
// created. Messages are deterministic (fixed time, id derived from the job's DerivedKey).
func Classify() *Processor {
	return &Processor{Func: func(_ context.Context, jobs []flows.Job, _ flows.BatchOptions) []flows.Outcome {
		out := make([]flows.Outcome, len(jobs))
		for i, j := range jobs {
			out[i] = classify(j)
		}
		return out
	}}
}

func classify(j flows.Job) flows.Outcome {
	msg := &result.Message{
		SpecVersion: result.SpecVersion,
		ID:          result.StableID(j.DerivedKey),
		Time:        MessageTime,
		Source:      result.Source{Trigger: j.Trigger, RecordID: j.RecordID},
		Correlation: result.Correlation{IdempotencyKey: j.DerivedKey},
	}
	var obj map[string]json.RawMessage
	err := j.DecodeErr
	if err == nil {
		if e := json.Unmarshal(j.Body, &obj); e != nil {
			err = errors.New("the request is not a JSON object")
		}
	}
	switch {
	case err != nil:
		msg.Type = result.TypeRejected
		msg.Error = &result.Error{Code: "essflow.InvalidRequest", Message: err.Error()}
		return flows.Outcome{RecordID: j.RecordID, Status: flows.StatusRejected, HTTPStatus: http.StatusBadRequest, Message: msg, Err: err}
	case bytes.Contains(j.Body, []byte("retry")):
		return flows.Outcome{RecordID: j.RecordID, Status: flows.StatusRetryable, Retryable: true, HTTPStatus: http.StatusServiceUnavailable}
	}
	msg.Type = result.TypeCreated
	msg.Flows = []result.Flow{{Index: 0, Status: result.FlowCreated, FlowId: "flow_" + result.StableID(j.DerivedKey)[4:16]}}
	return flows.Outcome{RecordID: j.RecordID, Status: flows.StatusCreated, HTTPStatus: http.StatusOK, Message: msg}
}
