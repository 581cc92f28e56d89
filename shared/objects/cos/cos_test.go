package cos_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/objects/cos"
	"github.com/essflow/essflow/shared/objects/objectstest"
)

const bucket = "requests-1250000000"

func staticCreds() (cos.Credentials, error) {
	return cos.Credentials{SecretID: "AKIDstatic", SecretKey: "static-secret"}, nil
}

// TestStoreRoundTrip writes objects through the COS adapter into a real S3-compatible server and
// reads them back, path-style and virtual-host-style.
func TestStoreRoundTrip(t *testing.T) {
	srv := objectstest.Start(t, bucket)
	host := strings.TrimPrefix(srv.URL, "http://")
	dialServer := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, host)
	}}
	vhost, err := cos.New(cos.Options{
		Region:      "ap-guangzhou",
		BaseURL:     "http://{bucket}.cos.{region}.myqcloud.com",
		Credentials: staticCreds,
		Transport:   dialServer,
	})
	if err != nil {
		t.Fatal(err)
	}
	stores := map[string]*cos.Store{"path-style": srv.COSStore(t, nil), "virtual-host": vhost}
	keys := []string{"batch.ndjson", "in/2026/day 1/批次+1.ndjson"}
	for name, st := range stores {
		for _, key := range keys {
			t.Run(name+"/"+key, func(t *testing.T) {
				body := []byte(fmt.Sprintf("{\"key\":%q}\n", key))
				if err := st.Put(context.Background(), bucket, key, bytes.NewReader(body), int64(len(body)), "application/x-ndjson"); err != nil {
					t.Fatalf("Put: %v", err)
				}
				if got := srv.Object(t, bucket, key); !bytes.Equal(got, body) {
					t.Fatalf("stored %q, want %q", got, body)
				}
				rc, info, err := st.Open(context.Background(), bucket, key)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer rc.Close()
				got, err := io.ReadAll(rc)
				if err != nil {
					t.Fatal(err)
				}
				sum := md5.Sum(body)
				if !bytes.Equal(got, body) || info.Size != int64(len(body)) || info.ETag != hex.EncodeToString(sum[:]) {
					t.Errorf("Open = %q %+v, want %q size %d etag %x", got, info, body, len(body), sum)
				}
			})
		}
	}
}

// TestStorePutUnsizedReader checks a body that is not a known-length reader, and an empty body.
func TestStorePutUnsizedReader(t *testing.T) {
	srv := objectstest.Start(t, bucket)
	st := srv.COSStore(t, nil)
	body := strings.Repeat("x", 100<<10)
	if err := st.Put(context.Background(), bucket, "unsized", io.MultiReader(strings.NewReader(body)), int64(len(body)), ""); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got := srv.Object(t, bucket, "unsized"); string(got) != body {
		t.Errorf("stored %d bytes, want %d", len(got), len(body))
	}
	if err := st.Put(context.Background(), bucket, "empty", io.MultiReader(), 0, ""); err != nil {
		t.Fatalf("Put empty: %v", err)
	}
	if got := srv.Object(t, bucket, "empty"); len(got) != 0 {
		t.Errorf("stored %q, want nothing", got)
	}
}

func TestStoreOpenMissing(t *testing.T) {
	srv := objectstest.Start(t, bucket)
	st := srv.COSStore(t, nil)
	for _, b := range []string{bucket, "nobucket-1250000000"} {
		_, _, err := st.Open(context.Background(), b, "missing.ndjson")
		if !errors.Is(err, objects.ErrNotFound) {
			t.Errorf("Open(%s) error = %v, want one wrapping objects.ErrNotFound", b, err)
		}
		if err != nil && !strings.Contains(err.Error(), "missing.ndjson") {
			t.Errorf("error %q does not name the object", err)
		}
	}
}

// TestEnvCredentialsFresh checks that every request is signed with the credentials the
// environment holds at that moment (SCF rotates the role credentials), and that the secrets never
// appear in errors.
func TestEnvCredentialsFresh(t *testing.T) {
	srv := objectstest.Start(t, bucket)
	st, err := cos.New(cos.Options{Region: "ap-guangzhou", BaseURL: srv.URL + "/{bucket}"})
	if err != nil {
		t.Fatal(err)
	}
	srv.PutObject(t, bucket, "a", strings.NewReader("{}"), 2)
	for i := 1; i <= 2; i++ {
		id, key, token := fmt.Sprintf("AKIDrole%d", i), fmt.Sprintf("role-secret-%d", i), fmt.Sprintf("role-token-%d", i)
		t.Setenv(cos.EnvSecretID, id)
		t.Setenv(cos.EnvSecretKey, key)
		t.Setenv(cos.EnvSessionToken, token)
		rc, _, err := st.Open(context.Background(), bucket, "a")
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		h := srv.Headers()
		last := h[len(h)-1]
		if got := last.Get("x-cos-security-token"); got != token {
			t.Errorf("request %d: x-cos-security-token = %q, want %q", i, got, token)
		}
		if auth := last.Get("Authorization"); !strings.Contains(auth, "q-ak="+id+"&") {
			t.Errorf("request %d: Authorization %q is not signed by %s", i, auth, id)
		}
	}

	t.Setenv(cos.EnvSecretID, "")
	t.Setenv(cos.EnvSecretKey, "role-secret-3")
	_, _, err = st.Open(context.Background(), bucket, "a")
	if err == nil || !strings.Contains(err.Error(), cos.EnvSecretID) {
		t.Fatalf("error = %v, want one naming %s", err, cos.EnvSecretID)
	}
	if strings.Contains(err.Error(), "role-secret") {
		t.Errorf("error %q leaks the secret key", err)
	}
}

// TestCredentialsFunc checks a custom credentials source is called once per request, and that a
// server error does not echo the secrets.
func TestCredentialsFunc(t *testing.T) {
	srv := objectstest.Start(t, bucket)
	var calls atomic.Int32
	st := srv.COSStore(t, func() (cos.Credentials, error) {
		calls.Add(1)
		return cos.Credentials{SecretID: "AKIDfunc", SecretKey: "func-secret", SessionToken: "func-token"}, nil
	})
	srv.PutObject(t, bucket, "a", strings.NewReader("{}"), 2)
	for i := 0; i < 3; i++ {
		rc, _, err := st.Open(context.Background(), bucket, "a")
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("credentials fetched %d times for 3 requests, want 3", n)
	}
	_, _, err := st.Open(context.Background(), bucket, "missing")
	for _, secret := range []string{"func-secret", "func-token"} {
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("error %v is nil or leaks %q", err, secret)
		}
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		opts    cos.Options
		wantErr string
	}{
		{"default template needs a region", cos.Options{}, "Region is required"},
		{"bad scheme", cos.Options{BaseURL: "ftp://{bucket}.example.com"}, "want http(s)://host"},
		{"default template", cos.Options{Region: "ap-shanghai"}, ""},
		{"path-style without region", cos.Options{BaseURL: "http://127.0.0.1:1/{bucket}"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cos.New(tc.opts)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("New: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("New error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// ExampleNew shows the store an SCF function uses: the bucket's regional endpoint, signed with
// the execution role's credentials from the environment.
func ExampleNew() {
	store, err := cos.New(cos.Options{Region: "ap-guangzhou"})
	if err != nil {
		fmt.Println(err)
		return
	}
	runner := &objects.Runner{Stores: map[string]objects.Store{"cos": store}}
	fmt.Println(runner.Stores["cos"] != nil, cos.DefaultBaseURL)
	// Output: true https://{bucket}.cos.{region}.myqcloud.com
}
