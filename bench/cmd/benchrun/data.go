package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/medusa-go/medusa/internal/testbed"
)

// dataMarker, in a node's directory, records that its data set is
// complete; without it the directory is recreated.
const dataMarker = "bench-data.json"

// Keyspaces of the large node: half the data in each, two tables per
// keyspace, so that a snapshot of bigHalfKS alone is a backup of half the
// size (the memory-vs-size comparison).
const (
	bigHalfKS  = "bench_a"
	bigOtherKS = "bench_b"
	deltaKS    = "bench_delta" // new data of case 3, dropped at start and end
	manyKS     = "bench_many"
	manyRounds = 10 // flushes of the many-files node: SSTables per table
)

// noCompaction keeps the SSTables as written (no background merges) so
// every tool sees the same files run after run.
const noCompaction = `WITH compaction = {'class': 'SizeTieredCompactionStrategy', 'enabled': 'false'}`

type dataInfo struct {
	Kind    string    `json:"kind"`
	Bytes   int64     `json:"bytes,omitempty"`
	Files   int       `json:"files,omitempty"`
	Created time.Time `json:"created"`
	Took    string    `json:"took"`
}

// startNode starts the cached node of kind "big" or "many" (its data kept
// in $MEDUSA_TESTBED_CACHE/bench), creating its data set when the cache
// has none.
func (b *bench) startNode(ctx context.Context, kind string) (*testbed.Cluster, error) {
	name := fmt.Sprintf("big-%gg", b.s.sizeGiB)
	if kind == "many" {
		name = fmt.Sprintf("many-%d", b.s.files)
	}
	dir := filepath.Join(b.s.cache, name)
	_, err := os.Stat(filepath.Join(dir, dataMarker))
	fresh := err != nil
	if fresh {
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	opts := testbed.CassandraOptions{Dir: dir, Fetch: true, HeapMB: 1024, ExtraYAML: "auto_snapshot: false\n", Logger: b.log}
	// NewCluster + Start rather than StartCluster: its retry on a taken
	// port removes the node directory, which here is the cache.
	c, err := testbed.NewCluster(ctx, opts)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	b.log.Info("starting cassandra", "kind", kind, "dir", dir, "cached_data", !fresh)
	if err := c.Start(ctx); err != nil {
		_ = c.Stop()
		return nil, err
	}
	b.log.Info("cassandra up", "kind", kind, "took", time.Since(began).Round(time.Second))
	if b.cassandraVersion == "" {
		b.cassandraVersion, _ = c.Nodes[0].ReleaseVersion(ctx)
	}
	node := c.Nodes[0]
	if !fresh {
		err = b.resetNode(ctx, node)
	} else {
		err = b.createData(ctx, node, kind, dir)
	}
	if err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

// resetNode removes what an interrupted run may have left: snapshots and
// case 3's keyspace.
func (b *bench) resetNode(ctx context.Context, n *testbed.Node) error {
	if err := cql(ctx, n, "DROP KEYSPACE IF EXISTS "+deltaKS); err != nil {
		return err
	}
	_, err := n.Nodetool(ctx, "clearsnapshot", "--all")
	return err
}

func (b *bench) createData(ctx context.Context, n *testbed.Node, kind, dir string) error {
	began := time.Now()
	info := dataInfo{Kind: kind, Created: began.UTC()}
	var err error
	if kind == "big" {
		info.Bytes = b.s.bigBytes()
		err = loadBig(ctx, b, n, info.Bytes)
	} else {
		info.Files, err = loadMany(ctx, b, n, b.s.files)
	}
	if err != nil {
		return fmt.Errorf("create the %s data set: %w", kind, err)
	}
	info.Took = time.Since(began).Round(time.Second).String()
	data, _ := json.MarshalIndent(info, "", "  ")
	b.log.Info("data set ready", "kind", kind, "took", info.Took)
	return os.WriteFile(filepath.Join(dir, dataMarker), data, 0o644)
}

// cql runs statements on the node.
func cql(ctx context.Context, n *testbed.Node, stmts ...string) error {
	s, err := n.NewSession("")
	if err != nil {
		return err
	}
	defer s.Close()
	for _, q := range stmts {
		if err := s.Query(q).ExecContext(ctx); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// loadBig writes total bytes of incompressible blobs (64-256 KiB) into four
// tables, flushes, and compacts each table into one large SSTable.
func loadBig(ctx context.Context, b *bench, n *testbed.Node, total int64) error {
	stmts := []string{}
	tables := []string{}
	for i, ks := range []string{bigHalfKS, bigHalfKS, bigOtherKS, bigOtherKS} {
		if i%2 == 0 {
			stmts = append(stmts, ksDDL(ks))
		}
		t := fmt.Sprintf("%s.t%d", ks, i)
		tables = append(tables, t)
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (id int PRIMARY KEY, v blob) %s", t, noCompaction))
	}
	if err := cql(ctx, n, stmts...); err != nil {
		return err
	}
	b.log.Info("loading blobs", "bytes", total, "tables", len(tables))
	for _, t := range tables {
		if err := writeBlobs(ctx, n, t, 0, total/int64(len(tables))); err != nil {
			return err
		}
	}
	for _, args := range [][]string{{"flush"}, {"setcompactionthroughput", "0"},
		{"compact", bigHalfKS}, {"compact", bigOtherKS}} {
		b.log.Info("nodetool " + strings.Join(args, " "))
		if _, err := n.Nodetool(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

func ksDDL(ks string) string {
	return "CREATE KEYSPACE IF NOT EXISTS " + ks +
		" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
}

// writeBlobs inserts rows of random 64-256 KiB blobs into table, ids from
// first, until bytes are written; it returns nothing more than an error.
func writeBlobs(ctx context.Context, n *testbed.Node, table string, first int, bytes int64) error {
	s, err := n.NewSession("")
	if err != nil {
		return err
	}
	defer s.Close()
	type item struct{ id, size int }
	items := make(chan item)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(items)
		r := rand.New(rand.NewPCG(uint64(first), 7))
		for id, left := first, bytes; left > 0; id++ {
			size := int(min(left, int64(64<<10+r.IntN(192<<10))))
			select {
			case items <- item{id, size}:
			case <-gctx.Done():
				return gctx.Err()
			}
			left -= int64(size)
		}
		return nil
	})
	q := fmt.Sprintf("INSERT INTO %s (id, v) VALUES (?, ?)", table)
	for w := range 6 {
		g.Go(func() error {
			r := rand.NewChaCha8([32]byte{byte(w), byte(first), byte(first >> 8), 42})
			buf := make([]byte, 256<<10)
			for it := range items {
				_, _ = r.Read(buf[:it.size])
				if err := s.Query(q, it.id, buf[:it.size]).ExecContext(gctx); err != nil {
					return fmt.Errorf("insert into %s: %w", table, err)
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// loadMany creates enough small tables, each flushed manyRounds times,
// for at least files SSTable files, and returns how many there are.
func loadMany(ctx context.Context, b *bench, n *testbed.Node, files int) (int, error) {
	const perSSTable = 8 // Data, Index, Summary, Filter, Statistics, CompressionInfo, Digest, TOC
	tables := (files+perSSTable*manyRounds-1)/(perSSTable*manyRounds) + 2
	stmts := []string{ksDDL(manyKS)}
	for i := range tables {
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.m%04d (k int, c int, v text, PRIMARY KEY (k, c)) %s",
			manyKS, i, noCompaction))
	}
	b.log.Info("creating tables", "tables", tables)
	if err := cql(ctx, n, stmts...); err != nil {
		return 0, err
	}
	s, err := n.NewSession("")
	if err != nil {
		return 0, err
	}
	defer s.Close()
	for round := range manyRounds {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(16)
		for i := range tables {
			g.Go(func() error {
				for row := range 20 {
					q := fmt.Sprintf("INSERT INTO %s.m%04d (k, c, v) VALUES (?, ?, ?)", manyKS, i)
					v := strings.Repeat(fmt.Sprintf("round %d row %d table %d ", round, row, i), 1+row%8)
					if err := s.Query(q, row%5, round*100+row, v).ExecContext(gctx); err != nil {
						return err
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return 0, err
		}
		if _, err := n.Nodetool(ctx, "flush", manyKS); err != nil {
			return 0, err
		}
		b.log.Info("flushed", "round", round+1, "of", manyRounds)
	}
	count, err := countFiles(filepath.Join(n.DataDir, manyKS))
	if err != nil {
		return 0, err
	}
	if count < files {
		return count, fmt.Errorf("%s holds %d files, want at least %d", manyKS, count, files)
	}
	return count, nil
}

// countFiles counts the regular files of the table directories under dir,
// outside snapshots and backups.
func countFiles(dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "snapshots" || d.Name() == "backups") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n, err
}

// addDelta writes bytes of new blobs into a new table of deltaKS and
// flushes it: the new data of one case-3 round.
func addDelta(ctx context.Context, n *testbed.Node, round int, bytes int64) error {
	t := fmt.Sprintf("%s.d%d", deltaKS, round)
	if err := cql(ctx, n, ksDDL(deltaKS),
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (id int PRIMARY KEY, v blob) %s", t, noCompaction)); err != nil {
		return err
	}
	if err := writeBlobs(ctx, n, t, round*1_000_000, bytes); err != nil {
		return err
	}
	_, err := n.Nodetool(ctx, "flush", deltaKS)
	return err
}

var errNoSnapshot = errors.New("snapshot not found")

// snapshotFiles lists the files of snapshot tag (what medusa uploads: no
// system_traces, no manifest.json or schema.cql), with their total size.
func snapshotFiles(dataDir, tag string) ([]snapFile, int64, error) {
	dirs, err := filepath.Glob(filepath.Join(dataDir, "*", "*", "snapshots", tag))
	if err != nil {
		return nil, 0, err
	}
	var files []snapFile
	var total int64
	for _, d := range dirs {
		rel, _ := filepath.Rel(dataDir, d)
		parts := strings.Split(rel, string(filepath.Separator))
		if parts[0] == "system_traces" {
			continue
		}
		err := filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err != nil || !e.Type().IsRegular() || e.Name() == "manifest.json" || e.Name() == "schema.cql" {
				return err
			}
			fi, err := e.Info()
			if err != nil {
				return err
			}
			sub, _ := filepath.Rel(d, p)
			files = append(files, snapFile{path: p, ks: parts[0], table: parts[1], rel: filepath.ToSlash(sub), size: fi.Size()})
			total += fi.Size()
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	if len(files) == 0 {
		return nil, 0, fmt.Errorf("%s under %s: %w", tag, dataDir, errNoSnapshot)
	}
	return files, total, nil
}

// snapFile is one file of a snapshot.
type snapFile struct {
	path, ks, table, rel string
	size                 int64
}
