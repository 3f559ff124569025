package cluster

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/medusa-go/medusa/internal/remote"
	"github.com/medusa-go/medusa/internal/restore"
)

// restoreGated is the file-copy path when every target runs at once: each
// target runs `restore-node --gate`, which downloads and checks while
// Cassandra still runs everywhere, then waits. Once every target is
// ready, all stop and place the files, and wait again; once every target
// is ready to start, all start, the seeds first (the others wait for a
// seed through --seeds). Until that last gate opens, one failure aborts
// the others: a node aborted before its stop changed nothing, one aborted
// before its start is rolled back to its data and started again, so the
// cluster never runs with some nodes restored and others not. Downtime
// is the stop, the move of the files and the start: never the download.
func restoreGated(ctx context.Context, d RestoreDeps, o RestoreOptions, p *Plan, res *RestoreResult) error {
	seeds := p.Seeds()
	steps := make([]Step, len(p.Assignments))
	for i, a := range p.Assignments {
		argv := append(restoreArgv(o, p, a, seeds), "--gate")
		steps[i] = Step{Host: a.Target, Cmd: remote.Command{Argv: argv, Sudo: o.Sudo}}
	}
	g := &gates{d: d, o: o, steps: steps, events: make(chan gateEvent, 8*len(steps)),
		ready: make([]map[string]string, len(steps)), exited: make([]bool, len(steps)),
		aborted: make([]string, len(steps)), res: make([]StepResult, len(steps))}
	for i := range steps {
		g.ready[i] = map[string]string{}
		go g.run(ctx, i)
	}
	d.Logger.Info("Downloading on every node while Cassandra runs; every node stops once all are ready")
	g.loop(ctx)
	res.Nodes = g.res
	err := nodeFailures(o, p, steps, g.res)
	if e, ok := err.(*RestoreError); ok {
		e.Gated = true
		for i := range e.Failed {
			for j, s := range steps {
				if s.Host == e.Failed[i].Host && g.aborted[j] != "" {
					e.Failed[i].AbortedAt = g.aborted[j]
				}
			}
		}
	}
	return err
}

type gateEvent struct {
	i          int
	step, dir  string // a "ready" line
	done       bool
	result     StepResult
	openFailed bool
	// failedAfterStop: the target failed after its stop and rolls back
	// (it waits for a seed before its start: the held nodes must go).
	failedAfterStop bool
}

// gates is the state of one gated restore.
type gates struct {
	d      RestoreDeps
	o      RestoreOptions
	steps  []Step
	events chan gateEvent
	mu     sync.Mutex // output lines

	ready   []map[string]string // per target: step -> gate dir
	exited  []bool
	aborted []string // per target: the step it was aborted at ("" = not)
	opened  map[string]bool
	failed  bool // a target failed before the start gate opened
	res     []StepResult
}

// run runs target i's restore-node, reporting its gate lines and its end.
func (g *gates) run(ctx context.Context, i int) {
	s := g.steps[i]
	out := StepResult{Host: s.Host}
	line := func(l string) {
		out.note(l)
		if _, rest, ok := strings.Cut(l, restore.GateMarker+" "); ok {
			if f := strings.Fields(rest); len(f) == 2 {
				g.events <- gateEvent{i: i, step: f[0], dir: f[1]}
			}
		} else if strings.Contains(l, restore.GateFailedMarker+" ") {
			g.events <- gateEvent{i: i, failedAfterStop: true}
		}
	}
	pre := "[" + s.Host + "] "
	stdout := &remote.PrefixWriter{W: g.d.Out, Prefix: pre, Mu: &g.mu, Line: line}
	stderr := &remote.PrefixWriter{W: g.d.Out, Prefix: pre, Mu: &g.mu, Line: line}
	began := time.Now()
	out.Err = g.d.Exec.Run(ctx, s.Host, s.Cmd, stdout, stderr)
	_ = stdout.Flush()
	_ = stderr.Flush()
	out.Duration = time.Since(began)
	g.events <- gateEvent{i: i, done: true, result: out}
}

