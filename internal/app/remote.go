package app

import (
	"github.com/medusa-go/medusa/internal/remote"
)

// Executor returns what runs node-side commands on the cluster's hosts:
// Remote when set (tests), otherwise the SSH executor
// of [ssh] (username, key_file or the SSH agent, cert_file, port,
// keepalive_seconds, login_shell, use_pty, known_hosts_file,
// host_key_policy). A bad key or certificate is a *remote.ConfigError
// (exit 2), reported before any host is contacted. The caller closes it.
func (a *App) Executor() (remote.Executor, error) {
	if a.Remote != nil {
		return a.Remote, nil
	}
	return remote.NewSSH(a.Config.SSH, remote.SSHOptions{Logger: a.Logger})
}
