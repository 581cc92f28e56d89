// Command hello is the cold-start baseline: the smallest useful scf-go-lib event function.
// It is built exactly like functions/scf (linux, CGO off, stripped, trimmed) so that
// scripts/bench-coldstart.sh can compare the real function's process-start-to-ready time
// against it. Invoked, it echoes the event's "name" field in a greeting.
package main

import (
	"context"

	"github.com/tencentyun/scf-go-lib/cloudfunction"
)

// event is the only input the baseline reads.
type event struct {
	Name string `json:"name"`
}

// greeting is what the baseline returns on every invoke.
type greeting struct {
	Message string `json:"message"`
}

// hello answers every invoke with a greeting; it never fails.
func hello(_ context.Context, e event) (greeting, error) {
	if e.Name == "" {
		e.Name = "world"
	}
	return greeting{Message: "hello " + e.Name}, nil
}

func main() {
	cloudfunction.Start(hello)
}
