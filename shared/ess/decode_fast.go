package ess

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
)

// decFast tries the common case cheaply: encoding/json decodes data into v (unknown fields
// refused), and the object keys of data are exactly, with the same counts, those of v
// re-encoded. That second check catches what encoding/json forgives: keys matched without
// regard to case, duplicate keys, and explicit nulls (which re-encode as absent). It reports
// false whenever anything differs, and the caller then runs the strict decoder, which is
// authoritative and explains every problem. When it returns false, v has been reset to zero.
func decFast(data []byte, v any) bool {
	rv := reflect.ValueOf(v).Elem()
	if rv.Kind() != reflect.Struct || firstByte(data) != '{' {
		return false
	}
	ok := func() bool {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		dec.UseNumber() // as the strict decoder does, for interface values
		if err := dec.Decode(v); err != nil {
			return false
		}
		if _, err := dec.Token(); err != io.EOF {
			return false
		}
		canonical, err := json.Marshal(v)
		if err != nil {
			return false
		}
		return sameKeys(objectKeys(data), objectKeys(canonical))
	}()
	if !ok {
		rv.SetZero()
	}
	return ok
}

func firstByte(data []byte) byte {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

func sameKeys(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, n := range a {
		if b[k] != n {
			return false
		}
	}
	return true
}

// objectKeys counts the raw (still escaped) object keys of a valid JSON document, at any depth.
func objectKeys(data []byte) map[string]int {
	keys := make(map[string]int, 64)
	var stack []byte // '{' or '['
	expectKey := false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{':
			stack = append(stack, '{')
			expectKey = true
		case '[':
			stack = append(stack, '[')
			expectKey = false
		case '}', ']':
			stack = stack[:len(stack)-1]
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1] == '{'
		case '"':
			j := i + 1
			for j < len(data) && data[j] != '"' {
				if data[j] == '\\' {
					j++
				}
				j++
			}
			if expectKey {
				keys[string(data[i+1:j])]++
				expectKey = false
			}
			i = j
		}
	}
	return keys
}
