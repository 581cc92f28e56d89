// Package s3 implements objects.Store on Amazon S3 with aws-sdk-go-v2: streaming GetObject and
// PutObject with a known length.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/essflow/essflow/shared/objects"
)

// Store reads and writes S3 objects through one client. It is safe for concurrent use.
type Store struct {
	client *awss3.Client
}

// New returns a Store using client, typically awss3.NewFromConfig of the function's
// configuration (the Lambda role credentials come from the environment).
func New(client *awss3.Client) *Store { return &Store{client: client} }

// Open starts a streaming GetObject of bucket/key; the caller closes the reader. A missing
// object or bucket gives an error wrapping objects.ErrNotFound.
func (s *Store) Open(ctx context.Context, bucket, key string) (io.ReadCloser, objects.Info, error) {
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			err = fmt.Errorf("%w: %w", objects.ErrNotFound, err)
		}
		return nil, objects.Info{}, fmt.Errorf("s3 get s3://%s/%s: %w", bucket, key, err)
	}
	info := objects.Info{
		ETag:      strings.Trim(aws.ToString(out.ETag), `"`),
		VersionID: aws.ToString(out.VersionId),
		Size:      -1,
	}
	if out.ContentLength != nil {
		info.Size = *out.ContentLength
	}
	return out.Body, info, nil
}

// Put writes size bytes of body as bucket/key with PutObject. The SDK signs the payload and may
// retry, so body should be an io.ReadSeeker (an *os.File, a bytes.Reader); any other reader is
// first spooled to a temporary file under os.TempDir.
func (s *Store) Put(ctx context.Context, bucket, key string, body io.Reader, size int64, contentType string) error {
	rs, ok := body.(io.ReadSeeker)
	if !ok {
		f, err := spool(body)
		if err != nil {
			return fmt.Errorf("s3 put s3://%s/%s: %w", bucket, key, err)
		}
		defer func() {
			f.Close()
			os.Remove(f.Name())
		}()
		rs = f
	}
	in := &awss3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          rs,
		ContentLength: aws.Int64(size),
	}
	if contentType != "" {
		in.ContentType = aws.String(contentType)
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return fmt.Errorf("s3 put s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

// isNotFound reports whether err is S3's answer for a missing key or bucket.
func isNotFound(err error) bool {
	var noKey *types.NoSuchKey
	if errors.As(err, &noKey) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NoSuchBucket", "NotFound":
			return true
		}
	}
	return false
}

// spool copies r into a new temporary file and rewinds it.
func spool(r io.Reader) (*os.File, error) {
	f, err := os.CreateTemp("", "essflow-s3-put-*")
	if err != nil {
		return nil, fmt.Errorf("spool body: %w", err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("spool body: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("spool body: %w", err)
	}
	return f, nil
}
