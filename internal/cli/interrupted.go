package cli

import (
	"fmt"
	"time"
)

// interrupted reports a command stopped by SIGINT/SIGTERM and returns exit
// code 130. The error of the operation that was cut short (often an SDK's
// "context canceled" with the request it was sending) is shown only with
// -v: it says nothing the user needs.
func (r *root) interrupted(err error) int {
	fmt.Fprintln(r.env.Stderr, "Interrupted: the command was stopped before it finished.")
	if r.g.verbosity > 0 {
		fmt.Fprintln(r.env.Stderr, "Interrupted operation:", err)
	}
	return 130
}

// uploadMaxAge maps [storage] abort_incomplete_uploads_after_hours to
// backup.Options.UploadMaxAge (0 hours: never abort by age).
func uploadMaxAge(hours int) time.Duration {
	if hours <= 0 {
		return -1
	}
	return time.Duration(hours) * time.Hour
}
