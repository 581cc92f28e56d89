package ess

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/locales/en"
	"github.com/go-playground/locales/zh"
	ut "github.com/go-playground/universal-translator"
	"github.com/go-playground/validator/v10"
	entrans "github.com/go-playground/validator/v10/translations/en"
	zhtrans "github.com/go-playground/validator/v10/translations/zh"
)

// ValidatorOptions configures NewValidator.
type ValidatorOptions struct {
	// Now is the clock against which deadlines must lie in the future; nil means time.Now.
	Now func() time.Time
}

// Validator checks essbasic requests against the rules of the API reference before they are
// sent. It is expensive to build and safe for concurrent use: build one and share it.
type Validator struct {
	v   *validator.Validate
	now func() time.Time
	en  ut.Translator
	zh  ut.Translator
}

// valNowKey carries the instant of one validation to the future rule.
type valNowKey struct{}

// NewValidator builds a Validator: go-playground/validator with the rules of valRuleMaps, the
// custom and struct-level rules of rules.go, JSON field names in paths, and English and Chinese
// messages. It panics only if the fixed rule set fails to register, which is a programming error
// caught by the package tests.
func NewValidator(opts ValidatorOptions) *Validator {
	val := &Validator{v: validator.New(), now: opts.Now}
	if val.now == nil {
		val.now = time.Now
	}
	if err := val.setup(); err != nil {
		panic(fmt.Sprintf("ess: build validator: %v", err))
	}
	return val
}

func (val *Validator) setup() error {
	v := val.v
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			return ""
		case "":
			return f.Name
		}
		return name
	})
	for _, set := range valRuleMaps() {
		v.RegisterStructValidationMapRules(set.rules, set.typ)
	}
	fields := map[string]validator.Func{
		"notblank":        valNotBlankTag,
		RuleMobile:        valMobileTag,
		RuleFlowNameChars: valNameCharsTag,
		RuleUnixSeconds:   valUnixSecondsTag,
		RuleDeviceOnly:    valDeviceOnlyTag,
	}
	for tag, fn := range fields {
		if err := v.RegisterValidation(tag, fn); err != nil {
			return fmt.Errorf("register rule %s: %w", tag, err)
		}
	}
	future := func(ctx context.Context, fl validator.FieldLevel) bool {
		now, ok := ctx.Value(valNowKey{}).(time.Time)
		if !ok {
			now = val.now()
		}
		return fl.Field().Int() > now.Unix()
	}
	if err := v.RegisterValidationCtx(RuleFuture, future); err != nil {
		return fmt.Errorf("register rule %s: %w", RuleFuture, err)
	}
	v.RegisterStructValidation(valCreateLevel, CreateFlowsByTemplatesRequest{})
	v.RegisterStructValidation(valAgentLevel, Agent{})
	v.RegisterStructValidation(valFlowLevel, FlowInfo{})
	v.RegisterStructValidation(valApproverLevel, FlowApproverInfo{})

	uni := ut.New(en.New(), en.New(), zh.New())
	val.en, _ = uni.GetTranslator("en")
	val.zh, _ = uni.GetTranslator("zh")
	if err := entrans.RegisterDefaultTranslations(v, val.en); err != nil {
		return fmt.Errorf("register English messages: %w", err)
	}
	if err := zhtrans.RegisterDefaultTranslations(v, val.zh); err != nil {
		return fmt.Errorf("register Chinese messages: %w", err)
	}
	if err := valRegisterTexts(v, val.en, false); err != nil {
		return fmt.Errorf("register English rule texts: %w", err)
	}
	if err := valRegisterTexts(v, val.zh, true); err != nil {
		return fmt.Errorf("register Chinese rule texts: %w", err)
	}
	return nil
}

