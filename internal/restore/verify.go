package restore

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// verify runs the [checks] query (--verify).
func (r *run) verify(ctx context.Context) error {
	if !r.o.Verify || !r.o.ManageCassandra {
		return nil
	}
	return runChecks(ctx, r.d, r.o.Checks)
}

// runChecks runs the [checks] query and compares its result.
func runChecks(ctx context.Context, d *Deps, c Checks) error {
	if c.Query == "" {
		d.Logger.Info("The restore verification is complete (no [checks] query)")
		return nil
	}
	d.Logger.Info("Executing restore verify query: " + c.Query)
	rows, first, err := d.Node.Query(ctx, c.Query)
	if err != nil {
		return err
	}
	var errs []error
	if c.ExpectedRows != 0 && rows != c.ExpectedRows {
		errs = append(errs, fmt.Errorf("restore verify query returned %d rows, expected %d", rows, c.ExpectedRows))
	}
	if c.ExpectedResult != "" {
		got := strings.Join(first, ",")
		if got != c.ExpectedResult {
			errs = append(errs, fmt.Errorf("restore verify query returned %q, expected %q", got, c.ExpectedResult))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	d.Logger.Info("The restore verification is complete")
	return nil
}
