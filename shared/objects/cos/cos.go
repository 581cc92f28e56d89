// Package cos implements objects.Store on Tencent Cloud COS with cos-go-sdk-v5: streaming GET and
// PUT, signed per request with credentials read fresh each time (by default the SCF execution
// role's temporary credentials from the environment).
package cos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	cossdk "github.com/tencentyun/cos-go-sdk-v5"

	"github.com/essflow/essflow/shared/objects"
)

// DefaultBaseURL is the bucket URL template used when Options.BaseURL is empty.
const DefaultBaseURL = "https://{bucket}.cos.{region}.myqcloud.com"

// Environment variables holding the SCF execution role's temporary credentials.
const (
	EnvSecretID     = "TENCENTCLOUD_SECRETID"
	EnvSecretKey    = "TENCENTCLOUD_SECRETKEY"
	EnvSessionToken = "TENCENTCLOUD_SESSIONTOKEN"
)

// signValidity is how long a request signature stays valid.
const signValidity = 15 * time.Minute

// Credentials are a key pair with an optional session token (temporary role credentials).
type Credentials struct {
	SecretID     string
	SecretKey    string
	SessionToken string
}

// EnvCredentials reads the credentials from TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY and
// TENCENTCLOUD_SESSIONTOKEN. It fails when the id or the key is missing.
func EnvCredentials() (Credentials, error) {
	c := Credentials{
		SecretID:     os.Getenv(EnvSecretID),
		SecretKey:    os.Getenv(EnvSecretKey),
		SessionToken: os.Getenv(EnvSessionToken),
	}
	if c.SecretID == "" || c.SecretKey == "" {
		return Credentials{}, fmt.Errorf("cos credentials: %s and %s must be set", EnvSecretID, EnvSecretKey)
	}
	return c, nil
}

// Options configures a Store.
type Options struct {
	// Region is the COS region, for example ap-guangzhou; it fills {region} in BaseURL.
	Region string
	// BaseURL is the bucket URL template: {bucket} and {region} are replaced (default
	// DefaultBaseURL). A path after the host makes requests path-style, for example
	// "http://127.0.0.1:9000/{bucket}" for an S3-compatible test server.
	BaseURL string
	// Credentials returns the credentials for each request (default EnvCredentials), so that
	// rotated role credentials are picked up without a restart.
	Credentials func() (Credentials, error)
	// Transport sends the signed requests (default http.DefaultTransport).
	Transport http.RoundTripper
}

// Store reads and writes COS objects. It is safe for concurrent use.
type Store struct {
	opts    Options
	http    *http.Client
	mu      sync.Mutex
	clients map[string]*bucketClient
}

// bucketClient is the SDK client of one bucket, with the path prefix of path-style URLs.
type bucketClient struct {
	c      *cossdk.Client
	prefix string // "" or "<bucket>/" for path-style base URLs
}

// New returns a Store; it checks that the bucket URL template is usable.
func New(opts Options) (*Store, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	if strings.Contains(opts.BaseURL, "{region}") && opts.Region == "" {
		return nil, errors.New("cos store: Region is required by the bucket URL template")
	}
	if _, err := bucketURL(opts.BaseURL, "bucket-1250000000", opts.Region); err != nil {
		return nil, fmt.Errorf("cos store: %w", err)
	}
	if opts.Credentials == nil {
		opts.Credentials = EnvCredentials
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport
	}
	s := &Store{opts: opts, clients: map[string]*bucketClient{}}
	s.http = &http.Client{Transport: &signer{creds: opts.Credentials, next: opts.Transport}}
	return s, nil
}

// bucketURL expands the template for one bucket.
func bucketURL(tmpl, bucket, region string) (*url.URL, error) {
	raw := strings.NewReplacer("{bucket}", bucket, "{region}", region).Replace(tmpl)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bucket URL %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bucket URL %q: want http(s)://host[/path]", raw)
	}
	return u, nil
}

// client returns the cached SDK client of bucket.
func (s *Store) client(bucket string) (*bucketClient, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if bc, ok := s.clients[bucket]; ok {
		return bc, nil
	}
	u, err := bucketURL(s.opts.BaseURL, bucket, s.opts.Region)
	if err != nil {
		return nil, err
	}
	bc := &bucketClient{}
	if p := strings.Trim(u.Path, "/"); p != "" {
		bc.prefix = p + "/"
	}
	u.Path, u.RawPath = "", ""
	bc.c = cossdk.NewClient(&cossdk.BaseURL{BucketURL: u}, s.http)
	s.clients[bucket] = bc
	return bc, nil
}

// Open starts a streaming GET of bucket/key; the caller closes the reader. A missing object
// gives an error wrapping objects.ErrNotFound.
func (s *Store) Open(ctx context.Context, bucket, key string) (io.ReadCloser, objects.Info, error) {
	bc, err := s.client(bucket)
	if err != nil {
		return nil, objects.Info{}, fmt.Errorf("cos get cos://%s/%s: %w", bucket, key, err)
	}
	resp, err := bc.c.Object.Get(ctx, bc.prefix+key, nil)
	if err != nil {
		if cossdk.IsNotFoundError(err) {
			err = fmt.Errorf("%w: %w", objects.ErrNotFound, err)
		}
		return nil, objects.Info{}, fmt.Errorf("cos get cos://%s/%s: %w", bucket, key, err)
	}
	info := objects.Info{
		ETag:      strings.Trim(resp.Header.Get("ETag"), `"`),
		VersionID: resp.Header.Get("x-cos-version-id"),
		Size:      resp.ContentLength,
	}
	if info.Size < 0 {
		if n, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64); err == nil {
			info.Size = n
		}
	}
	return resp.Body, info, nil
}

// Put writes size bytes of body as bucket/key. The SDK checks the CRC64 COS returns against the
// bytes sent. A body that is an io.Seeker is rewound and sent again when COS answers 5xx.
func (s *Store) Put(ctx context.Context, bucket, key string, body io.Reader, size int64, contentType string) error {
	bc, err := s.client(bucket)
	if err != nil {
		return fmt.Errorf("cos put cos://%s/%s: %w", bucket, key, err)
	}
	opt := &cossdk.ObjectPutOptions{ObjectPutHeaderOptions: &cossdk.ObjectPutHeaderOptions{
		ContentType:   contentType,
		ContentLength: size,
	}}
	if size == 0 {
		body = bytes.NewReader(nil) // the SDK sends a known-empty body instead of a chunked one
	}
	resp, err := bc.c.Object.Put(ctx, bc.prefix+key, body, opt)
	if err != nil {
		return fmt.Errorf("cos put cos://%s/%s: %w", bucket, key, err)
	}
	resp.Body.Close()
	return nil
}

// signer signs each request with credentials fetched for that request.
type signer struct {
	creds func() (Credentials, error)
	next  http.RoundTripper
}

// RoundTrip adds the COS Authorization header (and x-cos-security-token) to a copy of req.
func (t *signer) RoundTrip(req *http.Request) (*http.Response, error) {
	c, err := t.creds()
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	signed := req.Clone(req.Context())
	cossdk.AddAuthorizationHeader(c.SecretID, c.SecretKey, c.SessionToken, signed, cossdk.NewAuthTime(signValidity))
	return t.next.RoundTrip(signed)
}
