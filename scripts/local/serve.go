package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

func serveCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9000", "listen address")
	platform := fs.String("platform", "scf", "scf (API gateway event) or lambda (HTTP API v2 event)")
	timeout := fs.Duration("timeout", 30*time.Second, "per-request invocation deadline")
	maxBody := fs.Int64("max-body", 10<<20, "largest body accepted from the wire (the function applies its own limit)")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	inv, a, err := newInvoker(ctx, *platform, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	defer inv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	gw := &gateway{inv: inv, platform: *platform, timeout: *timeout, maxBody: *maxBody}
	srv := &http.Server{Handler: gw, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stderr, "essflow local %s function listening on http://%s (POST a CreateFlowsByTemplates request to /flows)\n", *platform, ln.Addr())
	if a.Sandbox != nil {
		fmt.Fprintf(stderr, "embedded ESS sandbox at %s (created flows: %s/_sandbox/flows)\n", a.Sandbox.URL, a.Sandbox.URL)
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// gateway turns plain HTTP requests into API-gateway events, as the cloud's gateway does.
type gateway struct {
	inv      invoker
	platform string
	timeout  time.Duration
	maxBody  int64
	seq      atomic.Int64
}

// gatewayResponse is the integration response both platforms' HTTP triggers return.
type gatewayResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, g.maxBody+1))
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if int64(len(body)) > g.maxBody {
		http.Error(w, "request body too large for the local gateway", http.StatusRequestEntityTooLarge)
		return
	}
	reqID := fmt.Sprintf("local-%d-%d", time.Now().Unix(), g.seq.Add(1))
	event, err := g.event(r, body, reqID)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	payload, fnErr, err := g.inv.Invoke(r.Context(), reqID, event, g.timeout)
	if err != nil || fnErr != nil {
		// The cloud gateway answers 502 when the function fails.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		json.NewEncoder(w).Encode(map[string]any{"message": "function error", "requestId": reqID})
		return
	}
	var resp gatewayResponse
	if err := json.Unmarshal(payload, &resp); err != nil || resp.StatusCode == 0 {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "invalid function response\n")
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	w.Header().Set("X-Request-Id", reqID)
	w.WriteHeader(resp.StatusCode)
	if resp.IsBase64Encoded {
		b, _ := base64.StdEncoding.DecodeString(resp.Body)
		w.Write(b)
		return
	}
	io.WriteString(w, resp.Body)
}

func (g *gateway) event(r *http.Request, body []byte, reqID string) ([]byte, error) {
	headers := map[string]string{}
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	query := map[string]any{}
	for k, v := range r.URL.Query() {
		if len(v) == 1 {
			query[k] = v[0]
		} else {
			query[k] = v
		}
	}
	if g.platform == "lambda" {
		return json.Marshal(map[string]any{
			"version": "2.0", "routeKey": r.Method + " " + r.URL.Path, "rawPath": r.URL.Path,
			"rawQueryString": r.URL.RawQuery, "headers": headers, "body": string(body), "isBase64Encoded": false,
			"requestContext": map[string]any{
				"accountId": "000000000000", "apiId": "local", "domainName": r.Host, "requestId": reqID,
				"routeKey": r.Method + " " + r.URL.Path, "stage": "$default",
				"timeEpoch": time.Now().UnixMilli(), "time": time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700"),
				"http": map[string]any{"method": r.Method, "path": r.URL.Path, "protocol": r.Proto, "sourceIp": host, "userAgent": r.UserAgent()},
			},
		})
	}
	return json.Marshal(map[string]any{
		"httpMethod": r.Method, "path": r.URL.Path, "headers": headers, "queryString": query,
		"body": string(body), "isBase64Encoded": false,
		"requestContext": map[string]any{
			"serviceId": "service-local", "path": r.URL.Path, "httpMethod": r.Method, "requestId": reqID,
			"identity": map[string]any{}, "sourceIp": host, "stage": "release",
		},
		"headerParameters": map[string]any{}, "pathParameters": map[string]any{}, "queryStringParameters": map[string]any{},
		"stageVariables": map[string]string{"stage": "release"},
	})
}
