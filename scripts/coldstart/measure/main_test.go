package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// goTool returns the go command that runs this test.
func goTool(tb testing.TB) string {
	tb.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("skipping: no go command to build the function under test: %v", err)
	}
	return p
}

// buildFunction builds pkg the way scripts/build.sh does, for the host, into dir.
func buildFunction(tb testing.TB, pkg, dir string) (string, error) {
	tb.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command(goTool(tb), "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", out, pkg)
	cmd.Dir = filepath.Join("..", "..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{pkg: pkg, out: string(b), err: err}
	}
	return out, nil
}

type buildError struct {
	pkg, out string
	err      error
}

func (e *buildError) Error() string { return "build " + e.pkg + ": " + e.err.Error() + ": " + e.out }

var (
	helloOnce sync.Once
	helloDir  string
	helloBin  string
	helloErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if helloDir != "" {
		os.RemoveAll(helloDir)
	}
	os.Exit(code)
}

// hello builds scripts/coldstart/hello once per test binary.
func hello(tb testing.TB) string {
	tb.Helper()
	helloOnce.Do(func() {
		helloDir, helloErr = os.MkdirTemp("", "coldstart-hello")
		if helloErr != nil {
			return
		}
		helloBin, helloErr = buildFunction(tb, "./scripts/coldstart/hello", helloDir)
	})
	if helloErr != nil {
		tb.Fatal(helloErr)
	}
	return helloBin
}

