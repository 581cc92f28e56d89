package scf

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoAWSDependency keeps the SCF binary free of AWS code: nothing this package imports,
// directly or not, may come from AWS. (go test puts its own go command first in PATH.)
func TestNoAWSDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "github.com/aws/") {
			t.Errorf("package scf depends on %s", pkg)
		}
	}
}
