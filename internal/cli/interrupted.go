package cli

import "fmt"

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
