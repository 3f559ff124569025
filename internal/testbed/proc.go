package testbed

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Pinned versions of the object-store test bed. Keep them in sync with
// scripts/testbed/servers/install.sh, which records each installed version in
// $CACHE/versions/<tool>.
const (
	VersitygwVersion     = "v1.8.0"
	FakeGCSServerVersion = "v1.56.1"
	AzuriteVersion       = "3.35.0"
)

// InstallScript is the script that fills the cache with the server binaries.
const InstallScript = "scripts/testbed/servers/install.sh"

// CacheDir is where the test bed keeps binaries and downloads:
// ${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}.
func CacheDir() string {
	if d := os.Getenv("MEDUSA_TESTBED_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "medusa-testbed")
}

// toolPath returns the cached executable rel (relative to the cache) of tool
// if it exists and its version stamp matches version; otherwise an error that
// says how to install it.
func toolPath(tool, rel, version string) (string, error) {
	cache := CacheDir()
	path := filepath.Join(cache, rel)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s %s is not installed (%s missing): run %s", tool, version, path, InstallScript)
	}
	stamp, err := os.ReadFile(filepath.Join(cache, "versions", tool))
	if got := strings.TrimSpace(string(stamp)); err != nil || got != version {
		return "", fmt.Errorf("%s in %s is version %q, want %s: run %s", tool, cache, got, version, InstallScript)
	}
	return path, nil
}

// ProcSpec describes a server process to start.
type ProcSpec struct {
	Name    string   // short name for messages and the log file, e.g. "versitygw"
	Path    string   // executable
	Args    []string // arguments; never secrets (pass those in Env)
	Env     []string // KEY=VALUE added to the current environment
	Dir     string   // working directory and home of <Name>.log
	LogPath string   // stdout+stderr; default Dir/<Name>.log
}

// Proc is a running server process, in its own process group so that Stop
// also ends any children.
type Proc struct {
	Name    string
	LogPath string

	cmd      *exec.Cmd
	done     chan struct{}
	waitErr  error
	stopOnce sync.Once
}

// StartProc starts spec with its output in a log file. The process outlives
// any context: end it with Stop.
func StartProc(spec ProcSpec) (*Proc, error) {
	logPath := spec.LogPath
	if logPath == "" {
		logPath = filepath.Join(spec.Dir, spec.Name+".log")
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	defer logFile.Close() // the child has its own copy
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Dir = spec.Dir
	cmd.Env = append(os.Environ(), spec.Env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	p := &Proc{Name: spec.Name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Stop kills the process group (SIGKILL: test data is throwaway) and waits
// for the process to be reaped. It is safe to call more than once.
func (p *Proc) Stop() {
	if p == nil {
		return
	}
	p.stopOnce.Do(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	})
}

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// LogTail returns the last n lines of the process log.
func (p *Proc) LogTail(n int) string {
	data, err := os.ReadFile(p.LogPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// failure wraps err with the tail of the log, for start-up errors.
func (p *Proc) failure(err error) error {
	return fmt.Errorf("%s: %w\n--- %s (last lines) ---\n%s", p.Name, err, p.LogPath, p.LogTail(25))
}

// WaitTCP waits until addr accepts connections. It fails early, with the log
// tail, when the process exits, and after timeout or when ctx ends.
func (p *Proc) WaitTCP(ctx context.Context, addr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	for {
		if exited, err := p.Exited(); exited {
			return p.failure(fmt.Errorf("exited before listening on %s: %v", addr, err))
		}
		dctx, dcancel := context.WithTimeout(ctx, time.Second)
		conn, err := d.DialContext(dctx, "tcp", addr)
		dcancel()
		if err == nil {
			conn.Close()
			if exited, werr := p.Exited(); exited { // someone else answered on the port
				return p.failure(fmt.Errorf("exited while starting on %s: %v", addr, werr))
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return p.failure(fmt.Errorf("not listening on %s after %s: %w", addr, timeout, ctx.Err()))
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// addrInUse reports whether the process log says its port was taken (the
// free port we picked was grabbed by another process in between).
func (p *Proc) addrInUse() bool {
	tail := p.LogTail(40)
	return strings.Contains(tail, "address already in use") || strings.Contains(tail, "EADDRINUSE")
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startOnFreePort runs start with a fresh free port, again (up to 3 times)
// when the server lost the port to another process between the check and
// its own bind. On failure start must stop the process it started and still
// return it, so that its log can be inspected.
func startOnFreePort(start func(port int) (*Proc, error)) (*Proc, int, error) {
	var lastErr error
	for range 3 {
		port, err := FreePort()
		if err != nil {
			return nil, 0, err
		}
		p, err := start(port)
		if err == nil {
			return p, port, nil
		}
		lastErr = err
		if p == nil || !p.addrInUse() {
			return nil, 0, err
		}
	}
	return nil, 0, lastErr
}

// hostPort formats 127.0.0.1:port.
func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// stopper is anything the test helpers can stop.
type stopper interface{ Stop() }

// startT is the shape of every *T helper: skip under -short, start the server
// in a test temp dir, fail the test with the reason (log tail included) when
// it cannot start, and stop it when the test ends.
func startT[S stopper](t testing.TB, what string, start func(ctx context.Context, dir string) (S, error)) S {
	t.Helper()
	if testing.Short() {
		t.Skipf("needs %s; run without -short", what)
	}
	s, err := start(t.Context(), t.TempDir())
	if err != nil {
		t.Fatalf("start %s: %v", what, err)
	}
	t.Cleanup(s.Stop)
	return s
}
