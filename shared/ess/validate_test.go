package ess

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// valTestNow is the injected clock of the tests: 2026-01-01T00:00:00Z.
var valTestNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	valOnce      sync.Once
	valValidator *Validator
)

// valTestValidator returns one shared Validator with the test clock, as production code would.
func valTestValidator() *Validator {
	valOnce.Do(func() {
		valValidator = NewValidator(ValidatorOptions{Now: func() time.Time { return valTestNow }})
	})
	return valValidator
}

// valValid returns a fresh copy of testdata/requests/valid.json, a request that passes every rule:
//
//	FlowInfos[0]: [0] ORGANIZATION of the initiating sub-enterprise (scenario 1), [1] dynamic
//	              ORGANIZATION of another sub-enterprise (scenario 2), [2] named employee of
//	              another sub-enterprise (scenario 3); one CC; two form fields.
//	FlowInfos[1]: [0] PERSON with ID card (scenario 4), [1] SaaS-platform employee
//	              (scenario 5), [2] ENTERPRISESERVER.
//	FlowInfos[2]: [0] PERSON_AUTO_SIGN with a HONGKONG_AND_MACAO permit, [1] dynamic PERSON.
func valValid(t testing.TB) *CreateFlowsByTemplatesRequest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "requests", "valid.json"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := DecodeCreateFlowsRequest(data)
	if err != nil {
		t.Fatalf("decode valid.json: %v", err)
	}
	return req
}

func valRunes(r string, n int) *string { return String(strings.Repeat(r, n)) }

func TestValidateValidRequest(t *testing.T) {
	w, err := valTestValidator().ValidateCreate(valValid(t))
	if err != nil {
		t.Fatalf("valid.json: %v", err)
	}
	if len(w) != 0 {
		t.Errorf("valid.json: unexpected warnings %+v", w)
	}
}

type valCase struct {
	name string
	mut  func(r *CreateFlowsByTemplatesRequest)
	want []decWant // nil: the request must pass
}

func valRunCases(t *testing.T, cases []valCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := valValid(t)
			tc.mut(req)
			_, err := valTestValidator().ValidateCreate(req)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("want no violation, got %v", err)
				}
				return
			}
			decCheck(t, decViolations(t, err), tc.want)
		})
	}
}

func TestValidateRequestAndAgent(t *testing.T) {
	valRunCases(t, []valCase{
		{"Agent missing", func(r *CreateFlowsByTemplatesRequest) { r.Agent = nil },
			[]decWant{{"Agent", "required", ""}}},
		{"AppId missing", func(r *CreateFlowsByTemplatesRequest) { r.Agent.AppId = nil },
			[]decWant{{"Agent.AppId", "required", ""}}},
		{"AppId blank", func(r *CreateFlowsByTemplatesRequest) { r.Agent.AppId = String("  ") },
			[]decWant{{"Agent.AppId", "required", ""}}},
		{"ProxyOrganizationOpenId missing", func(r *CreateFlowsByTemplatesRequest) { r.Agent.ProxyOrganizationOpenId = nil },
			[]decWant{{"Agent.ProxyOrganizationOpenId", "required", ""}}},
		{"ProxyOrganizationOpenId 64", func(r *CreateFlowsByTemplatesRequest) {
			r.Agent.ProxyOrganizationOpenId = valRunes("o", 64)
			r.FlowInfos[0].FlowApprovers[0].OrganizationOpenId = valRunes("o", 64)
		}, nil},
		{"ProxyOrganizationOpenId 65", func(r *CreateFlowsByTemplatesRequest) {
			r.Agent.ProxyOrganizationOpenId = valRunes("o", 65)
			r.FlowInfos[0].FlowApprovers[0].OrganizationOpenId = nil
		}, []decWant{{"Agent.ProxyOrganizationOpenId", "max", "64"}}},
		{"ProxyOperator missing", func(r *CreateFlowsByTemplatesRequest) { r.Agent.ProxyOperator = nil },
			[]decWant{{"Agent.ProxyOperator", "required", ""}}},
		{"ProxyOperator.OpenId missing", func(r *CreateFlowsByTemplatesRequest) { r.Agent.ProxyOperator.OpenId = nil },
			[]decWant{{"Agent.ProxyOperator.OpenId", "required", ""}}},
		{"ProxyOperator.OpenId 65", func(r *CreateFlowsByTemplatesRequest) { r.Agent.ProxyOperator.OpenId = valRunes("a", 65) },
			[]decWant{{"Agent.ProxyOperator.OpenId", "max", "64"}}},
		{"deprecated Operator is not checked", func(r *CreateFlowsByTemplatesRequest) {
			r.Operator = &UserInfo{OpenId: valRunes("-", 100)}
		}, nil},
		{"PreviewType 0", func(r *CreateFlowsByTemplatesRequest) { r.PreviewType = Int64(0) }, nil},
		{"PreviewType 2", func(r *CreateFlowsByTemplatesRequest) { r.PreviewType = Int64(2) },
			[]decWant{{"PreviewType", "oneof", "0 1"}}},
		{"PreviewType without preview", func(r *CreateFlowsByTemplatesRequest) { r.NeedPreview = Bool(false) },
			[]decWant{{"PreviewType", "forbidden", "NeedPreview=false"}}},
		{"PreviewType with NeedPreview absent", func(r *CreateFlowsByTemplatesRequest) { r.NeedPreview = nil },
			[]decWant{{"PreviewType", "forbidden", "NeedPreview=false"}}},
		{"no preview at all", func(r *CreateFlowsByTemplatesRequest) { r.NeedPreview, r.PreviewType = nil, nil }, nil},
	})
}

