package objects_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/objects"
	"github.com/essflow/essflow/shared/objects/cos"
	"github.com/essflow/essflow/shared/objects/objectstest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const bucket = "requests-1250000000"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// ndjson returns n request lines, each a small JSON object.
func ndjson(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"FlowInfos":[{"FlowName":"contract %d","TemplateId":"tpl"}]}`+"\n", i)
	}
	return b.String()
}

// resultLine mirrors one line of a results object.
type resultLine struct {
	N         int             `json:"n"`
	RecordID  string          `json:"recordId"`
	Status    string          `json:"status"`
	Retryable bool            `json:"retryable"`
	Result    json.RawMessage `json:"result"`
}

func parseResults(t *testing.T, b []byte) []resultLine {
	t.Helper()
	var lines []resultLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var l resultLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("results line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines
}

func TestProcessObject(t *testing.T) {
	long := `{"FlowInfos":[{"FlowName":"` + strings.Repeat("x", 100) + `"}]}`
	tests := []struct {
		name    string
		key     string
		content string // "" with noObject means the object is not created
		noObj   bool
		maxLine int

		wantErr     error // errors.Is target; nil means no error
		wantSkipped bool
		want        objects.Report // counts only
		wantNs      []int
		wantStatus  []string
		wantBatches []int
	}{
		{
			name: "ndjson in three chunks", key: "in/batch-45.ndjson", content: ndjson(45),
			want:        objects.Report{Requests: 45, Created: 45},
			wantBatches: []int{20, 20, 5},
		},
		{
			name: "json array", key: "in/array.json",
			content:    "[\n  {\"FlowInfos\":[]},\n  {\"a\":\"b, ]\"},\n  {\"c\":[1,2]}\n]\n",
			want:       objects.Report{Requests: 3, Created: 3},
			wantNs:     []int{0, 1, 2},
			wantStatus: []string{"created", "created", "created"},
		},
		{
			name: "blank lines are ignored", key: "in/blank.ndjson",
			content:    "\n{\"a\":1}\n\n   \n{\"b\":2}\r\n\n",
			want:       objects.Report{Requests: 2, Created: 2},
			wantNs:     []int{2, 5},
			wantStatus: []string{"created", "created"},
		},
		{
			name: "a bad line among good ones", key: "in/bad.ndjson",
			content:    "{\"a\":1}\n{not json\n{\"b\":2}\n",
			want:       objects.Report{Requests: 3, Created: 2, Rejected: 1},
			wantNs:     []int{1, 2, 3},
			wantStatus: []string{"created", "rejected", "created"},
		},
		{
			name: "a line over MaxLineBytes", key: "in/long.ndjson", maxLine: 64,
			content:    "{\"a\":1}\n" + long + "\n{\"b\":2}\n",
			want:       objects.Report{Requests: 3, Created: 2, Rejected: 1},
			wantNs:     []int{1, 2, 3},
			wantStatus: []string{"created", "rejected", "created"},
		},
		{
			name: "a retryable line: results written and error returned", key: "in/retry.ndjson",
			content:    "{\"a\":1}\n{\"please\":\"retry\"}\n{\"b\":2}\n",
			wantErr:    objects.ErrRetryable,
			want:       objects.Report{Requests: 3, Created: 2, Retryable: 1},
			wantNs:     []int{1, 2, 3},
			wantStatus: []string{"created", "retryable", "created"},
		},
		{
			name: "a results object is skipped", key: "results/in/batch.ndjson.ndjson", content: ndjson(2),
			wantSkipped: true,
		},
		{
			name: "an empty object is skipped", key: "in/empty.ndjson", content: "",
			wantSkipped: true,
		},
		{
			name: "a missing object is an error", key: "in/missing.ndjson", noObj: true,
			wantErr: objects.ErrNotFound,
		},
	}
	for _, store := range []string{"s3", "cos"} {
		for _, tc := range tests {
			t.Run(store+"/"+tc.name, func(t *testing.T) {
				srv := objectstest.Start(t, bucket)
				if !tc.noObj {
					srv.PutObject(t, bucket, tc.key, strings.NewReader(tc.content), int64(len(tc.content)))
				}
				proc := objectstest.Classify()
				r := &objects.Runner{Stores: srv.Stores(t), Processor: proc, MaxLineBytes: tc.maxLine, Logger: quiet}
				ref := objects.Ref{Store: store, Bucket: bucket, Key: tc.key}

				rep, err := r.ProcessObject(context.Background(), ref)
				switch {
				case tc.wantErr == nil && err != nil:
					t.Fatalf("ProcessObject: %v", err)
				case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
					t.Fatalf("ProcessObject error = %v, want one wrapping %v", err, tc.wantErr)
				case tc.wantErr != nil && !strings.Contains(err.Error(), tc.key):
					t.Errorf("error %q does not name the object", err)
				}
				if rep.Skipped != tc.wantSkipped {
					t.Fatalf("Skipped = %v (%s), want %v", rep.Skipped, rep.SkipReason, tc.wantSkipped)
				}
				if tc.wantSkipped {
					if rep.SkipReason == "" {
						t.Error("SkipReason is empty")
					}
					if n := len(proc.Batches()); n != 0 {
						t.Errorf("processor called %d times for a skipped object", n)
					}
					return
				}
				if tc.noObj {
					return
				}
				got := objects.Report{Requests: rep.Requests, Created: rep.Created, Rejected: rep.Rejected,
					Failed: rep.Failed, Unknown: rep.Unknown, Retryable: rep.Retryable}
				if got != tc.want {
					t.Errorf("report counts = %+v, want %+v", got, tc.want)
				}
				wantKey := "results/" + tc.key + ".ndjson"
				if rep.ResultsKey != wantKey {
					t.Fatalf("ResultsKey = %q, want %q", rep.ResultsKey, wantKey)
				}
				lines := parseResults(t, srv.Object(t, bucket, wantKey))
				if len(lines) != tc.want.Requests {
					t.Fatalf("results has %d lines, want %d", len(lines), tc.want.Requests)
				}
				for i, l := range lines {
					wantID := fmt.Sprintf("%s://%s/%s#%d", store, bucket, tc.key, l.N)
					if l.RecordID != wantID {
						t.Errorf("line %d recordId = %q, want %q", i, l.RecordID, wantID)
					}
					if l.Retryable != (l.Status == "retryable") {
						t.Errorf("line %d: retryable=%v with status %s", i, l.Retryable, l.Status)
					}
					if (string(l.Result) == "null") != (l.Status == "retryable") {
						t.Errorf("line %d: result %s with status %s", i, l.Result, l.Status)
					}
				}
				if tc.wantNs != nil {
					var ns []int
					var st []string
					for _, l := range lines {
						ns, st = append(ns, l.N), append(st, l.Status)
					}
					if fmt.Sprint(ns) != fmt.Sprint(tc.wantNs) || fmt.Sprint(st) != fmt.Sprint(tc.wantStatus) {
						t.Errorf("results n/status = %v %v, want %v %v", ns, st, tc.wantNs, tc.wantStatus)
					}
				}
				if tc.wantBatches != nil {
					var sizes []int
					for _, b := range proc.Batches() {
						sizes = append(sizes, len(b))
					}
					if fmt.Sprint(sizes) != fmt.Sprint(tc.wantBatches) {
						t.Errorf("batch sizes = %v, want %v", sizes, tc.wantBatches)
					}
				}
			})
		}
	}
}

// TestProcessObjectJobs checks the jobs handed to the processor: trigger, record ids, derived
// keys built on the ETag the store returned, bodies, decode errors.
func TestProcessObjectJobs(t *testing.T) {
	srv := objectstest.Start(t, bucket)
	content := "{\"a\":1}\n\n[oops\n"
	srv.PutObject(t, bucket, "jobs.ndjson", strings.NewReader(content), int64(len(content)))
	_, info, err := srv.S3Store().Open(context.Background(), bucket, "jobs.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	if info.ETag == "" {
		t.Fatal("the server returned no ETag")
	}
	for _, store := range []string{"s3", "cos"} {
		proc := objectstest.Classify()
		r := &objects.Runner{Stores: srv.Stores(t), Processor: proc, Logger: quiet}
		if _, err := r.ProcessObject(context.Background(), objects.Ref{Store: store, Bucket: bucket, Key: "jobs.ndjson", ETag: "event-etag"}); err != nil {
			t.Fatal(err)
		}
		jobs := proc.Jobs()
		if len(jobs) != 2 {
			t.Fatalf("%s: %d jobs, want 2", store, len(jobs))
		}
		want := []flows.Job{
			{Trigger: store, RecordID: store + "://" + bucket + "/jobs.ndjson#1", Body: []byte(`{"a":1}`),
				DerivedKey: store + ":" + bucket + "/jobs.ndjson@" + info.ETag + "#1"},
			{Trigger: store, RecordID: store + "://" + bucket + "/jobs.ndjson#3",
				DerivedKey: store + ":" + bucket + "/jobs.ndjson@" + info.ETag + "#3"},
		}
		for i, j := range jobs {
			w := want[i]
			if j.Trigger != w.Trigger || j.RecordID != w.RecordID || j.DerivedKey != w.DerivedKey || !bytes.Equal(j.Body, w.Body) {
				t.Errorf("%s job %d = %+v, want %+v", store, i, j, w)
			}
		}
		if jobs[0].DecodeErr != nil || jobs[1].DecodeErr == nil {
			t.Errorf("%s DecodeErr = %v, %v; want nil, an error", store, jobs[0].DecodeErr, jobs[1].DecodeErr)
		}
	}
}

// TestProcessObjectGolden pins the bytes of a results object.
func TestProcessObjectGolden(t *testing.T) {
	content := "{\"FlowInfos\":[{\"FlowName\":\"a\"}]}\n\n{broken\n{\"note\":\"retry later\"}\n[1]\n"
	for _, store := range []string{"s3", "cos"} {
		t.Run(store, func(t *testing.T) {
			srv := objectstest.Start(t, bucket)
			srv.PutObject(t, bucket, "mixed.ndjson", strings.NewReader(content), int64(len(content)))
			r := &objects.Runner{Stores: srv.Stores(t), Processor: objectstest.Classify(), Logger: quiet}
			rep, err := r.ProcessObject(context.Background(), objects.Ref{Store: store, Bucket: bucket, Key: "mixed.ndjson"})
			if !errors.Is(err, objects.ErrRetryable) {
				t.Fatalf("error = %v, want ErrRetryable", err)
			}
			got := srv.Object(t, bucket, rep.ResultsKey)
			golden := filepath.Join("testdata", "mixed."+store+".results.ndjson")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("results object differs from %s\n got: %s\nwant: %s", golden, got, want)
			}
		})
	}
}

// TestProcessObjectProcessorMismatch checks that a processor breaking its contract (fewer
// outcomes than jobs) fails the object instead of writing misaligned results.
func TestProcessObjectProcessorMismatch(t *testing.T) {
	srv := objectstest.Start(t, bucket)
	content := ndjson(30)
	srv.PutObject(t, bucket, "mismatch.ndjson", strings.NewReader(content), int64(len(content)))
	proc := &objectstest.Processor{Func: func(_ context.Context, jobs []flows.Job, _ flows.BatchOptions) []flows.Outcome {
		return make([]flows.Outcome, len(jobs)-1)
	}}
	r := &objects.Runner{Stores: srv.Stores(t), Processor: proc, Chunk: 5, Logger: quiet}
	_, err := r.ProcessObject(context.Background(), objects.Ref{Store: "s3", Bucket: bucket, Key: "mismatch.ndjson"})
	if err == nil || !strings.Contains(err.Error(), "4 outcomes for 5 jobs") {
		t.Fatalf("error = %v, want an outcome count mismatch", err)
	}
	if srv.Exists(bucket, "results/mismatch.ndjson.ndjson") {
		t.Error("a results object was written after a processor failure")
	}
	if n := len(proc.Batches()); n != 1 {
		t.Errorf("processor called %d times after the failure, want 1", n)
	}
}

// TestProcessObjectConfig checks the configuration errors.
func TestProcessObjectConfig(t *testing.T) {
	srv := objectstest.Start(t, bucket)
	tests := []struct {
		name string
		r    *objects.Runner
		ref  objects.Ref
		want string
	}{
		{"unknown store", &objects.Runner{Stores: srv.Stores(t), Processor: objectstest.Classify(), Logger: quiet},
			objects.Ref{Store: "gcs", Bucket: bucket, Key: "a"}, `no store configured for "gcs"`},
		{"no processor", &objects.Runner{Stores: srv.Stores(t), Logger: quiet},
			objects.Ref{Store: "s3", Bucket: bucket, Key: "a"}, "no processor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.r.ProcessObject(context.Background(), tc.ref)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// bigObject generates about size bytes of NDJSON requests of lineLen bytes each, without holding
// them in memory.
type bigObject struct {
	lineLen, lines, i int
	pending           []byte
}

func newBigObject(size, lineLen int) *bigObject {
	return &bigObject{lineLen: lineLen, lines: size / lineLen}
}

func (b *bigObject) size() int64 { return int64(b.lines * b.lineLen) }

func (b *bigObject) Read(p []byte) (int, error) {
	if len(b.pending) == 0 {
		if b.i == b.lines {
			return 0, io.EOF
		}
		b.i++
		head := fmt.Sprintf(`{"n":%d,"pad":"`, b.i)
		line := head + strings.Repeat("p", b.lineLen-len(head)-3) + "\"}\n"
		b.pending = []byte(line)
	}
	n := copy(p, b.pending)
	b.pending = b.pending[n:]
	return n, nil
}

