package deploycheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// repoFile is the path of a file at the repository root.
func repoFile(name string) string { return filepath.Join("..", "..", name) }

// sampleEnv gives every ${env.X} of serverless.yml a realistic value.
func sampleEnv() map[string]string {
	return map[string]string{
		"STAGE":                       "prod",
		"TENCENT_REGION":              "ap-guangzhou",
		"ESSFLOW_RUN_ROLE":            "EssflowRunRole",
		"ESSFLOW_VPC_ID":              "vpc-abcd1234",
		"ESSFLOW_SUBNET_ID":           "subnet-abcd1234",
		"ESSFLOW_ESS_ENDPOINT":        "",
		"ESSFLOW_APP_ID":              "yDRSRUUgygj6rq7nUuO4zjEyBaCDoNXn",
		"ESSFLOW_ALLOWED_ORG_OPENIDS": strings.Repeat("org_open_id_0123456789abcdef,", 40),
		"ESSFLOW_RESULT_SINKS":        "https://example.com/essflow/results,kafka://10.0.0.20:9092/essflow-results",
		"ESSFLOW_IDEMPOTENCY_STORE":   "redis://10.0.0.12:6379/0",
		"ESSFLOW_DLQ_QUEUE":           "essflow-prod-dlq",
		"ESSFLOW_CMQ_TOPIC":           "essflow-requests",
		"ESSFLOW_CKAFKA_INSTANCE":     "ckafka-2o10hua5",
		"ESSFLOW_CKAFKA_TOPIC":        "essflow-requests",
		"ESSFLOW_COS_BUCKET":          "essflow-prod-1250000000.cos.ap-guangzhou.myqcloud.com",
	}
}

// requiredSettings are the non-secret variables the function reads on both platforms.
var requiredSettings = []string{"ESSFLOW_ESS_ENDPOINT", "ESSFLOW_APP_ID", "ESSFLOW_QPS", "ESSFLOW_ESS_TIMEOUT",
	"ESSFLOW_ALLOWED_ORG_OPENIDS", "ESSFLOW_RESULT_SINKS", "ESSFLOW_IDEMPOTENCY_STORE",
	"ESSFLOW_IDEMPOTENCY_TTL", "ESSFLOW_LOG_LEVEL"}