// ValidateCreate checks req against every rule of CreateFlowsByTemplates (required fields,
// limits, enumerations, formats, the five signer scenarios, cross-field rules, deadlines in the
// future of the validator's clock). It returns the warnings about deprecated or ignored fields
// that req uses, whether or not req is valid, and a *ValidationError listing every violation,
// or nil when req is valid. Messages name the JSON path and never contain field values.
func (val *Validator) ValidateCreate(req *CreateFlowsByTemplatesRequest) ([]Warning, error) {
	if req == nil {
		return nil, valNilRequest()
	}
	warnings := valWarnings(req)
	return warnings, val.run(req)
}

// ValidateDescribe checks a DescribeTemplates request: the Agent with its AppId,
// ProxyOrganizationOpenId and ProxyOperator.OpenId, and the limits of TemplateIds, ContentType,
// Limit and Offset. It returns a *ValidationError listing every violation, or nil.
func (val *Validator) ValidateDescribe(req *DescribeTemplatesRequest) error {
	if req == nil {
		return valNilRequest()
	}
	return val.run(req)
}

func valNilRequest() error {
	return &ValidationError{Violations: []Violation{{Rule: RuleRequired,
		Message: "request body is required", MessageZH: "请求体为必填项"}}}
}

// run validates one request and converts the validator's errors into Violations.
func (val *Validator) run(req any) error {
	ctx := context.WithValue(context.Background(), valNowKey{}, val.now())
	err := val.v.StructCtx(ctx, req)
	if err == nil {
		return nil
	}
	var fes validator.ValidationErrors
	if !errors.As(err, &fes) {
		return fmt.Errorf("validate %T: %w", req, err)
	}
	out := &ValidationError{Violations: make([]Violation, 0, len(fes))}
	for _, fe := range fes {
		rule := fe.Tag()
		if rule == "notblank" {
			rule = RuleRequired
		}
		out.Violations = append(out.Violations, Violation{
			Path:      valPath(fe),
			Rule:      rule,
			Param:     fe.Param(),
			Message:   valMessage(fe, val.en, ": "),
			MessageZH: valMessage(fe, val.zh, "："),
		})
	}
	return out
}

// valWarnings lists the deprecated or ignored fields that req sets.
func valWarnings(req *CreateFlowsByTemplatesRequest) []Warning {
	var ws []Warning
	if req.Operator != nil {
		ws = append(ws, valWarning("Operator", valWarnDeprecated))
	}
	if a := req.Agent; a != nil {
		if a.ProxyOrganizationId != nil {
			ws = append(ws, valWarning("Agent.ProxyOrganizationId", valWarnDeprecated))
		}
		if u := a.ProxyOperator; u != nil {
			for _, f := range []struct {
				name string
				set  bool
			}{{"Channel", u.Channel != nil}, {"CustomUserId", u.CustomUserId != nil},
				{"ClientIp", u.ClientIp != nil}, {"ProxyIp", u.ProxyIp != nil}} {
				if f.set {
					ws = append(ws, valWarning("Agent.ProxyOperator."+f.name, valWarnDeprecated))
				}
			}
		}
	}
	for i, f := range req.FlowInfos {
		if f == nil {
			continue
		}
		fp := "FlowInfos[" + strconv.Itoa(i) + "]"
		if f.CallbackUrl != nil {
			ws = append(ws, valWarning(fp+".CallbackUrl", valWarnCallback))
		}
		for j, a := range f.FlowApprovers {
			if a == nil {
				continue
			}
			ap := fp + ".FlowApprovers[" + strconv.Itoa(j) + "]"
			if a.CallbackUrl != nil {
				ws = append(ws, valWarning(ap+".CallbackUrl", valWarnCallback))
			}
			if a.ApproverSignTypes != nil {
				ws = append(ws, valWarning(ap+".ApproverSignTypes", valWarnTemplateIgnored))
			}
			if a.Components != nil {
				ws = append(ws, valWarning(ap+".Components", valWarnTemplateIgnored))
			}
		}
		for k, ff := range f.FormFields {
			if ff != nil && ff.ComponentId != nil {
				ws = append(ws, valWarning(fp+".FormFields["+strconv.Itoa(k)+"].ComponentId", valWarnComponentID))
			}
		}
	}
	return ws
}
