package sandbox

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Running is a sandbox listening on a loopback port, for tests of other packages.
type Running struct {
	// Server is the emulator, for Flows, InjectFault, Calls and Reset.
	Server *Server
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string
	// Host is the host:port to use as the SDK's HttpProfile.Endpoint (with Scheme "HTTP").
	Host string

	http *http.Server
	done chan error
}

// Start builds a Server from cfg and serves it on 127.0.0.1 at a free port until Close.
func Start(cfg Config) (*Running, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for sandbox: %w", err)
	}
	return serve(s, ln), nil
}

func serve(s *Server, ln net.Listener) *Running {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	r := &Running{Server: s, URL: "http://" + ln.Addr().String(), Host: ln.Addr().String(), http: hs, done: make(chan error, 1)}
	go func() { r.done <- hs.Serve(ln) }()
	return r
}

// Close stops listening and closes every connection at once.
func (r *Running) Close() error {
	err := r.http.Close()
	<-r.done
	if err != nil {
		return fmt.Errorf("close sandbox: %w", err)
	}
	return nil
}

// shutdown stops accepting calls and waits up to 5 s for running ones.
func (r *Running) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := r.http.Shutdown(ctx)
	if serveErr := <-r.done; !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve sandbox: %w", serveErr)
	}
	if err != nil {
		return fmt.Errorf("shut down sandbox: %w", err)
	}
	return nil
}

// RunCommand is the `sandbox` command of the local runner. It parses
//
//	--addr HOST:PORT (default 127.0.0.1:8090) --secret-id ID --secret-key KEY --token TOKEN
//	--app-id ID --templates FILE --qps N --latency DURATION --fault-rate R --seed N
//
// prints the listen address, the SecretId and the AppId (never the key or the token) to stderr,
// and serves until ctx is cancelled, then shuts down gracefully. -h prints the usage and returns
// nil.
func RunCommand(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	addr := fs.String("addr", DefaultAddr, "listen address")
	fs.StringVar(&cfg.SecretID, "secret-id", DefaultSecretID, "accepted SecretId")
	fs.StringVar(&cfg.SecretKey, "secret-key", DefaultSecretKey, "accepted SecretKey")
	fs.StringVar(&cfg.Token, "token", "", "required X-TC-Token (temporary credentials); empty: permanent key")
	fs.StringVar(&cfg.AppID, "app-id", DefaultAppID, "served Agent.AppId")
	templates := fs.String("templates", "", "template catalogue JSON file (default: the embedded catalogue)")
	fs.Float64Var(&cfg.QPS, "qps", DefaultQPS, "requests per second per SecretId and action; negative: unlimited")
	fs.DurationVar(&cfg.Latency, "latency", 0, "latency added to every API call")
	fs.Float64Var(&cfg.FaultRate, "fault-rate", 0, "probability (0..1) of a random fault per API call")
	fs.Int64Var(&cfg.Seed, "seed", 0, "seed for ids and random faults (0: random)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("sandbox: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sandbox: unexpected arguments %q", fs.Args())
	}
	if *templates != "" {
		t, err := LoadTemplates(*templates)
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		cfg.Templates = t
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := New(cfg)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("sandbox: listen on %s: %w", *addr, err)
	}
	r := serve(s, ln)
	fmt.Fprintf(stderr, "essbasic sandbox listening on %s (endpoint %s, scheme HTTP)\nSecretId %s  AppId %s\n",
		r.URL, r.Host, s.SecretID(), s.AppID())
	<-ctx.Done()
	return r.shutdown()
}
