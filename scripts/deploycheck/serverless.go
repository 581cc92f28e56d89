// Package deploycheck checks essflow's deploy files offline, because neither platform offers
// an offline validator for them: the Tencent `component: scf` format is validated only by the
// hosted component engine, and a SAM template only by cfn-lint (run beside these checks).
//
// CheckServerless applies the scf component's documented input rules (re-expressed from the
// component's input schema and configuration reference) to serverless.yml; CheckSAM asserts the
// properties essflow depends on in template.yaml. Both return every problem found, each naming
// the offending path, and nil for a valid file.
package deploycheck

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits of the scf component and of SCF itself.
const (
	maxEnvBytes       = 4096 // all user environment variables of one function together
	maxTriggersOfType = 10
	maxTimeout        = 900
	minInitTimeout    = 3
	maxInitTimeout    = 300
	maxCkafkaTimeout  = 60
	maxCkafkaMsgNum   = 10000
	maxServiceTimeout = 1800
)

var (
	// functionName is the component's name rule: a letter first, a letter or digit last,
	// letters, digits, '-' and '_' between, 2-60 characters.
	functionName = regexp.MustCompile(`^[A-Za-z][\w-]{0,58}[A-Za-z0-9]$`)
	// envKey is SCF's variable-name rule: a letter first, then letters, digits or '_', 2-64 bytes.
	envKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{1,63}$`)
	// goHandler is the Go1 handler: the executable at the root of the code package.
	goHandler = "main"
	// variable matches one ${...} reference of the component YAML.
	variable = regexp.MustCompile(`\$\{([^}]*)\}`)
	// apigwServiceName is the component's rule for an API Gateway service name.
	apigwServiceName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9(_)]{0,48}[a-zA-Z0-9]?$`)
	// cosBucket is the bucket form the cos trigger wants: <name>-<appid>.cos.<region>.myqcloud.com.
	cosBucket = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*-[0-9]+\.cos\.[a-z]+-[a-z]+(-[0-9]+)?\.myqcloud\.com$`)
)

// reservedEnvPrefixes are variable-name prefixes SCF keeps for itself.
var reservedEnvPrefixes = []string{"SCF_", "QCLOUD_", "TENCENTCLOUD_"}

// runtimes are the runtime identifiers the component accepts.
var runtimes = set("Python2.7", "Python3.6", "Python3.7", "Python3.9", "Python3.10",
	"Nodejs6.10", "Nodejs8.9", "Nodejs10.15", "Nodejs12.16", "Nodejs14.18", "Nodejs16.13",
	"Php5", "Php7", "Php7.2", "Php7.4", "Php8.0", "Go1", "Java8", "Java11", "CustomRuntime")

// inputKeys are the documented keys of `inputs`.
var inputKeys = set("name", "namespace", "src", "type", "handler", "runtime", "region", "description",
	"memorySize", "timeout", "initTimeout", "role", "enableRoleAuth", "environment", "vpcConfig",
	"deadLetter", "layers", "cls", "eip", "publicAccess", "asyncRunEnable", "traceEnable", "tags",
	"events", "cfs", "installDependency", "msgTTL", "retryNum", "image", "protocolType",
	"protocolParams", "provisionedNum", "qualifier", "ignoreTriggers", "entryFile", "l5Enable")

// topKeys are the documented top-level keys of a component serverless.yml.
var topKeys = set("org", "app", "stage", "component", "name", "inputs")

// triggerParams lists, per trigger type, the parameter names the component documents.
var triggerParams = map[string]map[string]bool{
	"timer":  set("name", "qualifier", "cronExpression", "enable", "argument"),
	"apigw":  set("serviceId", "serviceName", "instanceId", "protocols", "netTypes", "environment", "description", "endpoints"),
	"cos":    set("qualifier", "bucket", "filter", "events", "enable"),
	"cmq":    set("qualifier", "name", "filterType", "filterKey", "enable"),
	"ckafka": set("qualifier", "name", "topic", "maxMsgNum", "offset", "retry", "timeout", "enable"),
	"cls":    set("qualifier", "topicId", "maxWait", "enable"),
	"mps":    set("qualifier", "type", "enable"),
	"http":   set("qualifier", "authType", "netConfig"),
}

var (
	endpointKeys = set("path", "method", "apiId", "apiName", "description", "enableCORS", "responseType",
		"serviceTimeout", "isBase64Encoded", "isBase64Trigger", "base64EncodedTriggerRules", "param",
		"function", "usagePlan", "auth", "authType", "app")
	endpointFunctionKeys = set("isIntegratedResponse", "functionQualifier", "type")
	httpMethods          = set("ANY", "GET", "HEAD", "POST", "PUT", "DELETE")
	apigwEnvironments    = set("release", "test", "prepub")
	apigwProtocols       = set("http", "https")
	apigwNetTypes        = set("OUTER", "INNER")
	cosEvents            = set("cos:ObjectCreated:*", "cos:ObjectCreated:Put", "cos:ObjectCreated:Post",
		"cos:ObjectCreated:Copy", "cos:ObjectCreated:CompleteMultipartUpload", "cos:ObjectCreated:Origin",
		"cos:ObjectCreated:Replication", "cos:ObjectRemove:*", "cos:ObjectRemove:Delete",
		"cos:ObjectRemove:DeleteMarkerCreated", "cos:ObjectRestore:Post", "cos:ObjectRestore:Completed")
	cosFilterKeys   = set("prefix", "suffix")
	ckafkaOffsets   = set("latest", "earliest", "timestamp")
	httpAuthTypes   = set("NONE", "CAM")
	httpNetKeys     = set("enableIntranet", "enableExtranet")
	deadLetterKeys  = set("type", "name", "filterType")
	deadLetterTypes = set("CMQ-QUEUE", "CMQ-TOPIC")
	functionTypes   = set("event", "web")
)

// ResultsPrefix is where essflow writes result objects; no storage trigger may match it, or
// every result would start another run.
const ResultsPrefix = "results/"

// CheckServerless checks a serverless.yml for the Tencent `scf` component. References
// ${env.NAME} are replaced by env[NAME] (a missing sample value is a problem), and ${name},
// ${stage}, ${app} and ${org} by the file's own top-level values (stage defaults to dev, app
// to name), before the rules are applied, so the function name and variable sizes are
// checked as they would be deployed. It returns every problem found, or nil.
func CheckServerless(data []byte, env map[string]string) []error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return []error{fmt.Errorf("parse serverless.yml: %w", err)}
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return []error{errors.New("serverless.yml: not a YAML mapping")}
	}
	c := &checker{}
	doc := root.Content[0]
	c.substitute(doc, env)
	var m map[string]any
	if err := doc.Decode(&m); err != nil {
		return append(c.problems, fmt.Errorf("decode serverless.yml: %w", err))
	}
	c.top(m)
	return c.problems
}

// checker collects problems.
type checker struct{ problems []error }

func (c *checker) addf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Errorf(format, args...))
}

// substitute replaces ${...} references in every scalar of doc (see CheckServerless).
func (c *checker) substitute(doc *yaml.Node, env map[string]string) {
	vars := map[string]string{}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if v.Kind == yaml.ScalarNode {
			switch k.Value {
			case "org", "app", "stage", "name":
				vars[k.Value] = c.expand(k.Value, v.Value, nil, env)
			}
		}
	}
	if vars["stage"] == "" {
		vars["stage"] = "dev"
	}
	if vars["app"] == "" {
		vars["app"] = vars["name"]
	}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.ScalarNode:
			if !strings.Contains(n.Value, "${") {
				return
			}
			n.Value = c.expand(path, n.Value, vars, env)
			if n.Style == 0 || n.Style == yaml.TaggedStyle {
				n.Tag = "" // let the substituted text resolve as a number or boolean again
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], join(path, n.Content[i].Value))
			}
		case yaml.SequenceNode:
			for i, e := range n.Content {
				walk(e, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(doc, "")
}

// expand replaces the references in s; vars nil means only ${env.X} may appear.
func (c *checker) expand(path, s string, vars, env map[string]string) string {
	return variable.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		if strings.HasPrefix(name, "env.") {
			v, ok := env[strings.TrimPrefix(name, "env.")]
			if !ok {
				c.addf("%s: %s has no sample value", path, ref)
			}
			return v
		}
		if v, ok := vars[name]; ok {
			return v
		}
		c.addf("%s: unknown variable %s", path, ref)
		return ""
	})
}

func (c *checker) top(m map[string]any) {
	c.keys("", m, topKeys)
	if m["component"] != "scf" {
		c.addf("component: %v, want scf", m["component"])
	}
	if s, _ := m["name"].(string); s == "" {
		c.addf("name: the instance name is required")
	}
	in, ok := m["inputs"].(map[string]any)
	if !ok {
		c.addf("inputs: missing or not a mapping")
		return
	}
	c.inputs(in)
}

func (c *checker) inputs(in map[string]any) {
	c.keys("inputs", in, inputKeys)
	name, _ := in["name"].(string)
	if !functionName.MatchString(name) {
		c.addf("inputs.name: %q does not match %s", name, functionName)
	}
	if in["src"] == nil {
		c.addf("inputs.src: required")
	}
	typ := "event"
	if v, ok := in["type"]; ok {
		typ, _ = v.(string)
		if !functionTypes[typ] {
			c.addf("inputs.type: %v, want event or web", v)
		}
	}
	runtime, _ := in["runtime"].(string)
	if !runtimes[runtime] {
		c.addf("inputs.runtime: %q is not an allowed runtime", runtime)
	}
	if runtime == "Go1" && typ == "event" && in["handler"] != goHandler {
		c.addf("inputs.handler: %v, want %q (a Go1 event function's handler is the executable's name)", in["handler"], goHandler)
	}
	if v, ok := in["memorySize"]; ok {
		n, isInt := asInt(v)
		if !isInt || !(n == 64 || (n >= 128 && n <= 3072 && n%128 == 0)) {
			c.addf("inputs.memorySize: %v, want 64 or 128..3072 in steps of 128", v)
		}
	}
	c.intRange("inputs.timeout", in, "timeout", 1, maxTimeout)
	c.intRange("inputs.initTimeout", in, "initTimeout", minInitTimeout, maxInitTimeout)
	if v, ok := in["environment"]; ok {
		c.environment(v)
	}
	if v, ok := in["deadLetter"]; ok {
		c.deadLetter(v)
	}
	if v, ok := in["events"]; ok {
		c.events(v)
	}
}

func (c *checker) environment(v any) {
	env, ok := v.(map[string]any)
	if !ok {
		c.addf("inputs.environment: not a mapping")
		return
	}
	c.keys("inputs.environment", env, set("variables"))
	vars, ok := env["variables"].(map[string]any)
	if !ok {
		c.addf("inputs.environment.variables: missing or not a mapping")
		return
	}
	total := 0
	for _, k := range sortedKeys(vars) {
		path := "inputs.environment.variables." + k
		if !envKey.MatchString(k) {
			c.addf("%s: key must start with a letter, use letters, digits and '_', and be 2-64 bytes", path)
		}
		for _, p := range reservedEnvPrefixes {
			if strings.HasPrefix(strings.ToUpper(k), p) {
				c.addf("%s: the prefix %s is reserved by SCF", path, p)
			}
		}
		val, ok := scalarString(vars[k])
		if !ok {
			c.addf("%s: value must be a scalar", path)
		}
		total += len(k) + len(val)
	}
	if total > maxEnvBytes {
		c.addf("inputs.environment.variables: %d bytes in total, SCF allows %d", total, maxEnvBytes)
	}
}

func (c *checker) deadLetter(v any) {
	dl, ok := v.(map[string]any)
	if !ok {
		c.addf("inputs.deadLetter: not a mapping")
		return
	}
	c.keys("inputs.deadLetter", dl, deadLetterKeys)
	if t, _ := dl["type"].(string); !deadLetterTypes[t] {
		c.addf("inputs.deadLetter.type: %v, want one of %s", dl["type"], keysOf(deadLetterTypes))
	}
	if n, _ := dl["name"].(string); n == "" {
		c.addf("inputs.deadLetter.name: required")
	}
}

func (c *checker) events(v any) {
	list, ok := v.([]any)
	if !ok {
		c.addf("inputs.events: not a list")
		return
	}
	count := map[string]int{}
	for i, item := range list {
		path := fmt.Sprintf("inputs.events[%d]", i)
		m, ok := item.(map[string]any)
		if !ok || len(m) != 1 {
			c.addf("%s: want a mapping with exactly one trigger type", path)
			continue
		}
		for typ, body := range m {
			path += "." + typ
			allowed, known := triggerParams[typ]
			if !known {
				c.addf("%s: unknown trigger type (known: %s)", path, keysOf(triggerParamsTypes()))
				continue
			}
			count[typ]++
			bm, ok := body.(map[string]any)
			if !ok {
				c.addf("%s: not a mapping", path)
				continue
			}
			c.keys(path, bm, set("name", "parameters"))
			params, ok := bm["parameters"].(map[string]any)
			if !ok {
				c.addf("%s.parameters: missing or not a mapping", path)
				continue
			}
			path += ".parameters"
			c.keys(path, params, allowed)
			c.trigger(path, typ, params)
		}
	}
	for _, typ := range sortedKeys(count) {
		if count[typ] > maxTriggersOfType {
			c.addf("inputs.events: %d %s triggers, at most %d of one type", count[typ], typ, maxTriggersOfType)
		}
	}
}

// trigger applies the per-type parameter rules.
func (c *checker) trigger(path, typ string, p map[string]any) {
	switch typ {
	case "timer":
		if s, _ := p["cronExpression"].(string); len(strings.Fields(s)) != 7 {
			c.addf("%s.cronExpression: %q, want 7 fields (with seconds and year)", path, s)
		}
	case "apigw":
		c.apigw(path, p)
	case "cos":
		c.cos(path, p)
	case "cmq":
		if s, _ := p["name"].(string); s == "" {
			c.addf("%s.name: the topic name is required", path)
		}
	case "ckafka":
		for _, k := range []string{"name", "topic"} {
			if s, _ := p[k].(string); s == "" {
				c.addf("%s.%s: required", path, k)
			}
		}
		c.intRange(path+".maxMsgNum", p, "maxMsgNum", 1, maxCkafkaMsgNum)
		c.intRange(path+".timeout", p, "timeout", 1, maxCkafkaTimeout)
		c.intRange(path+".retry", p, "retry", 0, 10000)
		if v, ok := p["offset"]; ok {
			if s, _ := v.(string); !ckafkaOffsets[s] {
				c.addf("%s.offset: %v, want one of %s", path, v, keysOf(ckafkaOffsets))
			}
		}
	case "cls":
		c.intRange(path+".maxWait", p, "maxWait", 3, 300)
	case "http":
		if v, ok := p["authType"]; ok {
			if s, _ := v.(string); !httpAuthTypes[s] {
				c.addf("%s.authType: %v, want one of %s", path, v, keysOf(httpAuthTypes))
			}
		}
		if v, ok := p["netConfig"]; ok {
			nc, ok := v.(map[string]any)
			if !ok {
				c.addf("%s.netConfig: not a mapping", path)
			} else {
				c.keys(path+".netConfig", nc, httpNetKeys)
			}
		}
	}
}

func (c *checker) apigw(path string, p map[string]any) {
	if v, ok := p["serviceName"]; ok {
		if s, _ := v.(string); !apigwServiceName.MatchString(s) {
			c.addf("%s.serviceName: %v does not match %s", path, v, apigwServiceName)
		}
	}
	if v, ok := p["environment"]; ok {
		if s, _ := v.(string); !apigwEnvironments[s] {
			c.addf("%s.environment: %v, want one of %s", path, v, keysOf(apigwEnvironments))
		}
	}
	c.stringList(path+".protocols", p["protocols"], apigwProtocols)
	c.stringList(path+".netTypes", p["netTypes"], apigwNetTypes)
	eps, ok := p["endpoints"].([]any)
	if !ok || len(eps) == 0 {
		c.addf("%s.endpoints: at least one endpoint is required", path)
		return
	}
	for i, e := range eps {
		ep := fmt.Sprintf("%s.endpoints[%d]", path, i)
		m, ok := e.(map[string]any)
		if !ok {
			c.addf("%s: not a mapping", ep)
			continue
		}
		c.keys(ep, m, endpointKeys)
		if s, _ := m["path"].(string); !strings.HasPrefix(s, "/") {
			c.addf("%s.path: %q, want an absolute path", ep, s)
		}
		if v, ok := m["method"]; ok {
			if s, _ := v.(string); !httpMethods[s] {
				c.addf("%s.method: %v, want one of %s", ep, v, keysOf(httpMethods))
			}
		}
		c.intRange(ep+".serviceTimeout", m, "serviceTimeout", 1, maxServiceTimeout)
		if v, ok := m["function"]; ok {
			fm, ok := v.(map[string]any)
			if !ok {
				c.addf("%s.function: not a mapping", ep)
			} else {
				c.keys(ep+".function", fm, endpointFunctionKeys)
			}
		}
	}
}

func (c *checker) cos(path string, p map[string]any) {
	bucket, _ := p["bucket"].(string)
	if !cosBucket.MatchString(bucket) {
		c.addf("%s.bucket: %q, want <name>-<appid>.cos.<region>.myqcloud.com", path, bucket)
	}
	if s, _ := p["events"].(string); !cosEvents[s] {
		c.addf("%s.events: %v is not a COS event type", path, p["events"])
	}
	f, ok := p["filter"].(map[string]any)
	if !ok {
		c.addf("%s.filter: required: without a prefix the results under %s would re-trigger the function", path, ResultsPrefix)
		return
	}
	c.keys(path+".filter", f, cosFilterKeys)
	prefix, _ := f["prefix"].(string)
	if strings.HasPrefix(ResultsPrefix, prefix) || strings.HasPrefix(prefix, ResultsPrefix) {
		c.addf("%s.filter.prefix: %q matches result objects under %s, which would re-trigger the function", path, prefix, ResultsPrefix)
	}
}

// keys reports every key of m that allowed does not contain.
func (c *checker) keys(path string, m map[string]any, allowed map[string]bool) {
	for _, k := range sortedKeys(m) {
		if !allowed[k] {
			c.addf("%s: unknown key %q", join(path, k), k)
		}
	}
}

// intRange checks m[key], when present, is an integer in [lo, hi].
func (c *checker) intRange(path string, m map[string]any, key string, lo, hi int) {
	v, ok := m[key]
	if !ok {
		return
	}
	if n, isInt := asInt(v); !isInt || n < lo || n > hi {
		c.addf("%s: %v, want an integer in %d..%d", path, v, lo, hi)
	}
}

// stringList checks v, when present, is a list of allowed strings.
func (c *checker) stringList(path string, v any, allowed map[string]bool) {
	if v == nil {
		return
	}
	list, ok := v.([]any)
	if !ok {
		c.addf("%s: not a list", path)
		return
	}
	for _, e := range list {
		if s, _ := e.(string); !allowed[s] {
			c.addf("%s: %v, want one of %s", path, e, keysOf(allowed))
		}
	}
}

func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case uint64:
		return int(n), n <= 1<<31
	case float64:
		return int(n), n == float64(int(n))
	}
	return 0, false
}

func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int, float64, bool, uint64:
		return fmt.Sprint(x), true
	case nil:
		return "", true
	}
	return "", false
}

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}

func keysOf(m map[string]bool) string {
	return strings.Join(sortedKeys(m), ", ")
}

func triggerParamsTypes() map[string]bool {
	m := map[string]bool{}
	for k := range triggerParams {
		m[k] = true
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
