package cluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/medusa-go/medusa/internal/remote"
)

// Step is one command for one host. Every host gets its own Step, built
// from that host's own arguments (never positionally from a shared list:
// Medusa's #803 gave later batches the first batch's arguments).
type Step struct {
	Host string
	Cmd  remote.Command
}

// StepResult is what one Step did.
type StepResult struct {
	Host     string
	Err      error // nil on success
	Duration time.Duration
	// LastError is the last output line that looked like an error
	// (level ERROR), to name the node's own reason in the summary.
	LastError string
	// Log is the file that holds the host's output ("" without
	// Runner.LogDir).
	Log string
	// PITRLine is the last "Point-in-time restore to ..." line the node
	// printed (restore-node --pitr's summary; see Replayed).
	PITRLine string
}

// note keeps what the summary needs of one output line of the host.
func (s *StepResult) note(l string) {
	if strings.Contains(l, "ERROR") || strings.HasPrefix(l, "Error:") {
		s.LastError = l
	}
	if strings.HasPrefix(l, "Point-in-time restore to ") {
		s.PITRLine = l
	}
}

// Runner runs Steps on hosts in batches, copying every output line to Out
// with "[host] " in front.
type Runner struct {
	Exec remote.Executor
	Out  io.Writer
	// LogDir, when set, also keeps every host's output (without the
	// prefix) in LogDir/<host>.log on this machine, appended step after
	// step, so that a failed node's whole output can be read afterwards.
	LogDir string
	mu     sync.Mutex
}

// RunBatches runs steps at most parallel at a time (parallel <= 0 means
// all at once) and returns one result per step, in the order of steps. A
// failing step does not stop the others; a cancelled ctx stops those not
// started yet (their Err is ctx.Err()).
func (r *Runner) RunBatches(ctx context.Context, steps []Step, parallel int) []StepResult {
	if parallel <= 0 || parallel > len(steps) {
		parallel = len(steps)
	}
	res := make([]StepResult, len(steps))
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for i, s := range steps {
		res[i].Host = s.Host
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			res[i].Err = ctx.Err()
			continue
		}
		wg.Add(1)
		go func(i int, s Step) {
			defer wg.Done()
			defer func() { <-sem }()
			res[i] = r.Run(ctx, s)
		}(i, s)
	}
	wg.Wait()
	return res
}

// Run runs one step and waits for it.
func (r *Runner) Run(ctx context.Context, s Step) StepResult {
	out := StepResult{Host: s.Host}
	var logFile *os.File
	if r.LogDir != "" {
		out.Log = filepath.Join(r.LogDir, logName(s.Host))
		f, err := os.OpenFile(out.Log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			out.Err = fmt.Errorf("%s: keep the host's output: %w", s.Host, err)
			return out
		}
		defer f.Close()
		logFile = f
		_, _ = fmt.Fprintf(f, "$ %s\n", s.Cmd.String())
	}
	line := func(l string) {
		out.note(l)
		if logFile != nil {
			_, _ = logFile.WriteString(l + "\n")
		}
	}
	w := &remote.PrefixWriter{W: r.Out, Prefix: "[" + s.Host + "] ", Mu: &r.mu, Line: line}
	began := time.Now()
	out.Err = r.Exec.Run(ctx, s.Host, s.Cmd, w, w)
	_ = w.Flush()
	out.Duration = time.Since(began)
	return out
}

// logName is host made safe as a file name.
func logName(host string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == 0 {
			return '_'
		}
		return r
	}, host) + ".log"
}

// Failed returns the hosts whose step failed, sorted.
func Failed(res []StepResult) []string {
	var hosts []string
	for _, r := range res {
		if r.Err != nil {
			hosts = append(hosts, r.Host)
		}
	}
	sort.Strings(hosts)
	return hosts
}
