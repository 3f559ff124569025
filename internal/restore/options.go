package restore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/clock"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/progress"
	"github.com/medusa-go/medusa/internal/storage"
)

// Options describe one restore of the local node.
type Options struct {
	// Backup is the backup name; FQDN the node whose backup is restored
	// ([storage] fqdn, or --fqdn to act as another node). With
	// UseSSTableLoader it may list several nodes separated by commas.
	Backup string
	FQDN   string
	Prefix string
	// InPlace restores onto the node that was backed up (system.local and
	// peers included); otherwise the restore is remote: the node takes the
	// backed-up tokens (cassandra.yaml) and keeps its own system.local and
	// peers tables.
	InPlace bool
	// KeepAuth leaves system_auth untouched (remote restores only).
	KeepAuth bool
	// Seeds: before starting Cassandra, wait until one of them is up.
	Seeds []string
	// Verify runs the [checks] verification after the node is up.
	Verify bool
	Checks Checks
	// Keyspaces and Tables ("ks.table") select what is restored; the
	// system keyspaces are always included, as in Medusa.
	Keyspaces []string
	Tables    []string
	// UseSSTableLoader streams the backup into the running node with
	// sstableloader instead of replacing its files.
	UseSSTableLoader bool
	// Schema says what a UseSSTableLoader restore does with the schema
	// before loading (default SchemaCreate).
	Schema SchemaMode
	// Truncate empties the selected tables that exist before loading
	// (UseSSTableLoader, with SchemaCreate or SchemaOnly).
	Truncate bool
	// TempDir receives the download (default os.TempDir()).
	TempDir string
	// DryRun prints the plan and changes nothing.
	DryRun bool
	// Concurrency is the number of files downloaded at once
	// (concurrent_transfers, default 1).
	Concurrency int
	// ManageCassandra stops and starts the node (false in Kubernetes mode,
	// where the operator does).
	ManageCassandra bool
	// RequireDown, without ManageCassandra: Cassandra must not be running
	// (a Kubernetes init container runs before it); the stop stage checks
	// once that its ports are closed and no other process holds files in
	// its directories, and fails before anything changes otherwise.
	RequireDown bool
	// SkipContentHash disables refusals for downloaded content that does
	// not match the manifest's hash, for stores whose hashes are not
	// content MD5s (SSE-C, SSE-KMS). Sizes are still checked.
	SkipContentHash bool
	// Node are the local node's directories and configuration file.
	Node NodePaths
	// Waits are the polling schedules (zero values: Medusa's).
	Waits Waits
	// ID names this run's scratch and aside directories (default random).
	ID string
	// Gate, when set, is called before the stop stage (GateStop) and
	// before the start stage (GateStart) and holds the restore there; see
	// FileGate. Not used with UseSSTableLoader.
	Gate func(ctx context.Context, step string) error
	// PITR, when set, makes this a point-in-time restore (see PITR);
	// Backup may then be empty (the planner chooses the base).
	PITR *PITR
}

// Checks is the [checks] verification run with Verify.
type Checks struct {
	Query          string
	ExpectedRows   int    // 0: not checked
	ExpectedResult string // "": not checked; else the first row's columns joined with ","
}

// NodePaths are the local node's directories (cassandra.yaml).
type NodePaths struct {
	DataDir        string
	CommitlogDir   string
	SavedCachesDir string
	ConfigFile     string
	// HintsDir is hints_directory: a point-in-time restore empties it
	// (hints hold writes from after the target).
	HintsDir string `json:",omitempty"`
}

// Backoff is a polling schedule: Attempts checks, waiting Initial after
// the first, doubling up to Max.
type Backoff = clock.Backoff

// Waits are how long the restore waits for the node and its seeds.
type Waits struct {
	// Down: after stop_cmd, until the ports are closed and no process holds
	// files in the data directories (default 8 checks, 5 s to 2 min apart).
	Down Backoff
	// Up: after start_cmd, until the health check passes and CQL accepts
	// connections (default 8 checks, 5 s to 2 min apart).
	Up Backoff
	// SeedInterval and SeedAttempts: --seeds polling (Medusa: every 60 s,
	// 60 times).
	SeedInterval time.Duration
	SeedAttempts int
}

func (w *Waits) setDefaults() {
	def := Backoff{Attempts: 8, Initial: 5 * time.Second, Max: 2 * time.Minute}
	for _, b := range []*Backoff{&w.Down, &w.Up} {
		if b.Attempts <= 0 {
			b.Attempts = def.Attempts
		}
		if b.Initial <= 0 {
			b.Initial = def.Initial
		}
		if b.Max <= 0 {
			b.Max = def.Max
		}
	}
	if w.SeedInterval <= 0 {
		w.SeedInterval = time.Minute
	}
	if w.SeedAttempts <= 0 {
		w.SeedAttempts = 60
	}
}

// Node controls and observes the local Cassandra node.
type Node interface {
	// Up reports whether the node passes the [checks] health check and
	// accepts CQL connections.
	Up(ctx context.Context) bool
	// Down reports whether the node is fully stopped; when not, why.
	Down(ctx context.Context) (bool, string)
	// SeedUp reports whether the seed at host passes the health check.
	SeedUp(ctx context.Context, host string) bool
	// Drain flushes every memtable (nodetool drain).
	Drain(ctx context.Context) error
	// Stop and Start run stop_cmd and start_cmd.
	Stop(ctx context.Context) error
	Start(ctx context.Context) error
	// Query runs a CQL statement and returns its row count and first row,
	// each column as Python's str() renders it.
	Query(ctx context.Context, stmt string) (rows int, first []string, err error)
}

