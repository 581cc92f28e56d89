package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/objects/objectstest"
	"github.com/essflow/essflow/shared/objects/s3"
)

const bucket = "requests-bucket"

// TestStoreRoundTrip writes objects through the S3 adapter into a real S3-compatible server and
// reads them back, with a seekable body and with one that must be spooled first.
func TestStoreRoundTrip(t *testing.T) {
	srv := objectstest.Start(t, bucket)
	st := srv.S3Store()
	big := strings.Repeat("{\"pad\":\"x\"}\n", 50_000)
	tests := []struct {
		name string
		key  string
		body func(string) io.Reader
		data string
	}{
		{"seekable", "batch.ndjson", func(s string) io.Reader { return strings.NewReader(s) }, "{\"a\":1}\n"},
		{"odd key", "in/2026/day 1/批次+1.ndjson", func(s string) io.Reader { return strings.NewReader(s) }, "{}\n"},
		{"non-seekable", "spooled.ndjson", func(s string) io.Reader { return io.MultiReader(strings.NewReader(s)) }, big},
		{"empty", "empty.ndjson", func(s string) io.Reader { return io.MultiReader() }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := st.Put(context.Background(), bucket, tc.key, tc.body(tc.data), int64(len(tc.data)), "application/x-ndjson"); err != nil {
				t.Fatalf("Put: %v", err)
			}
			if got := srv.Object(t, bucket, tc.key); string(got) != tc.data {
				t.Fatalf("stored %d bytes, want %d", len(got), len(tc.data))
			}
			rc, info, err := st.Open(context.Background(), bucket, tc.key)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			sum := md5.Sum([]byte(tc.data))
			if string(got) != tc.data || info.Size != int64(len(tc.data)) || info.ETag != hex.EncodeToString(sum[:]) {
				t.Errorf("Open = %d bytes %+v, want %d bytes, etag %x", len(got), info, len(tc.data), sum)
			}
		})
	}
}

func TestStoreOpenMissing(t *testing.T) {
	srv := objectstest.Start(t, bucket)
	st := srv.S3Store()
	for _, b := range []string{bucket, "no-such-bucket"} {
		_, _, err := st.Open(context.Background(), b, "missing.ndjson")
		if !errors.Is(err, objects.ErrNotFound) {
			t.Errorf("Open(%s) error = %v, want one wrapping objects.ErrNotFound", b, err)
		}
		if err != nil && !strings.Contains(err.Error(), "s3://"+b+"/missing.ndjson") {
			t.Errorf("error %q does not name the object", err)
		}
	}
}

func TestStorePutError(t *testing.T) {
	srv := objectstest.Start(t, bucket)
	err := srv.S3Store().Put(context.Background(), "no-such-bucket", "k", bytes.NewReader([]byte("x")), 1, "")
	if err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/k") {
		t.Fatalf("Put error = %v, want one naming the object", err)
	}
	if strings.Contains(err.Error(), "test-secret") {
		t.Errorf("error %q leaks the secret key", err)
	}
}

// ExampleNew wires the S3 adapter into a Runner; a Lambda function builds the client with
// awss3.NewFromConfig(cfg) from config.LoadDefaultConfig.
func ExampleNew() {
	srv, err := objectstest.New(bucket)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	store := s3.New(srv.S3Client())
	body := "{\"FlowInfos\":[]}\n"
	if err := store.Put(context.Background(), bucket, "in/a.ndjson", strings.NewReader(body), int64(len(body)), "application/x-ndjson"); err != nil {
		panic(err)
	}
	rc, info, err := store.Open(context.Background(), bucket, "in/a.ndjson")
	if err != nil {
		panic(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	fmt.Printf("%d bytes, etag %s: %s", info.Size, info.ETag, b)
	// Output: 17 bytes, etag e474dea0647bc2ae2457ff5fb3fd440f: {"FlowInfos":[]}
}
