package cassandra

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeProc writes a process table: pid -> command line (NUL-separated args).
func fakeProc(t *testing.T, procs map[string][]string) string {
	t.Helper()
	root := t.TempDir()
	for pid, args := range procs {
		dir := filepath.Join(root, pid)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cmdline"), []byte(strings.Join(args, "\x00")+"\x00"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestNodeProcess(t *testing.T) {
	initArgs := []string{"/sbin/init"}
	daemon := func(conf string) []string {
		return []string{"java", "-cp", conf + ":/usr/share/cassandra/lib/x.jar", cassandraMain}
	}
	tests := []struct {
		name   string
		procs  map[string][]string
		config string
		want   ProcessState
	}{
		{"no cassandra", map[string][]string{"1": initArgs, "42": {"bash"}}, "/etc/cassandra/cassandra.yaml", ProcessAbsent},
		{"this node", map[string][]string{"1": initArgs, "42": daemon("/etc/cassandra")}, "/etc/cassandra/cassandra.yaml", ProcessRunning},
		{"by -Dcassandra.config", map[string][]string{"1": initArgs,
			"7": {"java", "-Dcassandra.config=file:///n1/conf/cassandra.yaml", cassandraMain}}, "/n1/conf/cassandra.yaml", ProcessRunning},
		{"another node's only", map[string][]string{"1": initArgs, "42": daemon("/n2/conf")}, "/n1/conf/cassandra.yaml", ProcessAbsent},
		{"no config path: any cassandra", map[string][]string{"1": initArgs, "42": daemon("/n2/conf")}, "", ProcessRunning},
		{"process table hidden", map[string][]string{"42": {"bash"}}, "/etc/cassandra/cassandra.yaml", ProcessUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NodeProcess(fakeProc(t, tt.procs), tt.config); got != tt.want {
				t.Fatalf("NodeProcess = %d, want %d", got, tt.want)
			}
		})
	}
	if got := NodeProcess(filepath.Join(t.TempDir(), "none"), "/x/cassandra.yaml"); got != ProcessUnknown {
		t.Fatalf("no process table: %d, want unknown", got)
	}
}

func TestNodeDownClassification(t *testing.T) {
	absent := map[string][]string{"1": {"/sbin/init"}}
	running := map[string][]string{"1": {"/sbin/init"}, "9": {"java", "-cp", "/etc/cassandra", cassandraMain}}
	refused := fmt.Errorf("gocql: unable to create session: dial tcp 127.0.0.1:9042: connect: %v", syscall.ECONNREFUSED)
	timeout := errors.New("gocql: unable to create session: dial tcp 10.0.0.1:9042: i/o timeout")
	tests := []struct {
		name  string
		procs map[string][]string
		k8s   bool
		err   error
		want  bool
	}{
		{"refused, no process", absent, false, refused, true},
		{"refused as a value", absent, false, fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"refused, process starting", running, false, refused, false},
		{"timeout, no process", absent, false, timeout, false},
		{"kubernetes: other container", absent, true, refused, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := CQLOptions{ConfigFile: "/etc/cassandra/cassandra.yaml", Kubernetes: tt.k8s, procRoot: fakeProc(t, tt.procs)}
			err := nodeDown(tt.err, o, "127.0.0.1:9042")
			if got := errors.Is(err, ErrNodeDown); got != tt.want {
				t.Fatalf("ErrNodeDown = %v, want %v (%v)", got, tt.want, err)
			}
			if tt.want && (!strings.Contains(err.Error(), "nothing listens on 127.0.0.1:9042") ||
				!strings.Contains(err.Error(), "/etc/cassandra/cassandra.yaml") || !strings.Contains(err.Error(), "start Cassandra")) {
				t.Fatalf("message = %q", err)
			}
		})
	}
}

func TestBackoffNext(t *testing.T) {
	b := Backoff{Attempts: 100, Initial: 10 * time.Second, Max: 2 * time.Minute, Budget: 5 * time.Minute}
	down := fmt.Errorf("x: %w", ErrNodeDown)
	other := errors.New("timeout")
	tests := []struct {
		name     string
		n        int
		waited   time.Duration
		err      error
		wantWait time.Duration
		wantOK   bool
	}{
		{"first wait", 1, 0, other, 10 * time.Second, true},
		{"capped by the budget", 5, 4*time.Minute + 30*time.Second, other, 30 * time.Second, true},
		{"budget spent", 6, 5 * time.Minute, other, 0, false},
		{"node down: grace", 1, 0, down, 10 * time.Second, true},
		{"node down: rest of the grace", 2, 10 * time.Second, down, 20 * time.Second, true},
		{"node down: grace spent", 3, DownGrace, down, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, ok := b.Next(tt.n, tt.waited, tt.err)
			if w != tt.wantWait || ok != tt.wantOK {
				t.Fatalf("Next = %s, %v; want %s, %v", w, ok, tt.wantWait, tt.wantOK)
			}
		})
	}
}

// TestConnectNodeDownFailsEarly: a refused port with no process of the
// node stops retrying at the budget though tries remain, and says why.
func TestConnectNodeDownFailsEarly(t *testing.T) {
	h := &countingHandler{Handler: slog.DiscardHandler}
	start := time.Now()
	_, err := Connect(t.Context(), CQLOptions{
		Host: "127.0.0.1", Port: closedPort(t), ConnectTimeout: time.Second, ConfigFile: "/n1/conf/cassandra.yaml",
		Backoff:  Backoff{Attempts: 1000, Initial: 20 * time.Millisecond, Max: 20 * time.Millisecond, Budget: 100 * time.Millisecond},
		Logger:   slog.New(h),
		procRoot: fakeProc(t, map[string][]string{"1": {"/sbin/init"}}),
	})
	if !errors.Is(err, ErrNodeDown) || !strings.Contains(err.Error(), "/n1/conf/cassandra.yaml") {
		t.Fatalf("error = %v, want ErrNodeDown naming the config", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("took %s", el)
	}
	if n := h.n.Load(); n < 1 || n > 10 {
		t.Fatalf("%d warnings", n)
	}
}

// TestNodeProcessThroughSymlink: a configuration directory named through a
// symbolic link matches a process started with the real path.
func TestNodeProcessThroughSymlink(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real-conf")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "conf")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	proc := fakeProc(t, map[string][]string{"1": {"/sbin/init"}, "5": {"java", "-cp", real, cassandraMain}})
	if got := NodeProcess(proc, filepath.Join(link, "cassandra.yaml")); got != ProcessRunning {
		t.Fatalf("NodeProcess through a symlink = %d, want running", got)
	}
}
