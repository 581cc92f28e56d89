package deploycheck

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// What essflow's Lambda adapter needs from template.yaml.
const (
	samTransform  = "AWS::Serverless-2016-10-31"
	lambdaRuntime = "provided.al2023"
	lambdaArch    = "arm64"
	lambdaHandler = "bootstrap"
	partialBatch  = "ReportBatchItemFailures"
	inputPrefix   = "in/"
)

// CheckSAM checks a SAM template.yaml for what essflow relies on: the SAM transform; every
// AWS::Serverless::Function runs provided.al2023 on [arm64] with Handler bootstrap (Globals
// apply); at least one SQS event, each with FunctionResponseTypes [ReportBatchItemFailures],
// reading a queue of this template whose RedrivePolicy sends to another queue of this
// template (the dead-letter queue) with maxReceiveCount >= 1; every S3 event filters on the
// prefix in/; and no inline policy statement grants Resource "*". CloudFormation short tags
// (!Ref, !GetAtt, !Sub ...) are understood. It returns every problem found, or nil.
func CheckSAM(data []byte) []error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return []error{fmt.Errorf("parse template.yaml: %w", err)}
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return []error{errors.New("template.yaml: not a YAML mapping")}
	}
	c := &checker{}
	doc := root.Content[0]
	if t := get(doc, "Transform"); t == nil || !(t.Value == samTransform || hasScalar(t, samTransform)) {
		c.addf("Transform: want %s", samTransform)
	}
	resources := get(doc, "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		c.addf("Resources: missing")
		return c.problems
	}
	globals := get(get(doc, "Globals"), "Function")
	functions, sqsEvents := 0, 0
	for i := 0; i+1 < len(resources.Content); i += 2 {
		name, res := resources.Content[i].Value, resources.Content[i+1]
		if scalar(get(res, "Type")) != "AWS::Serverless::Function" {
			continue
		}
		functions++
		path := "Resources." + name + ".Properties"
		props := get(res, "Properties")
		prop := func(k string) *yaml.Node {
			if n := get(props, k); n != nil {
				return n
			}
			return get(globals, k)
		}
		if v := scalar(prop("Runtime")); v != lambdaRuntime {
			c.addf("%s.Runtime: %q, want %s", path, v, lambdaRuntime)
		}
		if v := scalars(prop("Architectures")); !slices.Equal(v, []string{lambdaArch}) {
			c.addf("%s.Architectures: %v, want [%s]", path, v, lambdaArch)
		}
		if v := scalar(prop("Handler")); v != lambdaHandler {
			c.addf("%s.Handler: %q, want %s", path, v, lambdaHandler)
		}
		sqsEvents += c.samEvents(path+".Events", get(props, "Events"), resources)
		c.samPolicies(path+".Policies", get(props, "Policies"))
	}
	if functions == 0 {
		c.addf("Resources: no AWS::Serverless::Function")
	}
	if sqsEvents == 0 {
		c.addf("Resources: no function has an SQS event")
	}
	return c.problems
}

// samEvents checks a function's Events and returns how many SQS events it has.
func (c *checker) samEvents(path string, events, resources *yaml.Node) int {
	if events == nil || events.Kind != yaml.MappingNode {
		return 0
	}
	sqs := 0
	for i := 0; i+1 < len(events.Content); i += 2 {
		ep := path + "." + events.Content[i].Value
		ev := events.Content[i+1]
		props := get(ev, "Properties")
		switch scalar(get(ev, "Type")) {
		case "SQS":
			sqs++
			if !slices.Contains(scalars(get(props, "FunctionResponseTypes")), partialBatch) {
				c.addf("%s.Properties.FunctionResponseTypes: want [%s]", ep, partialBatch)
			}
			queue := refName(get(props, "Queue"))
			q := get(resources, queue)
			if q == nil || scalar(get(q, "Type")) != "AWS::SQS::Queue" {
				c.addf("%s.Properties.Queue: want !GetAtt <queue>.Arn of an AWS::SQS::Queue in this template", ep)
				continue
			}
			redrive := get(get(q, "Properties"), "RedrivePolicy")
			dlq := get(resources, refName(get(redrive, "deadLetterTargetArn")))
			if dlq == nil || scalar(get(dlq, "Type")) != "AWS::SQS::Queue" || refName(get(redrive, "deadLetterTargetArn")) == queue {
				c.addf("Resources.%s.Properties.RedrivePolicy.deadLetterTargetArn: want !GetAtt <dead-letter queue>.Arn of another AWS::SQS::Queue", queue)
			}
			var receives int
			if n := get(redrive, "maxReceiveCount"); n == nil || n.Decode(&receives) != nil || receives < 1 {
				c.addf("Resources.%s.Properties.RedrivePolicy.maxReceiveCount: want an integer >= 1", queue)
			}
		case "S3":
			var prefixes []string
			for _, r := range seq(get(get(get(props, "Filter"), "S3Key"), "Rules")) {
				if strings.EqualFold(scalar(get(r, "Name")), "prefix") {
					prefixes = append(prefixes, scalar(get(r, "Value")))
				}
			}
			if !slices.Equal(prefixes, []string{inputPrefix}) {
				c.addf("%s.Properties.Filter: want exactly one S3Key prefix rule %q (results must not re-trigger), got %v", ep, inputPrefix, prefixes)
			}
		}
	}
	return sqs
}

// samPolicies reports inline statements that allow Resource "*".
func (c *checker) samPolicies(path string, policies *yaml.Node) {
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil {
			return
		}
		if n.Kind == yaml.MappingNode {
			if r := get(n, "Resource"); r != nil && get(n, "Effect") != nil {
				if scalar(r) == "*" || slices.Contains(scalars(r), "*") {
					c.addf("%s: statement %q allows Resource \"*\"", path, scalar(get(n, "Sid")))
				}
			}
		}
		for _, ch := range n.Content {
			walk(ch)
		}
	}
	walk(policies)
}

// get returns the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalar returns n's text when n is a scalar, else "".
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// scalars returns the texts of a sequence of scalars (or of one scalar).
func scalars(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	var out []string
	for _, e := range seq(n) {
		out = append(out, scalar(e))
	}
	return out
}

func seq(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func hasScalar(n *yaml.Node, s string) bool { return slices.Contains(scalars(n), s) }

// refName returns the logical resource name behind !GetAtt X.Arn, !Ref X, {"Fn::GetAtt": [X,
// Arn]}, {"Fn::GetAtt": "X.Arn"} or {Ref: X}, or "" for anything else.
func refName(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Tag {
		case "!GetAtt":
			name, _, _ := strings.Cut(n.Value, ".")
			return name
		case "!Ref":
			return n.Value
		}
	case yaml.SequenceNode:
		if n.Tag == "!GetAtt" && len(n.Content) == 2 {
			return scalar(n.Content[0])
		}
	case yaml.MappingNode:
		if r := get(n, "Ref"); r != nil {
			return scalar(r)
		}
		if g := get(n, "Fn::GetAtt"); g != nil {
			if g.Kind == yaml.ScalarNode {
				name, _, _ := strings.Cut(g.Value, ".")
				return name
			}
			if s := seq(g); len(s) == 2 {
				return scalar(s[0])
			}
		}
	}
	return ""
}
