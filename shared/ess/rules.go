package ess

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/go-playground/validator/v10"
)

// Rules reported by the validator besides the built-in tags of go-playground/validator
// (required, min, max, len, oneof, alphanum, email).
const (
	RuleRequired      = "required"       // a missing, null or blank value
	RuleMobile        = "mobile"         // not an 11-digit mainland mobile number
	RuleIDCard        = "idcard"         // an identity number that does not fit its IdCardType; Param is the type
	RuleFuture        = "future"         // a deadline not after the validator's clock
	RuleUnixSeconds   = "unix_seconds"   // a timestamp beyond year 9999 in seconds (often milliseconds)
	RuleFlowNameChars = "flowname_chars" // characters other than Chinese, ASCII letters, digits, underscore
	RuleForbidden     = "forbidden"      // a field that must not be given in this context; Param says when
	RuleUnique        = "unique"         // a value repeated within a flow; Param is the path of the first one
	RuleDupSigner     = "dup_signer"     // a carbon-copy mobile that is also a signer's mobile
	RuleDeviceOnly    = "device_only"    // ApproverSignTypes holding only 5 and/or 6
)

// Enumerations accepted by the validator.
const (
	valApproverTypes      = ApproverPerson + " " + ApproverPersonAuto + " " + ApproverOrganization + " " + ApproverEntServer
	valIDCardTypes        = "ID_CARD HONGKONG_AND_MACAO HONGKONG_MACAO_AND_TAIWAN"
	valComponentLimits    = "HANDWRITE HANDWRITTEN_ESIGN OCR_ESIGN ESIGN IMG_ESIGN SYSTEM_ESIGN"
	valFlowReadLimits     = "LimitReadTimeAndBottom LimitReadTime LimitBottom NoReadTimeAndBottom"
	valMobileModes        = "REPLACE GIVEN VALIDATE"
	valNotifyTypes        = "SMS EMAIL ALL NONE"
	valAutoSignScenes     = "E_PRESCRIPTION_AUTO_SIGN OTHER"
	valMaxCustomShowMap   = 1000
	valMaxIntentionRounds = 10
	valMaxQuestionLen     = 250
	valMaxActionTextLen   = 150
	valMaxTemplateIDLen   = 64
	valTemplateIDLen      = 32
	valMaxTemplateIDs     = 100
	valMaxTemplateLimit   = 100
	valMaxTemplateOffset  = 20000
	// valMaxUnixSeconds is 9999-12-31T23:59:59Z; larger deadlines are almost always milliseconds.
	valMaxUnixSeconds = 253402300799
)

// valRuleSet holds the validator tags of one request type, keyed by Go field name.
type valRuleSet struct {
	typ   any
	rules map[string]string
}