func TestStartToReady(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("skipping: no sh for the failing cases")
	}
	script := filepath.Join(t.TempDir(), "never-ready.sh")
	if err := os.WriteFile(script, []byte("#!"+sh+"\necho starting; exec sleep 30\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	crash := filepath.Join(t.TempDir(), "crash.sh")
	if err := os.WriteFile(crash, []byte("#!"+sh+"\necho boom >&2; exit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		bin     string
		timeout time.Duration
		wantErr string
	}{
		{name: "hello answers Ping", bin: hello(t), timeout: 10 * time.Second},
		{name: "exits before ready", bin: crash, timeout: 10 * time.Second, wantErr: "exited before it was ready"},
		{name: "never listens", bin: script, timeout: 300 * time.Millisecond, wantErr: "not ready within"},
		{name: "missing binary", bin: filepath.Join(t.TempDir(), "absent"), timeout: time.Second, wantErr: "start "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := startToReady(context.Background(), tt.bin, []string{"PATH=" + os.Getenv("PATH")}, tt.timeout)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if d <= 0 || d > tt.timeout {
					t.Fatalf("start-to-ready %v outside (0, %v]", d, tt.timeout)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	t.Run("output tail in error", func(t *testing.T) {
		_, err := startToReady(context.Background(), crash, nil, 10*time.Second)
		if err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("error %v does not carry the process output", err)
		}
	})
}

func TestSummarize(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	tests := []struct {
		name string
		in   []time.Duration
		want summary
	}{
		{name: "empty", in: nil, want: summary{}},
		{name: "one", in: ms(5), want: summary{N: 1, Median: 5 * time.Millisecond, P90: 5 * time.Millisecond, Min: 5 * time.Millisecond, Max: 5 * time.Millisecond}},
		{name: "odd unsorted", in: ms(9, 1, 5), want: summary{N: 3, Median: 5 * time.Millisecond, P90: 9 * time.Millisecond, Min: time.Millisecond, Max: 9 * time.Millisecond}},
		{name: "even", in: ms(4, 1, 3, 2), want: summary{N: 4, Median: 2500 * time.Microsecond, P90: 4 * time.Millisecond, Min: time.Millisecond, Max: 4 * time.Millisecond}},
		{name: "ten", in: ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), want: summary{N: 10, Median: 5500 * time.Microsecond, P90: 9 * time.Millisecond, Min: time.Millisecond, Max: 10 * time.Millisecond}},
		{name: "twenty", in: ms(20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1), want: summary{N: 20, Median: 10500 * time.Microsecond, P90: 18 * time.Millisecond, Min: time.Millisecond, Max: 20 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]time.Duration(nil), tt.in...)
			if got := summarize(tt.in); got != tt.want {
				t.Fatalf("summarize = %+v, want %+v", got, tt.want)
			}
			for i := range in {
				if in[i] != tt.in[i] {
					t.Fatal("summarize reordered its input")
				}
			}
		})
	}
}

func TestRun(t *testing.T) {
	bin := hello(t)
	zip := filepath.Join(t.TempDir(), "big.zip")
	if err := os.WriteFile(zip, make([]byte, 2048), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		cfg        config
		wantMissed bool
		wantErr    bool
		wantOut    []string
	}{
		{name: "same binary meets a loose ratio", cfg: config{Baseline: bin, Fn: bin, N: 2, Timeout: 10 * time.Second, MaxRatio: 100, MaxZip: 4096, Zips: []string{zip}},
			wantOut: []string{"ratio function/baseline", "PASS", "2048 bytes"}},
		{name: "zip over the goal", cfg: config{Baseline: bin, Fn: bin, N: 1, Timeout: 10 * time.Second, MaxRatio: 100, MaxZip: 1024, Zips: []string{zip}},
			wantMissed: true, wantOut: []string{"MISS"}},
		{name: "impossible ratio", cfg: config{Baseline: bin, Fn: bin, N: 1, Timeout: 10 * time.Second, MaxRatio: 0.0001, MaxZip: 1 << 30},
			wantMissed: true, wantOut: []string{"MISS"}},
		{name: "missing fn", cfg: config{Baseline: bin, N: 1}, wantErr: true},
		{name: "zero runs", cfg: config{Baseline: bin, Fn: bin, N: 0}, wantErr: true},
		{name: "missing zip", cfg: config{Baseline: bin, Fn: bin, N: 1, Timeout: 10 * time.Second, MaxRatio: 100, Zips: []string{zip + ".absent"}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			missed, err := run(context.Background(), tt.cfg, &out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("run error = %v, wantErr %v", err, tt.wantErr)
			}
			if missed != tt.wantMissed {
				t.Errorf("missed = %v, want %v; report:\n%s", missed, tt.wantMissed, out.String())
			}
			for _, s := range tt.wantOut {
				if !strings.Contains(out.String(), s) {
					t.Errorf("report lacks %q:\n%s", s, out.String())
				}
			}
		})
	}
}

// BenchmarkColdStart measures exec-to-first-Ping of the hello-world baseline and, beside it in
// the same run, of functions/scf (skipped while that package does not build). Each op is one
// full process start and stop (ns/op); the ms-to-ready metric is exec to first Ping only, the
// figure to compare between the two lines.
//
//	go test -run '^$' -bench ColdStart -count 5 ./scripts/coldstart/measure
//
// Extra environment for both processes comes from ESSFLOW_COLDSTART_ENV (space-separated
// KEY=VALUE pairs); ESSFLOW_ESS_ENDPOINT=sandbox is always set.
func BenchmarkColdStart(b *testing.B) {
	env := []string{"PATH=" + os.Getenv("PATH"), "TZ=UTC", "ESSFLOW_ESS_ENDPOINT=sandbox"}
	env = append(env, strings.Fields(os.Getenv("ESSFLOW_COLDSTART_ENV"))...)
	subjects := []struct{ name, pkg string }{
		{"baseline=hello", "./scripts/coldstart/hello"},
		{"function=scf", "./functions/scf"},
	}
	dir := b.TempDir()
	for _, s := range subjects {
		b.Run(s.name, func(b *testing.B) {
			bin, err := buildFunction(b, s.pkg, dir)
			if err != nil {
				b.Skipf("skipping: %v", err)
			}
			ctx := context.Background()
			var ready time.Duration
			for b.Loop() {
				d, err := startToReady(ctx, bin, env, 10*time.Second)
				if err != nil {
					b.Fatal(err)
				}
				ready += d
			}
			b.ReportMetric(float64(ready)/float64(b.N)/1e6, "ms-to-ready")
		})
	}
}
