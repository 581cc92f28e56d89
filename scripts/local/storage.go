package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/essflow/essflow/shared/config"
	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/objects/objectstest"
	lambdatrigger "github.com/essflow/essflow/shared/trigger/lambda"
	scftrigger "github.com/essflow/essflow/shared/trigger/scf"
)

// localObjects serves a storage event locally: when the event names objects and no object
// storage endpoint is configured, it starts an in-process S3-compatible server (gofakes3),
// uploads the request file under every key the event names and points the COS and S3 stores at
// it. It returns nil when the event is not a storage event or storage is configured.
type localObjects struct {
	srv  *objectstest.Server
	refs []objects.Ref
}

func startLocalObjects(platform string, event []byte, objectFile string, stderr io.Writer) (*localObjects, error) {
	if os.Getenv(config.EnvCOSEndpoint) != "" || os.Getenv(config.EnvS3Endpoint) != "" {
		return nil, nil
	}
	var refs []objects.Ref
	switch platform {
	case "scf":
		if ev, err := scftrigger.Decode(event); err == nil {
			refs = ev.Objects
		}
	case "lambda":
		if ev, err := lambdatrigger.Decode(event); err == nil {
			refs = ev.Objects
		}
	}
	if len(refs) == 0 {
		return nil, nil
	}
	body, err := os.ReadFile(objectFile)
	if err != nil {
		return nil, fmt.Errorf("read --object: %w", err)
	}
	buckets := []string{}
	seen := map[string]bool{}
	for _, r := range refs {
		if !seen[r.Bucket] {
			seen[r.Bucket] = true
			buckets = append(buckets, r.Bucket)
		}
	}
	srv, err := objectstest.New(buckets...)
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		if err := srv.Put(r.Bucket, r.Key, bytes.NewReader(body), int64(len(body))); err != nil {
			srv.Close()
			return nil, fmt.Errorf("upload %s: %w", r, err)
		}
		fmt.Fprintf(stderr, "local object storage: uploaded %s (%d bytes) as %s\n", objectFile, len(body), r)
	}
	// The adapters read these from the process environment.
	for k, v := range map[string]string{
		config.EnvCOSEndpoint: srv.URL, config.EnvS3Endpoint: srv.URL,
		"TENCENTCLOUD_SECRETID": "AKIDlocal", "TENCENTCLOUD_SECRETKEY": "local",
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_REGION": "us-east-1",
	} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	return &localObjects{srv: srv, refs: refs}, nil
}

// report prints the results objects the function wrote.
func (l *localObjects) report(prefix string, stderr io.Writer) {
	for _, r := range l.refs {
		key := prefix + r.Key + ".ndjson"
		b, err := l.srv.Get(r.Bucket, key)
		if err != nil {
			fmt.Fprintf(stderr, "local object storage: no results object %s/%s: %v\n", r.Bucket, key, err)
			continue
		}
		fmt.Fprintf(stderr, "local object storage: results object %s/%s:\n%s", r.Bucket, key, b)
	}
}

func (l *localObjects) Close() { l.srv.Close() }
