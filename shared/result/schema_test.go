package result

import (
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestSchemaMatchesTypes keeps schema.json and the Go types in step: every JSON field of every
// struct is a property of the matching schema object and no property is left over.
func TestSchemaMatchesTypes(t *testing.T) {
	raw, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	check(t, "Message", reflect.TypeFor[Message](), schema)
}

func check(t *testing.T, name string, typ reflect.Type, node map[string]any) {
	t.Helper()
	props, _ := node["properties"].(map[string]any)
	var fields []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		fields = append(fields, tag)
		p, ok := props[tag].(map[string]any)
		if !ok {
			t.Errorf("%s.%s (%s) is not in schema.json", name, f.Name, tag)
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
			if items, ok := p["items"].(map[string]any); ok {
				p = items
			}
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Time]() {
			check(t, name+"."+f.Name, ft, p)
		}
	}
	for k := range props {
		found := false
		for _, f := range fields {
			found = found || f == k
		}
		if !found {
			t.Errorf("schema.json has %s.%s, which the Go type lacks", name, k)
		}
	}
	sort.Strings(fields)
}

// TestExampleGolden pins the README's example message (testdata/example.json).
func TestExampleGolden(t *testing.T) {
	m := Message{
		SpecVersion: SpecVersion, ID: StableID("essflow|yDwApp|order-2026-0001"), Type: TypePartiallyFailed,
		Time:        time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC),
		Source:      Source{Trigger: "sqs", RecordID: "059f36b4-87a3-44ab-83d2-661975830a7d", Function: "essflow"},
		Correlation: Correlation{IdempotencyKey: "order-2026-0001", CorrelationId: "crm-batch-7"},
		AppId:       "yDwessflowSandboxAppId0000000001", ProxyOrganizationOpenId: "orgEssflowDemo",
		EssRequestId: "s1706111849162794392",
		Flows: []Flow{
			{Index: 0, Status: FlowCreated, FlowId: "yDwFmUUckpstqfvzUE1h3jo1f3cqjkGm", FlowName: "劳动合同_张三", TemplateId: "yDwessflowTplLaborContractB2C001", CustomerData: "employee-10001",
				Approvers: []Approver{{RecipientId: "yDwessflowRcpLaborEmployer000001", SignId: "yDw7hUUckpkmtvenURxlqRxRcrWD0zVk", ApproverRoleName: "甲方"}, {RecipientId: "yDwessflowRcpLaborEmployee000002", SignId: "yDw7hUUckpkmtvegURxlqRxSV5qDMex1", ApproverRoleName: "乙方"}}},
			{Index: 1, Status: FlowFailed, FlowName: "劳动合同_李四", TemplateId: "yDwessflowTplLaborContractB2C001", CustomerData: "employee-10002", Error: "签署人与模板中配置的签署方不匹配"},
		},
	}
	got, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		os.WriteFile("testdata/example.json", append(got, '\n'), 0o644)
	}
	want, err := os.ReadFile("testdata/example.json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(want)) != string(got) {
		t.Errorf("example differs (go test -update):\n%s", got)
	}
	if len(m.ID) != 36 || strings.Contains(m.ID, ".") {
		t.Errorf("id %q must be msg_ + 32 hex, without '.'", m.ID)
	}
	if m.PartitionKey() != "order-2026-0001" {
		t.Errorf("partition key %q", m.PartitionKey())
	}
}
