package cli

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// runEntrypoint runs `medusa <args>` with env vars vars, the entrypoint
// dispatching to a fake Execute that records its arguments and returns code.
func runEntrypoint(t *testing.T, vars map[string]string, code int, args ...string) (got []string, exit int, out string) {
	t.Helper()
	var buf bytes.Buffer
	r := newRoot(Env{Args: args, Stdout: &buf, Stderr: &buf, Getenv: func(k string) string { return vars[k] }})
	for _, c := range r.cmd.Commands() {
		if c.Name() == entrypointCommand {
			r.cmd.RemoveCommand(c)
		}
	}
	got = nil
	r.cmd.AddCommand(newContainerEntrypointCmd(r, func(_ context.Context, env Env) int {
		got = env.Args
		if env.Getenv("MEDUSA_MODE") != vars["MEDUSA_MODE"] {
			t.Error("the mode's command does not see the process environment")
		}
		return code
	}))
	r.cmd.SetArgs(expandShortFlags(args))
	ctx := context.Background()
	exit = r.exitCode(ctx, r.cmd.ExecuteContext(ctx))
	return got, exit, buf.String()
}

func TestContainerEntrypointDispatch(t *testing.T) {
	for _, tc := range []struct {
		mode string
		args []string
		want []string
	}{
		{"GRPC", []string{"container-entrypoint"}, []string{"grpc-server"}},
		{"RESTORE", []string{"container-entrypoint"}, []string{"init-restore"}},
		{"grpc", []string{"--config-file", "/m.ini", "-v", "container-entrypoint"}, []string{"--config-file", "/m.ini", "-v", "grpc-server"}},
		{"RESTORE", []string{"container-entrypoint", "--prefix=p", "extra"}, []string{"init-restore", "--prefix=p", "extra"}},
	} {
		got, exit, out := runEntrypoint(t, map[string]string{"MEDUSA_MODE": tc.mode}, 0, tc.args...)
		if exit != 0 || !slices.Equal(got, tc.want) {
			t.Errorf("MEDUSA_MODE=%s %v: ran %v (exit %d), want %v\n%s", tc.mode, tc.args, got, exit, tc.want, out)
		}
	}
}

func TestContainerEntrypointExitCode(t *testing.T) {
	// The mode's command reported its own error; the entrypoint exits with its code, adding nothing.
	_, exit, out := runEntrypoint(t, map[string]string{"MEDUSA_MODE": "RESTORE"}, 1, "container-entrypoint")
	if exit != 1 || strings.Contains(out, "Error:") {
		t.Errorf("exit %d, want 1 with no second error message:\n%s", exit, out)
	}
}

func TestContainerEntrypointBadMode(t *testing.T) {
	for mode, want := range map[string]string{"": "MEDUSA_MODE is not set", "BACKUP": `MEDUSA_MODE="BACKUP"`} {
		got, exit, out := runEntrypoint(t, map[string]string{"MEDUSA_MODE": mode}, 0, "container-entrypoint")
		if got != nil || exit != 2 || !strings.Contains(out, want) || !strings.Contains(out, "GRPC") || !strings.Contains(out, "RESTORE") {
			t.Errorf("MEDUSA_MODE=%q: ran %v, exit %d, want 2 and %q naming GRPC and RESTORE:\n%s", mode, got, exit, want, out)
		}
	}
}

func TestContainerEntrypointDebugSleep(t *testing.T) {
	start := time.Now()
	got, exit, out := runEntrypoint(t, map[string]string{"MEDUSA_MODE": "GRPC", "DEBUG_SLEEP": "0.2"}, 0, "container-entrypoint")
	if exit != 0 || got == nil || time.Since(start) < 200*time.Millisecond {
		t.Errorf("DEBUG_SLEEP=0.2: exit %d after %v, ran %v:\n%s", exit, time.Since(start), got, out)
	}
	got, exit, out = runEntrypoint(t, map[string]string{"MEDUSA_MODE": "GRPC", "DEBUG_SLEEP": "soon"}, 0, "container-entrypoint")
	if got != nil || exit != 2 || !strings.Contains(out, "DEBUG_SLEEP") {
		t.Errorf("DEBUG_SLEEP=soon: ran %v, exit %d; want 2 naming DEBUG_SLEEP:\n%s", got, exit, out)
	}
	for v, want := range map[string]time.Duration{"": 0, "0": 0, "30": 30 * time.Second, "2m": 2 * time.Minute} {
		if d, err := debugSleep(v); err != nil || d != want {
			t.Errorf("debugSleep(%q) = %v, %v; want %v", v, d, err, want)
		}
	}
}

// Through the real Execute, the entrypoint runs the mode's command of the
// real command tree with the forwarded global flags: grpc-server fails on
// the missing medusa.ini (or, in a tree without grpc-server, cobra names
// the command it could not find).
func TestContainerEntrypointReExecutes(t *testing.T) {
	var out bytes.Buffer
	missing := t.TempDir() + "/absent.ini"
	code := Execute(context.Background(), Env{
		Args: []string{"--config-file", missing, "container-entrypoint"}, Stdout: &out, Stderr: &out,
		Getenv: func(k string) string { return map[string]string{"MEDUSA_MODE": "GRPC"}[k] },
	})
	if code != 2 || !strings.Contains(out.String(), missing) || strings.Contains(out.String(), "unknown command") {
		t.Fatalf("exit %d, want 2 and grpc-server's error:\n%s", code, out.String())
	}
	if strings.Count(out.String(), "Error:") != 1 {
		t.Errorf("want exactly one error message:\n%s", out.String())
	}
}
