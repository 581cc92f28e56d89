package objects

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/result"
)

// Defaults used when the matching Runner field is zero.
const (
	DefaultChunk         = 20
	DefaultResultsPrefix = "results/"
	DefaultMaxLineBytes  = 1 << 20
)

// ResultsContentType is the content type of the results objects.
const ResultsContentType = "application/x-ndjson"

// ErrRetryable is wrapped by the error ProcessObject returns when some requests of the object
// must be tried again: the platform should redeliver the storage event.
var ErrRetryable = errors.New("requests left to retry")

// ErrNotFound is wrapped by a Store's Open error when the object does not exist.
var ErrNotFound = errors.New("object not found")

// Processor processes a batch of jobs; shared/flows provides the real one. It returns one
// Outcome per job, in the same order.
type Processor interface {
	ProcessBatch(ctx context.Context, jobs []flows.Job, opts flows.BatchOptions) []flows.Outcome
}

// Info describes the object version Open returned.
type Info struct {
	// ETag is the entity tag without its quotes; VersionID is empty on unversioned buckets.
	ETag      string
	VersionID string
	// Size is the object length in bytes, or -1 when unknown.
	Size int64
}

// Store reads and writes objects of one storage service.
type Store interface {
	// Open starts a streaming read of the object; the caller closes the reader. It returns an
	// error wrapping ErrNotFound when the object does not exist.
	Open(ctx context.Context, bucket, key string) (io.ReadCloser, Info, error)
	// Put writes size bytes read from body as the object, replacing any previous version.
	Put(ctx context.Context, bucket, key string, body io.Reader, size int64, contentType string) error
}

// Runner processes request objects announced by storage events. The zero value of every field
// but Stores and Processor selects a default.
type Runner struct {
	// Stores maps Ref.Store ("cos", "s3") to the store that reads and writes its objects.
	Stores map[string]Store
	// Processor processes the requests.
	Processor Processor
	// Chunk is the number of jobs per ProcessBatch call (default DefaultChunk).
	Chunk int
	// ResultsPrefix is the key prefix of results objects; input objects under it are skipped
	// (default DefaultResultsPrefix).
	ResultsPrefix string
	// MaxLineBytes bounds one request, whitespace excluded (default DefaultMaxLineBytes).
	MaxLineBytes int
	// Logger receives one summary line per object (default slog.Default()).
	Logger *slog.Logger
}

// ProcessObject reads the requests of the object ref names, processes them in chunks and writes
// the results object "<ResultsPrefix><key>.ndjson" beside it.
//
// Objects under ResultsPrefix and empty objects are skipped: the Report says why and the error
// is nil. A request that cannot be decoded is rejected by the processor and reported in the
// results like any other. When some requests are retryable, the results object is still
// written, and the returned error wraps ErrRetryable so that the platform redelivers the event;
// the requests already done then replay from the idempotency store. Read and write failures
// return an error naming the object, and no results object is written after a read failure.
func (r *Runner) ProcessObject(ctx context.Context, ref Ref) (Report, error) {
	rep := Report{Object: ref}
	prefix := r.resultsPrefix()
	if strings.HasPrefix(ref.Key, prefix) {
		rep.Skipped, rep.SkipReason = true, "results object (key under "+prefix+")"
		r.logger().InfoContext(ctx, "storage object skipped", "object", ref.String(), "reason", rep.SkipReason)
		return rep, nil
	}
	store, ok := r.Stores[ref.Store]
	if !ok {
		return rep, fmt.Errorf("process %s: no store configured for %q", ref, ref.Store)
	}
	if r.Processor == nil {
		return rep, fmt.Errorf("process %s: no processor configured", ref)
	}

	body, info, err := store.Open(ctx, ref.Bucket, ref.Key)
	if err != nil {
		return rep, fmt.Errorf("open %s: %w", ref, err)
	}
	defer body.Close()
	if info.Size == 0 {
		rep.Skipped, rep.SkipReason = true, "empty object"
		r.logger().InfoContext(ctx, "storage object skipped", "object", ref.String(), "reason", rep.SkipReason)
		return rep, nil
	}
	version := firstNonEmpty(info.ETag, info.VersionID, ref.ETag, ref.VersionID)
	if version == "" {
		return rep, fmt.Errorf("process %s: the store gave neither an ETag nor a version id, so no stable idempotency key can be derived", ref)
	}

	spool, err := os.CreateTemp("", "essflow-results-*.ndjson")
	if err != nil {
		return rep, fmt.Errorf("process %s: spool results: %w", ref, err)
	}
	defer func() {
		spool.Close()
		os.Remove(spool.Name())
	}()
	out := &resultsWriter{w: bufio.NewWriterSize(spool, 64<<10)}

	if err := r.run(ctx, ref, version, body, out, &rep); err != nil {
		return rep, err
	}
	if err := out.w.Flush(); err != nil {
		return rep, fmt.Errorf("process %s: spool results: %w", ref, err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return rep, fmt.Errorf("process %s: rewind results: %w", ref, err)
	}
	resultsKey := prefix + ref.Key + ".ndjson"
	if err := store.Put(ctx, ref.Bucket, resultsKey, spool, out.size, ResultsContentType); err != nil {
		return rep, fmt.Errorf("write results %s://%s/%s: %w", ref.Store, ref.Bucket, resultsKey, err)
	}
	rep.ResultsKey = resultsKey

	r.logger().InfoContext(ctx, "storage object processed", "object", ref.String(), "event", ref.EventID,
		"results", resultsKey, "requests", rep.Requests, "created", rep.Created, "rejected", rep.Rejected,
		"failed", rep.Failed, "unknown", rep.Unknown, "retryable", rep.Retryable)
	if rep.Retryable > 0 {
		return rep, fmt.Errorf("process %s: %d of %d %w", ref, rep.Retryable, rep.Requests, ErrRetryable)
	}
	return rep, nil
}

// batch is one chunk of jobs with the position of each in the object.
type batch struct {
	jobs []flows.Job
	ns   []int
}

// run reads the object in a goroutine, one chunk ahead of the processor, and writes the results
// of each chunk as soon as it is processed.
func (r *Runner) run(ctx context.Context, ref Ref, version string, body io.Reader, out *resultsWriter, rep *Report) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	batches := make(chan batch, 1)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		readErr <- r.read(ctx, ref, version, body, batches)
	}()

	var procErr error
	for b := range batches {
		if procErr != nil {
			continue // drain until the reader sees the cancellation
		}
		if err := ctx.Err(); err != nil {
			procErr = fmt.Errorf("process %s: %w", ref, err)
			continue
		}
		outcomes := r.Processor.ProcessBatch(ctx, b.jobs, flows.BatchOptions{})
		if len(outcomes) != len(b.jobs) {
			procErr = fmt.Errorf("process %s: the processor returned %d outcomes for %d jobs", ref, len(outcomes), len(b.jobs))
			cancel()
			continue
		}
		for i, o := range outcomes {
			rep.count(o)
			if err := out.write(b.ns[i], b.jobs[i].RecordID, o); err != nil {
				procErr = fmt.Errorf("process %s: spool results: %w", ref, err)
				cancel()
				break
			}
		}
	}
	if err := <-readErr; err != nil && procErr == nil {
		return err
	}
	return procErr
}