func TestValidateFlowInfo(t *testing.T) {
	f0 := func(r *CreateFlowsByTemplatesRequest) *FlowInfo { return r.FlowInfos[0] }
	flows := func(n int) func(r *CreateFlowsByTemplatesRequest) {
		return func(r *CreateFlowsByTemplatesRequest) {
			base := r.FlowInfos[1]
			r.FlowInfos = nil
			for range n {
				r.FlowInfos = append(r.FlowInfos, base)
			}
		}
	}
	now := valTestNow.Unix()
	valRunCases(t, []valCase{
		{"FlowInfos missing", func(r *CreateFlowsByTemplatesRequest) { r.FlowInfos = nil },
			[]decWant{{"FlowInfos", "required", ""}}},
		{"FlowInfos empty", func(r *CreateFlowsByTemplatesRequest) { r.FlowInfos = []*FlowInfo{} },
			[]decWant{{"FlowInfos", "min", "1"}}},
		{"FlowInfos 20", flows(MaxFlowsPerCall), nil},
		{"FlowInfos 21", flows(MaxFlowsPerCall + 1), []decWant{{"FlowInfos", "max", "20"}}},
		{"FlowInfos null element", func(r *CreateFlowsByTemplatesRequest) { r.FlowInfos[1] = nil },
			[]decWant{{"FlowInfos[1]", "required", ""}}},
		{"FlowName missing", func(r *CreateFlowsByTemplatesRequest) { f0(r).FlowName = nil },
			[]decWant{{"FlowInfos[0].FlowName", "required", ""}}},
		{"FlowName 200 runes", func(r *CreateFlowsByTemplatesRequest) { f0(r).FlowName = valRunes("合", 200) }, nil},
		{"FlowName 201 runes", func(r *CreateFlowsByTemplatesRequest) { f0(r).FlowName = valRunes("合", 201) },
			[]decWant{{"FlowInfos[0].FlowName", "max", "200"}}},
		{"FlowName hyphen", func(r *CreateFlowsByTemplatesRequest) { f0(r).FlowName = String("合同-1") },
			[]decWant{{"FlowInfos[0].FlowName", "flowname_chars", ""}}},
		{"FlowName space", func(r *CreateFlowsByTemplatesRequest) { f0(r).FlowName = String("合同 A") },
			[]decWant{{"FlowInfos[0].FlowName", "flowname_chars", ""}}},
		{"FlowName full-width digit", func(r *CreateFlowsByTemplatesRequest) { f0(r).FlowName = String("合同１") },
			[]decWant{{"FlowInfos[0].FlowName", "flowname_chars", ""}}},
		{"FlowName mixed", func(r *CreateFlowsByTemplatesRequest) { f0(r).FlowName = String("Sales_合同_2026") }, nil},
		{"FlowType slash", func(r *CreateFlowsByTemplatesRequest) { f0(r).FlowType = String("销售/合同") },
			[]decWant{{"FlowInfos[0].FlowType", "flowname_chars", ""}}},
		{"FlowType 201", func(r *CreateFlowsByTemplatesRequest) { f0(r).FlowType = valRunes("a", 201) },
			[]decWant{{"FlowInfos[0].FlowType", "max", "200"}}},
		{"FlowType empty", func(r *CreateFlowsByTemplatesRequest) { f0(r).FlowType = String("") }, nil},
		{"Deadline missing", func(r *CreateFlowsByTemplatesRequest) { f0(r).Deadline = nil },
			[]decWant{{"FlowInfos[0].Deadline", "required", ""}}},
		{"Deadline now", func(r *CreateFlowsByTemplatesRequest) { f0(r).Deadline = Int64(now) },
			[]decWant{{"FlowInfos[0].Deadline", "future", ""}}},
		{"Deadline now+1", func(r *CreateFlowsByTemplatesRequest) { f0(r).Deadline = Int64(now + 1) }, nil},
		{"Deadline negative", func(r *CreateFlowsByTemplatesRequest) { f0(r).Deadline = Int64(-1) },
			[]decWant{{"FlowInfos[0].Deadline", "future", ""}}},
		{"Deadline in milliseconds", func(r *CreateFlowsByTemplatesRequest) { f0(r).Deadline = Int64(1893456000000) },
			[]decWant{{"FlowInfos[0].Deadline", "unix_seconds", ""}}},
		{"Deadline year 9999", func(r *CreateFlowsByTemplatesRequest) { f0(r).Deadline = Int64(valMaxUnixSeconds) }, nil},
		{"Deadline beyond milliseconds", func(r *CreateFlowsByTemplatesRequest) { f0(r).Deadline = Int64(1 << 62) },
			[]decWant{{"FlowInfos[0].Deadline", "unix_seconds", ""}}},
		{"TemplateId missing", func(r *CreateFlowsByTemplatesRequest) { f0(r).TemplateId = nil },
			[]decWant{{"FlowInfos[0].TemplateId", "required", ""}}},
		{"TemplateId empty", func(r *CreateFlowsByTemplatesRequest) { f0(r).TemplateId = String("") },
			[]decWant{{"FlowInfos[0].TemplateId", "required", ""}}},
		{"TemplateId 31", func(r *CreateFlowsByTemplatesRequest) { f0(r).TemplateId = valRunes("t", 31) },
			[]decWant{{"FlowInfos[0].TemplateId", "len", "32"}}},
		{"TemplateId 65", func(r *CreateFlowsByTemplatesRequest) { f0(r).TemplateId = valRunes("t", 65) },
			[]decWant{{"FlowInfos[0].TemplateId", "max", "64"}}},
		{"FlowDescription 1000", func(r *CreateFlowsByTemplatesRequest) { f0(r).FlowDescription = valRunes("描", 1000) }, nil},
		{"FlowDescription 1001", func(r *CreateFlowsByTemplatesRequest) { f0(r).FlowDescription = valRunes("描", 1001) },
			[]decWant{{"FlowInfos[0].FlowDescription", "max", "1000"}}},
		{"CustomerData 1001", func(r *CreateFlowsByTemplatesRequest) { f0(r).CustomerData = valRunes("Q", 1001) },
			[]decWant{{"FlowInfos[0].CustomerData", "max", "1000"}}},
		{"CustomShowMap 1001", func(r *CreateFlowsByTemplatesRequest) { f0(r).CustomShowMap = valRunes("{", 1001) },
			[]decWant{{"FlowInfos[0].CustomShowMap", "max", "1000"}}},
		{"FlowDisplayType 3", func(r *CreateFlowsByTemplatesRequest) { f0(r).FlowDisplayType = Int64(3) }, nil},
		{"FlowDisplayType 4", func(r *CreateFlowsByTemplatesRequest) { f0(r).FlowDisplayType = Int64(4) },
			[]decWant{{"FlowInfos[0].FlowDisplayType", "oneof", "0 1 2 3"}}},
		{"CcNotifyType 1", func(r *CreateFlowsByTemplatesRequest) { f0(r).CcNotifyType = Int64(1) }, nil},
		{"CcNotifyType 2", func(r *CreateFlowsByTemplatesRequest) { f0(r).CcNotifyType = Int64(2) },
			[]decWant{{"FlowInfos[0].CcNotifyType", "oneof", "0 1"}}},
		{"AutoSignScene OTHER", func(r *CreateFlowsByTemplatesRequest) { r.FlowInfos[2].AutoSignScene = String("OTHER") }, nil},
		{"AutoSignScene unknown", func(r *CreateFlowsByTemplatesRequest) { r.FlowInfos[2].AutoSignScene = String("AUTO") },
			[]decWant{{"FlowInfos[2].AutoSignScene", "oneof", valAutoSignScenes}}},
		{"AutoSignScene missing for PERSON_AUTO_SIGN", func(r *CreateFlowsByTemplatesRequest) { r.FlowInfos[2].AutoSignScene = nil },
			[]decWant{{"FlowInfos[2].AutoSignScene", "required", "ApproverType=PERSON_AUTO_SIGN"}}},
		{"FlowOperateLimit accepted", func(r *CreateFlowsByTemplatesRequest) {
			f0(r).FlowOperateLimit = &FlowOperateLimit{NoRelease: Bool(true)}
			f0(r).NeedSignReview = Bool(true)
		}, nil},
	})
}

