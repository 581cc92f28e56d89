// Command measure times the cold start of scf-go-lib event functions: how long a process takes
// from exec to answering the SCF Go1 runtime's first net/rpc "Function.Ping" on
// 127.0.0.1:$_LAMBDA_SERVER_PORT, which is the moment the platform can hand it an event.
//
// It runs the baseline (a hello-world function built the same way) and the function under test
// alternately, N times each after one discarded warm-up start each, and prints the median, p90
// and minimum of both, the function/baseline ratio of medians and p90s, and the sizes of the
// zips given with -zip. Every process gets a minimal environment (PATH, TZ=UTC, the -env pairs
// and a fresh free port), so results do not depend on the caller's shell.
//
// Usage:
//
//	measure -baseline /tmp/hello/main -fn dist/scf/main -n 30 \
//	    -env ESSFLOW_ESS_ENDPOINT=sandbox -zip dist/scf.zip -zip dist/lambda.zip
//
// With -strict it exits 2 when a goal is missed (ratio above -max-ratio, or a zip above
// -max-zip bytes); otherwise it only reports.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"
)

// pollInterval is the pause between two readiness probes of a starting process.
const pollInterval = 200 * time.Microsecond

// startToReady starts bin with env plus _LAMBDA_SERVER_PORT and returns the time from exec to
// the first successful Function.Ping. The process is killed before it returns. It fails when
// the process exits first or is not ready within timeout; the error then carries the tail of
// the process's output.
func startToReady(ctx context.Context, bin string, env []string, timeout time.Duration) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin)
	cmd.Env = append(append([]string{}, env...), "_LAMBDA_SERVER_PORT="+strconv.Itoa(port))
	out := &tailBuffer{max: 2048}
	cmd.Stdout, cmd.Stderr = out, out

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if ok := ping(addr); ok {
			elapsed := time.Since(start)
			stop()
			return elapsed, nil
		}
		select {
		case err := <-exited:
			return 0, fmt.Errorf("%s exited before it was ready (%v); output: %q", bin, err, out.String())
		case <-deadline.C:
			stop()
			return 0, fmt.Errorf("%s not ready within %v; output: %q", bin, timeout, out.String())
		case <-ctx.Done():
			stop()
			return 0, fmt.Errorf("measure %s: %w", bin, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// ping reports whether a Function.Ping call on addr succeeds.
func ping(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 50*time.Millisecond)
	if err != nil {
		return false
	}
	client := rpc.NewClient(conn)
	defer client.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	return client.Call("Function.Ping", &messages.PingRequest{}, &messages.PingResponse{}) == nil
}

// freePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last max bytes written to it; it is safe for concurrent writers.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}

// summary describes one set of start times.
type summary struct {
	N                     int
	Median, P90, Min, Max time.Duration
}

// summarize returns the median, nearest-rank 90th percentile, minimum and maximum of d. It
// returns the zero summary for no samples and does not modify d.
func summarize(d []time.Duration) summary {
	if len(d) == 0 {
		return summary{}
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	var median time.Duration
	if n := len(s); n%2 == 1 {
		median = s[n/2]
	} else {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	rank := (90*len(s) + 99) / 100 // ceil(0.9 n), 1-based
	return summary{N: len(s), Median: median, P90: s[rank-1], Min: s[0], Max: s[len(s)-1]}
}

// subject is one binary being measured.
type subject struct {
	Label, Bin string
	Times      []time.Duration
}

// config is everything one measurement run needs.
type config struct {
	Baseline, Fn string
	N            int
	Env          []string
	Zips         []string
	Timeout      time.Duration
	MaxRatio     float64
	MaxZip       int64
}

// run measures both binaries alternately and writes the report to w. It returns missed=true
// when a goal was not met, and an error when a measurement failed.
func run(ctx context.Context, cfg config, w io.Writer) (missed bool, err error) {
	if cfg.Baseline == "" || cfg.Fn == "" {
		return false, errors.New("both -baseline and -fn are required")
	}
	if cfg.N < 1 {
		return false, fmt.Errorf("-n must be at least 1, got %d", cfg.N)
	}
	env := append([]string{"PATH=" + os.Getenv("PATH"), "TZ=UTC"}, cfg.Env...)
	subjects := []*subject{
		{Label: "baseline " + filepath.Base(filepath.Dir(cfg.Baseline)) + "/" + filepath.Base(cfg.Baseline), Bin: cfg.Baseline},
		{Label: "function " + filepath.Base(filepath.Dir(cfg.Fn)) + "/" + filepath.Base(cfg.Fn), Bin: cfg.Fn},
	}
	for round := -1; round < cfg.N; round++ { // round -1 is the discarded warm-up
		order := subjects
		if round%2 != 0 {
			order = []*subject{subjects[1], subjects[0]}
		}
		for _, s := range order {
			d, err := startToReady(ctx, s.Bin, env, cfg.Timeout)
			if err != nil {
				return false, err
			}
			if round >= 0 {
				s.Times = append(s.Times, d)
			}
		}
	}

	fmt.Fprintf(w, "cold start: exec -> first Function.Ping answered (%d runs each, alternating, 1 warm-up discarded)\n", cfg.N)
	fmt.Fprintf(w, "%-32s %10s %10s %10s %10s %10s\n", "binary", "size", "median", "p90", "min", "max")
	sums := make([]summary, len(subjects))
	for i, s := range subjects {
		sums[i] = summarize(s.Times)
		size := int64(-1)
		if fi, err := os.Stat(s.Bin); err == nil {
			size = fi.Size()
		}
		fmt.Fprintf(w, "%-32s %10d %10s %10s %10s %10s\n", s.Label, size, ms(sums[i].Median), ms(sums[i].P90), ms(sums[i].Min), ms(sums[i].Max))
	}
	ratio := float64(sums[1].Median) / float64(sums[0].Median)
	ratioP90 := float64(sums[1].P90) / float64(sums[0].P90)
	verdict := "PASS"
	if ratio > cfg.MaxRatio {
		verdict, missed = "MISS", true
	}
	fmt.Fprintf(w, "ratio function/baseline: median %.2fx, p90 %.2fx (goal median <= %.2fx): %s\n", ratio, ratioP90, cfg.MaxRatio, verdict)
	for _, z := range cfg.Zips {
		fi, err := os.Stat(z)
		if err != nil {
			return missed, fmt.Errorf("zip size: %w", err)
		}
		verdict := "PASS"
		if fi.Size() > cfg.MaxZip {
			verdict, missed = "MISS", true
		}
		fmt.Fprintf(w, "zip %-28s %10d bytes (%.2f MiB, goal <= %.2f MiB): %s\n", z, fi.Size(), float64(fi.Size())/(1<<20), float64(cfg.MaxZip)/(1<<20), verdict)
	}
	return missed, nil
}

// ms formats d in milliseconds with two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var cfg config
	var env, zips listFlag
	flag.StringVar(&cfg.Baseline, "baseline", "", "baseline function `binary` (hello world)")
	flag.StringVar(&cfg.Fn, "fn", "", "function `binary` under test")
	flag.IntVar(&cfg.N, "n", 20, "measured starts per binary")
	flag.Var(&env, "env", "`KEY=VALUE` given to both processes (repeatable)")
	flag.Var(&zips, "zip", "zip `path` whose size is reported (repeatable)")
	flag.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "give up on a start after this long")
	flag.Float64Var(&cfg.MaxRatio, "max-ratio", 1.2, "goal: function median / baseline median")
	flag.Int64Var(&cfg.MaxZip, "max-zip", 6<<20, "goal: largest zip size in bytes")
	strict := flag.Bool("strict", false, "exit 2 when a goal is missed")
	flag.Parse()
	cfg.Env, cfg.Zips = env, zips
	for _, kv := range cfg.Env {
		if !strings.Contains(kv, "=") {
			fmt.Fprintf(os.Stderr, "measure: -env %q is not KEY=VALUE\n", kv)
			os.Exit(1)
		}
	}
	missed, err := run(context.Background(), cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
	if missed && *strict {
		os.Exit(2)
	}
}
