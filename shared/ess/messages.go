package ess

import (
	"strings"

	ut "github.com/go-playground/universal-translator"
	"github.com/go-playground/validator/v10"
)

// valText is the English and Chinese text of one message; {0} is the JSON path and {1} the
// rule's parameter.
type valText struct{ en, zh string }

// valTexts are the texts of the rules that go-playground/validator does not translate itself,
// and of required, whose built-in text cannot say when a field is required. The keys are
// validator tags, plus variants chosen by valTranslationKey.
var valTexts = map[string]valText{
	"required":        {"{0} is required", "{0}为必填字段"},
	"required_when":   {"{0} is required when {1}", "{0}在{1}时为必填字段"},
	"notblank":        {"{0} is required and must not be blank", "{0}为必填字段，且不能为空白"},
	RuleMobile:        {"{0} must be an 11-digit mainland China mobile number without +86", "{0}必须是11位中国大陆手机号码，不带+86"},
	"idcard_18":       {"{0} must be a valid {1} number: 17 digits and a GB 11643 check character (digit or upper-case X)", "{0}必须是有效的{1}号码：17位数字加1位校验码（数字或大写X，GB 11643）"},
	"idcard_hm":       {"{0} must be a valid {1} number: H or M followed by 10 digits", "{0}必须是有效的{1}号码：H或M开头加10位数字"},
	RuleFuture:        {"{0} must be a Unix timestamp in seconds later than now", "{0}必须是晚于当前时间的Unix时间戳（秒）"},
	RuleUnixSeconds:   {"{0} must be a Unix timestamp in seconds not later than year 9999", "{0}必须是不晚于9999年的Unix时间戳（秒）"},
	"unix_millis":     {"{0} looks like a Unix timestamp in milliseconds; send seconds (divide by 1000)", "{0}看起来是毫秒级时间戳，请改用秒（除以1000）"},
	RuleFlowNameChars: {"{0} may contain only Chinese characters, letters, digits and underscores", "{0}只能包含中文、字母、数字和下划线"},
	RuleForbidden:     {"{0} must not be given when {1}", "{0}在{1}时不能填写"},
	RuleUnique:        {"{0} must be unique within the flow (same as {1})", "{0}在同一流程内必须唯一（与{1}重复）"},
	RuleDupSigner:     {"{0} must not repeat the mobile number of a signer of the same flow", "{0}不能与同一流程中签署方的手机号重复"},
	RuleDeviceOnly:    {"{0} must not consist only of 5 (device fingerprint) and 6 (device face ID)", "{0}不能只包含5（设备指纹）和6（设备面容识别）"},
}

// valTranslationKey chooses the text of a custom rule for one field error.
func valTranslationKey(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		if fe.Param() != "" {
			return "required_when"
		}
	case RuleIDCard:
		if fe.Param() == "HONGKONG_AND_MACAO" {
			return "idcard_hm"
		}
		return "idcard_18"
	case RuleUnixSeconds:
		if v, ok := fe.Value().(int64); ok && v < valMaxUnixSeconds*1000+999 {
			return "unix_millis"
		}
	}
	return fe.Tag()
}

// valRegisterTexts installs valTexts for the custom rules in one language.
func valRegisterTexts(v *validator.Validate, trans ut.Translator, zh bool) error {
	for key, text := range valTexts {
		s := text.en
		if zh {
			s = text.zh
		}
		if err := trans.Add(key, s, true); err != nil {
			return err
		}
	}
	for _, tag := range []string{"required", "notblank", RuleMobile, RuleIDCard, RuleFuture, RuleUnixSeconds,
		RuleFlowNameChars, RuleForbidden, RuleUnique, RuleDupSigner, RuleDeviceOnly} {
		err := v.RegisterTranslation(tag, trans,
			func(ut.Translator) error { return nil },
			func(t ut.Translator, fe validator.FieldError) string {
				s, err := t.T(valTranslationKey(fe), valPath(fe), fe.Param())
				if err != nil {
					return valPath(fe) + ": " + fe.Tag()
				}
				return s
			})
		if err != nil {
			return err
		}
	}
	return nil
}

// valPath is the JSON path of a field error: its namespace without the top-level type name.
func valPath(fe validator.FieldError) string {
	ns := fe.Namespace()
	if _, rest, ok := strings.Cut(ns, "."); ok {
		return rest
	}
	return ns
}

// valMessage translates fe and makes the text name the whole path rather than the field.
func valMessage(fe validator.FieldError, trans ut.Translator, sep string) string {
	msg := fe.Translate(trans)
	path := valPath(fe)
	if strings.HasPrefix(msg, path) {
		return msg
	}
	if field := fe.Field(); field != "" && strings.HasPrefix(msg, field) {
		return path + msg[len(field):]
	}
	return path + sep + msg
}

// ViolationMessage returns the message of v in the language lang: MessageZH for a language tag
// starting with "zh" (zh, zh-CN, zh_Hans …), Message otherwise. It falls back to the other
// language when the chosen text is empty.
func ViolationMessage(v Violation, lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "zh") {
		if v.MessageZH != "" {
			return v.MessageZH
		}
		return v.Message
	}
	if v.Message != "" {
		return v.Message
	}
	return v.MessageZH
}

// Warning texts for deprecated or ignored fields; %s is the JSON path.
var (
	valWarnDeprecated = valText{"%s is deprecated and ignored by the service", "%s已废弃，服务端会忽略该字段"}
	valWarnCallback   = valText{"%s is deprecated; configure the application callback in the console instead",
		"%s已废弃，请改为在控制台配置应用级回调"}
	valWarnComponentID = valText{"%s is not used by CreateFlowsByTemplates; controls are identified by ComponentName",
		"%s在CreateFlowsByTemplates中不生效，控件由ComponentName指定"}
	valWarnTemplateIgnored = valText{"%s is ignored for flows created from a template (the template configures it)",
		"%s对使用模板发起的合同不生效（由模板配置）"}
)

// valWarning formats a warning about the field at path.
func valWarning(path string, text valText) Warning {
	return Warning{Path: path,
		Message:   strings.Replace(text.en, "%s", path, 1),
		MessageZH: strings.Replace(text.zh, "%s", path, 1)}
}
