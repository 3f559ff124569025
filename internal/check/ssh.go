package check

import (
	"context"
	"fmt"
	"os"
)

// SSH checks the [ssh] settings (cluster commands) without contacting any
// host: the key (or agent) and certificate load, the key file's mode and
// the known_hosts file host keys are checked against.
type SSH struct {
	// Load builds the SSH client configuration as cluster commands do
	// (reads key_file and cert_file, or finds the agent).
	Load func() error
	// Username, KeyFile and KnownHostsFile are [ssh] username, key_file
	// and the expanded known_hosts_file; Strict is host_key_policy strict.
	Username, KeyFile, KnownHostsFile string
	Strict                            bool
}

// Checks returns the [ssh] checks.
func (s *SSH) Checks() []Check {
	cs := []Check{{Name: "ssh/settings", Run: s.checkLoad}}
	if s.KeyFile != "" {
		cs = append(cs, Check{Name: "ssh/key-file", Run: func(context.Context) Result { return KeyFileMode(s.KeyFile, "SSH private key") }})
	}
	return append(cs, Check{Name: "ssh/known-hosts", Run: s.checkKnownHosts})
}

func (s *SSH) checkLoad(context.Context) Result {
	if err := s.Load(); err != nil {
		return fail("fix [ssh] (username, key_file, cert_file), or pass --ssh-username/--ssh-key-file", "%v", err)
	}
	key := "the SSH agent or a default key of ~/.ssh"
	if s.KeyFile != "" {
		key = "key_file " + s.KeyFile
	}
	return ok("user %s, %s", s.Username, key)
}

func (s *SSH) checkKnownHosts(context.Context) Result {
	fi, err := os.Stat(s.KnownHostsFile)
	switch {
	case err == nil && fi.Mode().IsRegular():
		return ok("host keys are checked against %s", s.KnownHostsFile)
	case err == nil:
		return fail("set [ssh] known_hosts_file to a file", "known_hosts %s is not a regular file", s.KnownHostsFile)
	case os.IsNotExist(err) && s.Strict:
		return warn(fmt.Sprintf("add the nodes' host keys (ssh-keyscan <host> >> %s) or set host_key_policy = accept-new", s.KnownHostsFile),
			"known_hosts %s does not exist: with host_key_policy strict every host is refused", s.KnownHostsFile)
	case os.IsNotExist(err):
		return ok("known_hosts %s does not exist yet; host_key_policy accept-new will create it", s.KnownHostsFile)
	}
	return fail("make the file readable by the user running medusa", "known_hosts %s: %v", s.KnownHostsFile, err)
}
