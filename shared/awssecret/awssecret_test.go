package awssecret

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// getterFunc is a Getter made of a function (no Secrets Manager emulator runs here).
type getterFunc func(id string) (*string, error)

func (f getterFunc) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	s, err := f(aws.ToString(in.SecretId))
	if err != nil {
		return nil, err
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: s}, nil
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		value   *string
		err     error
		wantErr string
	}{
		{"ok", aws.String(`{"SecretId":" AKIDx ","SecretKey":"k","Token":"t"}`), nil, ""},
		{"missing key", aws.String(`{"SecretId":"AKIDx"}`), nil, "SecretId and SecretKey are required"},
		{"not json", aws.String(`AKIDx:secret-value`), nil, "want JSON"},
		{"no string", nil, nil, "no SecretString"},
		{"api error", nil, errors.New("AccessDeniedException"), "AccessDeniedException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(context.Background(), getterFunc(func(string) (*string, error) { return tt.value, tt.err }), "arn:tencent", time.Minute, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret-value") {
					t.Errorf("error leaks the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			id, key, tok := c.GetCredential()
			if id != "AKIDx" || key != "k" || tok != "t" {
				t.Errorf("credential = %q %q %q", id, key, tok)
			}
		})
	}
}

// TestRefresh ensures a stale value is fetched again, and a failed refresh keeps the old one.
func TestRefresh(t *testing.T) {
	var calls atomic.Int32
	val := `{"SecretId":"AKID1","SecretKey":"k1"}`
	fail := false
	g := getterFunc(func(string) (*string, error) {
		calls.Add(1)
		if fail {
			return nil, errors.New("throttled")
		}
		v := val
		return &v, nil
	})
	c, err := New(context.Background(), g, "arn", 10*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	val = `{"SecretId":"AKID2","SecretKey":"k2"}`
	time.Sleep(20 * time.Millisecond)
	if got := c.GetSecretId(); got != "AKID2" {
		t.Errorf("after rotation: %s", got)
	}
	fail = true
	time.Sleep(20 * time.Millisecond)
	if got := c.GetSecretKey(); got != "k2" {
		t.Errorf("after a failed refresh: %s, want the previous key", got)
	}
}

func TestReadString(t *testing.T) {
	s, err := ReadString(context.Background(), getterFunc(func(string) (*string, error) { return aws.String(" whsec_abc \n"), nil }), "arn")
	if err != nil || s != "whsec_abc" {
		t.Fatalf("ReadString = %q, %v", s, err)
	}
	if _, err := ReadString(context.Background(), getterFunc(func(string) (*string, error) { return aws.String(" "), nil }), "arn"); err == nil {
		t.Error("empty secret accepted")
	}
}
