package sandbox

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Template ids of the default catalogue.
const (
	// TemplateLaborB2C is a labour contract: an ENTERPRISE role 甲方 (the initiator's company)
	// then an INDIVIDUAL role 乙方; initiator controls 姓名 and 岗位 (TEXT, required) and
	// 入职日期 (DATE, optional).
	TemplateLaborB2C = "yDwessflowTplLaborContractB2C001"
	// TemplatePurchaseB2B is a purchase contract between two ENTERPRISE roles 采购方 and 供应方;
	// initiator control 合同金额 (TEXT, required).
	TemplatePurchaseB2B = "yDwessflowTplPurchaseB2B00000002"
	// TemplateQuoteTable is a quotation with an ENTERPRISE role 报价方 then an INDIVIDUAL role
	// 客户; initiator control 报价明细 (DYNAMIC_TABLE, required). Its flows get a TaskInfo with a
	// TaskId and TaskStatus NOTREADY.
	TemplateQuoteTable = "yDwessflowTplQuoteDynTable000003"
	// TemplatePersonConsent is a personal consent with one INDIVIDUAL role 授权人 and no
	// required control (授权说明, MULTI_LINE_TEXT, is optional).
	TemplatePersonConsent = "yDwessflowTplPersonConsent000004"
)

// RecipientIds of the default catalogue's signer roles, in each template's order.
const (
	// RecipientLaborEmployer is 甲方 (ENTERPRISE) of TemplateLaborB2C.
	RecipientLaborEmployer = "yDwessflowRcpLaborEmployer000001"
	// RecipientLaborEmployee is 乙方 (INDIVIDUAL) of TemplateLaborB2C.
	RecipientLaborEmployee = "yDwessflowRcpLaborEmployee000002"
	// RecipientPurchaseBuyer is 采购方 (ENTERPRISE) of TemplatePurchaseB2B.
	RecipientPurchaseBuyer = "yDwessflowRcpPurchaseBuyer000003"
	// RecipientPurchaseSupplier is 供应方 (ENTERPRISE) of TemplatePurchaseB2B.
	RecipientPurchaseSupplier = "yDwessflowRcpPurchaseSupplier004"
	// RecipientQuoteCompany is 报价方 (ENTERPRISE) of TemplateQuoteTable.
	RecipientQuoteCompany = "yDwessflowRcpQuoteCompany0000005"
	// RecipientQuoteCustomer is 客户 (INDIVIDUAL) of TemplateQuoteTable.
	RecipientQuoteCustomer = "yDwessflowRcpQuoteCustomer000006"
	// RecipientConsentGrantor is 授权人 (INDIVIDUAL) of TemplatePersonConsent.
	RecipientConsentGrantor = "yDwessflowRcpConsentGrantor00007"
)

// Recipient types of a template's signer roles.
const (
	RecipientEnterprise = "ENTERPRISE"
	RecipientIndividual = "INDIVIDUAL"
)

//go:embed templates.json
var defaultTemplatesJSON []byte

// Template is one template of the catalogue, in the shape DescribeTemplates answers.
type Template struct {
	TemplateID   string `json:"TemplateId"`
	TemplateName string `json:"TemplateName"`
	Description  string `json:"Description,omitempty"`
	// Recipients are the signer roles in the order FlowApprovers must follow.
	Recipients []Recipient `json:"Recipients"`
	// Components are the initiator's fill-in controls, filled through FormFields by name.
	Components []Component `json:"Components"`
	// SignComponents are the signing controls of the roles; they are only described.
	SignComponents []Component `json:"SignComponents,omitempty"`
}

// Recipient is a signer role of a template.
type Recipient struct {
	RecipientID   string `json:"RecipientId"`
	RecipientType string `json:"RecipientType"`
	RoleName      string `json:"RoleName"`
	RoutingOrder  int64  `json:"RoutingOrder"`
	IsPromoter    bool   `json:"IsPromoter,omitempty"`
}

// Component is a control of a template.
type Component struct {
	ComponentID          string `json:"ComponentId"`
	ComponentName        string `json:"ComponentName"`
	ComponentType        string `json:"ComponentType"`
	ComponentRequired    bool   `json:"ComponentRequired"`
	ComponentRecipientID string `json:"ComponentRecipientId,omitempty"`
}

