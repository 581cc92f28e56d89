package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/tencentyun/scf-go-lib/cloudfunction"
	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"

	"github.com/essflow/essflow/shared/app"
	"github.com/essflow/essflow/shared/config"
	lambdart "github.com/essflow/essflow/shared/runtime/lambda"
	scfrt "github.com/essflow/essflow/shared/runtime/scf"
)

// localEnv reads the environment, defaulting the ESS endpoint to the embedded sandbox.
func localEnv(name string) string {
	v := os.Getenv(name)
	if name == config.EnvEndpoint && v == "" {
		return config.EndpointSandbox
	}
	if name == config.EnvFunctionName && v == "" {
		return "essflow-local"
	}
	return v
}

// invoker runs one raw event through a platform's real entry path.
type invoker interface {
	Invoke(ctx context.Context, requestID string, event []byte, timeout time.Duration) (payload []byte, fnErr *functionError, err error)
	Close()
}

// functionError is an error the function returned (as the platform reports it).
type functionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func newInvoker(ctx context.Context, platform string, stderr io.Writer) (invoker, *app.App, error) {
	switch platform {
	case "scf":
		opts := scfrt.AppOptions()
		opts.Getenv, opts.LogOutput, opts.RequireStoreChoice = localEnv, stderr, false
		a, err := app.Build(ctx, opts)
		if err != nil {
			return nil, nil, err
		}
		inv, err := startSCF(scfrt.NewHandler(a).Invoke)
		if err != nil {
			a.Close()
			return nil, nil, err
		}
		return inv, a, nil
	case "lambda":
		opts, err := lambdart.AppOptions(ctx, localEnv)
		if err != nil {
			return nil, nil, err
		}
		opts.LogOutput, opts.RequireStoreChoice = stderr, false
		a, err := app.Build(ctx, opts)
		if err != nil {
			return nil, nil, err
		}
		return &lambdaInvoker{h: lambda.NewHandler(lambdart.NewHandler(a).Invoke)}, a, nil
	}
	return nil, nil, fmt.Errorf("--platform %q: want scf or lambda", platform)
}

func invokeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	event := fs.String("event", "", "event JSON file (see scripts/local/events/)")
	platform := fs.String("platform", "scf", "scf or lambda")
	timeout := fs.Duration("timeout", 60*time.Second, "invocation deadline, as the platform's function timeout")
	reqID := fs.String("request-id", "", "invocation request id (random when empty)")
	object := fs.String("object", "scripts/local/events/batch.ndjson", "storage events: the requests file served as every object the event names (when no ESSFLOW_COS_ENDPOINT/ESSFLOW_S3_ENDPOINT is set)")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	if *event == "" {
		fmt.Fprintln(stderr, "invoke: --event FILE is required")
		return exitCode(2)
	}
	raw, err := os.ReadFile(*event)
	if err != nil {
		return fmt.Errorf("read event: %w", err)
	}
	objs, err := startLocalObjects(*platform, raw, *object, stderr)
	if err != nil {
		return err
	}
	if objs != nil {
		defer objs.Close()
	}
	inv, a, err := newInvoker(ctx, *platform, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	defer inv.Close()
	if objs != nil {
		defer objs.report(a.Config.ResultsPrefix, stderr)
	}
	if *reqID == "" {
		*reqID = fmt.Sprintf("local-%d", time.Now().UnixNano())
	}
	payload, fnErr, err := inv.Invoke(ctx, *reqID, raw, *timeout)
	if err != nil {
		return err
	}
	if fnErr != nil {
		b, _ := json.Marshal(fnErr)
		fmt.Fprintln(stdout, string(b))
		return exitCode(1)
	}
	fmt.Fprintln(stdout, string(payload))
	return nil
}

// scfInvoker drives a handler through scf-go-lib's own net/rpc protocol, as the SCF runtime does.
type scfInvoker struct {
	client *rpc.Client
	mu     sync.Mutex
}

var scfStartOnce sync.Once

// startSCF starts cloudfunction.Start(handler) in this process on a free port and connects to it.
func startSCF(handler any) (*scfInvoker, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	started := false
	scfStartOnce.Do(func() {
		started = true
		os.Setenv("_LAMBDA_SERVER_PORT", strconv.Itoa(port))
		go cloudfunction.Start(handler)
	})
	if !started {
		return nil, errors.New("the SCF runtime can only be started once per process")
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var client *rpc.Client
	for i := 0; i < 200; i++ {
		if client, err = rpc.Dial("tcp", addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to the SCF runtime on %s: %w", addr, err)
	}
	if err := client.Call("Function.Ping", &messages.PingRequest{}, &messages.PingResponse{}); err != nil {
		return nil, fmt.Errorf("ping the SCF runtime: %w", err)
	}
	return &scfInvoker{client: client}, nil
}

func (s *scfInvoker) Invoke(ctx context.Context, requestID string, event []byte, timeout time.Duration) ([]byte, *functionError, error) {
	deadline := time.Now().Add(timeout)
	env, _ := json.Marshal(map[string]string{})
	req := &messages.InvokeRequest{
		Payload:         event,
		RequestId:       requestID,
		Deadline:        messages.InvokeRequest_Timestamp{Seconds: deadline.Unix(), Nanos: int64(deadline.Nanosecond())},
		FunctionName:    localEnv(config.EnvFunctionName),
		FunctionVersion: "$LATEST",
		Namespace:       "default",
		TimeLimitInMs:   int32(timeout.Milliseconds()),
		MemoryLimitInMb: 256,
		Environment:     string(env),
	}
	var resp messages.InvokeResponse
	call := s.client.Go("Function.Invoke", req, &resp, nil)
	select {
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	case <-call.Done:
	}
	if call.Error != nil {
		return nil, nil, fmt.Errorf("Function.Invoke: %w", call.Error)
	}
	if resp.Error != nil {
		return nil, &functionError{Message: resp.Error.Message, Type: resp.Error.Type}, nil
	}
	return resp.Payload, nil, nil
}

func (s *scfInvoker) Close() { s.client.Close() }

// lambdaInvoker runs aws-lambda-go's own handler wrapper (JSON in, JSON out) with a Lambda context.
type lambdaInvoker struct{ h lambda.Handler }

func (l *lambdaInvoker) Invoke(ctx context.Context, requestID string, event []byte, timeout time.Duration) ([]byte, *functionError, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID,
		InvokedFunctionArn: "arn:aws:lambda:local:000000000000:function:" + localEnv(config.EnvFunctionName)})
	out, err := l.h.Invoke(ctx, event)
	if err != nil {
		return nil, &functionError{Message: err.Error(), Type: fmt.Sprintf("%T", err)}, nil
	}
	return out, nil, nil
}

func (l *lambdaInvoker) Close() {}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
