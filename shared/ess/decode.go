package ess

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Rules reported by the strict decoder.
const (
	RuleJSON          = "json"            // malformed JSON, empty body or trailing data; Param is the byte offset
	RuleUnknownField  = "unknown_field"   // a key that the Go type does not declare; Param is a suggestion, if any
	RuleType          = "type"            // a JSON value of the wrong type; Param is the expected JSON type
	RuleDuplicate     = "duplicate_field" // the same key twice in one object
	RuleTooManyErrors = "too_many_errors" // decoding stopped after decMaxViolations violations
)

// decMaxViolations bounds the violations one body can produce, so that a hostile body of many
// unknown keys costs no more than a short list.
const decMaxViolations = 100

// DecodeCreateFlowsRequest strictly decodes a CreateFlowsByTemplates request body (see
// DecodeStrict). It returns the decoded request, or nil and a *ValidationError listing every
// unknown field and type error found.
func DecodeCreateFlowsRequest(data []byte) (*CreateFlowsByTemplatesRequest, error) {
	req := new(CreateFlowsByTemplatesRequest)
	if err := DecodeStrict(data, req); err != nil {
		return nil, err
	}
	return req, nil
}

// DecodeStrict decodes the JSON document data into v, which must be a non-nil pointer, more
// strictly than encoding/json:
//
//   - object keys must equal a field's JSON name exactly (no case-insensitive matching);
//   - a key that the type does not declare, or a key given twice in one object, is an error;
//   - a value of the wrong JSON type is an error, and integer fields accept only integral
//     numbers that fit the Go type (1.5 or 1e30 for an int64 is an error);
//   - the top-level value must not be null, and nothing but white space may follow it.
//
// Every unknown field and type error is reported at once, as a *ValidationError whose
// Violations carry the JSON path (for example FlowInfos[0].FlowAprovers), the rule (json,
// unknown_field, type, duplicate_field) and English and Chinese messages. A syntax error stops
// the walk; its violation has Rule json and the byte offset as Param. Messages never contain
// the offending values. Values whose types implement json.Unmarshaler or
// encoding.TextUnmarshaler, interface values, byte slices and arrays are decoded by
// encoding/json. On error the contents of v are unspecified. Any other error (a bad target)
// is returned as a plain error.
func DecodeStrict(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("decode strict: target must be a non-nil pointer, got %T", v)
	}
	if decFast(data, v) {
		return nil
	}
	d := &decState{dec: json.NewDecoder(bytes.NewReader(data)), size: int64(len(data))}
	d.dec.UseNumber()
	d.decodeTop(rv.Elem(), data)
	if len(d.viol) > 0 {
		return &ValidationError{Violations: d.viol}
	}
	return nil
}

// decState is the state of one strict decoding.
type decState struct {
	dec   *json.Decoder
	size  int64
	viol  []Violation
	fatal bool // a syntax error or the violation limit ended the walk
}

var (
	decJSONUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	decTextUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func (d *decState) decodeTop(rv reflect.Value, data []byte) {
	switch trimmed := bytes.TrimSpace(data); {
	case len(trimmed) == 0:
		d.addJSON("", d.size, "empty body", "请求体为空")
		return
	case string(trimmed) == "null":
		d.add(Violation{Path: "", Rule: RuleType, Param: decExpected(rv.Type()),
			Message:   "request body: the top-level value must be " + decExpectedEN(rv.Type()) + ", not null",
			MessageZH: "请求体：顶层值必须是" + decExpectedZH(rv.Type()) + "，不能为 null"})
		return
	}
	d.decodeValue(rv, "")
	if d.fatal {
		return
	}
	end := d.dec.InputOffset()
	if _, err := d.dec.Token(); !errors.Is(err, io.EOF) {
		d.addJSON("", end, "trailing data after the top-level value", "顶层值之后有多余的数据")
	}
}

// token reads the next token; on a syntax error it records a json violation at path.
func (d *decState) token(path string) (json.Token, bool) {
	if d.fatal {
		return nil, false
	}
	tok, err := d.dec.Token()
	if err != nil {
		d.addSyntax(path, err)
		return nil, false
	}
	return tok, true
}

func (d *decState) addSyntax(path string, err error) {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		d.addJSON(path, se.Offset, se.Error(), "JSON 语法错误")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		d.addJSON(path, d.size, "unexpected end of JSON input", "JSON 数据意外结束")
	default:
		d.addJSON(path, d.dec.InputOffset(), err.Error(), "JSON 格式错误")
	}
	d.fatal = true
}