func TestValidateApprovers(t *testing.T) {
	ap := func(r *CreateFlowsByTemplatesRequest, i, j int) *FlowApproverInfo {
		return r.FlowInfos[i].FlowApprovers[j]
	}
	approvers := func(n int) func(r *CreateFlowsByTemplatesRequest) {
		return func(r *CreateFlowsByTemplatesRequest) {
			r.FlowInfos[1].FlowApprovers = nil
			for k := range n {
				r.FlowInfos[1].FlowApprovers = append(r.FlowInfos[1].FlowApprovers,
					&FlowApproverInfo{ApproverType: String(ApproverEntServer), RecipientId: String(fmt.Sprintf("r%d", k))})
			}
		}
	}
	const p10 = "FlowInfos[1].FlowApprovers[0]"
	valRunCases(t, []valCase{
		{"FlowApprovers missing", func(r *CreateFlowsByTemplatesRequest) { r.FlowInfos[1].FlowApprovers = nil },
			[]decWant{{"FlowInfos[1].FlowApprovers", "required", ""}}},
		{"FlowApprovers empty", func(r *CreateFlowsByTemplatesRequest) { r.FlowInfos[1].FlowApprovers = []*FlowApproverInfo{} },
			[]decWant{{"FlowInfos[1].FlowApprovers", "min", "1"}}},
		{"FlowApprovers 50", approvers(MaxApproversPerFlow), nil},
		{"FlowApprovers 51", approvers(MaxApproversPerFlow + 1), []decWant{{"FlowInfos[1].FlowApprovers", "max", "50"}}},
		{"FlowApprovers null element", func(r *CreateFlowsByTemplatesRequest) { r.FlowInfos[1].FlowApprovers[2] = nil },
			[]decWant{{"FlowInfos[1].FlowApprovers[2]", "required", ""}}},
		{"RecipientId missing", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 2).RecipientId = nil },
			[]decWant{{"FlowInfos[1].FlowApprovers[2].RecipientId", "required", ""}}},
		{"RecipientId repeated", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 2).RecipientId = ap(r, 1, 0).RecipientId },
			[]decWant{{"FlowInfos[1].FlowApprovers[2].RecipientId", "unique", "FlowApprovers[0].RecipientId"}}},
		{"RecipientId repeated across flows", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 2).RecipientId = ap(r, 0, 0).RecipientId }, nil},
		{"ApproverType missing", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 2).ApproverType = nil },
			[]decWant{{"FlowInfos[1].FlowApprovers[2].ApproverType", "required", ""}}},
		{"ApproverType empty", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 2).ApproverType = String("") },
			[]decWant{{"FlowInfos[1].FlowApprovers[2].ApproverType", "required", ""}}},
		{"ApproverType unknown", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 2).ApproverType = String("COMPANY") },
			[]decWant{{"FlowInfos[1].FlowApprovers[2].ApproverType", "oneof", valApproverTypes}}},
		// Scenario 4: a person needs Name and Mobile.
		{"person without Name", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).Name = nil },
			[]decWant{{p10 + ".Name", "required", "ApproverType=PERSON"}}},
		{"person without Mobile", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).Mobile = String("") },
			[]decWant{{p10 + ".Mobile", "required", "ApproverType=PERSON"}}},
		{"auto-sign person without Name", func(r *CreateFlowsByTemplatesRequest) { ap(r, 2, 0).Name = nil },
			[]decWant{{"FlowInfos[2].FlowApprovers[0].Name", "required", "ApproverType=PERSON_AUTO_SIGN"}}},
		{"dynamic person without details", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).ApproverOption = &ApproverOption{FillType: Int64(1)}
			ap(r, 1, 0).Name, ap(r, 1, 0).Mobile, ap(r, 1, 0).IdCardNumber = nil, nil, nil
		}, nil},
		{"Mobile with +86", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).Mobile = String("+8613800000002") },
			[]decWant{{p10 + ".Mobile", "mobile", ""}}},
		{"Mobile 12x", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).Mobile = String("12800000002") },
			[]decWant{{p10 + ".Mobile", "mobile", ""}}},
		{"Mobile 10 digits", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).Mobile = String("1380000000") },
			[]decWant{{p10 + ".Mobile", "mobile", ""}}},
		{"Mobile full-width digits", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).Mobile = String("１３８００００００００")
		},
			[]decWant{{p10 + ".Mobile", "mobile", ""}}},
		{"Mobile 19x", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).Mobile = String("19912345678") }, nil},
		{"IdCardType unknown", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).IdCardType = String("PASSPORT") },
			[]decWant{{p10 + ".IdCardType", "oneof", valIDCardTypes}}},
		{"IdCardNumber wrong check digit", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).IdCardNumber = String("110105194912310021") },
			[]decWant{{p10 + ".IdCardNumber", "idcard", "ID_CARD"}}},
		{"IdCardNumber lower-case x", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).IdCardNumber = String("11010519491231002x") },
			[]decWant{{p10 + ".IdCardNumber", "idcard", "ID_CARD"}}},
		{"IdCardNumber 17 chars", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).IdCardNumber = String("11010519491231002") },
			[]decWant{{p10 + ".IdCardNumber", "idcard", "ID_CARD"}}},
		{"IdCardNumber without type means ID_CARD", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).IdCardType = nil
			ap(r, 1, 0).IdCardNumber = String("H1234567890")
		}, []decWant{{p10 + ".IdCardNumber", "idcard", "ID_CARD"}}},
		{"IdCardNumber valid without type", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).IdCardType = nil }, nil},
		{"residence permit valid", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).IdCardType = String("HONGKONG_MACAO_AND_TAIWAN")
			ap(r, 1, 0).IdCardNumber = String("810000199408230021") // 8 = HK/Macau/Taiwan residence permit range
		}, nil},
		{"residence permit with HK format", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).IdCardType = String("HONGKONG_MACAO_AND_TAIWAN")
			ap(r, 1, 0).IdCardNumber = String("H1234567890")
		}, []decWant{{p10 + ".IdCardNumber", "idcard", "HONGKONG_MACAO_AND_TAIWAN"}}},
		{"HK permit 9 digits", func(r *CreateFlowsByTemplatesRequest) { ap(r, 2, 0).IdCardNumber = String("M123456789") },
			[]decWant{{"FlowInfos[2].FlowApprovers[0].IdCardNumber", "idcard", "HONGKONG_AND_MACAO"}}},
		{"HK permit M", func(r *CreateFlowsByTemplatesRequest) { ap(r, 2, 0).IdCardNumber = String("M1234567890") }, nil},
		// Scenarios 1-3: sub-client employees.
		{"sub-client without OpenId", func(r *CreateFlowsByTemplatesRequest) { ap(r, 0, 2).OpenId = nil },
			[]decWant{{"FlowInfos[0].FlowApprovers[2].OpenId", "required", "ApproverType=ORGANIZATION"}}},
		{"OpenId with underscore", func(r *CreateFlowsByTemplatesRequest) { ap(r, 0, 2).OpenId = String("staff_900") },
			[]decWant{{"FlowInfos[0].FlowApprovers[2].OpenId", "alphanum", ""}}},
		{"OpenId 65", func(r *CreateFlowsByTemplatesRequest) { ap(r, 0, 2).OpenId = valRunes("a", 65) },
			[]decWant{{"FlowInfos[0].FlowApprovers[2].OpenId", "max", "64"}}},
		{"OrganizationOpenId 65", func(r *CreateFlowsByTemplatesRequest) { ap(r, 0, 2).OrganizationOpenId = valRunes("o", 65) },
			[]decWant{{"FlowInfos[0].FlowApprovers[2].OrganizationOpenId", "max", "64"}}},
		{"other sub-enterprise without OrganizationName", func(r *CreateFlowsByTemplatesRequest) { ap(r, 0, 2).OrganizationName = nil },
			[]decWant{{"FlowInfos[0].FlowApprovers[2].OrganizationName", "required", "OrganizationOpenId≠Agent.ProxyOrganizationOpenId"}}},
		{"own sub-enterprise without OrganizationName", func(r *CreateFlowsByTemplatesRequest) { ap(r, 0, 0).OrganizationName = nil }, nil},
		{"own sub-enterprise without OrganizationOpenId", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 0, 0).OrganizationOpenId, ap(r, 0, 0).OrganizationName = nil, nil
		}, nil},
		{"dynamic organization without anything", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 0, 1).OrganizationOpenId, ap(r, 0, 1).OrganizationName = nil, nil
		}, nil},
		// Scenario 5: SaaS-platform enterprise employee.
		{"platform employee without OrganizationName", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 1).OrganizationName = nil },
			[]decWant{{"FlowInfos[1].FlowApprovers[1].OrganizationName", "required", "NotChannelOrganization=true"}}},
		{"platform employee without Name and Mobile", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 1).Name, ap(r, 1, 1).Mobile = nil, nil },
			[]decWant{
				{"FlowInfos[1].FlowApprovers[1].Name", "required", "NotChannelOrganization=true"},
				{"FlowInfos[1].FlowApprovers[1].Mobile", "required", "NotChannelOrganization=true"},
			}},
		{"platform employee with OpenIds", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 1).OpenId, ap(r, 1, 1).OrganizationOpenId = String("abc"), String("org_x")
		}, []decWant{
			{"FlowInfos[1].FlowApprovers[1].OpenId", "forbidden", "NotChannelOrganization=true"},
			{"FlowInfos[1].FlowApprovers[1].OrganizationOpenId", "forbidden", "NotChannelOrganization=true"},
		}},
		{"NotChannelOrganization on a person", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).NotChannelOrganization = Bool(true) },
			[]decWant{{p10 + ".NotChannelOrganization", "forbidden", "ApproverType≠ORGANIZATION"}}},
		{"NotChannelOrganization false on a person", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).NotChannelOrganization = Bool(false) }, nil},
		{"NotifyType for a sub-client", func(r *CreateFlowsByTemplatesRequest) { ap(r, 0, 2).NotifyType = String("SMS") },
			[]decWant{{"FlowInfos[0].FlowApprovers[2].NotifyType", "forbidden", "NotChannelOrganization≠true"}}},
		{"NotifyType unknown", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 1).NotifyType = String("NODE") },
			[]decWant{{"FlowInfos[1].FlowApprovers[1].NotifyType", "oneof", valNotifyTypes}}},
		{"NotifyType NONE", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 1).NotifyType = String("NONE") }, nil},
		// ENTERPRISESERVER and ApproverOption.
		{"auto-sign enterprise as dynamic signer", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 2).ApproverOption = &ApproverOption{FillType: Int64(1)}
		}, []decWant{{"FlowInfos[1].FlowApprovers[2].ApproverOption.FillType", "forbidden", "ApproverType=ENTERPRISESERVER"}}},
		{"FillType 2", func(r *CreateFlowsByTemplatesRequest) { ap(r, 0, 1).ApproverOption.FillType = Int64(2) },
			[]decWant{
				{"FlowInfos[0].FlowApprovers[1].ApproverOption.FillType", "oneof", "1"},
				{"FlowInfos[0].FlowApprovers[1].OpenId", "required", "ApproverType=ORGANIZATION"},
			}},
		{"FlowReadLimit unknown", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).ApproverOption = &ApproverOption{FlowReadLimit: String("LimitNothing")}
		}, []decWant{{p10 + ".ApproverOption.FlowReadLimit", "oneof", valFlowReadLimits}}},
		{"ApproverMobileMode", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).ApproverOption = &ApproverOption{ApproverMobileMode: String("GIVEN"), FlowReadLimit: String("LimitBottom"),
				NoRefuse: Bool(true), NoTransfer: Bool(true), HideOneKeySign: Bool(true), ForbidAddSignDate: Bool(false)}
		}, nil},
		{"ApproverMobileMode unknown", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).ApproverOption = &ApproverOption{ApproverMobileMode: String("ASK")}
		}, []decWant{{p10 + ".ApproverOption.ApproverMobileMode", "oneof", valMobileModes}}},
		// Per-signer fields.
		{"ApproverRoleName 20", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).ApproverRoleName = valRunes("角", 20) }, nil},
		{"ApproverRoleName 21", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).ApproverRoleName = valRunes("角", 21) },
			[]decWant{{p10 + ".ApproverRoleName", "max", "20"}}},
		{"ApproverRoleName hyphen", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).ApproverRoleName = String("角色-1") },
			[]decWant{{p10 + ".ApproverRoleName", "flowname_chars", ""}}},
		{"PreReadTime 3 and 300", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).PreReadTime, ap(r, 1, 1).PreReadTime = Int64(3), Int64(300)
		}, nil},
		{"PreReadTime 2", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).PreReadTime = Int64(2) },
			[]decWant{{p10 + ".PreReadTime", "min", "3"}}},
		{"PreReadTime 301", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).PreReadTime = Int64(301) },
			[]decWant{{p10 + ".PreReadTime", "max", "300"}}},
		{"signer Deadline past", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).Deadline = Int64(valTestNow.Unix() - 60) },
			[]decWant{{p10 + ".Deadline", "future", ""}}},
		{"signer Deadline milliseconds", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).Deadline = Int64(valTestNow.UnixMilli()) },
			[]decWant{{p10 + ".Deadline", "unix_seconds", ""}}},
		{"ApproverVerifyTypes 1 2", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).ApproverVerifyTypes = []*int64{Int64(1), Int64(2)}
		}, nil},
		{"ApproverVerifyTypes 3", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).ApproverVerifyTypes = []*int64{Int64(1), Int64(3)}
		}, []decWant{{p10 + ".ApproverVerifyTypes[1]", "oneof", "1 2"}}},
		{"ApproverVerifyTypes null item", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).ApproverVerifyTypes = []*int64{nil}
		}, []decWant{{p10 + ".ApproverVerifyTypes[0]", "required", ""}}},
		{"ApproverSignTypes only device", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).ApproverSignTypes = []*int64{Int64(5), Int64(6)}
		}, []decWant{{p10 + ".ApproverSignTypes", "device_only", ""}}},
		{"ApproverSignTypes 4", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).ApproverSignTypes = []*int64{Int64(4)}
		}, []decWant{{p10 + ".ApproverSignTypes[0]", "oneof", "1 2 3 5 6"}}},
		{"ApproverSignTypes with face", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).ApproverSignTypes = []*int64{Int64(1), Int64(5)}
		}, nil},
		{"ComponentLimitType unknown", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).ComponentLimitType = []*string{String("ESIGN"), String("PEN")}
		}, []decWant{{p10 + ".ComponentLimitType[1]", "oneof", valComponentLimits}}},
		{"SignEndpoints unknown", func(r *CreateFlowsByTemplatesRequest) {
			ap(r, 1, 0).SignEndpoints = []*string{String("app")}
		}, []decWant{{p10 + ".SignEndpoints[0]", "oneof", "link"}}},
		{"ApproverEmail invalid", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 1).ApproverEmail = String("not-an-email") },
			[]decWant{{"FlowInfos[1].FlowApprovers[1].ApproverEmail", "email", ""}}},
		{"SignTypeSelector 1", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).SignTypeSelector = Uint64(1) }, nil},
		{"SignTypeSelector 2", func(r *CreateFlowsByTemplatesRequest) { ap(r, 1, 0).SignTypeSelector = Uint64(2) },
			[]decWant{{p10 + ".SignTypeSelector", "oneof", "0 1"}}},
	})
}

