package flows_test

import (
	"context"
	"fmt"

	"github.com/essflow/essflow/shared/ess"
	"github.com/essflow/essflow/shared/flows"
	"github.com/essflow/essflow/shared/idem/memory"
	"github.com/essflow/essflow/shared/sandbox"
)

// ExampleProcessor_Process creates the contracts of one queue message against a sandbox, then
// shows that a redelivery of the same message is answered from the idempotency store.
func ExampleProcessor_Process() {
	sb, _ := sandbox.Start(sandbox.Config{})
	defer sb.Close()
	client, _ := ess.NewClient(ess.Config{
		Endpoint:    sb.URL,
		Credentials: ess.StaticCredentials{SecretID: sandbox.DefaultSecretID, SecretKey: sandbox.DefaultSecretKey},
	})
	proc, _ := flows.New(client, ess.NewValidator(ess.ValidatorOptions{}), memory.New(memory.Options{}), nil,
		flows.Options{AppID: sandbox.DefaultAppID, Function: "example"})

	msg := flows.Job{Trigger: "sqs", RecordID: "m-1", DerivedKey: "sqs:m-1", Body: request(2, nil)}
	first := proc.Process(context.Background(), msg)
	again := proc.Process(context.Background(), msg)

	fmt.Println(first.Status, first.Message.Type, len(first.Message.Flows), "flows")
	fmt.Println(again.Status, "replayed:", again.Replayed, "same result id:", again.Message.ID == first.Message.ID)
	fmt.Println("contracts in the sandbox:", len(sb.Server.Flows()))
	// Output:
	// created flows.created 2 flows
	// created replayed: true same result id: true
	// contracts in the sandbox: 2
}