func (d *decState) addJSON(path string, offset int64, en, zh string) {
	d.add(Violation{Path: path, Rule: RuleJSON, Param: strconv.FormatInt(offset, 10),
		Message:   fmt.Sprintf("%s: invalid JSON at byte offset %d: %s", decWhere(path), offset, en),
		MessageZH: fmt.Sprintf("%s：JSON 无效（字节偏移 %d）：%s", decWhereZH(path), offset, zh)})
}

func (d *decState) add(v Violation) {
	if d.fatal {
		return
	}
	if len(d.viol) == decMaxViolations {
		d.viol = append(d.viol, Violation{Rule: RuleTooManyErrors, Param: strconv.Itoa(decMaxViolations),
			Message:   fmt.Sprintf("request body: too many errors, decoding stopped after %d", decMaxViolations),
			MessageZH: fmt.Sprintf("请求体：错误过多，已在 %d 个错误后停止解析", decMaxViolations)})
		d.fatal = true
		return
	}
	d.viol = append(d.viol, v)
}

// decodeValue decodes the next JSON value into rv, which must be settable.
func (d *decState) decodeValue(rv reflect.Value, path string) {
	if d.fatal {
		return
	}
	if decDelegated(rv.Type()) {
		d.decodeDelegated(rv, path)
		return
	}
	tok, ok := d.token(path)
	if !ok {
		return
	}
	d.decodeWith(rv, path, tok)
}

// decodeDelegated lets encoding/json decode the next value into rv.
func (d *decState) decodeDelegated(rv reflect.Value, path string) {
	err := d.dec.Decode(rv.Addr().Interface())
	if err == nil {
		return
	}
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		d.addSyntax(path, err)
		return
	}
	// The value was consumed; report it without echoing the decoder's text, which may quote it.
	d.add(Violation{Path: path, Rule: RuleType, Param: "value",
		Message:   decWhere(path) + ": wrong type or format for this field",
		MessageZH: decWhereZH(path) + "：该字段的类型或格式错误"})
}

// decodeWith decodes the value that starts with tok into rv.
func (d *decState) decodeWith(rv reflect.Value, path string, tok json.Token) {
	t := rv.Type()
	if tok == nil { // null: like encoding/json, zero nilable kinds and leave the others alone
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			rv.SetZero()
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			rv.Set(reflect.New(t.Elem()))
		}
		d.decodeWith(rv.Elem(), path, tok)
	case reflect.Struct:
		if tok != json.Delim('{') {
			d.addTypeMismatch(path, t, tok)
			return
		}
		d.decodeObject(rv, path)
	case reflect.Map:
		if tok != json.Delim('{') {
			d.addTypeMismatch(path, t, tok)
			return
		}
		d.decodeMap(rv, path)
	case reflect.Slice:
		if tok != json.Delim('[') {
			d.addTypeMismatch(path, t, tok)
			return
		}
		d.decodeSlice(rv, path)
	case reflect.String:
		s, ok := tok.(string)
		if !ok {
			d.addTypeMismatch(path, t, tok)
			return
		}
		rv.SetString(s)
	case reflect.Bool:
		b, ok := tok.(bool)
		if !ok {
			d.addTypeMismatch(path, t, tok)
			return
		}
		rv.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := tok.(json.Number)
		if !ok {
			d.addTypeMismatch(path, t, tok)
			return
		}
		i, err := strconv.ParseInt(string(n), 10, t.Bits())
		if err != nil {
			d.addNumberError(path, t, string(n), err)
			return
		}
		rv.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, ok := tok.(json.Number)
		if !ok {
			d.addTypeMismatch(path, t, tok)
			return
		}
		u, err := strconv.ParseUint(string(n), 10, t.Bits())
		if err != nil {
			d.addNumberError(path, t, string(n), err)
			return
		}
		rv.SetUint(u)
	case reflect.Float32, reflect.Float64:
		n, ok := tok.(json.Number)
		if !ok {
			d.addTypeMismatch(path, t, tok)
			return
		}
		f, err := strconv.ParseFloat(string(n), t.Bits())
		if err != nil {
			d.add(d.typeViolation(path, t, "a number out of range", "超出范围的数字"))
			return
		}
		rv.SetFloat(f)
	default:
		d.add(d.typeViolation(path, t, "a value of a type that cannot be decoded", "无法解析的类型"))
		d.skipRest(tok)
	}
}

