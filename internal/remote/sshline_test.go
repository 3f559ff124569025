package remote

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/config"
)

// TestSSHLineInShells runs the line the executor sends through the shells
// a login may have (sh, bash; plain and through login_shell): the exit
// status, output and working directory come through; the end of input and
// SIGTERM to the shell each stop the command.
func TestSSHLineInShells(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"/bin/sh", "/bin/bash"} {
		if _, err := os.Stat(shell); err != nil {
			continue
		}
		for _, login := range []bool{false, true} {
			s := &SSH{cfg: config.SSH{LoginShell: login}}
			name := filepath.Base(shell)
			if login {
				name += "-login"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				dir := filepath.Join(t.TempDir(), "work dir")
				line := s.line(Command{Argv: []string{"sh", "-c", "pwd; echo it\\'s >&2; exit 7"}, Dir: dir})
				c := exec.Command(shell, "-c", line)
				c.Env = append(os.Environ(), "SHELL="+shell)
				var out, errb strings.Builder
				c.Stdout, c.Stderr = &out, &errb
				stdin, _ := c.StdinPipe()
				err := c.Run()
				stdin.Close()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 7 || strings.TrimSpace(out.String()) != dir || errb.String() != "it's\n" {
					t.Errorf("err %v, stdout %q, stderr %q", err, out.String(), errb.String())
				}
				for _, stop := range []string{"eof", "term"} {
					c := exec.Command(shell, "-c", s.line(Command{Argv: []string{"sh", "-c", "echo ready; exec sleep 30"}}))
					c.Env = append(os.Environ(), "SHELL="+shell)
					stdin, _ := c.StdinPipe()
					stdout, _ := c.StdoutPipe()
					if err := c.Start(); err != nil {
						t.Fatal(err)
					}
					// Signal only once the command runs (a loaded machine may
					// take a while to read a login shell's profile).
					if l, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || l != "ready\n" {
						t.Fatalf("%s: command did not start: %q %v", stop, l, err)
					}
					began := time.Now()
					if stop == "eof" {
						stdin.Close()
					} else {
						_ = c.Process.Signal(syscall.SIGTERM)
					}
					done := make(chan error, 1)
					go func() { done <- c.Wait() }()
					select {
					case err := <-done:
						if !errors.As(err, &ee) || ee.ExitCode() != 143 {
							t.Errorf("%s: err %v, want exit 143", stop, err)
						}
					case <-time.After(5 * time.Second):
						_ = c.Process.Kill()
						t.Errorf("%s: the command still runs after %s", stop, time.Since(began))
					}
					stdin.Close()
				}
			})
		}
	}
}
