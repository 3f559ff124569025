package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/testbed"
)

// bench is one run of the harness.
type bench struct {
	s          settings
	log        *slog.Logger
	work       string // this run's directory: S3 data, inis, logs, downloads
	s3         *testbed.S3Server
	serverPIDs []int
	pyExe      string
	seq        int
	lastLog    string // log file of the last measured command
	res        *results
	machine    machineInfo
	buckets    map[string]bool // created so far

	cassandraVersion string
}

func newBench(ctx context.Context, s settings, log *slog.Logger) (*bench, error) {
	b := &bench{s: s, log: log, res: newResults(), buckets: map[string]bool{}}
	if err := os.MkdirAll(s.cache, 0o755); err != nil {
		return nil, err
	}
	if s.profileDir != "" {
		if err := os.MkdirAll(s.profileDir, 0o755); err != nil {
			return nil, err
		}
	}
	// The work directory holds up to a few copies of the data set: keep it
	// beside the cache (same file system), not in a small tmpfs.
	work, err := os.MkdirTemp(s.cache, "run-")
	if err != nil {
		return nil, err
	}
	b.work = work
	b.machine = describeMachine(ctx, s.cache)
	if err := waitForLoad(ctx, s.maxLoad, s.loadWait, log); err != nil {
		return b, err
	}
	b.machine.loadStart = loadAvg()
	if !s.skipPython {
		if b.pyExe, err = testbed.InstallPythonMedusa(ctx); err != nil {
			return b, fmt.Errorf("python medusa (set BENCH_SKIP_PYTHON=1 to run without it): %w", err)
		}
	}
	log.Info("starting the S3 server (versitygw)")
	if b.s3, err = testbed.StartS3(ctx, filepath.Join(work, "s3")); err != nil {
		return b, fmt.Errorf("start S3 server: %w (run scripts/setup.sh)", err)
	}
	b.serverPIDs = pidsWithArg(b.s3.Dir)
	if len(b.serverPIDs) == 0 {
		return b, fmt.Errorf("cannot find the S3 server's processes (command line containing %s)", b.s3.Dir)
	}
	return b, nil
}

// close stops the S3 server and removes the work directory, keeping the
// logs of the measured commands in $MEDUSA_TESTBED_CACHE/bench/logs-last.
func (b *bench) close() {
	if b.s3 != nil {
		b.s3.Stop()
	}
	if b.work == "" {
		return
	}
	last := filepath.Join(b.s.cache, "logs-last")
	_ = os.RemoveAll(last)
	_ = os.Rename(filepath.Join(b.work, "logs"), last)
	_ = os.RemoveAll(b.work)
}

func (b *bench) run(ctx context.Context) error {
	began := time.Now()
	if b.s.want(1) || b.s.want(3) || b.s.want(4) || b.s.want(7) {
		if err := b.bigPhase(ctx); err != nil {
			return err
		}
	}
	if b.s.want(2) || b.s.want(5) {
		if err := b.manyPhase(ctx); err != nil {
			return err
		}
	}
	if b.s.want(6) {
		if err := b.case6(ctx); err != nil {
			return err
		}
	}
	b.machine.loadEnd = loadAvg()
	b.machine.took = time.Since(began).Round(time.Second)
	report := b.report()
	fmt.Println(report)
	return writeResults(b.s.out, report)
}

// nodetool runs and measures one nodetool command (a JVM start each).
func (b *bench) nodetool(ctx context.Context, n *testbed.Node, args ...string) (sample, error) {
	return b.measure(ctx, proc{name: "nodetool-" + args[0], path: n.NodetoolPath, args: args,
		env: baseEnv(os.TempDir())})
}

// writeList writes "<path>\t<key>" lines for the SDK loop and diskread.
func writeList(path string, lines []string) error {
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

// hardlinkTree copies the directory tree src to dst with hard links
// (cp -al): objects of one bucket's pool appear in another without copying
// data (versitygw keeps each object as a file with its metadata in xattrs).
func hardlinkTree(ctx context.Context, src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, "cp", "-al", src, dst).CombinedOutput()
	if err != nil {
		return fmt.Errorf("cp -al %s %s: %w: %s", src, dst, err, out)
	}
	return nil
}
