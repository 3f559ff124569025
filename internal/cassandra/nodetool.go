package cassandra

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// NodetoolOptions are the [cassandra] settings that shape a nodetool
// command line (the [cassandra] nodetool_* keys, docs/compatibility.md).
type NodetoolOptions struct {
	Executable   string   // nodetool_executable, default "nodetool"
	Flags        []string // nodetool_flags, space-split
	SSL          bool     // nodetool_ssl = true
	Username     string
	Password     string // secret: never logged
	PasswordFile string
	Host         string
	Port         int
}

// Command returns the argument vector Medusa builds:
// executable, flags, --ssl, -u, -pw, -pwf, -h, -p, then the subcommand.
func (o NodetoolOptions) Command(sub ...string) []string {
	exe := o.Executable
	if exe == "" {
		exe = "nodetool"
	}
	args := append([]string{exe}, o.Flags...)
	if o.SSL {
		args = append(args, "--ssl")
	}
	if o.Username != "" {
		args = append(args, "-u", o.Username)
	}
	if o.Password != "" {
		args = append(args, "-pw", o.Password)
	}
	if o.PasswordFile != "" {
		args = append(args, "-pwf", o.PasswordFile)
	}
	if o.Host != "" {
		args = append(args, "-h", o.Host)
	}
	if o.Port != 0 {
		args = append(args, "-p", fmt.Sprint(o.Port))
	}
	return append(args, sub...)
}

// Redacted renders the command for logs and errors with the password hidden.
func (o NodetoolOptions) Redacted(sub ...string) string {
	args := o.Command(sub...)
	for i := 1; i < len(args); i++ {
		if args[i-1] == "-pw" {
			args[i] = "<redacted>"
		}
	}
	return strings.Join(args, " ")
}

// Nodetool runs nodetool subcommands.
type Nodetool struct{ Options NodetoolOptions }

// Run executes one subcommand and returns its standard output. A non-zero
// exit is an error carrying the redacted command and nodetool's stderr.
func (n Nodetool) Run(ctx context.Context, sub ...string) (string, error) {
	args := n.Options.Command(sub...)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = lastLines(out.String(), 5)
		}
		return out.String(), fmt.Errorf("%s: %w: %s", n.Options.Redacted(sub...), err, msg)
	}
	return out.String(), nil
}

// Snapshot takes a snapshot of every keyspace tagged tag.
func (n Nodetool) Snapshot(ctx context.Context, tag string) error {
	_, err := n.Run(ctx, "snapshot", "-t", tag)
	return err
}

// ClearSnapshot removes the snapshot tagged tag.
func (n Nodetool) ClearSnapshot(ctx context.Context, tag string) error {
	_, err := n.Run(ctx, "clearsnapshot", "-t", tag)
	return err
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
