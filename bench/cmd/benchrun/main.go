// Command benchrun is the driver of `make bench` (see bench/README.md): it
// starts the test bed's S3 server and real Cassandra nodes, creates (or
// reuses from the cache) the data sets, runs every case and baseline
// several times, measuring each child process (wall time, CPU from rusage,
// peak RSS from rusage, the S3 server's CPU from /proc), and prints a table
// with median, min and max plus the target ratios, which it also writes to
// bench/RESULTS.md.
//
// Settings come from the environment: BENCH_RUNS, BENCH_SIZE_GIB,
// BENCH_FILES, BENCH_BACKUPS, BENCH_QUICK=1 (small sizes, one run),
// BENCH_SKIP_PYTHON=1, BENCH_CASES (e.g. "1,4"), BENCH_PROFILE=dir (CPU
// profiles of every medusa run), BENCH_MAX_LOAD / BENCH_LOAD_WAIT.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var s settings
	flag.StringVar(&s.medusa, "medusa", "bin/medusa", "medusa binary under test")
	flag.StringVar(&s.sdkloop, "sdkloop", "bin/bench/sdkloop", "bare SDK loop binary (bench/cmd/sdkloop)")
	flag.StringVar(&s.diskread, "diskread", "bin/bench/diskread", "raw read binary (bench/cmd/diskread)")
	flag.StringVar(&s.out, "out", "bench/RESULTS.md", "results file (the part above the notes marker is rewritten)")
	flag.Parse()
	if err := s.fromEnv(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	began := time.Now()
	b, err := newBench(ctx, s, log)
	if err == nil {
		err = b.run(ctx)
		b.close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench failed:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "bench: done in %s, results in %s\n", time.Since(began).Round(time.Second), s.out)
}
