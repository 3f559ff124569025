package cluster

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/medusa-go/medusa/internal/remote"
)

// recExec is a fake remote.Executor that records every command it is
// given (host and argv) and answers with reply.
type recExec struct {
	mu       sync.Mutex
	checkErr map[string]error
	checks   []string
	calls    []recCall
	// reply answers a command: output written to stdout, and the error.
	reply func(host string, argv []string) (string, error)
	// running/maxRunning count the commands running at once, per
	// sub-command (argv[1]).
	running    map[string]int
	maxRunning map[string]int
	// gate, when set, is called before each command returns.
	gate func(host string, argv []string)
}

type recCall struct {
	Host string
	Argv []string
	Sudo bool
}

func newRecExec() *recExec {
	return &recExec{checkErr: map[string]error{}, running: map[string]int{}, maxRunning: map[string]int{}}
}

func (e *recExec) Check(ctx context.Context, host string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.checks = append(e.checks, host)
	return e.checkErr[host]
}

func (e *recExec) Run(ctx context.Context, host string, cmd remote.Command, stdout, stderr io.Writer) error {
	sub := ""
	if len(cmd.Argv) > 1 {
		sub = subcommand(cmd.Argv)
	}
	e.mu.Lock()
	e.calls = append(e.calls, recCall{Host: host, Argv: append([]string(nil), cmd.Argv...), Sudo: cmd.Sudo})
	e.running[sub]++
	e.maxRunning[sub] = max(e.maxRunning[sub], e.running[sub])
	reply, gate := e.reply, e.gate
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.running[sub]--
		e.mu.Unlock()
	}()
	if gate != nil {
		gate(host, cmd.Argv)
	}
	if reply == nil {
		return nil
	}
	out, err := reply(host, cmd.Argv)
	if out != "" {
		fmt.Fprint(stdout, out)
	}
	return err
}

func (e *recExec) Close() error { return nil }

// subcommand is the first argument that is not a flag.
func subcommand(argv []string) string {
	for _, a := range argv[1:] {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}

// callsOf returns the calls of one sub-command, in order.
func (e *recExec) callsOf(sub string) []recCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []recCall
	for _, c := range e.calls {
		if subcommand(c.Argv) == sub {
			out = append(out, c)
		}
	}
	return out
}
