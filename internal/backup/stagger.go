package backup

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/medusa-go/medusa/internal/layout"
)

// StaggerPoll is how often the stagger stage checks the previous node.
const StaggerPoll = 60 * time.Second

// stagger is stage stagger (--stagger): until Stagger
// after the backup started, poll every StaggerPoll until this node already
// has a finished backup, or is first in token order, or the node before it
// in token order has a finished backup.
func (r *run) stagger(ctx context.Context) error {
	if r.o.Stagger <= 0 {
		return nil
	}
	end := r.res.Started.Add(r.o.Stagger)
	r.d.Logger.Info("Staggering backup run", "until", end.Format("2006-01-02 15:04:05"))
	for {
		ok, err := r.staggered(ctx)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if !r.d.Clock.Now().Before(end) {
			return fmt.Errorf("backups on previous nodes did not complete within the stagger time (%s)", r.o.Stagger)
		}
		r.d.Logger.Info("Staggering this backup run...")
		if err := r.d.Clock.Sleep(ctx, StaggerPoll); err != nil {
			return err
		}
	}
}

// staggered reports whether this node may start uploading.
func (r *run) staggered(ctx context.Context) (bool, error) {
	mine, err := r.d.Finished(ctx, r.o.FQDN)
	if err != nil || mine {
		return mine, err
	}
	prev, err := previousHost(r.tokenmap, r.o.FQDN)
	if err != nil || prev == "" {
		return prev == "", err
	}
	done, err := r.d.Finished(ctx, prev)
	if err != nil {
		return false, err
	}
	if !done {
		r.d.Logger.Info(fmt.Sprintf("Still waiting for %s to finish a backup.", prev))
	}
	return done, nil
}

// previousHost returns the host before fqdn when hosts are sorted by their
// token lists (compared element by element, as Python compares lists), or
// "" when fqdn is first.
func previousHost(tm layout.Tokenmap, fqdn string) (string, error) {
	type host struct {
		name   string
		tokens []*big.Int
	}
	hosts := make([]host, 0, len(tm.Hosts))
	for _, h := range tm.Hosts {
		toks := make([]*big.Int, len(h.Tokens))
		for i, t := range h.Tokens {
			v, ok := new(big.Int).SetString(t.String(), 10)
			if !ok {
				return "", fmt.Errorf("token map: host %s: token %q is not an integer", h.Host, t)
			}
			toks[i] = v
		}
		hosts = append(hosts, host{h.Host, toks})
	}
	slices.SortStableFunc(hosts, func(a, b host) int {
		return slices.CompareFunc(a.tokens, b.tokens, func(x, y *big.Int) int { return x.Cmp(y) })
	})
	i := slices.IndexFunc(hosts, func(h host) bool { return h.name == fqdn })
	switch {
	case i < 0:
		return "", fmt.Errorf("this node (fqdn %q) is not in the token map (hosts: %v); "+
			"set [storage] fqdn to the name the token map uses", fqdn, tm.HostNames())
	case i == 0:
		return "", nil
	}
	return hosts[i-1].name, nil
}