// decodeObject decodes the members of an object (its '{' already read) into the struct rv.
func (d *decState) decodeObject(rv reflect.Value, path string) {
	info := decFieldsOf(rv.Type())
	seen := make(map[string]bool, len(info.names))
	for !d.fatal && d.dec.More() {
		ktok, ok := d.token(path)
		if !ok {
			return
		}
		key, _ := ktok.(string) // the decoder only yields string keys inside an object
		sub := decJoin(path, key)
		if seen[key] {
			d.add(Violation{Path: sub, Rule: RuleDuplicate,
				Message:   sub + ": duplicate field",
				MessageZH: sub + "：字段重复"})
			d.skipValue(sub)
			continue
		}
		seen[key] = true
		f, ok := info.byName[key]
		if !ok {
			d.addUnknown(sub, key, info.names)
			d.skipValue(sub)
			continue
		}
		fv, ok := decFieldByIndex(rv, f.index)
		if !ok {
			d.add(d.typeViolation(sub, f.typ, "a field that cannot be set", "无法设置的字段"))
			d.skipValue(sub)
			continue
		}
		if f.quoted {
			d.decodeQuoted(fv, sub)
			continue
		}
		d.decodeValue(fv, sub)
	}
	d.token(path) // the closing '}'
}

// decodeMap decodes the members of an object (its '{' already read) into the map rv.
func (d *decState) decodeMap(rv reflect.Value, path string) {
	t := rv.Type()
	if t.Key().Kind() != reflect.String {
		d.add(d.typeViolation(path, t, "an object, which this map type cannot hold", "该映射类型无法接受的对象"))
		d.skipRest(json.Delim('{'))
		return
	}
	if rv.IsNil() {
		rv.Set(reflect.MakeMap(t))
	}
	seen := make(map[string]bool)
	for !d.fatal && d.dec.More() {
		ktok, ok := d.token(path)
		if !ok {
			return
		}
		key, _ := ktok.(string)
		sub := decJoin(path, key)
		if seen[key] {
			d.add(Violation{Path: sub, Rule: RuleDuplicate, Message: sub + ": duplicate field", MessageZH: sub + "：字段重复"})
			d.skipValue(sub)
			continue
		}
		seen[key] = true
		elem := reflect.New(t.Elem()).Elem()
		d.decodeValue(elem, sub)
		rv.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), elem)
	}
	d.token(path)
}

// decodeSlice decodes the elements of an array (its '[' already read) into the slice rv. An empty
// array yields an empty, non-nil slice, so that it is re-encoded as [].
func (d *decState) decodeSlice(rv reflect.Value, path string) {
	t := rv.Type()
	out := reflect.MakeSlice(t, 0, 0)
	for i := 0; !d.fatal && d.dec.More(); i++ {
		elem := reflect.New(t.Elem()).Elem()
		d.decodeValue(elem, path+"["+strconv.Itoa(i)+"]")
		out = reflect.Append(out, elem)
	}
	rv.Set(out)
	d.token(path) // the closing ']'
}