func TestValidateCcFormFieldsIntention(t *testing.T) {
	f0 := func(r *CreateFlowsByTemplatesRequest) *FlowInfo { return r.FlowInfos[0] }
	ccs := func(n int) func(r *CreateFlowsByTemplatesRequest) {
		return func(r *CreateFlowsByTemplatesRequest) {
			f0(r).CcInfos = nil
			for range n {
				f0(r).CcInfos = append(f0(r).CcInfos, &CcInfo{Mobile: String("13700000000")})
			}
		}
	}
	in := func(r *CreateFlowsByTemplatesRequest) *Intention {
		a := r.FlowInfos[1].FlowApprovers[0]
		if a.Intention == nil {
			a.Intention = &Intention{IntentionType: Int64(1),
				IntentionQuestions: []*IntentionQuestion{{Question: String("是否同意？"), Answers: []*string{String("同意")}}},
				IntentionActions:   []*IntentionAction{{Text: String("请点头")}},
				RuleIdConfig:       &RuleIdConfig{Speed: Uint64(2)}}
		}
		return a.Intention
	}
	const ip = "FlowInfos[1].FlowApprovers[0].Intention"
	valRunCases(t, []valCase{
		{"CcInfos 50", ccs(MaxCcPerFlow), nil},
		{"CcInfos 51", ccs(MaxCcPerFlow + 1), []decWant{{"FlowInfos[0].CcInfos", "max", "50"}}},
		{"CC Mobile missing", func(r *CreateFlowsByTemplatesRequest) { f0(r).CcInfos[0].Mobile = nil },
			[]decWant{{"FlowInfos[0].CcInfos[0].Mobile", "required", ""}}},
		{"CC Mobile invalid", func(r *CreateFlowsByTemplatesRequest) { f0(r).CcInfos[0].Mobile = String("0755-12345678") },
			[]decWant{{"FlowInfos[0].CcInfos[0].Mobile", "mobile", ""}}},
		{"CC Mobile is a signer's", func(r *CreateFlowsByTemplatesRequest) { f0(r).CcInfos[0].Mobile = String("13800000001") },
			[]decWant{{"FlowInfos[0].CcInfos[0].Mobile", "dup_signer", ""}}},
		{"CC Mobile is a signer's in another flow", func(r *CreateFlowsByTemplatesRequest) { f0(r).CcInfos[0].Mobile = String("13800000002") }, nil},
		{"CcType 2", func(r *CreateFlowsByTemplatesRequest) { f0(r).CcInfos[0].CcType = Int64(2) },
			[]decWant{{"FlowInfos[0].CcInfos[0].CcType", "oneof", "0 1"}}},
		{"CcPermission 2", func(r *CreateFlowsByTemplatesRequest) { f0(r).CcInfos[0].CcPermission = Int64(2) },
			[]decWant{{"FlowInfos[0].CcInfos[0].CcPermission", "oneof", "0 1"}}},
		{"FormField name missing", func(r *CreateFlowsByTemplatesRequest) { f0(r).FormFields[1].ComponentName = nil },
			[]decWant{{"FlowInfos[0].FormFields[1].ComponentName", "required", ""}}},
		{"FormField only ComponentId", func(r *CreateFlowsByTemplatesRequest) {
			f0(r).FormFields[1].ComponentName, f0(r).FormFields[1].ComponentId = nil, String("ComponentId_1")
		}, []decWant{{"FlowInfos[0].FormFields[1].ComponentName", "required", ""}}},
		{"FormField value missing", func(r *CreateFlowsByTemplatesRequest) { f0(r).FormFields[0].ComponentValue = nil },
			[]decWant{{"FlowInfos[0].FormFields[0].ComponentValue", "required", ""}}},
		{"FormField value empty", func(r *CreateFlowsByTemplatesRequest) { f0(r).FormFields[0].ComponentValue = String("") }, nil},
		{"FormField names repeated", func(r *CreateFlowsByTemplatesRequest) { f0(r).FormFields[1].ComponentName = String("甲方") },
			[]decWant{{"FlowInfos[0].FormFields[1].ComponentName", "unique", "FormFields[0].ComponentName"}}},
		{"FormField null", func(r *CreateFlowsByTemplatesRequest) { f0(r).FormFields[0] = nil },
			[]decWant{{"FlowInfos[0].FormFields[0]", "required", ""}}},
		{"Intention valid", func(r *CreateFlowsByTemplatesRequest) { in(r) }, nil},
		{"IntentionType 3", func(r *CreateFlowsByTemplatesRequest) { in(r).IntentionType = Int64(3) },
			[]decWant{{ip + ".IntentionType", "oneof", "1 2"}}},
		{"IntentionQuestions 10", func(r *CreateFlowsByTemplatesRequest) {
			q := in(r).IntentionQuestions[0]
			in(r).IntentionQuestions = []*IntentionQuestion{q, q, q, q, q, q, q, q, q, q}
		}, nil},
		{"IntentionQuestions 11", func(r *CreateFlowsByTemplatesRequest) {
			q := in(r).IntentionQuestions[0]
			in(r).IntentionQuestions = []*IntentionQuestion{q, q, q, q, q, q, q, q, q, q, q}
		}, []decWant{{ip + ".IntentionQuestions", "max", "10"}}},
		{"IntentionActions empty", func(r *CreateFlowsByTemplatesRequest) { in(r).IntentionActions = []*IntentionAction{} },
			[]decWant{{ip + ".IntentionActions", "min", "1"}}},
		{"Question 250", func(r *CreateFlowsByTemplatesRequest) { in(r).IntentionQuestions[0].Question = valRunes("问", 250) }, nil},
		{"Question 251", func(r *CreateFlowsByTemplatesRequest) { in(r).IntentionQuestions[0].Question = valRunes("问", 251) },
			[]decWant{{ip + ".IntentionQuestions[0].Question", "max", "250"}}},
		{"Text 151", func(r *CreateFlowsByTemplatesRequest) { in(r).IntentionActions[0].Text = valRunes("点", 151) },
			[]decWant{{ip + ".IntentionActions[0].Text", "max", "150"}}},
		{"Speed 4", func(r *CreateFlowsByTemplatesRequest) { in(r).RuleIdConfig.Speed = Uint64(4) },
			[]decWant{{ip + ".RuleIdConfig.Speed", "oneof", "0 1 2 3"}}},
	})
}

