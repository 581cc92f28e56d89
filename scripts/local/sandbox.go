package main

import (
	"context"
	"io"

	"github.com/essflow/essflow/shared/sandbox"
)

func sandboxCmd(ctx context.Context, args []string, stderr io.Writer) error {
	return sandbox.RunCommand(ctx, args, stderr)
}