func readServerless(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(repoFile("serverless.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestServerlessFile checks the real serverless.yml and the essflow-specific choices in it.
func TestServerlessFile(t *testing.T) {
	data := readServerless(t)
	if problems := CheckServerless(data, sampleEnv()); len(problems) > 0 {
		t.Fatalf("serverless.yml has %d problems:\n%s", len(problems), joinErrors(problems))
	}
	var doc struct {
		Inputs struct {
			Src struct {
				Src string `yaml:"src"`
			} `yaml:"src"`
			Environment struct {
				Variables map[string]string `yaml:"variables"`
			} `yaml:"environment"`
			DeadLetter map[string]string      `yaml:"deadLetter"`
			Events     []map[string]yaml.Node `yaml:"events"`
			Role       string                 `yaml:"role"`
			Extra      map[string]any         `yaml:",inline"`
		} `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	// scripts/build.sh writes the SCF binary to dist/scf/main: the code package must be that directory.
	if got := doc.Inputs.Src.Src; got != "./dist/scf" {
		t.Errorf("inputs.src.src = %q, want ./dist/scf (where scripts/build.sh puts main)", got)
	}
	vars := doc.Inputs.Environment.Variables
	for _, k := range requiredSettings {
		if _, ok := vars[k]; !ok {
			t.Errorf("environment variable %s missing", k)
		}
	}
	for k := range vars {
		if strings.Contains(k, "SECRET") || strings.Contains(k, "TOKEN") || strings.Contains(k, "PASSWORD") {
			t.Errorf("environment variable %s looks like a secret; secrets must not be plain variables", k)
		}
	}
	if got := vars["ESSFLOW_RESULTS_PREFIX"]; got != ResultsPrefix {
		t.Errorf("ESSFLOW_RESULTS_PREFIX = %q, want %q (the prefix the cos trigger filter is checked against)", got, ResultsPrefix)
	}
	if doc.Inputs.Role == "" {
		t.Error("inputs.role (execution role providing ESS credentials) missing")
	}
	if doc.Inputs.DeadLetter["name"] == "" {
		t.Error("inputs.deadLetter missing")
	}
	types := map[string]bool{}
	for _, ev := range doc.Inputs.Events {
		for k := range ev {
			types[k] = true
		}
	}
	for _, want := range []string{"http", "apigw", "cmq", "ckafka", "cos"} {
		if !types[want] {
			t.Errorf("no %s trigger", want)
		}
	}
}

// mutation changes a decoded copy of serverless.yml.
type mutation func(t *testing.T, doc map[string]any)

func inputs(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	in, ok := doc["inputs"].(map[string]any)
	if !ok {
		t.Fatal("serverless.yml has no inputs mapping")
	}
	return in
}

// params returns the parameters of the first trigger of type typ.
func params(t *testing.T, doc map[string]any, typ string) map[string]any {
	t.Helper()
	for _, ev := range inputs(t, doc)["events"].([]any) {
		if body, ok := ev.(map[string]any)[typ]; ok {
			return body.(map[string]any)["parameters"].(map[string]any)
		}
	}
	t.Fatalf("serverless.yml has no %s trigger", typ)
	return nil
}

func setInput(key string, v any) mutation {
	return func(t *testing.T, doc map[string]any) { inputs(t, doc)[key] = v }
}

func setParam(typ, key string, v any) mutation {
	return func(t *testing.T, doc map[string]any) { params(t, doc, typ)[key] = v }
}

func deleteParam(typ, key string) mutation {
	return func(t *testing.T, doc map[string]any) { delete(params(t, doc, typ), key) }
}

func setVar(key string, v any) mutation {
	return func(t *testing.T, doc map[string]any) {
		inputs(t, doc)["environment"].(map[string]any)["variables"].(map[string]any)[key] = v
	}
}

func endpoint(key string, v any) mutation {
	return func(t *testing.T, doc map[string]any) {
		params(t, doc, "apigw")["endpoints"].([]any)[0].(map[string]any)[key] = v
	}
}

func addEvent(ev map[string]any, times int) mutation {
	return func(t *testing.T, doc map[string]any) {
		in := inputs(t, doc)
		for range times {
			in["events"] = append(in["events"].([]any), ev)
		}
	}
}

// TestServerlessRules proves each rule can fail: every case breaks one thing in a copy of the
// real serverless.yml (or in its sample environment) and expects a problem naming it. Cases
// with an empty want are edge values that must still pass.
func TestServerlessRules(t *testing.T) {
	timer := map[string]any{"timer": map[string]any{"parameters": map[string]any{"cronExpression": "0 */5 * * * * *", "enable": true}}}
	tests := []struct {
		name   string
		mutate mutation
		env    map[string]string // overrides of sampleEnv
		want   string
	}{
		{name: "unchanged", mutate: func(*testing.T, map[string]any) {}},
		{name: "component", mutate: func(_ *testing.T, d map[string]any) { d["component"] = "express" }, want: "component: express"},
		{name: "unknown top-level key", mutate: func(_ *testing.T, d map[string]any) { d["provider"] = "tencent" }, want: `unknown key "provider"`},
		{name: "no instance name", mutate: func(_ *testing.T, d map[string]any) { delete(d, "name") }, want: "instance name is required"},
		{name: "no inputs", mutate: func(_ *testing.T, d map[string]any) { delete(d, "inputs") }, want: "inputs: missing"},
		{name: "unknown input", mutate: setInput("memory", 256), want: `inputs.memory: unknown key`},
		{name: "no src", mutate: func(t *testing.T, d map[string]any) { delete(inputs(t, d), "src") }, want: "inputs.src: required"},
		{name: "function type", mutate: setInput("type", "http"), want: "inputs.type"},
		{name: "runtime", mutate: setInput("runtime", "Go1.22"), want: "inputs.runtime"},
		{name: "handler file.func", mutate: setInput("handler", "main.handler"), want: "inputs.handler"},
		{name: "handler other binary", mutate: setInput("handler", "bootstrap"), want: "inputs.handler"},
		{name: "memory 64", mutate: setInput("memorySize", 64)},
		{name: "memory 3072", mutate: setInput("memorySize", 3072)},
		{name: "memory 100", mutate: setInput("memorySize", 100), want: "inputs.memorySize"},
		{name: "memory 3200", mutate: setInput("memorySize", 3200), want: "inputs.memorySize"},
		{name: "memory text", mutate: setInput("memorySize", "256MB"), want: "inputs.memorySize"},
		{name: "timeout 900", mutate: setInput("timeout", 900)},
		{name: "timeout 0", mutate: setInput("timeout", 0), want: "inputs.timeout"},
		{name: "timeout 901", mutate: setInput("timeout", 901), want: "inputs.timeout"},
		{name: "initTimeout 3", mutate: setInput("initTimeout", 3)},
		{name: "initTimeout 300", mutate: setInput("initTimeout", 300)},
		{name: "initTimeout 2", mutate: setInput("initTimeout", 2), want: "inputs.initTimeout"},
		{name: "initTimeout 301", mutate: setInput("initTimeout", 301), want: "inputs.initTimeout"},
		{name: "name starts with digit", mutate: setInput("name", "1essflow"), want: "inputs.name"},
		{name: "name ends with dash", mutate: setInput("name", "essflow-"), want: "inputs.name"},
		{name: "name 61 chars", mutate: setInput("name", "e"+strings.Repeat("x", 60)), want: "inputs.name"},
		{name: "name 60 chars", mutate: setInput("name", "e"+strings.Repeat("x", 59))},
		{name: "name bad after substitution", env: map[string]string{"STAGE": "dev_"}, want: "inputs.name"},
		{name: "name too long after substitution", env: map[string]string{"STAGE": strings.Repeat("s", 60)}, want: "inputs.name"},
		{name: "env without sample", mutate: setInput("description", "${env.NOT_SET}"), want: "has no sample value"},
		{name: "unknown variable", mutate: setInput("description", "${region}"), want: "unknown variable ${region}"},
		{name: "numeric variable resolves", mutate: setInput("timeout", "${env.T}"), env: map[string]string{"T": "30"}},
		{name: "numeric variable out of range", mutate: setInput("timeout", "${env.T}"), env: map[string]string{"T": "1000"}, want: "inputs.timeout"},
		{name: "env key too short", mutate: setVar("A", "1"), want: "variables.A: key must"},
		{name: "env key digit first", mutate: setVar("1A", "1"), want: "variables.1A: key must"},
		{name: "env key dash", mutate: setVar("ESSFLOW-X", "1"), want: "variables.ESSFLOW-X: key must"},
		{name: "env key 65 bytes", mutate: setVar("A"+strings.Repeat("B", 64), "1"), want: "key must"},
		{name: "env key 64 bytes", mutate: setVar("A"+strings.Repeat("B", 63), "1")},
		{name: "reserved SCF_", mutate: setVar("SCF_FOO", "1"), want: "prefix SCF_ is reserved"},
		{name: "reserved QCLOUD_", mutate: setVar("QCLOUD_FOO", "1"), want: "prefix QCLOUD_ is reserved"},
		{name: "reserved TENCENTCLOUD_", mutate: setVar("TENCENTCLOUD_SECRETKEY", "x"), want: "prefix TENCENTCLOUD_ is reserved"},
		{name: "env value not scalar", mutate: setVar("ESSFLOW_X", []any{"a"}), want: "value must be a scalar"},
		{name: "env over 4KB", mutate: setVar("ESSFLOW_BIG", strings.Repeat("x", 4000)), want: "bytes in total"},
		{name: "env over 4KB after substitution", env: map[string]string{"ESSFLOW_RESULT_SINKS": strings.Repeat("x", 4096)}, want: "bytes in total"},
		{name: "deadLetter type", mutate: func(t *testing.T, d map[string]any) {
			inputs(t, d)["deadLetter"].(map[string]any)["type"] = "KAFKA"
		}, want: "inputs.deadLetter.type"},
		{name: "deadLetter name", mutate: func(t *testing.T, d map[string]any) {
			delete(inputs(t, d)["deadLetter"].(map[string]any), "name")
		}, want: "inputs.deadLetter.name"},
		{name: "events not a list", mutate: setInput("events", map[string]any{"cos": nil}), want: "inputs.events: not a list"},
		{name: "unknown trigger", mutate: addEvent(map[string]any{"kafka": map[string]any{"parameters": map[string]any{}}}, 1), want: "unknown trigger type"},
		{name: "two types in one item", mutate: addEvent(map[string]any{"cos": nil, "cmq": nil}, 1), want: "exactly one trigger type"},
		{name: "no parameters", mutate: addEvent(map[string]any{"cmq": map[string]any{"name": "x"}}, 1), want: "parameters: missing"},
		{name: "ten timers", mutate: addEvent(timer, 10)},
		{name: "eleven timers", mutate: addEvent(timer, 11), want: "11 timer triggers"},
		{name: "timer cron without seconds", mutate: addEvent(map[string]any{"timer": map[string]any{"parameters": map[string]any{"cronExpression": "*/5 * * * *"}}}, 1), want: "cronExpression"},
		{name: "apigw unknown parameter", mutate: setParam("apigw", "stage", "release"), want: `apigw.parameters.stage: unknown key`},
		{name: "apigw service name", mutate: setParam("apigw", "serviceName", "essflow-prod"), want: "apigw.parameters.serviceName"},
		{name: "apigw environment", mutate: setParam("apigw", "environment", "prod"), want: "apigw.parameters.environment"},
		{name: "apigw protocol", mutate: setParam("apigw", "protocols", []any{"ws"}), want: "apigw.parameters.protocols"},
		{name: "apigw net type", mutate: setParam("apigw", "netTypes", []any{"PUBLIC"}), want: "apigw.parameters.netTypes"},
		{name: "apigw no endpoints", mutate: deleteParam("apigw", "endpoints"), want: "at least one endpoint"},
		{name: "apigw method", mutate: endpoint("method", "PATCH"), want: "endpoints[0].method"},
		{name: "apigw relative path", mutate: endpoint("path", "flows"), want: "endpoints[0].path"},
		{name: "apigw service timeout", mutate: endpoint("serviceTimeout", 1801), want: "endpoints[0].serviceTimeout"},
		{name: "apigw endpoint key", mutate: endpoint("timeout", 3), want: `endpoints[0].timeout: unknown key`},
		{name: "apigw function key", mutate: endpoint("function", map[string]any{"integratedResponse": true}), want: "function.integratedResponse: unknown key"},
		{name: "ckafka timeout 60", mutate: setParam("ckafka", "timeout", 60)},
		{name: "ckafka timeout 61", mutate: setParam("ckafka", "timeout", 61), want: "ckafka.parameters.timeout"},
		{name: "ckafka maxMsgNum 10000", mutate: setParam("ckafka", "maxMsgNum", 10000)},
		{name: "ckafka maxMsgNum 0", mutate: setParam("ckafka", "maxMsgNum", 0), want: "ckafka.parameters.maxMsgNum"},
		{name: "ckafka maxMsgNum 10001", mutate: setParam("ckafka", "maxMsgNum", 10001), want: "ckafka.parameters.maxMsgNum"},
		{name: "ckafka offset", mutate: setParam("ckafka", "offset", "oldest"), want: "ckafka.parameters.offset"},
		{name: "ckafka no topic", mutate: deleteParam("ckafka", "topic"), want: "ckafka.parameters.topic: required"},
		{name: "ckafka unknown parameter", mutate: setParam("ckafka", "batchSize", 10), want: "ckafka.parameters.batchSize: unknown key"},
		{name: "cmq no topic", mutate: deleteParam("cmq", "name"), want: "cmq.parameters.name"},
		{name: "cmq unknown parameter", mutate: setParam("cmq", "topic", "x"), want: "cmq.parameters.topic: unknown key"},
		{name: "cos event", mutate: setParam("cos", "events", "cos:ObjectCreated:Upload"), want: "cos.parameters.events"},
		{name: "cos remove event", mutate: setParam("cos", "events", "cos:ObjectRemove:Delete")},
		{name: "cos bucket", mutate: setParam("cos", "bucket", "essflow"), want: "cos.parameters.bucket"},
		{name: "cos no filter", mutate: deleteParam("cos", "filter"), want: "cos.parameters.filter: required"},
		{name: "cos empty prefix", mutate: setParam("cos", "filter", map[string]any{"prefix": "", "suffix": ".ndjson"}), want: "re-trigger"},
		{name: "cos results prefix", mutate: setParam("cos", "filter", map[string]any{"prefix": "results/in/"}), want: "re-trigger"},
		{name: "cos filter key", mutate: setParam("cos", "filter", map[string]any{"prefix": "in/", "regex": ".*"}), want: "filter.regex: unknown key"},
		{name: "http auth type", mutate: setParam("http", "authType", "KEY"), want: "http.parameters.authType"},
		{name: "http net config", mutate: setParam("http", "netConfig", map[string]any{"enablePublic": true}), want: "netConfig.enablePublic: unknown key"},
	}
	data := readServerless(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := yaml.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			if tt.mutate != nil {
				tt.mutate(t, doc)
			}
			broken, err := yaml.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			env := sampleEnv()
			for k, v := range tt.env {
				env[k] = v
			}
			problems := CheckServerless(broken, env)
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

func TestCheckServerlessMalformed(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not yaml", "component: [scf", "parse serverless.yml"},
		{"empty", "", "not a YAML mapping"},
		{"scalar", "scf", "not a YAML mapping"},
		{"inputs not a mapping", "component: scf\nname: x\ninputs: [1]\n", "inputs: missing or not a mapping"},
		{"environment not a mapping", "component: scf\nname: x\ninputs: {src: ., name: ab, runtime: Go1, handler: main, environment: [1]}\n", "inputs.environment: not a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := joinErrors(CheckServerless([]byte(tt.in), nil)); !strings.Contains(got, tt.want) {
				t.Fatalf("want a problem containing %q, got %q", tt.want, got)
			}
		})
	}
}

func FuzzCheckServerless(f *testing.F) {
	f.Add(readServerless(f))
	f.Add([]byte("component: scf\nname: x\ninputs: {name: ${name}-${stage}, events: [{cos: {parameters: {filter: 1}}}]}\n"))
	f.Add([]byte("inputs: {environment: {variables: {A: [1, {b: 2}]}}, memorySize: 1e99, timeout: -1}\n"))
	f.Add([]byte("name: ${env.}\ninputs: {events: [{apigw: {parameters: {endpoints: [1, {function: 2}]}}}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		problems := CheckServerless(data, sampleEnv())
		for _, p := range problems {
			if p == nil {
				t.Fatal("nil problem")
			}
		}
	})
}

func joinErrors(errs []error) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	return b.String()
}