// TestProcessObjectLargeBoundedMemory processes a 20 MB object through each adapter and checks
// that the live heap, measured after a forced GC inside every ProcessBatch call (while the next
// chunk is being read), stays a small fraction of the object's size. The requests are 16 KiB
// each so that the results object, which the in-memory server keeps, stays small next to the
// input.
func TestProcessObjectLargeBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("large object test skipped in -short mode")
	}
	const size, lineLen = 20 << 20, 16 << 10
	for _, store := range []string{"s3", "cos"} {
		t.Run(store, func(t *testing.T) {
			srv := objectstest.Start(t, bucket)
			obj := newBigObject(size, lineLen)
			srv.PutObject(t, bucket, "big.ndjson", obj, obj.size())

			runtime.GC()
			base := liveHeap()
			var peak uint64
			classify := objectstest.Classify().Func
			proc := &objectstest.Processor{Forget: true, Func: func(ctx context.Context, jobs []flows.Job, opts flows.BatchOptions) []flows.Outcome {
				out := classify(ctx, jobs, opts)
				runtime.GC()
				peak = max(peak, liveHeap())
				return out
			}}
			r := &objects.Runner{Stores: srv.Stores(t), Processor: proc, Logger: quiet}
			rep, err := r.ProcessObject(context.Background(), objects.Ref{Store: store, Bucket: bucket, Key: "big.ndjson"})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Requests != obj.lines || rep.Created != obj.lines {
				t.Fatalf("report = %+v, want %d created", rep, obj.lines)
			}
			growth := int64(peak) - int64(base)
			t.Logf("object %d MB, %d requests in %d chunks: live heap %.1f MB before, peak %.1f MB during, growth %.2f MB",
				size>>20, rep.Requests, len(proc.Batches()), float64(base)/(1<<20), float64(peak)/(1<<20), float64(growth)/(1<<20))
			if limit := int64(size / 8); growth > limit {
				t.Errorf("live heap grew by %d bytes while processing a %d-byte object, want under %d", growth, size, limit)
			}
			if n := len(parseResults(t, srv.Object(t, bucket, rep.ResultsKey))); n != obj.lines {
				t.Errorf("results has %d lines, want %d", n, obj.lines)
			}
		})
	}
}