// templateFile is the JSON format of a catalogue: {"Templates":[…]}.
type templateFile struct {
	Templates []Template `json:"Templates"`
}

// DefaultTemplates returns a fresh copy of the embedded default catalogue (the four Template*
// constants).
func DefaultTemplates() []Template {
	t, err := ParseTemplates(bytes.NewReader(defaultTemplatesJSON))
	if err != nil {
		// The embedded file is checked by the package tests; failing here is a build defect.
		panic(fmt.Sprintf("sandbox: embedded templates.json is invalid: %v", err))
	}
	return t
}

// LoadTemplates reads a catalogue from a JSON file in the format of the embedded default,
// {"Templates":[{"TemplateId":…,"Recipients":[…],"Components":[…]}]}, and checks it.
func LoadTemplates(path string) ([]Template, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open template catalogue: %w", err)
	}
	defer f.Close()
	t, err := ParseTemplates(f)
	if err != nil {
		return nil, fmt.Errorf("load template catalogue %s: %w", path, err)
	}
	return t, nil
}

// ParseTemplates decodes a catalogue strictly (unknown fields are errors) and checks it: at
// least one template; unique non-empty TemplateIds; each template with at least one recipient;
// recipients of type ENTERPRISE or INDIVIDUAL with unique non-empty RecipientIds and role
// names; controls with unique non-empty names and a type. Every problem is reported.
func ParseTemplates(r io.Reader) ([]Template, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f templateFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decode templates: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode templates: trailing data after the JSON object")
	}
	if err := checkTemplates(f.Templates); err != nil {
		return nil, err
	}
	return f.Templates, nil
}

func checkTemplates(ts []Template) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(ts) == 0 {
		add("no templates")
	}
	ids := map[string]bool{}
	for i, t := range ts {
		where := fmt.Sprintf("Templates[%d]", i)
		if t.TemplateID == "" {
			add("%s: empty TemplateId", where)
		} else if ids[t.TemplateID] {
			add("%s: duplicate TemplateId %s", where, t.TemplateID)
		}
		ids[t.TemplateID] = true
		if len(t.Recipients) == 0 {
			add("%s: no Recipients", where)
		}
		rids, roles := map[string]bool{}, map[string]bool{}
		for j, rc := range t.Recipients {
			w := fmt.Sprintf("%s.Recipients[%d]", where, j)
			switch {
			case rc.RecipientID == "":
				add("%s: empty RecipientId", w)
			case rids[rc.RecipientID]:
				add("%s: duplicate RecipientId %s", w, rc.RecipientID)
			}
			rids[rc.RecipientID] = true
			if rc.RecipientType != RecipientEnterprise && rc.RecipientType != RecipientIndividual {
				add("%s: RecipientType %q is not ENTERPRISE or INDIVIDUAL", w, rc.RecipientType)
			}
			if rc.RoleName == "" || roles[rc.RoleName] {
				add("%s: empty or duplicate RoleName", w)
			}
			roles[rc.RoleName] = true
		}
		names := map[string]bool{}
		for j, c := range t.Components {
			w := fmt.Sprintf("%s.Components[%d]", where, j)
			if c.ComponentName == "" || names[c.ComponentName] {
				add("%s: empty or duplicate ComponentName", w)
			}
			names[c.ComponentName] = true
			if c.ComponentType == "" {
				add("%s: empty ComponentType", w)
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid template catalogue: %s", strings.Join(problems, "; "))
	}
	return nil
}

func (t *Template) component(name string) (Component, bool) {
	for _, c := range t.Components {
		if c.ComponentName == name {
			return c, true
		}
	}
	return Component{}, false
}

func (t *Template) componentByID(id string) (Component, bool) {
	for _, c := range t.Components {
		if c.ComponentID == id {
			return c, true
		}
	}
	return Component{}, false
}

func (t *Template) hasDynamicTable() bool {
	for _, c := range t.Components {
		if c.ComponentType == "DYNAMIC_TABLE" {
			return true
		}
	}
	return false
}
