package ess

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// decFuzzSeeds adds every request example and a few hostile shapes to the corpus.
func decFuzzSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "requests", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{``, `null`, `{}`, `[]`, `{"FlowInfos":[null]}`, `{"FlowInfos":[{"FlowAprovers":[]}]}`,
		`{"Agent":{"AppId":"a"},"Agent":{}}`, `{"PreviewType":1e999}`, `{"FlowInfos":[{"Deadline":-9223372036854775808}]}`,
		`{"a":[[[[[[[[[[]]]]]]]]]]}`, `{"FlowInfos":[{"FlowName":"\ud800"}]}`, "{\"FlowInfos\":[{\"FlowName\":\"\xff\"}]}",
		`{} {}`, `{"Agent":`} {
		f.Add([]byte(s))
	}
}

// decFuzzCheckError requires err to be a *ValidationError whose violations are complete.
func decFuzzCheckError(t *testing.T, err error) {
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Violations) == 0 {
		t.Fatalf("error %v (%T) is not a non-empty *ValidationError", err, err)
	}
	for _, v := range ve.Violations {
		if v.Rule == "" || v.Message == "" || v.MessageZH == "" {
			t.Fatalf("incomplete violation %+v", v)
		}
	}
}

// FuzzDecodeValidate decodes arbitrary bodies strictly and validates what decodes. It checks that
// nothing panics, that failures are complete *ValidationErrors, that whatever the strict decoder
// accepts encoding/json decodes identically, and that re-encoding a decoded request and decoding
// it again gives the same request.
func FuzzDecodeValidate(f *testing.F) {
	decFuzzSeeds(f)
	v := valTestValidator()
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeCreateFlowsRequest(data)
		if err != nil {
			decFuzzCheckError(t, err)
			return
		}
		var std CreateFlowsByTemplatesRequest
		if err := json.Unmarshal(data, &std); err != nil {
			t.Fatalf("strict decoder accepted what encoding/json rejects: %v", err)
		}
		if !reflect.DeepEqual(*req, std) {
			t.Fatalf("strict and encoding/json results differ")
		}
		if _, err := v.ValidateCreate(req); err != nil {
			decFuzzCheckError(t, err)
		}
		out, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := DecodeCreateFlowsRequest(out)
		if err != nil {
			t.Fatalf("re-encoded request does not decode: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(req, again) {
			t.Fatalf("round trip changed the request:\n%s", out)
		}
	})
}

// FuzzDecodeStrictDescribe applies the same properties to DescribeTemplatesRequest.
func FuzzDecodeStrictDescribe(f *testing.F) {
	decFuzzSeeds(f)
	v := valTestValidator()
	f.Fuzz(func(t *testing.T, data []byte) {
		var req DescribeTemplatesRequest
		if err := DecodeStrict(data, &req); err != nil {
			decFuzzCheckError(t, err)
			return
		}
		var std DescribeTemplatesRequest
		if err := json.Unmarshal(data, &std); err != nil {
			t.Fatalf("strict decoder accepted what encoding/json rejects: %v", err)
		}
		if !reflect.DeepEqual(req, std) {
			t.Fatalf("strict and encoding/json results differ")
		}
		if err := v.ValidateDescribe(&req); err != nil {
			decFuzzCheckError(t, err)
		}
	})
}
