package testbed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PyMedusaVersion is the cassandra-medusa release (PyPI) that
// scripts/testbed/python-medusa/install.sh installs by default. Keep the two
// in sync.
const PyMedusaVersion = "0.31.0"

// PyMedusaTimeout bounds one Python Medusa command unless PyMedusa.Timeout
// says otherwise.
const PyMedusaTimeout = 10 * time.Minute

// PyMedusaInstallScript returns the path of
// scripts/testbed/python-medusa/install.sh in the source tree this package
// was built from.
func PyMedusaInstallScript() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("python medusa: cannot locate the source tree (runtime.Caller)")
	}
	p := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "testbed", "python-medusa", "install.sh")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("python medusa: install script: %w", err)
	}
	return filepath.Clean(p), nil
}

// PyMedusaVenv is the virtualenv install.sh creates for PyMedusaVersion:
// $CACHE/python-medusa-<version>.
func PyMedusaVenv() string {
	return filepath.Join(CacheDir(), "python-medusa-"+PyMedusaVersion)
}

// PythonMedusa returns the path of the `medusa` executable of the Python
// Medusa virtualenv. When install.sh has not completed (its marker file
// holds the version), the error says how to run it.
func PythonMedusa(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	venv := PyMedusaVenv()
	exe := filepath.Join(venv, "bin", "medusa")
	stamp, err := os.ReadFile(filepath.Join(venv, ".complete"))
	if err == nil && strings.TrimSpace(string(stamp)) == PyMedusaVersion {
		// bin/python is a symlink to the interpreter the venv was made
		// with: Stat follows it, so a removed interpreter shows here.
		if _, err = os.Stat(filepath.Join(venv, "bin", "python")); err == nil {
			if _, err = os.Stat(exe); err == nil {
				return exe, nil
			}
		}
	}
	script, serr := PyMedusaInstallScript()
	if serr != nil {
		script = "scripts/testbed/python-medusa/install.sh"
	}
	return "", fmt.Errorf("python medusa %s is not installed in %s (%v): run %s %s (with MEDUSA_TESTBED_CACHE=%s)",
		PyMedusaVersion, venv, err, script, PyMedusaVersion, CacheDir())
}

// InstallPythonMedusa runs install.sh (idempotent: seconds once installed,
// about 30 s from PyPI otherwise) and returns the `medusa` executable.
func InstallPythonMedusa(ctx context.Context) (string, error) {
	if exe, err := PythonMedusa(ctx); err == nil {
		return exe, nil
	}
	script, err := PyMedusaInstallScript()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "bash", script, PyMedusaVersion)
	cmd.Env = append(os.Environ(), "MEDUSA_TESTBED_CACHE="+CacheDir())
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("python medusa: %s %s: %w\n%s", script, PyMedusaVersion, err, cassTail(string(out), 40))
	}
	return PythonMedusa(ctx)
}

// PyMedusaT returns the Python Medusa executable for a test, installing it
// first when needed. Under `go test -short` it skips the test; otherwise an
// install that fails fails the test with the reason.
func PyMedusaT(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Python Medusa (PyPI cassandra-medusa in a virtualenv); run without -short")
	}
	exe, err := InstallPythonMedusa(t.Context())
	if err != nil {
		t.Fatalf("python medusa: %v", err)
	}
	return exe
}

// RunPyMedusa runs Python Medusa with --config-file ini and args (see
// PyMedusa.Run for the environment).
func RunPyMedusa(ctx context.Context, ini string, args ...string) (stdout, stderr string, err error) {
	return PyMedusa{Config: ini}.Run(ctx, args...)
}

// PyMedusa is a reusable way to run Python Medusa commands. Its medusa.ini
// should set [storage] fqdn, [cassandra] resolve_ip_addresses = False,
// use_sudo = False, nodetool_executable and config_file, as MedusaINI.Write
// does for a test-bed node: Python Medusa then needs neither DNS nor sudo
// nor a nodetool on PATH, and talks CQL to listen_address and
// native_transport_port of that cassandra.yaml.
type PyMedusa struct {
	Exe     string        // default: PythonMedusa(ctx)
	Config  string        // medusa.ini, passed as --config-file (before the command)
	Dir     string        // working directory (local monitoring writes ./metrics.json); default a temp dir
	Env     []string      // KEY=VALUE, after (so overriding) the defaults below
	Timeout time.Duration // default PyMedusaTimeout
}

