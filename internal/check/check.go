package check

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Status is the outcome of one check.
type Status string

// The outcomes, from best to worst. SKIP means the check does not apply
// to this set-up or could not run because one it depends on failed.
const (
	OK   Status = "OK"
	SKIP Status = "SKIP"
	WARN Status = "WARN"
	FAIL Status = "FAIL"
)

// Result is what one check found.
type Result struct {
	// Name is "group/what", e.g. "bucket/public-access-block".
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Detail says what was found, in one sentence.
	Detail string `json:"detail"`
	// Fix says what to do; empty when Status is OK or SKIP.
	Fix string `json:"fix,omitempty"`
}

// Check is one named check.
type Check struct {
	Name string
	// Run returns the outcome; Name is filled in by the runner when the
	// result leaves it empty.
	Run func(ctx context.Context) Result
}

// Helpers building results.
func ok(detail string, a ...any) Result { return Result{Status: OK, Detail: fmt.Sprintf(detail, a...)} }
func skip(detail string, a ...any) Result {
	return Result{Status: SKIP, Detail: fmt.Sprintf(detail, a...)}
}
func warn(fix, detail string, a ...any) Result {
	return Result{Status: WARN, Detail: fmt.Sprintf(detail, a...), Fix: fix}
}
func fail(fix, detail string, a ...any) Result {
	return Result{Status: FAIL, Detail: fmt.Sprintf(detail, a...), Fix: fix}
}

// Report is the outcome of a run.
type Report struct {
	Results []Result `json:"results"`
	OK      int      `json:"ok"`
	Warn    int      `json:"warn"`
	Fail    int      `json:"fail"`
	Skip    int      `json:"skip"`
}

// Failed reports whether any check failed.
func (r Report) Failed() bool { return r.Fail > 0 }

// Add appends a result and counts it.
func (r *Report) Add(res Result) {
	r.Results = append(r.Results, res)
	switch res.Status {
	case OK:
		r.OK++
	case WARN:
		r.Warn++
	case FAIL:
		r.Fail++
	default:
		r.Skip++
	}
}

// DefaultTimeout bounds each check.
const DefaultTimeout = 60 * time.Second

// Run runs checks in order, each bounded by timeout (<= 0: DefaultTimeout),
// and reports each result to each (nil: nobody) as soon as it is known.
// A cancelled ctx stops the run: the checks not yet run are not reported.
func Run(ctx context.Context, checks []Check, timeout time.Duration, each func(Result)) Report {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	var rep Report
	for _, c := range checks {
		if ctx.Err() != nil {
			break
		}
		cctx, cancel := context.WithTimeout(ctx, timeout)
		res := c.Run(cctx)
		if res.Status != FAIL && cctx.Err() != nil && ctx.Err() == nil {
			res = fail("check that the store/node answers, then run medusa check again",
				"no answer within %s", timeout)
		}
		cancel()
		if res.Name == "" {
			res.Name = c.Name
		}
		rep.Add(res)
		if each != nil {
			each(res)
		}
	}
	return rep
}

// WriteLine writes one result as text: the status, the name, the detail
// and, on the next line, the fix.
func WriteLine(w io.Writer, r Result) error {
	_, err := fmt.Fprintf(w, "%-4s  %-32s %s\n", r.Status, r.Name, oneLine(r.Detail))
	if err == nil && r.Fix != "" {
		_, err = fmt.Fprintf(w, "      %-32s -> %s\n", "", oneLine(r.Fix))
	}
	return err
}

// WriteSummary writes the closing line of the text output.
func (r Report) WriteSummary(w io.Writer) error {
	verdict := "set-up looks right"
	switch {
	case r.Fail > 0:
		verdict = "fix the FAIL lines before relying on backups"
	case r.Warn > 0:
		verdict = "no failures; read the WARN lines"
	}
	_, err := fmt.Fprintf(w, "%d ok, %d warnings, %d failed, %d skipped: %s\n", r.OK, r.Warn, r.Fail, r.Skip, verdict)
	return err
}

// WriteText writes every result and the summary.
func (r Report) WriteText(w io.Writer) error {
	for _, res := range r.Results {
		if err := WriteLine(w, res); err != nil {
			return err
		}
	}
	return r.WriteSummary(w)
}

// WriteJSON writes the report as one indented JSON document.
func (r Report) WriteJSON(w io.Writer) error {
	if r.Results == nil {
		r.Results = []Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
