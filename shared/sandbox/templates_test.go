package sandbox_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/essflow/essflow/shared/sandbox"
)

func TestDefaultCatalogue(t *testing.T) {
	ts := sandbox.DefaultTemplates()
	want := []struct {
		id         string
		recipients []string
		types      []string
		required   []string
	}{
		{sandbox.TemplateLaborB2C, []string{sandbox.RecipientLaborEmployer, sandbox.RecipientLaborEmployee}, []string{"ENTERPRISE", "INDIVIDUAL"}, []string{"姓名", "岗位"}},
		{sandbox.TemplatePurchaseB2B, []string{sandbox.RecipientPurchaseBuyer, sandbox.RecipientPurchaseSupplier}, []string{"ENTERPRISE", "ENTERPRISE"}, []string{"合同金额"}},
		{sandbox.TemplateQuoteTable, []string{sandbox.RecipientQuoteCompany, sandbox.RecipientQuoteCustomer}, []string{"ENTERPRISE", "INDIVIDUAL"}, []string{"报价明细"}},
		{sandbox.TemplatePersonConsent, []string{sandbox.RecipientConsentGrantor}, []string{"INDIVIDUAL"}, nil},
	}
	if len(ts) != len(want) {
		t.Fatalf("%d templates", len(ts))
	}
	for i, w := range want {
		tpl := ts[i]
		if tpl.TemplateID != w.id || len(tpl.Recipients) != len(w.recipients) {
			t.Fatalf("template %d: %+v", i, tpl)
		}
		ids := []string{tpl.TemplateID}
		for j, r := range tpl.Recipients {
			if r.RecipientID != w.recipients[j] || r.RecipientType != w.types[j] || r.RoutingOrder != int64(j+1) {
				t.Errorf("%s recipient %d: %+v", tpl.TemplateID, j, r)
			}
			ids = append(ids, r.RecipientID)
		}
		var required []string
		for _, c := range tpl.Components {
			if c.ComponentRequired {
				required = append(required, c.ComponentName)
			}
			ids = append(ids, c.ComponentID)
		}
		if strings.Join(required, ",") != strings.Join(w.required, ",") {
			t.Errorf("%s required controls %v, want %v", tpl.TemplateID, required, w.required)
		}
		for _, id := range ids {
			if len(id) != 32 || !strings.HasPrefix(id, "yDw") {
				t.Errorf("id %q is not 32 characters starting yDw", id)
			}
		}
	}
	if ts[0].Recipients[0].RoleName != "甲方" || ts[0].Recipients[1].RoleName != "乙方" || ts[3].Recipients[0].RoleName != "授权人" {
		t.Errorf("role names %+v %+v", ts[0].Recipients, ts[3].Recipients)
	}
}

func TestLoadTemplates(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	def, _ := json.Marshal(map[string]any{"Templates": sandbox.DefaultTemplates()})
	tests := []struct {
		name, content, wantErr string
	}{
		{"default format", string(def), ""},
		{"unknown field", `{"Templates":[],"Extra":1}`, "unknown field"},
		{"empty", `{"Templates":[]}`, "no templates"},
		{"trailing data", string(def) + "{}", "trailing data"},
		{"bad recipient type", `{"Templates":[{"TemplateId":"t","TemplateName":"n","Recipients":[{"RecipientId":"r","RecipientType":"PROMOTER","RoleName":"x","RoutingOrder":1}],"Components":[]}]}`, "not ENTERPRISE or INDIVIDUAL"},
		{"duplicate ids", `{"Templates":[{"TemplateId":"t","Recipients":[{"RecipientId":"r","RecipientType":"INDIVIDUAL","RoleName":"x"}],"Components":[]},{"TemplateId":"t","Recipients":[{"RecipientId":"r","RecipientType":"INDIVIDUAL","RoleName":"x"}],"Components":[]}]}`, "duplicate TemplateId"},
		{"control without type", `{"Templates":[{"TemplateId":"t","Recipients":[{"RecipientId":"r","RecipientType":"INDIVIDUAL","RoleName":"x"}],"Components":[{"ComponentName":"c"}]}]}`, "empty ComponentType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, err := sandbox.LoadTemplates(write(strings.ReplaceAll(tt.name, " ", "_")+".json", tt.content))
			if tt.wantErr == "" {
				if err != nil || len(ts) != 4 {
					t.Fatalf("LoadTemplates: %v (%d templates)", err, len(ts))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	if _, err := sandbox.LoadTemplates(filepath.Join(dir, "missing.json")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []sandbox.Config{
		{SecretID: "AKIDonly"},
		{FaultRate: 1.5},
		{FaultRate: -0.1},
		{Latency: -1},
		{Templates: []sandbox.Template{}},
	} {
		if _, err := sandbox.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	s, err := sandbox.New(sandbox.Config{})
	if err != nil || s.AppID() != sandbox.DefaultAppID || s.SecretID() != sandbox.DefaultSecretID {
		t.Fatalf("defaults: %v", err)
	}
}
