package deploycheck

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func readTemplate(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(repoFile("template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSAMFile checks the real template.yaml and the essflow-specific choices in it.
func TestSAMFile(t *testing.T) {
	data := readTemplate(t)
	if problems := CheckSAM(data); len(problems) > 0 {
		t.Fatalf("template.yaml has %d problems:\n%s", len(problems), joinErrors(problems))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	props := get(get(get(root.Content[0], "Resources"), "EssflowFunction"), "Properties")
	// scripts/build.sh writes dist/lambda.zip; SAM uploads it as is.
	if got := scalar(get(props, "CodeUri")); got != "dist/lambda.zip" {
		t.Errorf("CodeUri = %q, want dist/lambda.zip (the artifact scripts/build.sh writes)", got)
	}
	vars := get(get(props, "Environment"), "Variables")
	for _, k := range append(requiredSettings, "ESSFLOW_TENCENT_SECRET_ARN") {
		if get(vars, k) == nil {
			t.Errorf("environment variable %s missing", k)
		}
	}
	if got := scalar(get(vars, "ESSFLOW_RESULTS_PREFIX")); got != ResultsPrefix {
		t.Errorf("ESSFLOW_RESULTS_PREFIX = %q, want %q", got, ResultsPrefix)
	}
	if !strings.Contains(string(data), ":::essflow-${Stage}-${AWS::AccountId}-${AWS::Region}/"+ResultsPrefix+"*") {
		t.Errorf("no s3:PutObject grant limited to %s*", ResultsPrefix)
	}
	for i := 0; vars != nil && i < len(vars.Content); i += 2 {
		k := vars.Content[i].Value
		if (strings.Contains(k, "SECRET") || strings.Contains(k, "TOKEN")) && !strings.HasSuffix(k, "_ARN") {
			t.Errorf("environment variable %s looks like a secret; pass a Secrets Manager ARN instead", k)
		}
	}
}

// TestSAMRules proves each rule can fail: every case edits one thing in a copy of the real
// template.yaml and expects a problem naming it. Cases with an empty want are equivalent forms
// that must still pass.
func TestSAMRules(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{name: "runtime", old: "Runtime: provided.al2023", new: "Runtime: go1.x", want: "Runtime"},
		{name: "architecture", old: "Architectures: [arm64]", new: "Architectures: [x86_64]", want: "Architectures"},
		{name: "two architectures", old: "Architectures: [arm64]", new: "Architectures: [arm64, x86_64]", want: "Architectures"},
		{name: "handler", old: "Handler: bootstrap", new: "Handler: main", want: "Handler"},
		{name: "runtime from Globals", old: "      Runtime: provided.al2023\n", new: "", want: "Runtime"},
		{name: "runtime in Globals", old: "    MemorySize: 256\n", new: "    MemorySize: 256\n    Runtime: provided.al2023\n    Handler: bootstrap\n",
			want: ""},
		{name: "no partial batch response", old: "            FunctionResponseTypes: [ReportBatchItemFailures]\n", new: "", want: "FunctionResponseTypes"},
		{name: "no SQS event", old: "RequestMessages:\n          Type: SQS\n", new: "RequestMessages:\n          Type: SNS\n", want: "no function has an SQS event"},
		{name: "queue by literal ARN", old: "Queue: !GetAtt RequestQueue.Arn", new: "Queue: arn:aws:sqs:us-east-1:123456789012:q", want: "Properties.Queue"},
		{name: "queue in long form", old: "Queue: !GetAtt RequestQueue.Arn", new: "Queue: {'Fn::GetAtt': [RequestQueue, Arn]}", want: ""},
		{name: "queue in sequence form", old: "Queue: !GetAtt RequestQueue.Arn", new: "Queue: !GetAtt [RequestQueue, Arn]", want: ""},
		{name: "no redrive", old: "      RedrivePolicy:\n", new: "      NoRedrive:\n", want: "deadLetterTargetArn"},
		{name: "redrive to itself", old: "deadLetterTargetArn: !GetAtt RequestDeadLetterQueue.Arn", new: "deadLetterTargetArn: !GetAtt RequestQueue.Arn", want: "deadLetterTargetArn"},
		{name: "dead-letter queue not a queue", old: "  RequestDeadLetterQueue:\n    Type: AWS::SQS::Queue", new: "  RequestDeadLetterQueue:\n    Type: AWS::SNS::Topic", want: "deadLetterTargetArn"},
		{name: "maxReceiveCount 0", old: "maxReceiveCount: 5", new: "maxReceiveCount: 0", want: "maxReceiveCount"},
		{name: "S3 prefix results", old: "Value: in/", new: "Value: results/", want: "Filter"},
		{name: "S3 no prefix", old: "                  - Name: prefix\n                    Value: in/\n", new: "", want: "Filter"},
		{name: "wildcard resource", old: "Resource: !Ref TencentSecretArn", new: "Resource: '*'", want: `"ReadTencentCredentials" allows Resource "*"`},
		{name: "wildcard in list", old: "Resource: !Ref TencentSecretArn", new: "Resource: [!Ref TencentSecretArn, '*']", want: `allows Resource "*"`},
		{name: "no transform", old: "Transform: AWS::Serverless-2016-10-31", new: "Transform: AWS::LanguageExtensions", want: "Transform"},
		{name: "transform list", old: "Transform: AWS::Serverless-2016-10-31", new: "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]", want: ""},
		{name: "no function", old: "Type: AWS::Serverless::Function", new: "Type: AWS::Lambda::Function", want: "no AWS::Serverless::Function"},
	}
	data := string(readTemplate(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(data, tt.old) {
				t.Fatalf("template.yaml no longer contains %q; update this case", tt.old)
			}
			problems := CheckSAM([]byte(strings.Replace(data, tt.old, tt.new, 1)))
			if tt.want == "" {
				if len(problems) > 0 {
					t.Fatalf("want no problems, got:\n%s", joinErrors(problems))
				}
				return
			}
			if !strings.Contains(joinErrors(problems), tt.want) {
				t.Fatalf("want a problem containing %q, got:\n%s", tt.want, joinErrors(problems))
			}
		})
	}
}

func TestCheckSAMMalformed(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not yaml", "Resources: [", "parse template.yaml"},
		{"empty", "", "not a YAML mapping"},
		{"no resources", "Transform: AWS::Serverless-2016-10-31\n", "Resources: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := joinErrors(CheckSAM([]byte(tt.in))); !strings.Contains(got, tt.want) {
				t.Fatalf("want a problem containing %q, got %q", tt.want, got)
			}
		})
	}
}

