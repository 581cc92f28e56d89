package webhook_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/essflow/essflow/shared/result"
	"github.com/essflow/essflow/shared/sink/webhook"
)

// A Client posts signed result messages; the receiver verifies them with any Standard
// Webhooks library, here the reference one.
func ExampleClient_Post() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	verifier, _ := standardwebhooks.NewWebhook(secret)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Println("id:", r.Header.Get("webhook-id"), "verified:", verifier.Verify(body, r.Header) == nil)
	}))
	defer receiver.Close()

	secrets, err := webhook.ParseSecrets(secret) // normally os.Getenv(webhook.EnvSecret)
	if err != nil {
		fmt.Println(err)
		return
	}
	client, err := webhook.NewClient(webhook.Options{Secrets: secrets, AllowPrivate: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	// A per-request callback URL must pass the allow list first.
	target, _ := url.Parse(receiver.URL + "/essflow")
	if err := webhook.CheckAllowed(target, webhook.ParseAllowlist("127.0.0.1")); err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg := &result.Message{SpecVersion: result.SpecVersion, ID: "msg_42", Type: result.TypeCreated}
	fmt.Println("error:", client.Post(ctx, target, msg))
	// Output:
	// id: msg_42 verified: true
	// error: <nil>
}
