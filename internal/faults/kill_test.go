package faults_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// stopTimeout bounds how long a command may take to end after its signal.
const stopTimeout = 2 * time.Minute

// killPoint says when a command is stopped: when the fault proxy receives
// the nth request that match accepts (that request is held until the
// command is gone, then dropped, so it never reaches the store), or, with
// poll set, as soon as poll returns true (checked every pollEvery; for
// points that are no storage request: a file appearing, Cassandra down).
type killPoint struct {
	what  string
	match func(r *http.Request) bool
	nth   int
	poll  func() bool
}

// pollEvery is how often a polled kill point is checked.
const pollEvery = 20 * time.Millisecond

// when is the first moment cond holds.
func when(what string, cond func() bool) killPoint { return killPoint{what: what, poll: cond} }

// atPut is the nth PUT whose key contains sub.
func atPut(what, sub string, nth int) killPoint {
	return killPoint{what: what, nth: nth, match: func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.Contains(r.URL.Path, sub)
	}}
}

// atDelete is the nth deletion (DeleteObjects or DeleteObject).
func atDelete(nth int) killPoint {
	return killPoint{what: fmt.Sprintf("deletion request #%d", nth), nth: nth, match: func(r *http.Request) bool {
		return r.Method == http.MethodDelete || r.Method == http.MethodPost && r.URL.Query().Has("delete")
	}}
}

// atGet is the nth GET of an object whose key contains sub.
func atGet(what, sub string, nth int) killPoint {
	return killPoint{what: what, nth: nth, match: func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.Contains(r.URL.Path, sub) && !r.URL.Query().Has("list-type")
	}}
}

// atList is the nth listing (ListObjectsV2).
func atList(what string, nth int) killPoint {
	return killPoint{what: what, nth: nth, match: func(r *http.Request) bool {
		return r.Method == http.MethodGet && r.URL.Query().Has("list-type")
	}}
}

// killCase is one case of the kill and signal tables: args are run on a
// fresh prefix after setup, stopped with sig at the kill point, then
// check verifies the recovery and returns what the data check found.
type killCase struct {
	name  string
	extra map[string]map[string]string // more medusa.ini keys
	setup func(e *env)
	args  []string
	at    killPoint
	sig   syscall.Signal
	check func(e *env, r result) string
}

// runKillCases runs the cases in order, each on its own prefix.
func runKillCases(t *testing.T, prefix string, cases []killCase) {
	suite(t)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, fmt.Sprintf("%s-%d", prefix, i), c.extra)
			if c.setup != nil {
				c.setup(e)
			}
			row := record(t, outcome{Case: c.name, Injected: fmt.Sprintf("%s of `medusa %s` at %s",
				sigName(c.sig), strings.Join(c.args, " "), c.at.what)})
			r := e.runUntil(c.at, c.sig, c.args...)
			row.Saw = r.saw()
			if want := wantCode(c.sig); r.code != want {
				t.Errorf("exit code %d, want %d: %s", r.code, want, r)
			}
			cassandraUp(t)
			row.Check = c.check(e, r)
		})
	}
}

func sigName(s syscall.Signal) string {
	return map[syscall.Signal]string{syscall.SIGKILL: "kill -9", syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[s]
}

// wantCode is the exit code after sig: -1 (killed) for SIGKILL, else 130.
func wantCode(sig syscall.Signal) int {
	if sig == syscall.SIGKILL {
		return -1
	}
	return 130
}

// runUntil runs medusa with args and sends sig at the kill point. The
// command failing to reach the point fails the test.
func (e *env) runUntil(at killPoint, sig syscall.Signal, args ...string) result {
	e.t.Helper()
	hit, release := make(chan struct{}), make(chan struct{})
	var seen atomic.Int32
	var once sync.Once
	bed.proxy.SetInterceptor(func(r *http.Request) bool {
		if at.match == nil || !at.match(r) || int(seen.Add(1)) != at.nth {
			return false
		}
		once.Do(func() { close(hit) })
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	})
	defer bed.proxy.SetInterceptor(nil)
	defer close(release)

	ctx, cancel := context.WithTimeout(e.t.Context(), runTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := e.command(ctx, &out, args...)
	began := time.Now()
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if at.poll != nil {
		go pollUntil(ctx, at.poll, func() { once.Do(func() { close(hit) }) })
	}
	select {
	case <-hit:
	case err := <-done:
		r := finished(args, err, out.String(), time.Since(began), e.t)
		e.t.Fatalf("the command ended before the kill point (%s; %d matching requests): %s", at.what, seen.Load(), r)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		e.t.Fatal(err)
	}
	select {
	case err := <-done:
		return finished(args, err, out.String(), time.Since(began), e.t)
	case <-time.After(stopTimeout):
		_ = cmd.Process.Kill()
		err := <-done
		e.t.Errorf("the command did not end within %s of %s", stopTimeout, sigName(sig))
		return finished(args, err, out.String(), time.Since(began), e.t)
	}
}

// pollUntil calls fire once cond holds, checking every pollEvery until ctx ends.
func pollUntil(ctx context.Context, cond func() bool, fire func()) {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		if cond() {
			fire()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
