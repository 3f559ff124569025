package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Container entrypoint: one image serves both containers k8ssandra-operator
// adds to a Cassandra pod, told apart by MEDUSA_MODE, as in Medusa's
// k8s/docker-entrypoint.sh (docs/kubernetes.md, Container image).
const (
	entrypointCommand = "container-entrypoint"
	// The commands the modes run: the gRPC sidecar and the restore init
	// container.
	grpcModeCommand    = "grpc-server"
	restoreModeCommand = "init-restore"
)

// exitStatus is an error that carries the exit code of a command that
// already reported its own failure (the command the entrypoint ran).
type exitStatus int

func (e exitStatus) Error() string { return "exit status " + strconv.Itoa(int(e)) }

// newContainerEntrypointCmd is the image's ENTRYPOINT. It sleeps
// DEBUG_SLEEP seconds when set, then runs, through run (Execute), the
// command of MEDUSA_MODE with the same global flags and arguments:
// GRPC -> grpc-server, RESTORE -> init-restore. The image has no shell, so
// this replaces Medusa's docker-entrypoint.sh; watching medusa.ini for
// changes is grpc-server's own job.
func newContainerEntrypointCmd(r *root, run func(context.Context, Env) int) *cobra.Command {
	return &cobra.Command{
		Use:   entrypointCommand + " [args passed to the mode's command]",
		Short: "Run the container's mode from MEDUSA_MODE: GRPC (grpc-server) or RESTORE (init-restore)",
		Long: `Entrypoint of the container image. MEDUSA_MODE selects what runs:
  GRPC     the gRPC sidecar (medusa grpc-server), k8ssandra-operator's "medusa" container
  RESTORE  the restore init container (medusa init-restore), "medusa-restore"
DEBUG_SLEEP (seconds) delays the start, as in Medusa's image.`,
		Hidden: true,
		Args:   cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			mode := r.env.Getenv("MEDUSA_MODE")
			args, target, err := entrypointArgs(r.env.Args, mode)
			if err != nil {
				return err
			}
			sleep, err := debugSleep(r.env.Getenv("DEBUG_SLEEP"))
			if err != nil {
				return err
			}
			r.logger.Info("container entrypoint", "MEDUSA_MODE", mode, "command", target)
			if sleep > 0 {
				r.logger.Info("DEBUG_SLEEP: sleeping before the start", "seconds", sleep.Seconds())
				t := time.NewTimer(sleep)
				select {
				case <-cmd.Context().Done():
					t.Stop()
					return cmd.Context().Err()
				case <-t.C:
				}
			}
			env := r.env
			env.Args = args
			if code := run(cmd.Context(), env); code != 0 {
				return exitStatus(code)
			}
			return nil
		},
	}
}

// entrypointArgs returns args with the entrypoint's own name replaced by the
// command of mode, so global flags (--config-file, -v, ...) and trailing
// arguments reach that command unchanged.
func entrypointArgs(args []string, mode string) (out []string, target string, err error) {
	switch strings.ToUpper(strings.TrimSpace(mode)) {
	case "GRPC":
		target = grpcModeCommand
	case "RESTORE":
		target = restoreModeCommand
	case "":
		return nil, "", usageError{fmt.Errorf("MEDUSA_MODE is not set: set it to GRPC (the gRPC sidecar) " +
			"or RESTORE (the restore init container)")}
	default:
		return nil, "", usageError{fmt.Errorf("MEDUSA_MODE=%q: want GRPC (the gRPC sidecar) "+
			"or RESTORE (the restore init container)", mode)}
	}
	out = make([]string, 0, len(args)+1)
	replaced := false
	for _, a := range args {
		if !replaced && a == entrypointCommand {
			a, replaced = target, true
		}
		out = append(out, a)
	}
	if !replaced {
		out = append(out, target)
	}
	return out, target, nil
}

// debugSleep parses DEBUG_SLEEP: seconds (as sleep(1) takes them, e.g. 30
// or 0.5) or a Go duration (30s, 2m); "" and 0 mean no sleep.
func debugSleep(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d, nil
	}
	return 0, usageError{fmt.Errorf("DEBUG_SLEEP=%q: want a number of seconds (e.g. 30) or a duration (e.g. 2m)", v)}
}