// valRuleMaps returns the validator tags of each request type, keyed by Go field name. They
// stand in for struct tags, which models.go does not carry. omitzero skips nil pointers and
// pointers to "" (an empty optional string or enumeration means "not set", as the service
// treats it); omitnil skips only nil pointers, so that an explicit 0 is still checked.
func valRuleMaps() []valRuleSet {
	i := strconv.Itoa
	return []valRuleSet{
		{CreateFlowsByTemplatesRequest{}, map[string]string{
			"Agent":       "required",
			"FlowInfos":   "required,min=1,max=" + i(MaxFlowsPerCall) + ",dive,required",
			"PreviewType": "omitnil,oneof=0 1",
			"Operator":    "-", // deprecated and ignored by the service: reported as a warning only
		}},
		{Agent{}, map[string]string{
			"AppId":                   "required,notblank",
			"ProxyOrganizationOpenId": "required,notblank,max=" + i(MaxOpenIdLen),
			"ProxyOperator":           "required",
		}},
		{UserInfo{}, map[string]string{
			"OpenId": "omitzero,max=" + i(MaxOpenIdLen),
		}},
		{FlowInfo{}, map[string]string{
			"FlowName":        "required,notblank,max=" + i(MaxFlowNameLen) + ",flowname_chars",
			"Deadline":        "required,unix_seconds,future",
			"TemplateId":      "required,notblank,max=" + i(valMaxTemplateIDLen) + ",len=" + i(valTemplateIDLen),
			"FlowApprovers":   "required,min=1,max=" + i(MaxApproversPerFlow) + ",dive,required",
			"FormFields":      "omitnil,dive,required",
			"FlowType":        "omitzero,max=" + i(MaxFlowTypeLen) + ",flowname_chars",
			"FlowDescription": "omitnil,max=" + i(MaxFlowDescLen),
			"CustomerData":    "omitnil,max=" + i(MaxCustomerDataLen),
			"CustomShowMap":   "omitnil,max=" + i(valMaxCustomShowMap),
			"CcInfos":         "omitnil,max=" + i(MaxCcPerFlow) + ",dive,required",
			"CcNotifyType":    "omitnil,oneof=0 1",
			"AutoSignScene":   "omitzero,oneof=" + valAutoSignScenes,
			"FlowDisplayType": "omitnil,oneof=0 1 2 3",
		}},
		{FlowApproverInfo{}, map[string]string{
			"IdCardType":          "omitzero,oneof=" + valIDCardTypes,
			"Mobile":              "omitzero,mobile",
			"OpenId":              "omitzero,max=" + i(MaxOpenIdLen) + ",alphanum",
			"OrganizationOpenId":  "omitzero,max=" + i(MaxOpenIdLen),
			"ApproverType":        "required,notblank,oneof=" + valApproverTypes,
			"RecipientId":         "required,notblank",
			"Deadline":            "omitnil,unix_seconds,future",
			"ComponentLimitType":  "omitnil,dive,required,oneof=" + valComponentLimits,
			"PreReadTime":         "omitnil,min=" + i(MinPreReadTime) + ",max=" + i(MaxPreReadTime),
			"ApproverVerifyTypes": "omitnil,dive,required,oneof=1 2",
			"ApproverSignTypes":   "omitnil,device_only,dive,required,oneof=1 2 3 5 6",
			"NotifyType":          "omitzero,oneof=" + valNotifyTypes,
			"ApproverRoleName":    "omitzero,max=" + i(MaxApproverRoleLen) + ",flowname_chars",
			"SignTypeSelector":    "omitnil,oneof=0 1",
			"SignEndpoints":       "omitnil,dive,required,oneof=link",
			"ApproverEmail":       "omitzero,email",
		}},
		{ApproverOption{}, map[string]string{
			"FillType":           "omitnil,oneof=1",
			"FlowReadLimit":      "omitzero,oneof=" + valFlowReadLimits,
			"ApproverMobileMode": "omitzero,oneof=" + valMobileModes,
		}},
		{FormField{}, map[string]string{
			"ComponentValue": "required",
			"ComponentName":  "required,notblank",
		}},
		{CcInfo{}, map[string]string{
			"Mobile":       "required,notblank,mobile",
			"CcType":       "omitnil,oneof=0 1",
			"CcPermission": "omitnil,oneof=0 1",
		}},
		{Intention{}, map[string]string{
			"IntentionType":      "omitnil,oneof=1 2",
			"IntentionQuestions": "omitnil,min=1,max=" + i(valMaxIntentionRounds) + ",dive,required",
			"IntentionActions":   "omitnil,min=1,max=" + i(valMaxIntentionRounds) + ",dive,required",
		}},
		{IntentionQuestion{}, map[string]string{
			"Question": "omitnil,max=" + i(valMaxQuestionLen),
		}},
		{IntentionAction{}, map[string]string{
			"Text": "omitnil,max=" + i(valMaxActionTextLen),
		}},
		{RuleIdConfig{}, map[string]string{
			"Speed": "omitnil,oneof=0 1 2 3",
		}},
		{DescribeTemplatesRequest{}, map[string]string{
			"Agent":       "required",
			"TemplateId":  "omitzero,max=" + i(valMaxTemplateIDLen),
			"TemplateIds": "omitnil,max=" + i(valMaxTemplateIDs) + ",dive,required,notblank,max=" + i(valMaxTemplateIDLen),
			"ContentType": "omitnil,oneof=0 1",
			"Limit":       "omitnil,max=" + i(valMaxTemplateLimit),
			"Offset":      "omitnil,max=" + i(valMaxTemplateOffset),
		}},
	}
}

var valMobileRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^1[3-9][0-9]{9}$`) })

// valIsMobile reports whether s is an 11-digit mainland China mobile number without prefix.
func valIsMobile(s string) bool { return valMobileRE().MatchString(s) }

// valMobileTag is the mobile tag.
func valMobileTag(fl validator.FieldLevel) bool { return valIsMobile(fl.Field().String()) }

// valNotBlankTag is the notblank tag: a string holding more than white space. It is reported
// as rule required.
func valNotBlankTag(fl validator.FieldLevel) bool {
	return strings.TrimSpace(fl.Field().String()) != ""
}

// valIsNameChars reports whether s holds only Han characters, ASCII letters, ASCII digits and
// underscores, the character class of FlowName, FlowType and ApproverRoleName.
func valIsNameChars(s string) bool {
	for _, r := range s {
		switch {
		case r == '_', r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case unicode.Is(unicode.Han, r):
		default:
			return false
		}
	}
	return true
}

func valNameCharsTag(fl validator.FieldLevel) bool { return valIsNameChars(fl.Field().String()) }

// valUnixSecondsTag accepts integers up to the end of year 9999 in Unix seconds.
func valUnixSecondsTag(fl validator.FieldLevel) bool { return fl.Field().Int() <= valMaxUnixSeconds }

// valDeviceOnlyTag rejects a non-empty sign-type list made only of 5 (device fingerprint) and
// 6 (device face ID); nil items are left to the element rules.
func valDeviceOnlyTag(fl validator.FieldLevel) bool {
	f := fl.Field()
	n := 0
	for k := range f.Len() {
		e := f.Index(k)
		if e.IsNil() {
			continue
		}
		n++
		if v := e.Elem().Int(); v != 5 && v != 6 {
			return true
		}
	}
	return n == 0
}

// valGBWeights and valGBCheck are the GB 11643-1999 weights and check characters.
var (
	valGBWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	valGBCheck   = "10X98765432"
	valHKMacauRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[HM][0-9]{10}$`) })
)

// valIsIDCard reports whether num is a valid identity number for idType: for ID_CARD and
// HONGKONG_MACAO_AND_TAIWAN 17 digits and a GB 11643 check character (digit or upper-case X);
// for HONGKONG_AND_MACAO H or M then 10 digits. Unknown types are not checked here.
func valIsIDCard(idType, num string) bool {
	switch idType {
	case "ID_CARD", "HONGKONG_MACAO_AND_TAIWAN":
		if len(num) != 18 {
			return false
		}
		sum := 0
		for k := range 17 {
			c := num[k]
			if c < '0' || c > '9' {
				return false
			}
			sum += int(c-'0') * valGBWeights[k]
		}
		return num[17] == valGBCheck[sum%11]
	case "HONGKONG_AND_MACAO":
		return valHKMacauRE().MatchString(num)
	}
	return true
}

// valBlank reports whether p is nil or holds only white space.
func valBlank(p *string) bool { return p == nil || strings.TrimSpace(*p) == "" }

// valStructOf returns a pointer to the struct under validation.
func valStructOf[T any](sl validator.StructLevel) *T {
	cur := sl.Current()
	if cur.CanAddr() {
		if p, ok := cur.Addr().Interface().(*T); ok {
			return p
		}
	}
	v, _ := cur.Interface().(T)
	return &v
}

// valTopRequest returns the CreateFlowsByTemplatesRequest being validated, or nil.
func valTopRequest(sl validator.StructLevel) *CreateFlowsByTemplatesRequest {
	top := sl.Top()
	for top.Kind() == reflect.Pointer {
		if top.IsNil() {
			return nil
		}
		top = top.Elem()
	}
	if top.CanAddr() {
		if p, ok := top.Addr().Interface().(*CreateFlowsByTemplatesRequest); ok {
			return p
		}
	}
	return nil
}

// valCreateLevel checks PreviewType, which is only meaningful in preview mode.
func valCreateLevel(sl validator.StructLevel) {
	r := valStructOf[CreateFlowsByTemplatesRequest](sl)
	if r.PreviewType != nil && !Deref(r.NeedPreview) {
		sl.ReportError(*r.PreviewType, "PreviewType", "PreviewType", RuleForbidden, "NeedPreview=false")
	}
}

// valAgentLevel requires the initiating operator's OpenId.
func valAgentLevel(sl validator.StructLevel) {
	a := valStructOf[Agent](sl)
	if a.ProxyOperator != nil && valBlank(a.ProxyOperator.OpenId) {
		sl.ReportError(Deref(a.ProxyOperator.OpenId), "ProxyOperator.OpenId", "ProxyOperator.OpenId", RuleRequired, "")
	}
}