// decodeQuoted decodes a field tagged with the ",string" option: for a scalar, a JSON string
// holding the scalar's JSON encoding, as encoding/json defines it; other kinds ignore the option.
func (d *decState) decodeQuoted(rv reflect.Value, path string) {
	base := rv.Type()
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	if decDelegated(rv.Type()) || !decScalar(base.Kind()) {
		d.decodeValue(rv, path)
		return
	}
	tok, ok := d.token(path)
	if !ok {
		return
	}
	if tok == nil {
		d.decodeWith(rv, path, nil)
		return
	}
	s, isStr := tok.(string)
	if !isStr {
		d.addTypeMismatch(path, reflect.TypeFor[string](), tok)
		return
	}
	inner := json.NewDecoder(strings.NewReader(s))
	inner.UseNumber()
	itok, err := inner.Token()
	if _, delim := itok.(json.Delim); err != nil || delim {
		d.add(d.typeViolation(path, base, "a string that does not hold a valid value", "字符串内容不是有效的值"))
		return
	}
	if _, err := inner.Token(); !errors.Is(err, io.EOF) {
		d.add(d.typeViolation(path, base, "a string that does not hold a single value", "字符串内容不是单个值"))
		return
	}
	d.decodeWith(rv, path, itok)
}

// decScalar reports whether k is a kind the ",string" option applies to.
func decScalar(k reflect.Kind) bool {
	switch k {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// skipValue reads and discards the next value.
func (d *decState) skipValue(path string) {
	tok, ok := d.token(path)
	if ok {
		d.skipRest(tok)
	}
}

// skipRest discards the rest of a value that started with tok.
func (d *decState) skipRest(tok json.Token) {
	if tok != json.Delim('{') && tok != json.Delim('[') {
		return
	}
	for depth := 1; depth > 0; {
		t, err := d.dec.Token()
		if err != nil {
			d.addSyntax("", err)
			return
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

func (d *decState) addTypeMismatch(path string, t reflect.Type, tok json.Token) {
	en, zh := decGot(tok)
	d.add(d.typeViolation(path, t, en, zh))
	d.skipRest(tok)
}

func (d *decState) addNumberError(path string, t reflect.Type, n string, err error) {
	switch {
	case strings.ContainsAny(n, ".eE"):
		d.add(d.typeViolation(path, t, "a number with a fraction or exponent", "带小数或指数的数字"))
	case strings.HasPrefix(n, "-") && t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uintptr:
		d.add(d.typeViolation(path, t, "a negative number", "负数"))
	case errors.Is(err, strconv.ErrRange):
		d.add(d.typeViolation(path, t, "an integer out of range", "超出范围的整数"))
	default:
		d.add(d.typeViolation(path, t, "an invalid number", "无效的数字"))
	}
}

func (d *decState) typeViolation(path string, t reflect.Type, gotEN, gotZH string) Violation {
	return Violation{Path: path, Rule: RuleType, Param: decExpected(t),
		Message:   fmt.Sprintf("%s: wrong type: expected %s, got %s", decWhere(path), decExpectedEN(t), gotEN),
		MessageZH: fmt.Sprintf("%s：类型错误：应为%s，实际为%s", decWhereZH(path), decExpectedZH(t), gotZH)}
}

func (d *decState) addUnknown(path, key string, names []string) {
	v := Violation{Path: path, Rule: RuleUnknownField,
		Message: path + ": unknown field", MessageZH: path + "：未知字段"}
	if s := decSuggest(key, names); s != "" {
		v.Param = s
		v.Message += " (did you mean " + s + "?)"
		v.MessageZH += "（是否应为 " + s + "？）"
	}
	d.add(v)
}

// decWhere names a path in a message; the root is "request body".
func decWhere(path string) string {
	if path == "" {
		return "request body"
	}
	return path
}

func decWhereZH(path string) string {
	if path == "" {
		return "请求体"
	}
	return path
}

func decJoin(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decDelegated reports whether values of t (after any pointers) are left to encoding/json.
func decDelegated(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		if t.Implements(decJSONUnmarshaler) || t.Implements(decTextUnmarshaler) {
			return true
		}
		t = t.Elem()
	}
	if t.Implements(decJSONUnmarshaler) || t.Implements(decTextUnmarshaler) {
		return true
	}
	pt := reflect.PointerTo(t)
	if pt.Implements(decJSONUnmarshaler) || pt.Implements(decTextUnmarshaler) {
		return true
	}
	switch t.Kind() {
	case reflect.Interface, reflect.Array:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8
	}
	return false
}

// decExpected names the JSON type expected for t; it is the Param of a type violation.
func decExpected(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "unsigned integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	}
	return "value"
}

func decExpectedEN(t reflect.Type) string {
	switch e := decExpected(t); e {
	case "object", "array", "integer", "unsigned integer":
		return "an " + e
	default:
		return "a " + e
	}
}

func decExpectedZH(t reflect.Type) string {
	switch decExpected(t) {
	case "object":
		return "对象"
	case "array":
		return "数组"
	case "string":
		return "字符串"
	case "boolean":
		return "布尔值"
	case "integer":
		return "整数"
	case "unsigned integer":
		return "非负整数"
	case "number":
		return "数字"
	}
	return "值"
}

// decGot describes the JSON type of a token, never its value.
func decGot(tok json.Token) (en, zh string) {
	switch tok.(type) {
	case string:
		return "a string", "字符串"
	case bool:
		return "a boolean", "布尔值"
	case json.Number:
		return "a number", "数字"
	case nil:
		return "null", "null"
	}
	if tok == json.Delim('{') {
		return "an object", "对象"
	}
	return "an array", "数组"
}

// decField locates one JSON member in a struct.
type decField struct {
	index  []int
	typ    reflect.Type
	quoted bool // the ",string" tag option
}

// decStructInfo lists the JSON members of a struct type.
type decStructInfo struct {
	byName map[string]decField
	names  []string
}

var decFieldCache sync.Map // reflect.Type -> *decStructInfo

// decFieldsOf returns the JSON members of struct type t, using encoding/json's naming: the json
// tag name or else the Go name; "-" and unexported fields are skipped; the fields of untagged
// embedded structs are promoted, shallower names winning.
func decFieldsOf(t reflect.Type) *decStructInfo {
	if c, ok := decFieldCache.Load(t); ok {
		return c.(*decStructInfo)
	}
	info := &decStructInfo{byName: make(map[string]decField)}
	decCollect(t, nil, info, map[reflect.Type]bool{})
	c, _ := decFieldCache.LoadOrStore(t, info)
	return c.(*decStructInfo)
}

func decCollect(t reflect.Type, prefix []int, info *decStructInfo, visiting map[reflect.Type]bool) {
	if visiting[t] {
		return
	}
	visiting[t] = true
	defer delete(visiting, t)
	type embedded struct {
		t     reflect.Type
		index []int
	}
	var later []embedded
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		index := append(append([]int(nil), prefix...), i)
		if sf.Anonymous && name == "" {
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
				if !sf.IsExported() {
					continue // encoding/json cannot allocate a pointer to an unexported type
				}
			}
			if et.Kind() == reflect.Struct {
				later = append(later, embedded{et, index})
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if _, dup := info.byName[name]; dup {
			continue
		}
		quoted := false
		for o := range strings.SplitSeq(opts, ",") {
			quoted = quoted || o == "string"
		}
		info.byName[name] = decField{index: index, typ: sf.Type, quoted: quoted}
		info.names = append(info.names, name)
	}
	for _, e := range later {
		decCollect(e.t, e.index, info, visiting)
	}
}

// decFieldByIndex returns the field of struct rv at index, allocating nil embedded pointers.
func decFieldByIndex(rv reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				if !rv.CanSet() {
					return reflect.Value{}, false
				}
				rv.Set(reflect.New(rv.Type().Elem()))
			}
			rv = rv.Elem()
		}
		rv = rv.Field(x)
	}
	return rv, rv.CanSet()
}

// decSuggest returns the declared name closest to key: a case-insensitive match, else the name
// within a small edit distance; "" when nothing is close.
func decSuggest(key string, names []string) string {
	for _, n := range names {
		if strings.EqualFold(n, key) {
			return n
		}
	}
	best, bestDist := "", 0
	limit := min(2, (utf8.RuneCountInString(key)-1)/3)
	for _, n := range names {
		dist := decEditDistance(strings.ToLower(key), strings.ToLower(n))
		if dist <= limit && (best == "" || dist < bestDist) {
			best, bestDist = n, dist
		}
	}
	return best
}

// decEditDistance is the Levenshtein distance between a and b, counted in runes.
func decEditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return max(len(ra), len(rb)) // no suggestion for absurd keys; keeps the cost bounded
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