// loop answers the gates until every target's restore-node ended.
func (g *gates) loop(ctx context.Context) {
	g.opened = map[string]bool{}
	for left := len(g.steps); left > 0; {
		ev := <-g.events
		switch {
		case ev.done:
			left--
			g.exited[ev.i], g.res[ev.i] = true, ev.result
			if ev.result.Err != nil && !g.opened[restore.GateStart] && !g.failed {
				g.failed = true
				g.d.Logger.Error("Restore failed on " + g.steps[ev.i].Host + ": stopping the restore on every node")
				g.abortAll(ctx)
			}
		case ev.failedAfterStop:
			if !g.opened[restore.GateStart] && !g.failed {
				g.failed = true
				g.d.Logger.Error("Restore failed on " + g.steps[ev.i].Host + " after its stop: it rolls back; " +
					"stopping the restore on every node")
				g.abortAll(ctx)
			}
		case ev.openFailed:
			if !g.failed {
				g.failed = true
				g.abortAll(ctx)
			}
		default:
			g.ready[ev.i][ev.step] = ev.dir
			if g.failed || ctx.Err() != nil {
				g.failed = true
				g.abortAll(ctx)
				continue
			}
			for _, step := range []string{restore.GateStop, restore.GateStart} {
				if !g.opened[step] && g.allReady(step) {
					g.opened[step] = true
					g.openAll(ctx, step)
				}
			}
		}
	}
}

// allReady reports whether every target still running waits at step.
func (g *gates) allReady(step string) bool {
	for i := range g.steps {
		if _, ok := g.ready[i][step]; !ok && !g.exited[i] {
			return false
		}
	}
	return true
}

// openAll lets every target waiting at step go on.
func (g *gates) openAll(ctx context.Context, step string) {
	if step == restore.GateStop {
		g.d.Logger.Info("Every node downloaded and checked its backup: stopping Cassandra everywhere")
	} else {
		g.d.Logger.Info("Every node is stopped and has its files in place: starting, seeds first")
	}
	var wg sync.WaitGroup
	for i := range g.steps {
		dir, ok := g.ready[i][step]
		if !ok || g.exited[i] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.open(ctx, i, dir, step); err != nil {
				g.d.Logger.Error("could not let "+g.steps[i].Host+" go on", "error", err.Error())
				g.events <- gateEvent{i: i, openFailed: true}
			}
		}()
	}
	wg.Wait()
}

// abortAll aborts every target waiting at a gate that was not opened.
func (g *gates) abortAll(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range g.steps {
		if g.exited[i] || g.aborted[i] != "" {
			continue
		}
		step := ""
		for _, s := range []string{restore.GateStop, restore.GateStart} {
			if _, ok := g.ready[i][s]; ok && !g.opened[s] {
				step = s
			}
		}
		if step == "" {
			continue // not at a gate yet: aborted when it gets there
		}
		g.aborted[i] = step
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.open(ctx, i, g.ready[i][step], restore.GateAbort); err != nil {
				g.d.Logger.Error("could not abort the restore on "+g.steps[i].Host+
					" (it gives up by itself after --gate-timeout)", "error", err.Error())
			}
		}()
	}
	wg.Wait()
}

// open runs `medusa restore-gate <dir> <step>` on target i, even when ctx
// was cancelled (an interrupted restore-cluster still aborts the nodes).
func (g *gates) open(ctx context.Context, i int, dir, step string) error {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	cmd := remote.Command{Argv: []string{g.o.Program, GateCommand, dir, step}, Sudo: g.o.Sudo}
	var out strings.Builder
	w := &remote.PrefixWriter{W: &out, Mu: &sync.Mutex{}}
	return g.d.Exec.Run(c, g.steps[i].Host, cmd, w, w)
}