// valManyFaults is a request that breaks many rules at once.
const valManyFaults = `{
  "Agent": {"AppId": "", "ProxyOperator": {}},
  "FlowInfos": [
    {"FlowName": "bad-name", "Deadline": 1700000000000, "TemplateId": "short",
     "FlowApprovers": [
       {"ApproverType": "PERSON", "RecipientId": "r1", "Mobile": "+8613800000000", "IdCardNumber": "110105194912310021"},
       {"ApproverType": "ORGANIZATION", "RecipientId": "r1", "NotChannelOrganization": true, "OpenId": "x"},
       {"ApproverType": "ROBOT"}
     ],
     "CcInfos": [{"Mobile": "13800000000", "CcType": 9}],
     "FormFields": [{"ComponentId": "c1"}]},
    {"FlowName": "ok", "Deadline": 1, "TemplateId": "yDwFmUUckpstqfvzUE1h3jo1f3cqjkGm", "FlowApprovers": []}
  ],
  "PreviewType": 3
}`

// TestValidateReportsEveryViolation checks that a request with many faults reports all of them,
// in both languages; the exact list is kept in testdata/requests/many_faults.violations.golden.
func TestValidateReportsEveryViolation(t *testing.T) {
	req, err := DecodeCreateFlowsRequest([]byte(valManyFaults))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	_, err = valTestValidator().ValidateCreate(req)
	got := decViolations(t, err)
	want := []decWant{
		{"Agent.AppId", "required", ""},
		{"Agent.ProxyOrganizationOpenId", "required", ""},
		{"Agent.ProxyOperator.OpenId", "required", ""},
		{"FlowInfos[0].FlowName", "flowname_chars", ""},
		{"FlowInfos[0].Deadline", "unix_seconds", ""},
		{"FlowInfos[0].TemplateId", "len", "32"},
		{"FlowInfos[0].FlowApprovers[0].Mobile", "mobile", ""},
		{"FlowInfos[0].FlowApprovers[0].Name", "required", "ApproverType=PERSON"},
		{"FlowInfos[0].FlowApprovers[0].IdCardNumber", "idcard", "ID_CARD"},
		{"FlowInfos[0].FlowApprovers[1].OrganizationName", "required", "NotChannelOrganization=true"},
		{"FlowInfos[0].FlowApprovers[1].Name", "required", "NotChannelOrganization=true"},
		{"FlowInfos[0].FlowApprovers[1].Mobile", "required", "NotChannelOrganization=true"},
		{"FlowInfos[0].FlowApprovers[1].OpenId", "forbidden", "NotChannelOrganization=true"},
		{"FlowInfos[0].FlowApprovers[2].ApproverType", "oneof", valApproverTypes},
		{"FlowInfos[0].FlowApprovers[2].RecipientId", "required", ""},
		{"FlowInfos[0].FormFields[0].ComponentValue", "required", ""},
		{"FlowInfos[0].FormFields[0].ComponentName", "required", ""},
		{"FlowInfos[0].CcInfos[0].CcType", "oneof", "0 1"},
		{"FlowInfos[0].FlowApprovers[1].RecipientId", "unique", "FlowApprovers[0].RecipientId"},
		{"FlowInfos[1].Deadline", "future", ""},
		{"FlowInfos[1].FlowApprovers", "min", "1"},
		{"PreviewType", "oneof", "0 1"},
		{"PreviewType", "forbidden", "NeedPreview=false"},
	}
	decCheck(t, got, want)
	if !strings.HasPrefix(err.Error(), "23 validation error(s); Agent.AppId is required and must not be blank;") {
		t.Errorf("Error() = %q", err.Error())
	}

	var b bytes.Buffer
	for _, v := range got {
		fmt.Fprintf(&b, "%s\n  en: %s\n  zh: %s\n", v.Path, v.Message, v.MessageZH)
	}
	golden := filepath.Join("testdata", "requests", "many_faults.violations.golden")
	if decUpdating() {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantText, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(b.Bytes(), wantText) {
		t.Errorf("messages differ from %s:\n%s", golden, b.Bytes())
	}
}

func TestValidateMessages(t *testing.T) {
	tests := []struct {
		name   string
		mut    func(r *CreateFlowsByTemplatesRequest)
		en, zh string
	}{
		{"built-in required", func(r *CreateFlowsByTemplatesRequest) { r.FlowInfos[1].FlowApprovers[2].RecipientId = nil },
			"FlowInfos[1].FlowApprovers[2].RecipientId is required",
			"FlowInfos[1].FlowApprovers[2].RecipientId为必填字段"},
		{"conditional required", func(r *CreateFlowsByTemplatesRequest) { r.FlowInfos[1].FlowApprovers[0].Mobile = nil },
			"FlowInfos[1].FlowApprovers[0].Mobile is required when ApproverType=PERSON",
			"FlowInfos[1].FlowApprovers[0].Mobile在ApproverType=PERSON时为必填字段"},
		{"mobile", func(r *CreateFlowsByTemplatesRequest) {
			r.FlowInfos[1].FlowApprovers[0].Mobile = String("+8613800000002")
		},
			"FlowInfos[1].FlowApprovers[0].Mobile must be an 11-digit mainland China mobile number without +86",
			"FlowInfos[1].FlowApprovers[0].Mobile必须是11位中国大陆手机号码，不带+86"},
		{"max runes", func(r *CreateFlowsByTemplatesRequest) { r.FlowInfos[0].FlowName = valRunes("合", 201) },
			"FlowInfos[0].FlowName must be a maximum of 200 characters in length",
			"FlowInfos[0].FlowName长度不能超过200个字符"},
		{"len", func(r *CreateFlowsByTemplatesRequest) { r.FlowInfos[0].TemplateId = String("abc") },
			"FlowInfos[0].TemplateId must be 32 characters in length",
			"FlowInfos[0].TemplateId长度必须是32个字符"},
		{"oneof element", func(r *CreateFlowsByTemplatesRequest) {
			r.FlowInfos[1].FlowApprovers[0].ApproverVerifyTypes = []*int64{Int64(9)}
		}, "FlowInfos[1].FlowApprovers[0].ApproverVerifyTypes[0] must be one of [1 2]",
			"FlowInfos[1].FlowApprovers[0].ApproverVerifyTypes[0]必须是[1 2]中的一个"},
		{"milliseconds", func(r *CreateFlowsByTemplatesRequest) { r.FlowInfos[0].Deadline = Int64(1893456000000) },
			"FlowInfos[0].Deadline looks like a Unix timestamp in milliseconds; send seconds (divide by 1000)",
			"FlowInfos[0].Deadline看起来是毫秒级时间戳，请改用秒（除以1000）"},
		{"idcard", func(r *CreateFlowsByTemplatesRequest) {
			r.FlowInfos[2].FlowApprovers[0].IdCardNumber = String("X1234567890")
		},
			"FlowInfos[2].FlowApprovers[0].IdCardNumber must be a valid HONGKONG_AND_MACAO number: H or M followed by 10 digits",
			"FlowInfos[2].FlowApprovers[0].IdCardNumber必须是有效的HONGKONG_AND_MACAO号码：H或M开头加10位数字"},
		{"forbidden", func(r *CreateFlowsByTemplatesRequest) { r.NeedPreview = nil },
			"PreviewType must not be given when NeedPreview=false",
			"PreviewType在NeedPreview=false时不能填写"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := valValid(t)
			tc.mut(req)
			_, err := valTestValidator().ValidateCreate(req)
			v := decViolations(t, err)
			if len(v) != 1 {
				t.Fatalf("got %d violations, want 1: %+v", len(v), v)
			}
			if v[0].Message != tc.en || ViolationMessage(v[0], "en-US") != tc.en {
				t.Errorf("en = %q, want %q", v[0].Message, tc.en)
			}
			if v[0].MessageZH != tc.zh || ViolationMessage(v[0], "zh-CN") != tc.zh {
				t.Errorf("zh = %q, want %q", v[0].MessageZH, tc.zh)
			}
		})
	}
}

