package restore

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func noSleep(context.Context, time.Duration) error { return nil }

func TestStopNode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		node         *fakeNode
		requireDrain bool
		wantCalls    []string
		wantErr      bool
	}{
		{"running", &fakeNode{running: true, up: true}, false, []string{"drain", "stop"}, false},
		{"already stopped", &fakeNode{}, false, []string{"stop"}, false},
		{"drain fails, full restore", &fakeNode{running: true, up: true, drainErr: errors.New("jmx")}, false, []string{"drain", "stop"}, false},
		{"drain fails, partial restore", &fakeNode{running: true, up: true, drainErr: errors.New("jmx")}, true, []string{"drain"}, true},
		{"stop fails", &fakeNode{running: true, up: true, stopErr: errors.New("exit 1")}, false, []string{"drain", "stop"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := StopNode(t.Context(), Deps{Node: c.node, Sleep: noSleep}, Waits{}, c.requireDrain)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if got := c.node.Calls(); !slices.Equal(got, c.wantCalls) {
				t.Errorf("calls %v, want %v", got, c.wantCalls)
			}
		})
	}
}

// restore-cluster stops every node before restore-node runs: the restore
// of a stopped node runs stop_cmd again (harmless), places the files and
// starts the node.
func TestRestoreOfStoppedNode(t *testing.T) {
	f := newScenario(t)
	f.node.running = false
	if _, err := f.run(f.options()); err != nil {
		t.Fatal(err)
	}
	if got := f.node.Calls(); !slices.Equal(got, []string{"stop", "start"}) {
		t.Errorf("node calls %v, want stop, start", got)
	}
	f.assertClean()
}