// Run runs `medusa [--config-file Config] args...` and returns its output
// (Python Medusa prints results on stdout and logs on stderr). A non-zero
// exit is an error wrapping *exec.ExitError (see PyExitCode) that carries the
// tail of stderr. The environment is not inherited, except PATH, HOME and
// JAVA_HOME, so that the caller's AWS_*, MEDUSA_* or CQL_* variables cannot
// change what the ini says: it is LANG=C.UTF-8, TZ=UTC (list-backups and
// status print local times), TMPDIR, AWS_EC2_METADATA_DISABLED=true, an empty
// AWS config and credentials file, then Env. On timeout or cancellation the
// whole process group (nodetool JVMs included) is killed.
func (p PyMedusa) Run(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	exe, err := p.exe(ctx)
	if err != nil {
		return "", "", err
	}
	full := args
	if p.Config != "" {
		full = append([]string{"--config-file", p.Config}, args...)
	}
	return p.run(ctx, "medusa "+strings.Join(args, " "), exe, full)
}

// Python runs the virtualenv's python with `-c code args...` in Run's
// environment, for checks that call Medusa's modules directly (for
// example medusa.schema.parse_schema).
func (p PyMedusa) Python(ctx context.Context, code string, args ...string) (stdout, stderr string, err error) {
	exe, err := p.exe(ctx)
	if err != nil {
		return "", "", err
	}
	python := filepath.Join(filepath.Dir(exe), "python")
	return p.run(ctx, "python -c", python, append([]string{"-c", code}, args...))
}

func (p PyMedusa) exe(ctx context.Context) (string, error) {
	if p.Exe != "" {
		return p.Exe, nil
	}
	return PythonMedusa(ctx)
}

// run runs path with args; what names the command in errors.
func (p PyMedusa) run(ctx context.Context, what, path string, args []string) (stdout, stderr string, err error) {
	dir := p.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "pymedusa-"); err != nil {
			return "", "", fmt.Errorf("python medusa: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = PyMedusaTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.Env = append(pyMedusaEnv(path, dir), p.Env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	began := time.Now()
	if err = cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (after %s)", ctx.Err(), time.Since(began).Round(time.Second))
		}
		err = fmt.Errorf("python medusa: %s: %w\n--- tail of stderr ---\n%s", what, err, cassTail(errOut.String(), 30))
	}
	return out.String(), errOut.String(), err
}

// pyMedusaEnv is the base environment of Run.
func pyMedusaEnv(exe, dir string) []string {
	path := filepath.Dir(exe) + string(os.PathListSeparator) + os.Getenv("PATH")
	env := []string{
		"PATH=" + path,
		"LANG=C.UTF-8",
		"LC_ALL=C.UTF-8",
		"TZ=UTC",
		"TMPDIR=" + dir,
		"PYTHONUNBUFFERED=1",
		"PYTHONDONTWRITEBYTECODE=1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
	}
	for _, k := range []string{"HOME", "JAVA_HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// PyExitCode returns the exit code of a failed Run (-1 when the command did
// not exit normally, 0 when err is nil).
func PyExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// PyMedusaGRPCDeps are the gRPC packages install.sh adds to the venv (the
// stubs of medusa/service/grpc need them; cassandra-medusa does not declare
// them), as its .grpc-complete marker records them. Keep in sync with
// install.sh.
const PyMedusaGRPCDeps = "grpcio==1.81.0 grpcio-health-checking==1.81.0 protobuf==6.33.6"

// PyMedusaGRPCT is PyMedusaT for tests that use Python Medusa's gRPC
// client: it also makes sure the pinned gRPC packages are installed
// (running install.sh, seconds, when a venv predates them).
func PyMedusaGRPCT(t testing.TB) string {
	t.Helper()
	exe := PyMedusaT(t)
	stamp, err := os.ReadFile(filepath.Join(PyMedusaVenv(), ".grpc-complete"))
	if err == nil && strings.TrimSpace(string(stamp)) == PyMedusaGRPCDeps {
		return exe
	}
	script, err := PyMedusaInstallScript()
	if err != nil {
		t.Fatalf("python medusa grpc packages: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), "bash", script, PyMedusaVersion)
	cmd.Env = append(os.Environ(), "MEDUSA_TESTBED_CACHE="+CacheDir())
	cmd.WaitDelay = 10 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python medusa grpc packages: %s %s: %v\n%s", script, PyMedusaVersion, err, cassTail(string(out), 40))
	}
	return exe
}
