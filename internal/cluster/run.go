package cluster

import (
	"context"
	"io"
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
}

// Runner runs Steps on hosts in batches, copying every output line to Out
// with "[host] " in front.
type Runner struct {
	Exec remote.Executor
	Out  io.Writer
	mu   sync.Mutex
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
	line := func(l string) {
		if strings.Contains(l, "ERROR") || strings.HasPrefix(l, "Error:") {
			out.LastError = l
		}
	}
	w := &remote.PrefixWriter{W: r.Out, Prefix: "[" + s.Host + "] ", Mu: &r.mu, Line: line}
	began := time.Now()
	out.Err = r.Exec.Run(ctx, s.Host, s.Cmd, w, w)
	_ = w.Flush()
	out.Duration = time.Since(began)
	return out
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
