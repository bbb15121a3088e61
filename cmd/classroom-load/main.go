// Command classroom-load is classroomd's load generator: it simulates
// students over real SSH and reports latencies and the server's use (see
// --help and BENCHMARKS.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/classroomd/classroomd/internal/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintf(os.Stderr, "classroom-load: %v\n", err)
		os.Exit(1)
	}
}

// run is the whole program, for main and the tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w (see --help)", err)
	}
	if o.createAccounts > 0 {
		return createAccounts(ctx, o, stdout)
	}
	if o.samples != "" {
		f, err := os.Create(o.samples)
		if err != nil {
			return fmt.Errorf("--samples: %w", err)
		}
		defer f.Close()
		loadgen.LogSamples(f)
		defer loadgen.LogSamples(nil)
	}
	r := newRunner(o, args, stdout, stderr)
	return r.run(ctx)
}
