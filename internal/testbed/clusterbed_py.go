package testbed

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PyLoginTmp is the temporary directory of the Python Medusa logins of a
// cluster bed (PythonLogins): the same path on every node, a directory of
// that node's own behind it. Real hosts each have their own /tmp; the bed's
// nodes share the machine's, where Python Medusa's cluster commands would
// put every node's medusa-wrapper job directory (its pid and status files)
// in one place. Pass it as --temp-dir to backup-cluster and restore-cluster.
const PyLoginTmp = "/var/tmp/medusa-testbed"

// PyLogins are logins on every node of a ClusterBed set up for Python
// Medusa's cluster commands the way real hosts are: one sshd per node
// address (a set of its own, beside the bed's), where a login finds
//   - Python Medusa's medusa and medusa-wrapper first on PATH,
//   - nodetool, sstableloader, cassandra-start and cassandra-stop on PATH,
//     each the node's own,
//   - /etc/medusa/medusa.ini (the default path) naming those commands by
//     name, with the node's storage, cassandra.yaml and fqdn, and an [ssh]
//     section (user, key, port) for reaching the other nodes' logins,
//   - PyLoginTmp, the node's own temporary directory.
//
// So the orchestrator runs inside one node's login, with the default
// configuration file, and every command it sends (nodetool snapshot,
// cassandra-stop, medusa-wrapper medusa backup-node) means the same thing
// on each node as on real hosts: no command names a node.
type PyLogins struct {
	SSHD *SSHD
	Exe  string // Python Medusa's medusa
	bed  *ClusterBed
}

// PythonLogins starts the Python logins of the bed (once; later calls
// return the same) with Python Medusa's executable exe (PythonMedusa).
// Stop stops them with the bed.
func (b *ClusterBed) PythonLogins(ctx context.Context, exe string) (*PyLogins, error) {
	b.pyMu.Lock()
	defer b.pyMu.Unlock()
	if b.py != nil {
		return b.py, nil
	}
	dir := filepath.Join(b.Dir, "py")
	so := SSHDOptions{Dir: filepath.Join(dir, "ssh"), EtcMedusa: map[string]string{}, TmpDir: map[string]string{},
		PathDirs: []string{filepath.Dir(exe)}, HostPathDirs: map[string][]string{}, Binds: map[string]map[string]string{},
		Env: []string{"LANG=C.UTF-8", "TZ=UTC", "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1",
			"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull}}
	for _, n := range b.Nodes() {
		node := fmt.Sprintf("node%d", n.Index)
		etc, tmp, bin := filepath.Join(dir, "etc", node), filepath.Join(dir, "tmp", node), filepath.Join(dir, "bin", node)
		for _, d := range []string{etc, tmp, bin} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return nil, fmt.Errorf("python logins: %w", err)
			}
		}
		for name, target := range map[string]string{"nodetool": n.NodetoolPath, "sstableloader": n.SSTableLoaderPath,
			"cassandra-start": n.StartCmd, "cassandra-stop": n.StopCmd} {
			script := "#!/bin/sh\n# node " + strconv.Itoa(n.Index) + " (" + n.Host + ")\nexec " + cassShellQuote(target) + " \"$@\"\n"
			if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
				return nil, fmt.Errorf("python logins: %w", err)
			}
		}
		so.Hosts = append(so.Hosts, n.Host)
		so.EtcMedusa[n.Host], so.TmpDir[n.Host] = etc, PyLoginTmp
		so.HostPathDirs[n.Host] = []string{bin}
		so.Binds[n.Host] = map[string]string{PyLoginTmp: tmp}
	}
	sshd, err := StartSSHD(ctx, so)
	if err != nil {
		return nil, fmt.Errorf("python logins: %w", err)
	}
	l := &PyLogins{SSHD: sshd, Exe: exe, bed: b}
	for _, n := range b.Nodes() {
		extra := map[string]map[string]string{
			"cassandra": {"nodetool_executable": "nodetool", "sstableloader_bin": "sstableloader",
				"start_cmd": "cassandra-start", "stop_cmd": "cassandra-stop"},
			"ssh": {"username": sshd.User, "key_file": sshd.ClientKey, "port": strconv.Itoa(sshd.Port)},
		}
		for sec, kv := range b.extraINI {
			for k, v := range kv {
				if extra[sec] == nil {
					extra[sec] = map[string]string{}
				}
				if _, set := extra[sec][k]; !set {
					extra[sec][k] = v
				}
			}
		}
		ini := b.ini(n, extra)
		ini.KeyFile = filepath.Join(so.EtcMedusa[n.Host], "medusa-s3-credentials")
		if err := ini.Write(filepath.Join(so.EtcMedusa[n.Host], "medusa.ini")); err != nil {
			sshd.Stop()
			return nil, fmt.Errorf("python logins: medusa.ini of node %d: %w", n.Index, err)
		}
	}
	b.py = l
	return l, nil
}

// Command is the command line (for the system ssh client) that runs
// `medusa args...` in node i's Python login (i 1-based).
func (l *PyLogins) Command(i int, args ...string) []string {
	quoted := make([]string, len(args))
	for k, a := range args {
		quoted[k] = cassShellQuote(a)
	}
	return append([]string{"ssh"}, append(l.SSHD.SSHArgs(l.bed.Node(i).Host), "medusa "+strings.Join(quoted, " "))...)
}

// Run runs `medusa args...` (Python Medusa, the default /etc/medusa/medusa.ini)
// in node i's login and returns its output. A non-zero exit is an error
// carrying the tail of stderr; after PyMedusaTimeout the ssh client is
// killed.
func (l *PyLogins) Run(ctx context.Context, i int, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(ctx, PyMedusaTimeout)
	defer cancel()
	argv := l.Command(i, args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	if err = cmd.Run(); err != nil {
		err = fmt.Errorf("python medusa in the login of node %d: medusa %s: %w\n--- tail of stderr ---\n%s",
			i, strings.Join(args, " "), err, cassTail(errOut.String(), 30))
	}
	return out.String(), errOut.String(), err
}

// Ini is the path, on this machine, of node i's medusa.ini in the Python
// logins (they see it at /etc/medusa/medusa.ini).
func (l *PyLogins) Ini(i int) string {
	return filepath.Join(l.bed.Dir, "py", "etc", fmt.Sprintf("node%d", l.bed.Node(i).Index), "medusa.ini")
}

// TmpDir is, on this machine, the directory node i's Python logins see at
// PyLoginTmp.
func (l *PyLogins) TmpDir(i int) string {
	return filepath.Join(l.bed.Dir, "py", "tmp", fmt.Sprintf("node%d", l.bed.Node(i).Index))
}
