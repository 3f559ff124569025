package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/ini.v1"

	"github.com/medusa-go/medusa/internal/app"
	"github.com/medusa-go/medusa/internal/check"
	"github.com/medusa-go/medusa/internal/config"
)

// checkOptions are the flags of `medusa check`.
type checkOptions struct {
	output      string
	tempDir     string
	noCassandra bool
	timeout     time.Duration
}

// newCheckCmd is `medusa check`.
func newCheckCmd(r *root) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check this node's set-up: medusa.ini, credentials, bucket, IAM policy, Cassandra, [ssh]",
		Long: `Check the node's set-up before a backup needs it, one line per check:

  OK    <group/check>   <what was found>
  WARN  <group/check>   <what was found>
                        -> <what to do>
  FAIL  ...

Storage (S3): the credentials in use and where they come from (key_file and
profile, environment, IAM role via instance metadata, web identity) and when
temporary ones expire; the key_file's owner and mode; the bucket (reachable,
region, versioning and Object Lock, public access blocks of the bucket and
the account, bucket policy status, ACL grants to everyone, default
encryption against kms_id/sse_c_key); then a probe under the prefix
(<prefix>/.medusa-check/<fqdn>/...) that writes (single and multipart),
reads, lists, copies, aborts a multipart upload and deletes, each refusal
naming the IAM action the policy lacks. GCS, Azure and local storage get the
key_file check and the write/read/list/delete probe.

Cassandra: cassandra.yaml, CQL (with cql_username if set), nodetool (JMX),
the data directories readable, the temp dir (--temp-dir) with room for the
node's largest backup. [ssh] (when the file has that section): the key or
agent, the key_file's mode, known_hosts.

Nothing secret is printed: access keys show their last four characters.
See docs/check.md.

Exit codes: 0 no check failed (warnings allowed); 1 at least one check
failed; 2 usage error or a medusa.ini that cannot be loaded (its FAIL line
is still printed); 130 interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.output != "text" && o.output != "json" {
				return usageError{fmt.Errorf("--output %q: want text or json", o.output)}
			}
			return r.runCheck(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.output, "output", "text", "text or json")
	f.StringVar(&o.tempDir, "temp-dir", "", "directory a restore downloads to (default: $TMPDIR or /tmp)")
	f.BoolVar(&o.noCassandra, "no-cassandra", false, "skip the Cassandra checks (a host without a node)")
	f.DurationVar(&o.timeout, "timeout", check.DefaultTimeout, "bound on each check")
	return cmd
}

func (r *root) runCheck(ctx context.Context, out io.Writer, o checkOptions) error {
	var each func(check.Result)
	if o.output == "text" {
		each = func(res check.Result) { _ = check.WriteLine(out, res) }
	}
	cfg, warnings, err := config.Load(ctx, r.g.configFile, r.overrides(), r.env.Getenv)
	cfgCheck := configResult(r.g.configFile, cfg, warnings, err)
	if err != nil {
		rep := check.Run(ctx, []check.Check{cfgCheck}, o.timeout, each)
		if werr := r.finishCheck(out, o, rep); werr != nil {
			return werr
		}
		return exitStatus(2)
	}
	a := app.New(cfg, r.logger)
	tempDir := o.tempDir
	if tempDir == "" {
		tempDir = r.env.Getenv("TMPDIR")
	}
	checks, done := a.Checks(ctx, app.CheckOptions{TempDir: tempDir, NoCassandra: o.noCassandra, SSH: hasSection(r.g.configFile, "ssh")})
	defer done()
	rep := check.Run(ctx, append([]check.Check{cfgCheck}, checks...), o.timeout, each)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := r.finishCheck(out, o, rep); err != nil {
		return err
	}
	if rep.Failed() {
		return exitStatus(1)
	}
	return nil
}

func (r *root) finishCheck(out io.Writer, o checkOptions, rep check.Report) error {
	if o.output == "json" {
		return rep.WriteJSON(out)
	}
	return rep.WriteSummary(out)
}

// configResult is the first check: medusa.ini loaded and valid.
func configResult(file string, cfg *config.Config, warnings []config.Warning, err error) check.Check {
	return check.Check{Name: "config/medusa.ini", Run: func(context.Context) check.Result {
		if err != nil {
			return check.Result{Status: check.FAIL, Detail: err.Error(),
				Fix: "fix medusa.ini as the lines say (medusa config shows the effective settings)"}
		}
		st := cfg.Storage
		detail := fmt.Sprintf("%s: storage_provider %s, bucket %q, prefix %q, fqdn %s", file, st.StorageProvider, st.BucketName, st.Prefix, st.FQDN)
		if len(warnings) > 0 {
			ws := make([]string, len(warnings))
			for i, w := range warnings {
				ws[i] = w.String()
			}
			return check.Result{Status: check.WARN, Detail: detail + "; " + strings.Join(ws, "; "),
				Fix: "remove or correct the keys the warnings name"}
		}
		return check.Result{Status: check.OK, Detail: detail}
	}}
}

// hasSection reports whether the ini file has [name] (section names are
// case-sensitive in medusa.ini, as in Python's configparser).
func hasSection(file, name string) bool {
	f, err := ini.LoadSources(ini.LoadOptions{Loose: true, Insensitive: false, IgnoreInlineComment: true, AllowBooleanKeys: true}, file)
	if err != nil {
		return false
	}
	_, err = f.GetSection(name)
	return err == nil
}
