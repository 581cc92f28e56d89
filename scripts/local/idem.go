package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/essflow/essflow/shared/app"
	"github.com/essflow/essflow/shared/idem"
)

// idemCmd lets an operator inspect and clear idempotency records, for example to resolve a
// request left UNKNOWN after checking in the ESS console whether its contracts exist.
func idemCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: idem list [--prefix P] [--limit N] | get KEY | delete KEY   [--store URL]")
		return exitCode(2)
	}
	verb := args[0]
	fs := flag.NewFlagSet("idem "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := fs.String("store", os.Getenv("ESSFLOW_IDEMPOTENCY_STORE"), "idempotency store URL (redis://host:port/db)")
	prefix := fs.String("prefix", "", "list: only keys starting with this (keys are function|appId|key)")
	limit := fs.Int("limit", 100, "list: at most this many records")
	if err := fs.Parse(args[1:]); err != nil {
		return exitCode(2)
	}
	if *storeURL == "" || *storeURL == "memory" {
		return errors.New("idem needs a shared store: pass --store redis://host:port/db or set ESSFLOW_IDEMPOTENCY_STORE (a memory store lives only inside one function instance)")
	}
	st, err := app.OpenStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer st.Close()
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	switch verb {
	case "list":
		recs, err := st.List(ctx, *prefix, *limit)
		if err != nil {
			return err
		}
		out := make([]recordView, len(recs))
		for i := range recs {
			out[i] = view(&recs[i])
		}
		return enc.Encode(out)
	case "get", "delete":
		if fs.NArg() != 1 {
			return fmt.Errorf("idem %s: exactly one KEY is required (the full store key, as idem list shows it)", verb)
		}
		key := fs.Arg(0)
		if verb == "get" {
			rec, err := st.Get(ctx, key)
			if err != nil {
				return err
			}
			return enc.Encode(view(rec))
		}
		if err := st.Delete(ctx, key); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "deleted %s: the next delivery of this request will call ESS again\n", key)
		return nil
	}
	return fmt.Errorf("idem: unknown verb %q (list, get, delete)", verb)
}

// recordView is a record as shown to operators; the stored result is decoded when it is JSON.
type recordView struct {
	Key         string          `json:"key"`
	Status      idem.Status     `json:"status"`
	PayloadHash string          `json:"payloadHash"`
	LockUntil   time.Time       `json:"lockUntil"`
	ExpiresAt   time.Time       `json:"expiresAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
	Result      json.RawMessage `json:"result,omitempty"`
}

func view(r *idem.Record) recordView {
	v := recordView{Key: r.Key, Status: r.Status, PayloadHash: r.PayloadHash, LockUntil: r.LockUntil, ExpiresAt: r.ExpiresAt, UpdatedAt: r.UpdatedAt}
	if json.Valid(r.Result) {
		v.Result = r.Result
	}
	return v
}