// valFlowLevel checks the rules that span the signers, carbon copies and form fields of a flow.
func valFlowLevel(sl validator.StructLevel) {
	f := valStructOf[FlowInfo](sl)
	recipients := map[string]int{}
	mobiles := map[string]bool{}
	autoSign := false
	for k, a := range f.FlowApprovers {
		if a == nil {
			continue
		}
		if id := Deref(a.RecipientId); strings.TrimSpace(id) != "" {
			if first, dup := recipients[id]; dup {
				sl.ReportError(id, "FlowApprovers["+strconv.Itoa(k)+"].RecipientId", "RecipientId", RuleUnique,
					"FlowApprovers["+strconv.Itoa(first)+"].RecipientId")
			} else {
				recipients[id] = k
			}
		}
		if m := Deref(a.Mobile); m != "" {
			mobiles[m] = true
		}
		autoSign = autoSign || Deref(a.ApproverType) == ApproverPersonAuto
	}
	if autoSign && valBlank(f.AutoSignScene) {
		sl.ReportError(Deref(f.AutoSignScene), "AutoSignScene", "AutoSignScene", RuleRequired, "ApproverType="+ApproverPersonAuto)
	}
	for k, c := range f.CcInfos {
		if c == nil {
			continue
		}
		if m := Deref(c.Mobile); m != "" && mobiles[m] {
			sl.ReportError("", "CcInfos["+strconv.Itoa(k)+"].Mobile", "Mobile", RuleDupSigner, "")
		}
	}
	names := map[string]int{}
	for k, ff := range f.FormFields {
		if ff == nil || valBlank(ff.ComponentName) {
			continue
		}
		n := *ff.ComponentName
		if first, dup := names[n]; dup {
			sl.ReportError(n, "FormFields["+strconv.Itoa(k)+"].ComponentName", "ComponentName", RuleUnique,
				"FormFields["+strconv.Itoa(first)+"].ComponentName")
			continue
		}
		names[n] = k
	}
}

// valApproverLevel checks the fields each signer scenario needs or forbids, the identity
// number against its type, and the options that depend on the signer type.
func valApproverLevel(sl validator.StructLevel) {
	a := valStructOf[FlowApproverInfo](sl)
	typ := Deref(a.ApproverType)
	dynamic := a.ApproverOption != nil && Deref(a.ApproverOption.FillType) == 1
	notChannel := Deref(a.NotChannelOrganization)
	require := func(p *string, name, when string) {
		if valBlank(p) {
			sl.ReportError(Deref(p), name, name, RuleRequired, when)
		}
	}
	forbid := func(present bool, value any, name, when string) {
		if present {
			sl.ReportError(value, name, name, RuleForbidden, when)
		}
	}

	switch typ {
	case ApproverPerson, ApproverPersonAuto:
		if !dynamic {
			require(a.Name, "Name", "ApproverType="+typ)
			require(a.Mobile, "Mobile", "ApproverType="+typ)
		}
	case ApproverOrganization:
		if notChannel {
			require(a.OrganizationName, "OrganizationName", "NotChannelOrganization=true")
			if !dynamic {
				require(a.Name, "Name", "NotChannelOrganization=true")
				require(a.Mobile, "Mobile", "NotChannelOrganization=true")
			}
			forbid(a.OpenId != nil, Deref(a.OpenId), "OpenId", "NotChannelOrganization=true")
			forbid(a.OrganizationOpenId != nil, Deref(a.OrganizationOpenId), "OrganizationOpenId", "NotChannelOrganization=true")
		} else if !dynamic {
			require(a.OpenId, "OpenId", "ApproverType=ORGANIZATION")
			if org := Deref(a.OrganizationOpenId); org != "" {
				if r := valTopRequest(sl); r != nil && r.Agent != nil && org != Deref(r.Agent.ProxyOrganizationOpenId) {
					require(a.OrganizationName, "OrganizationName", "OrganizationOpenId≠Agent.ProxyOrganizationOpenId")
				}
			}
		}
	case ApproverEntServer:
		forbid(dynamic, int64(1), "ApproverOption.FillType", "ApproverType="+ApproverEntServer)
	}
	if typ != ApproverOrganization {
		forbid(notChannel, true, "NotChannelOrganization", "ApproverType≠ORGANIZATION")
	}
	forbid(!valBlank(a.NotifyType) && !notChannel, Deref(a.NotifyType), "NotifyType", "NotChannelOrganization≠true")

	if num := Deref(a.IdCardNumber); num != "" {
		idType := "ID_CARD"
		if !valBlank(a.IdCardType) {
			idType = *a.IdCardType
		}
		if !valIsIDCard(idType, num) {
			// The value is personal data: never carried into the error.
			sl.ReportError("", "IdCardNumber", "IdCardNumber", RuleIDCard, idType)
		}
	}
}
