package restore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loggingNode writes lines to system.log at each start, like a Cassandra
// that fails during startup, then behaves as the fake node.
type loggingNode struct {
	*fakeNode
	log   string
	lines string
}

func (n *loggingNode) Start(ctx context.Context) error {
	f, err := os.OpenFile(n.log, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(n.lines)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return n.fakeNode.Start(ctx)
}

// TestStartFailureShowsSystemLog: when Cassandra fails to start after the
// placement (start_cmd fails, or the node never passes the health check),
// the error shows the first ERROR line and the exception line that
// follows it from what the start wrote to system.log, with the log's path;
// an exception logged before the start is not shown.
func TestStartFailureShowsSystemLog(t *testing.T) {
	const startup = "INFO  [main] 2026-12-05 CassandraDaemon.java:100 - Starting\n" +
		"WARN  [main] 2026-12-05 Gossiper.java:1 - peer down\n" +
		"java.net.ConnectException: Connection refused\n" +
		"ERROR [main] 2026-12-05 CassandraDaemon.java:887 - Exception encountered during startup\n" +
		"java.lang.RuntimeException: Found system keyspace files, but they couldn't be loaded!\n" +
		"\tat org.apache.cassandra.service.CassandraDaemon.setup(CassandraDaemon.java:300)\n" +
		"Caused by: org.apache.cassandra.exceptions.ConfigurationException: Saved cluster name x != configured name y\n"
	for _, tc := range []struct {
		name  string
		stage Stage
		setup func(n *fakeNode)
	}{
		{"start_cmd fails", StageStart, func(n *fakeNode) { n.startFails = 1 }},
		{"never passes the health check", StageWaitUp, func(n *fakeNode) { n.deafStarts = 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CASSANDRA_LOG_DIR", "")
			f := newScenario(t)
			logPath := filepath.Join(filepath.Dir(filepath.Dir(f.paths.ConfigFile)), "logs", "system.log")
			writeFile(t, logPath, "ERROR [main] 2026-12-01 old.java:1 - yesterday\njava.lang.IllegalStateException: old\n")
			tc.setup(f.node)
			d := f.deps()
			d.Node = &loggingNode{fakeNode: f.node, log: logPath, lines: startup}
			o := f.options()
			o.InPlace = true
			_, err := Run(t.Context(), d, o)
			var se *StageError
			if !errors.As(err, &se) || se.Stage != tc.stage {
				t.Fatalf("err = %v, want a failure at stage %s", err, tc.stage)
			}
			msg := err.Error()
			for _, want := range []string{logPath + " says:", "Exception encountered during startup",
				"java.lang.RuntimeException: Found system keyspace files, but they couldn't be loaded!"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
			for _, unwanted := range []string{"IllegalStateException: old", "ConnectException"} {
				if strings.Contains(msg, unwanted) {
					t.Errorf("error shows %q, not from this start's failure:\n%s", unwanted, msg)
				}
			}
		})
	}
}
