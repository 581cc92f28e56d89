package lambda

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoTencentRuntimeDependency keeps the Lambda binary free of the SCF runtime and the COS
// SDK. (go test puts its own go command first in PATH.)
func TestNoTencentRuntimeDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/tencentyun/scf-go-lib") || strings.HasPrefix(pkg, "github.com/tencentyun/cos-go-sdk-v5") {
			t.Errorf("package lambda depends on %s", pkg)
		}
	}
}