func TestValidateNeverEchoesValues(t *testing.T) {
	req := valValid(t)
	a := req.FlowInfos[1].FlowApprovers[0]
	a.Mobile, a.IdCardNumber, a.ApproverEmail = String("+8613912345678"), String("440301199001011235"), String("王小明@@example")
	a.Name = String(strings.Repeat("王小明", 10))
	_, err := valTestValidator().ValidateCreate(req)
	v := decViolations(t, err)
	if len(v) != 3 {
		t.Fatalf("got %d violations, want 3: %+v", len(v), v)
	}
	for _, x := range v {
		for _, secret := range []string{"13912345678", "440301199001011235", "王小明"} {
			if strings.Contains(x.Message+x.MessageZH+x.Param+err.Error(), secret) {
				t.Errorf("%+v contains %q", x, secret)
			}
		}
	}
}

func TestValidateWarnings(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "requests", "full.json"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := DecodeCreateFlowsRequest(data)
	if err != nil {
		t.Fatal(err)
	}
	w, err := valTestValidator().ValidateCreate(req)
	if err == nil {
		t.Errorf("full.json sets explicit invalid zeros and should not validate")
	}
	want := []string{
		"Operator",
		"Agent.ProxyOrganizationId",
		"Agent.ProxyOperator.Channel",
		"Agent.ProxyOperator.CustomUserId",
		"Agent.ProxyOperator.ClientIp",
		"Agent.ProxyOperator.ProxyIp",
		"FlowInfos[0].CallbackUrl",
		"FlowInfos[0].FlowApprovers[0].CallbackUrl",
		"FlowInfos[0].FlowApprovers[0].ApproverSignTypes",
		"FlowInfos[0].FlowApprovers[0].Components",
		"FlowInfos[0].FlowApprovers[1].ApproverSignTypes",
		"FlowInfos[0].FormFields[0].ComponentId",
	}
	if len(w) != len(want) {
		t.Fatalf("got %d warnings %+v, want %d", len(w), w, len(want))
	}
	for i, p := range want {
		if w[i].Path != p || !strings.HasPrefix(w[i].Message, p+" ") || !strings.HasPrefix(w[i].MessageZH, p) {
			t.Errorf("warning %d = %+v, want path %s named in both messages", i, w[i], p)
		}
	}
	if w[6].Message != "FlowInfos[0].CallbackUrl is deprecated; configure the application callback in the console instead" ||
		w[6].MessageZH != "FlowInfos[0].CallbackUrl已废弃，请改为在控制台配置应用级回调" {
		t.Errorf("CallbackUrl warning = %+v", w[6])
	}

	// Warnings come with a valid request too, and without any violation.
	ok := valValid(t)
	ok.Operator = &UserInfo{OpenId: String("x")}
	ok.FlowInfos[0].FormFields[0].ComponentId = String("id")
	w, err = valTestValidator().ValidateCreate(ok)
	if err != nil || len(w) != 2 {
		t.Errorf("got %+v, %v; want 2 warnings and no error", w, err)
	}
}