// SchemaMode is what a restore with sstableloader does with the schema.
type SchemaMode int

const (
	// SchemaCreate (the default) creates what the selection needs and the
	// cluster lacks from the backup's schema, replaying dropped columns,
	// then loads (see cassandra.PlanSchema: nothing is dropped, existing
	// tables are kept). Harmless to repeat, but run it on one node at a
	// time: two nodes creating the same table at once can give it two ids.
	SchemaCreate SchemaMode = iota
	// SchemaSkip loads without looking at the schema: for the targets of a
	// cluster restore whose schema was created once beforehand.
	SchemaSkip
	// SchemaOnly creates the schema (and truncates with Truncate) and loads
	// nothing: the cluster restore's schema step, run on one node.
	SchemaOnly
)

// SchemaCreator creates the selected part of a backup's schema in the
// cluster (cassandra.Session.RecreateSchema over a session to the local
// node).
type SchemaCreator interface {
	RecreateSchema(ctx context.Context, script string, dropped []layout.DroppedColumn,
		sel cassandra.SchemaSelection) (cassandra.SchemaResult, error)
}

// Loader streams one downloaded table directory into the cluster.
type Loader interface {
	Load(ctx context.Context, dir string) error
}

// Deps are the restore's collaborators.
type Deps struct {
	Storage storage.Backend
	Node    Node
	Loader  Loader // only for UseSSTableLoader
	// Schema creates the backup's schema (UseSSTableLoader unless
	// SchemaSkip).
	Schema SchemaCreator
	FS     FS // default DirectFS
	Logger *slog.Logger
	// Progress receives download and check progress (default: discarded).
	Progress progress.Reporter
	// Now and Sleep are the clock (defaults: time.Now, a timer).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Space reports the free bytes and the device of the file system
	// holding path (default: statfs).
	Space func(path string) (free uint64, dev uint64, err error)

	// beforeJournalWrite, when set, runs before each journal write (tests
	// crash there).
	beforeJournalWrite func()
}

func (d *Deps) setDefaults() {
	if d.FS == nil {
		d.FS = DirectFS{}
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Progress == nil {
		d.Progress = progress.Discard
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Sleep == nil {
		d.Sleep = clock.Sleep
	}
	if d.Space == nil {
		d.Space = statfs
	}
}

// ErrNothingToRestore: the filters selected no table (Medusa exits 0).
var ErrNothingToRestore = errors.New("there is nothing to restore")

func (o *Options) validate(d *Deps) error {
	if o.PITR == nil || o.Backup != "" {
		if err := layout.ValidateBackupName(o.Backup); err != nil {
			return err
		}
	}
	if err := o.validatePITR(); err != nil {
		return err
	}
	if o.InPlace && o.KeepAuth {
		return errors.New("cannot keep system_auth when restoring in place (--keep-auth needs --remote): it would be overwritten")
	}
	for _, f := range o.fqdns() {
		if err := layout.ValidateFQDN(f); err != nil {
			return err
		}
	}
	if len(o.fqdns()) > 1 && !o.UseSSTableLoader {
		return fmt.Errorf("fqdn %q names several nodes: only --use-sstableloader restores several nodes' backups", o.FQDN)
	}
	for _, t := range o.Tables {
		if ks, tb, ok := strings.Cut(t, "."); !ok || ks == "" || tb == "" {
			return fmt.Errorf("--table %q: use <keyspace>.<table>", t)
		}
	}
	if d.Storage == nil {
		return errors.New("restore: no storage")
	}
	if d.Node == nil && !o.DryRun {
		return errors.New("restore: no Cassandra node")
	}
	if o.UseSSTableLoader && d.Loader == nil {
		return errors.New("restore: --use-sstableloader needs sstableloader ([cassandra] sstableloader_bin)")
	}
	if !o.UseSSTableLoader && (o.Schema != SchemaCreate || o.Truncate) {
		return errors.New("--skip-schema, --schema-only and --truncate go with --use-sstableloader")
	}
	if o.UseSSTableLoader && o.Schema == SchemaSkip && o.Truncate {
		return errors.New("--truncate needs the schema step: it cannot go with --skip-schema")
	}
	if o.UseSSTableLoader && o.Schema != SchemaSkip && d.Schema == nil && !o.DryRun {
		return errors.New("restore: --use-sstableloader needs a CQL session to create the schema")
	}
	if !o.UseSSTableLoader && o.Node.DataDir == "" {
		return errors.New("restore: the data directory is unknown (cassandra.yaml data_file_directories)")
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	abs, err := filepath.Abs(o.TempDir)
	if err != nil {
		return err
	}
	o.TempDir = abs
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	if o.ID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.ID = hex.EncodeToString(b[:])
	}
	o.Waits.setDefaults()
	return nil
}

// fqdns splits FQDN on commas.
func (o *Options) fqdns() []string {
	var out []string
	for _, f := range strings.Split(o.FQDN, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return []string{""}
	}
	return out
}