// liveHeap returns the bytes of allocated heap objects; right after runtime.GC that is the live
// heap.
func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestProcessObjectFailures checks that a failed results upload and a cancelled context are
// errors naming the object, and that no results object is left after a cancelled read.
func TestProcessObjectFailures(t *testing.T) {
	t.Run("results upload refused", func(t *testing.T) {
		srv := objectstest.Start(t, bucket)
		srv.PutObject(t, bucket, "in.ndjson", strings.NewReader(ndjson(3)), int64(len(ndjson(3))))
		var calls int
		// The credentials run out after the GET: the PUT of the results cannot be signed.
		st := srv.COSStore(t, func() (cos.Credentials, error) {
			calls++
			if calls > 1 {
				return cos.Credentials{}, errors.New("role credentials expired")
			}
			return cos.Credentials{SecretID: "AKIDTEST", SecretKey: "test-secret"}, nil
		})
		r := &objects.Runner{Stores: map[string]objects.Store{"cos": st}, Processor: objectstest.Classify(), Logger: quiet}
		rep, err := r.ProcessObject(context.Background(), objects.Ref{Store: "cos", Bucket: bucket, Key: "in.ndjson"})
		if err == nil || !strings.Contains(err.Error(), "write results cos://"+bucket+"/results/in.ndjson.ndjson") ||
			!strings.Contains(err.Error(), "role credentials expired") {
			t.Fatalf("error = %v, want a wrapped write failure naming the results object", err)
		}
		if rep.Requests != 3 || rep.ResultsKey != "" {
			t.Errorf("report = %+v, want 3 requests and no ResultsKey", rep)
		}
	})
	t.Run("context cancelled while reading", func(t *testing.T) {
		srv := objectstest.Start(t, bucket)
		content := ndjson(200)
		srv.PutObject(t, bucket, "in.ndjson", strings.NewReader(content), int64(len(content)))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		classify := objectstest.Classify().Func
		proc := &objectstest.Processor{Func: func(ctx context.Context, jobs []flows.Job, opts flows.BatchOptions) []flows.Outcome {
			cancel()
			return classify(ctx, jobs, opts)
		}}
		r := &objects.Runner{Stores: srv.Stores(t), Processor: proc, Chunk: 10, Logger: quiet}
		_, err := r.ProcessObject(ctx, objects.Ref{Store: "s3", Bucket: bucket, Key: "in.ndjson"})
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "s3://"+bucket+"/in.ndjson") {
			t.Fatalf("error = %v, want context.Canceled naming the object", err)
		}
		if srv.Exists(bucket, "results/in.ndjson.ndjson") {
			t.Error("a results object was written for a partly read object")
		}
		if n := len(proc.Batches()); n != 1 {
			t.Errorf("processor called %d times, want once: nothing after the cancellation", n)
		}
	})
}

// BenchmarkProcessObject measures a whole run over a 4 MB NDJSON object of small requests
// (read, split, process with the Classify processor, spool and upload the results) through the s3
// adapter. The baseline only downloads the same object through the same adapter.
func BenchmarkProcessObject(b *testing.B) {
	srv := objectstest.Start(b, bucket)
	obj := newBigObject(4<<20, 256)
	srv.PutObject(b, bucket, "bench.ndjson", obj, obj.size())
	store := srv.S3Store()
	b.Run("Runner", func(b *testing.B) {
		proc := objectstest.Classify()
		proc.Forget = true
		r := &objects.Runner{Stores: map[string]objects.Store{"s3": store}, Processor: proc, Logger: quiet}
		b.SetBytes(obj.size())
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.ProcessObject(context.Background(), objects.Ref{Store: "s3", Bucket: bucket, Key: "bench.ndjson"}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(obj.lines), "requests/op")
	})
	b.Run("DownloadBaseline", func(b *testing.B) {
		b.SetBytes(obj.size())
		b.ReportAllocs()
		for b.Loop() {
			rc, _, err := store.Open(context.Background(), bucket, "bench.ndjson")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				b.Fatal(err)
			}
			rc.Close()
		}
	})
}
