package testbed

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The package's tests share one cluster bed (TestClusterBedSSH).
func TestMain(m *testing.M) { SharedClusterMain(m, ClusterSetup{Name: "testbed"}) }

// sshRun runs the system ssh client against host of s and returns its
// combined output.
func sshRun(t *testing.T, s *SSHD, host, command string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "ssh", append(s.SSHArgs(host), command)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestSSHD: two sshds on 127.0.0.2 and 127.0.0.3 (same port), each login
// sees its own /etc/medusa, TMPDIR, PATH and bind mount (Binds) and the
// extra variables; the machine's /etc/medusa is untouched; a certificate signed by the bed's CA logs in too; an unknown
// host key is refused by a strict client.
func TestSSHD(t *testing.T) {
	if testing.Short() {
		t.Skip("needs OpenSSH's sshd; run without -short")
	}
	dir := t.TempDir()
	hosts := []string{"127.0.0.2", "127.0.0.3"}
	o := SSHDOptions{Dir: filepath.Join(dir, "ssh"), Hosts: hosts, EtcMedusa: map[string]string{},
		TmpDir: map[string]string{}, PathDirs: []string{filepath.Join(dir, "bin")},
		HostPathDirs: map[string][]string{}, Binds: map[string]map[string]string{}, Env: []string{"TESTBED_PROBE=yes"}}
	for _, h := range hosts {
		etc, tmp := filepath.Join(dir, "etc-"+h), filepath.Join(dir, "tmp-"+h)
		hbin, bind := filepath.Join(dir, "bin-"+h), filepath.Join(dir, "bind-"+h)
		for _, d := range []string{etc, tmp, filepath.Join(dir, "bin"), hbin, bind} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(etc, "medusa.ini"), []byte("# node "+h+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(hbin, "whereami"), []byte("#!/bin/sh\necho here-"+h+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bind, "mark"), []byte("bound-"+h+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		o.EtcMedusa[h], o.TmpDir[h] = etc, tmp
		o.HostPathDirs[h], o.Binds[h] = []string{hbin}, map[string]string{PyLoginTmp: bind}
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "whoami-medusa"), []byte("#!/bin/sh\necho on-path\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadDir(EtcMedusa)
	began := time.Now()
	s, err := StartSSHD(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	t.Logf("2 sshds on port %d up in %s", s.Port, time.Since(began).Round(time.Millisecond))
	for _, h := range hosts {
		out, err := sshRun(t, s, h, "cat /etc/medusa/medusa.ini "+PyLoginTmp+"/mark; echo TMPDIR=$TMPDIR; "+
			"whoami-medusa; whereami; echo probe=$TESTBED_PROBE")
		if err != nil {
			t.Fatalf("ssh %s: %v\n%s\nsshd log:\n%s", h, err, out, s.LogTail(h, 20))
		}
		for _, w := range []string{"# node " + h, "bound-" + h, "TMPDIR=" + o.TmpDir[h], "on-path", "here-" + h, "probe=yes"} {
			if !strings.Contains(out, w) {
				t.Errorf("ssh %s: output lacks %q:\n%s", h, w, out)
			}
		}
	}
	after, _ := os.ReadDir(EtcMedusa)
	if len(before) != len(after) {
		t.Errorf("the machine's %s changed: %d entries before, %d after", EtcMedusa, len(before), len(after))
	}
	if _, err := os.Stat(filepath.Join(PyLoginTmp, "mark")); err == nil {
		t.Errorf("the bind mount of the logins shows on the machine: %s/mark", PyLoginTmp)
	}

	// Certificate login: the bed's CA signs a new key.
	key := filepath.Join(dir, "certkey")
	if _, err := writeEd25519(key, "cert user"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignUserCert(key); err != nil {
		t.Fatal(err)
	}
	args := s.SSHArgs(hosts[0])
	for i := range args {
		if args[i] == s.ClientKey {
			args[i] = key
		}
	}
	if out, err := exec.CommandContext(t.Context(), "ssh", append(args, "echo cert-ok")...).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "cert-ok") {
		t.Errorf("certificate login: %v\n%s\nsshd log:\n%s", err, out, s.LogTail(hosts[0], 20))
	}

	// A strict client with an empty known_hosts refuses the host.
	empty := filepath.Join(dir, "empty_known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	args = s.SSHArgs(hosts[1])
	for i := range args {
		if args[i] == "UserKnownHostsFile="+s.KnownHosts {
			args[i] = "UserKnownHostsFile=" + empty
		}
	}
	if out, err := exec.CommandContext(t.Context(), "ssh", append(args, "true")...).CombinedOutput(); err == nil {
		t.Errorf("unknown host accepted:\n%s", out)
	}
}

// TestClusterBedSSH: on the shared 3-node cluster bed, ssh to node 2 lands
// with node 2's medusa.ini at /etc/medusa/medusa.ini, node 2's TMPDIR, and
// the freshly built medusa on PATH; the orchestrator's ini reads the
// cluster.
func TestClusterBedSSH(t *testing.T) {
	b := SharedCluster(t)
	if got := b.Hosts(); strings.Join(got, ",") != "127.0.0.1,127.0.0.2,127.0.0.3" {
		t.Fatalf("hosts = %v", got)
	}
	want, err := os.ReadFile(b.Ini(2))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(want), "fqdn = 127.0.0.2") {
		t.Errorf("node 2's medusa.ini lacks fqdn = 127.0.0.2:\n%s", want)
	}
	out, err := sshRun(t, b.SSHD, "127.0.0.2", "cat /etc/medusa/medusa.ini && echo TMPDIR=$TMPDIR && command -v medusa && medusa --version")
	if err != nil {
		t.Fatalf("ssh 127.0.0.2: %v\n%s\nsshd log:\n%s", err, out, b.SSHD.LogTail("127.0.0.2", 20))
	}
	for _, w := range []string{string(want), "TMPDIR=" + b.TmpDir(2), b.MedusaBin} {
		if !strings.Contains(out, w) {
			t.Errorf("ssh 127.0.0.2: output lacks %q:\n%s", w, out)
		}
	}
	// medusa on node 2 reads its own ini: `medusa config` shows fqdn.
	out, err = sshRun(t, b.SSHD, "127.0.0.2", "medusa config")
	if err != nil || !strings.Contains(out, "fqdn = 127.0.0.2") {
		t.Errorf("medusa config on 127.0.0.2: %v\n%s", err, out)
	}
	stdout, stderr, err := b.Medusa(t.Context(), "list-backups")
	if err != nil {
		t.Errorf("medusa list-backups with the orchestrator's ini: %v\n%s%s", err, stdout, stderr)
	}
}

// TestSecondClusterBed: a restore target beside the shared bed, 2 nodes on
// 127.0.0.4-5 with another cluster name, the same S3 bucket and binary, its
// own sshds: node 5's login sees node 5's medusa.ini.
func TestSecondClusterBed(t *testing.T) {
	src := SharedCluster(t)
	b := ClusterBedT(t, ClusterBedOptions{Nodes: 2, FirstHost: 4, ClusterName: "medusa-target", S3: src.S3,
		MedusaBin: src.MedusaBin})
	if got := strings.Join(b.Hosts(), ","); got != "127.0.0.4,127.0.0.5" {
		t.Fatalf("hosts = %s", got)
	}
	out, err := b.Node(1).Nodetool(t.Context(), "status")
	if err != nil || CountUN(out) != 2 || strings.Contains(out, "127.0.0.1 ") {
		t.Errorf("target's nodetool status: %v\n%s", err, out)
	}
	out, err = sshRun(t, b.SSHD, "127.0.0.5", "medusa config")
	if err != nil || !strings.Contains(out, "fqdn = 127.0.0.5") || !strings.Contains(out, "bucket_name = "+src.Bucket) {
		t.Errorf("medusa config on 127.0.0.5: %v\n%s", err, out)
	}
}

// TestSSHDConfigPath: a login's PATH is PathDirs, then the host's own
// HostPathDirs, then the system's; Env and TMPDIR are set for the logins.
func TestSSHDConfigPath(t *testing.T) {
	s := &SSHD{Dir: "/srv/bed/ssh", Port: 2222}
	o := SSHDOptions{PathDirs: []string{"/opt/py/bin"}, HostPathDirs: map[string][]string{"127.0.0.2": {"/srv/bed/n2/bin"}},
		TmpDir: map[string]string{"127.0.0.2": PyLoginTmp}, Env: []string{"TZ=UTC"}}
	cfg := s.config("127.0.0.2", o)
	want := "SetEnv PATH=/opt/py/bin:/srv/bed/n2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TMPDIR=" +
		PyLoginTmp + " TZ=UTC\n"
	if !strings.Contains(cfg, want) {
		t.Errorf("sshd_config of 127.0.0.2 lacks %q:\n%s", want, cfg)
	}
	if cfg := s.config("127.0.0.3", o); !strings.Contains(cfg, "SetEnv PATH=/opt/py/bin:/usr/local/sbin:") {
		t.Errorf("sshd_config of 127.0.0.3 (no HostPathDirs):\n%s", cfg)
	}
}