// cfnLint runs cfn-lint on path and returns its combined output and exit code.
func cfnLint(t *testing.T, bin, path string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, path).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	default:
		t.Fatalf("run cfn-lint: %v", err)
		return "", -1
	}
}

// TestCfnLint runs AWS's cfn-lint (with the SAM transform) on template.yaml, and on a broken
// copy to prove the linter really runs.
func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("skipping: cfn-lint is not on PATH (.ci/run lints template.yaml where it is installed)")
	}
	if out, code := cfnLint(t, bin, repoFile("template.yaml")); code != 0 {
		t.Fatalf("cfn-lint template.yaml exited %d:\n%s", code, out)
	}
	broken := filepath.Join(t.TempDir(), "template.yaml")
	data := bytes.Replace(readTemplate(t), []byte("FunctionResponseTypes: [ReportBatchItemFailures]"), []byte("FunctionResponseTypes: [ReportFailures]"), 1)
	if err := os.WriteFile(broken, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := cfnLint(t, bin, broken); code == 0 || !strings.Contains(out, "E3030") {
		t.Fatalf("cfn-lint accepted a bad FunctionResponseTypes (exit %d):\n%s", code, out)
	}
}

func FuzzCheckSAM(f *testing.F) {
	f.Add(readTemplate(f))
	f.Add([]byte("Resources: {F: {Type: AWS::Serverless::Function, Properties: {Events: {Q: {Type: SQS, Properties: {Queue: !GetAtt [Q]}}}}}}\n"))
	f.Add([]byte("Resources: {F: {Type: AWS::Serverless::Function, Properties: {Events: {Q: {Type: SQS, Properties: {Queue: {'Fn::GetAtt': X}}}, S: {Type: S3, Properties: {Filter: {S3Key: {Rules: [1]}}}}}}}, X: {Type: AWS::SQS::Queue, Properties: {RedrivePolicy: {maxReceiveCount: [1]}}}}\n"))
	f.Add([]byte("Globals: !Ref X\nResources: {F: {Type: AWS::Serverless::Function, Properties: {Policies: [{Effect: Allow, Resource: {a: b}}]}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range CheckSAM(data) {
			if p == nil {
				t.Fatal("nil problem")
			}
		}
	})
}