// read cuts the object into jobs and sends them in chunks of r.Chunk.
func (r *Runner) read(ctx context.Context, ref Ref, version string, body io.Reader, batches chan<- batch) error {
	sp, err := newSplitter(body, r.maxLineBytes())
	if err != nil {
		return fmt.Errorf("read %s: %w", ref, err)
	}
	size := r.chunk()
	b := batch{jobs: make([]flows.Job, 0, size), ns: make([]int, 0, size)}
	send := func() error {
		select {
		case batches <- b:
		case <-ctx.Done():
			return fmt.Errorf("read %s: %w", ref, ctx.Err())
		}
		b = batch{jobs: make([]flows.Job, 0, size), ns: make([]int, 0, size)}
		return nil
	}
	recordBase := ref.String() + "#"
	keyBase := ref.Store + ":" + ref.Bucket + "/" + ref.Key + "@" + version + "#"
	for {
		rec, err := sp.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", ref, err)
		}
		n := strconv.Itoa(rec.n)
		b.jobs = append(b.jobs, flows.Job{
			Trigger:    ref.Store,
			RecordID:   recordBase + n,
			Body:       rec.body,
			DerivedKey: keyBase + n,
			DecodeErr:  rec.err,
		})
		b.ns = append(b.ns, rec.n)
		if len(b.jobs) == size {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if len(b.jobs) > 0 {
		return send()
	}
	return nil
}

// count adds one outcome to the report. Retryable outcomes count as Retryable whatever their
// status; partially failed and previewed requests count as Created.
func (rep *Report) count(o flows.Outcome) {
	rep.Requests++
	switch {
	case o.Retryable || o.Status == flows.StatusRetryable || o.Status == flows.StatusNotProcessed:
		rep.Retryable++
	case o.Status == flows.StatusCreated || o.Status == flows.StatusPartiallyFailed || o.Status == flows.StatusPreviewed:
		rep.Created++
	case o.Status == flows.StatusRejected:
		rep.Rejected++
	case o.Status == flows.StatusFailed:
		rep.Failed++
	default:
		rep.Unknown++
	}
}

// resultLine is one line of a results object.
type resultLine struct {
	N         int             `json:"n"`
	RecordID  string          `json:"recordId"`
	Status    flows.Status    `json:"status"`
	Retryable bool            `json:"retryable"`
	Result    *result.Message `json:"result"`
}

// resultsWriter encodes result lines and counts the bytes written.
type resultsWriter struct {
	w    *bufio.Writer
	size int64
}

func (rw *resultsWriter) write(n int, recordID string, o flows.Outcome) error {
	line, err := json.Marshal(resultLine{N: n, RecordID: recordID, Status: o.Status, Retryable: o.Retryable, Result: o.Message})
	if err != nil {
		return fmt.Errorf("encode result %s: %w", recordID, err)
	}
	line = append(line, '\n')
	written, err := rw.w.Write(line)
	rw.size += int64(written)
	return err
}

func (r *Runner) chunk() int {
	if r.Chunk > 0 {
		return r.Chunk
	}
	return DefaultChunk
}

func (r *Runner) resultsPrefix() string {
	if r.ResultsPrefix != "" {
		return r.ResultsPrefix
	}
	return DefaultResultsPrefix
}

func (r *Runner) maxLineBytes() int {
	if r.MaxLineBytes > 0 {
		return r.MaxLineBytes
	}
	return DefaultMaxLineBytes
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
