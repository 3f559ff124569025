package restore

import (
	"context"
	"io"
)

// runText runs a restore and, when it succeeds, writes its text (the
// dry-run plan) to w as restore-node does.
func runText(ctx context.Context, d Deps, o Options, w io.Writer) (*Result, error) {
	res, err := Run(ctx, d, o)
	if err != nil || w == nil {
		return res, err
	}
	return res, res.WriteText(w)
}

// String names an action in test messages.
func (a Action) String() string {
	return [...]string{"restore", "wipe", "keep"}[a]
}