func TestValidateNilRequests(t *testing.T) {
	v := valTestValidator()
	_, err := v.ValidateCreate(nil)
	decCheck(t, decViolations(t, err), []decWant{{"", "required", ""}})
	decCheck(t, decViolations(t, v.ValidateDescribe(nil)), []decWant{{"", "required", ""}})
}

func TestValidatorClock(t *testing.T) {
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	fixed := NewValidator(ValidatorOptions{Now: func() time.Time { return now }})
	system := NewValidator(ValidatorOptions{})
	tests := []struct {
		name     string
		v        *Validator
		deadline int64
		ok       bool
	}{
		{"fixed clock, deadline at now", fixed, now.Unix(), false},
		{"fixed clock, one second later", fixed, now.Unix() + 1, true},
		{"fixed clock, valid.json deadline is past", fixed, 1893456000, false},
		{"system clock, an hour ahead", system, time.Now().Add(time.Hour).Unix(), true},
		{"system clock, an hour ago", system, time.Now().Add(-time.Hour).Unix(), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := valValid(t)
			for _, f := range req.FlowInfos {
				f.Deadline = Int64(tc.deadline)
			}
			req.FlowInfos[1].FlowApprovers[0].Deadline = nil
			_, err := tc.v.ValidateCreate(req)
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				for _, x := range decViolations(t, err) {
					if x.Rule != RuleFuture {
						t.Errorf("unexpected %+v", x)
					}
				}
			}
		})
	}
}

func TestValidateDescribe(t *testing.T) {
	valid := func() *DescribeTemplatesRequest {
		data, err := os.ReadFile(filepath.Join("testdata", "requests", "describe_full.json"))
		if err != nil {
			t.Fatal(err)
		}
		var r DescribeTemplatesRequest
		if err := DecodeStrict(data, &r); err != nil {
			t.Fatal(err)
		}
		return &r
	}
	ids := func(n int) []*string {
		out := make([]*string, n)
		for i := range out {
			out[i] = String(fmt.Sprintf("t%d", i))
		}
		return out
	}
	tests := []struct {
		name string
		mut  func(r *DescribeTemplatesRequest)
		want []decWant
	}{
		{"valid", func(*DescribeTemplatesRequest) {}, nil},
		{"Agent missing", func(r *DescribeTemplatesRequest) { r.Agent = nil }, []decWant{{"Agent", "required", ""}}},
		{"operator OpenId missing", func(r *DescribeTemplatesRequest) { r.Agent.ProxyOperator.OpenId = String("") },
			[]decWant{{"Agent.ProxyOperator.OpenId", "required", ""}}},
		{"TemplateIds 100", func(r *DescribeTemplatesRequest) { r.TemplateIds = ids(100) }, nil},
		{"TemplateIds 101", func(r *DescribeTemplatesRequest) { r.TemplateIds = ids(101) }, []decWant{{"TemplateIds", "max", "100"}}},
		{"TemplateIds blank item", func(r *DescribeTemplatesRequest) { r.TemplateIds = []*string{String(" ")} },
			[]decWant{{"TemplateIds[0]", "required", ""}}},
		{"TemplateId 65", func(r *DescribeTemplatesRequest) { r.TemplateId = valRunes("t", 65) }, []decWant{{"TemplateId", "max", "64"}}},
		{"ContentType 1", func(r *DescribeTemplatesRequest) { r.ContentType = Int64(1) }, nil},
		{"ContentType 2", func(r *DescribeTemplatesRequest) { r.ContentType = Int64(2) }, []decWant{{"ContentType", "oneof", "0 1"}}},
		{"Limit 100", func(r *DescribeTemplatesRequest) { r.Limit = Uint64(100) }, nil},
		{"Limit 101", func(r *DescribeTemplatesRequest) { r.Limit = Uint64(101) }, []decWant{{"Limit", "max", "100"}}},
		{"Offset 20001", func(r *DescribeTemplatesRequest) { r.Offset = Uint64(20001) }, []decWant{{"Offset", "max", "20000"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := valid()
			tc.mut(r)
			err := valTestValidator().ValidateDescribe(r)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("want no violation, got %v", err)
				}
				return
			}
			decCheck(t, decViolations(t, err), tc.want)
		})
	}
}

func TestViolationMessage(t *testing.T) {
	v := Violation{Message: "en text", MessageZH: "中文"}
	tests := []struct {
		v          Violation
		lang, want string
	}{
		{v, "zh", "中文"}, {v, "zh-CN", "中文"}, {v, "ZH_Hans", "中文"}, {v, "en", "en text"},
		{v, "", "en text"}, {v, "fr", "en text"}, {Violation{Message: "only en"}, "zh", "only en"},
		{Violation{MessageZH: "只有中文"}, "en", "只有中文"},
	}
	for _, tc := range tests {
		if got := ViolationMessage(tc.v, tc.lang); got != tc.want {
			t.Errorf("ViolationMessage(%+v, %q) = %q, want %q", tc.v, tc.lang, got, tc.want)
		}
	}
}

func TestIDCardNumbers(t *testing.T) {
	tests := []struct {
		typ, num string
		ok       bool
	}{
		{"ID_CARD", "11010519491231002X", true}, // GB 11643 example
		{"ID_CARD", "440524188001010014", true},
		{"ID_CARD", "440524188001010015", false},
		{"ID_CARD", "11010519491231002x", false},
		{"ID_CARD", "1101051949123100", false},
		{"ID_CARD", "A1010519491231002X", false},
		{"HONGKONG_MACAO_AND_TAIWAN", "810000199408230021", true},
		{"HONGKONG_AND_MACAO", "H0123456789", true},
		{"HONGKONG_AND_MACAO", "h0123456789", false},
		{"HONGKONG_AND_MACAO", "H01234567890", false},
		{"PASSPORT", "anything", true}, // unknown types are reported by the oneof rule instead
	}
	for _, tc := range tests {
		if got := valIsIDCard(tc.typ, tc.num); got != tc.ok {
			t.Errorf("valIsIDCard(%s, %s) = %v, want %v", tc.typ, tc.num, got, tc.ok)
		}
	}
}

func TestValidatorConcurrentUse(t *testing.T) {
	v := valTestValidator()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			req := valValid(t)
			if i%2 == 1 {
				req.FlowInfos[0].FlowName = String("bad name")
			}
			_, err := v.ValidateCreate(req)
			var ve *ValidationError
			switch {
			case i%2 == 0 && err != nil:
				errs <- err
			case i%2 == 1 && (!errors.As(err, &ve) || len(ve.Violations) != 1):
				errs <- fmt.Errorf("worker %d: got %v", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// valBench20 is the body of a 20-flow request, each flow with three signers, a CC and form fields.
func valBench20(b *testing.B) []byte {
	b.Helper()
	req := valValid(b)
	flows := make([]*FlowInfo, 0, MaxFlowsPerCall)
	for i := range MaxFlowsPerCall {
		f := *req.FlowInfos[i%2]
		f.CustomerData = String(fmt.Sprintf("order-%d", i))
		flows = append(flows, &f)
	}
	req.FlowInfos = flows
	data, err := json.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkValidate20 measures strict decoding plus validation of a 20-flow request, the work
// done per incoming batch.
func BenchmarkValidate20(b *testing.B) {
	data := valBench20(b)
	v := valTestValidator()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		req, err := DecodeCreateFlowsRequest(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v.ValidateCreate(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeStdlib20 is the baseline: json.Unmarshal of the same body, no checks.
func BenchmarkDecodeStdlib20(b *testing.B) {
	data := valBench20(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var req CreateFlowsByTemplatesRequest
		if err := json.Unmarshal(data, &req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeStrict20 measures the strict decoder alone on the same body.
func BenchmarkDecodeStrict20(b *testing.B) {
	data := valBench20(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeCreateFlowsRequest(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateOnly20 measures ValidateCreate alone on an already decoded request.
func BenchmarkValidateOnly20(b *testing.B) {
	req, err := DecodeCreateFlowsRequest(valBench20(b))
	if err != nil {
		b.Fatal(err)
	}
	v := valTestValidator()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.ValidateCreate(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewValidator shows why a Validator is built once and shared.
func BenchmarkNewValidator(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		NewValidator(ValidatorOptions{})
	}
}
