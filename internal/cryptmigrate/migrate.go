package cryptmigrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/medusa-go/medusa/internal/crypt"
	"github.com/medusa-go/medusa/internal/layout"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/checksum"
)

// Migrator encrypts the plain backups of a prefix (see the package doc).
type Migrator struct {
	// Plain is the storage stack without encryption; Sealed is the same
	// stack wrapped in client-side encryption (crypt.Backend), the key
	// ring's current key sealing new objects.
	Plain, Sealed storage.Backend
	// Prefix is the [storage] prefix.
	Prefix string
	// TempDir holds one temporary file per object being sealed ("": the
	// system's).
	TempDir string
	// Concurrency is the number of objects sealed at once (default 4).
	Concurrency int
	// DryRun lists what a run would do and changes nothing.
	DryRun bool
	Logger *slog.Logger
}

// Summary is what a run did (or, in a dry run, would do).
type Summary struct {
	// AlreadyEncrypted: the prefix's marker said so; nothing was done.
	AlreadyEncrypted bool
	// Backups are the node backups whose manifests were rewritten;
	// Done those an earlier (interrupted) run had rewritten.
	Backups, Done []string
	// Sealed and SealedBytes count the data objects sealed to new keys
	// (each shared pool object once); Shared the manifest entries that
	// named an object another backup had sealed in this run.
	Sealed      int
	SealedBytes int64
	Shared      int
	// Meta counts the meta files sealed in place.
	Meta int
	// Deleted and DeletedBytes count the plain data objects deleted.
	Deleted      int
	DeletedBytes int64
}

// WriteText writes s for a person.
func (s Summary) WriteText(w io.Writer, dryRun bool) error {
	if s.AlreadyEncrypted {
		_, err := fmt.Fprintln(w, "The backups of this prefix are already encrypted: nothing to do.")
		return err
	}
	verb := "Encrypted"
	if dryRun {
		verb = "Would encrypt"
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%s %d node backup(s)", verb, len(s.Backups))
	if len(s.Done) > 0 {
		fmt.Fprintf(&buf, " (%d more were encrypted by an earlier run)", len(s.Done))
	}
	fmt.Fprintf(&buf, ": %d data object(s), %d bytes, sealed to new keys (%d more manifest entries share them), %d meta file(s) sealed in place.\n",
		s.Sealed, s.SealedBytes, s.Shared, s.Meta)
	for _, b := range s.Backups {
		fmt.Fprintf(&buf, "  %s\n", b)
	}
	if dryRun {
		fmt.Fprintf(&buf, "Would delete %d plain data object(s), %d bytes, once no manifest names them. Nothing was changed (--dry-run).\n",
			s.Deleted, s.DeletedBytes)
	} else {
		fmt.Fprintf(&buf, "Deleted %d plain data object(s), %d bytes, that no manifest names any more. The prefix is encrypted.\n",
			s.Deleted, s.DeletedBytes)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func (m *Migrator) log() *slog.Logger {
	if m.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return m.Logger
}

// Run encrypts every plain backup of the prefix, or finishes an
// interrupted run.
func (m *Migrator) Run(ctx context.Context) (Summary, error) {
	var sum Summary
	l := layout.New(m.Prefix)
	prefix := l.KeyPrefix()
	marker, err := crypt.ReadMarker(ctx, m.Plain, prefix)
	switch {
	case errors.Is(err, storage.ErrNotExist):
	case err != nil:
		return sum, err
	case marker.Mode != crypt.ModeClientSide:
		return sum, fmt.Errorf("encryption marker %s records mode %q, which this medusa does not know: %w", crypt.MarkerKey(prefix), marker.Mode, errRefused)
	case !marker.Migrating:
		sum.AlreadyEncrypted = true
		return sum, nil
	default:
		m.log().Info("Resuming the interrupted encryption of the prefix's backups", "marker", crypt.MarkerKey(prefix))
	}
	inv, err := m.list(ctx)
	if err != nil {
		return sum, err
	}
	if err := m.check(inv, marker.Migrating); err != nil {
		return sum, err
	}
	if m.DryRun {
		return m.plan(inv), nil
	}
	if !marker.Migrating {
		if err := crypt.WriteMarker(ctx, m.Plain, prefix, true); err != nil {
			return sum, err
		}
		// A backup that started before the marker was written shows now.
		if inv, err = m.list(ctx); err != nil {
			return sum, err
		}
		if err := m.check(inv, true); err != nil {
			return sum, err
		}
	}
	sealed := map[string]layout.Object{}
	for _, b := range inv.backups {
		for _, s := range b.manifest {
			for _, o := range s.Objects {
				if isTarget(l, b, o.Path) {
					sealed[o.Path] = o
				}
			}
		}
	}
	for _, b := range inv.backups {
		if err := m.backup(ctx, inv, b, sealed, &sum); err != nil {
			return sum, fmt.Errorf("%s: %w (nothing is lost: run encrypt-backups again to finish; until then other commands refuse the prefix)", b, err)
		}
	}
	if err := m.sweep(ctx, inv, &sum); err != nil {
		return sum, fmt.Errorf("%w (nothing is lost: run encrypt-backups again to finish; until then other commands refuse the prefix)", err)
	}
	if err := crypt.WriteMarker(ctx, m.Plain, prefix, false); err != nil {
		return sum, err
	}
	return sum, nil
}

// plan is the Summary of a dry run.
func (m *Migrator) plan(inv *inventory) Summary {
	var sum Summary
	l := layout.New(m.Prefix)
	seen := map[string]bool{}
	for _, b := range inv.backups {
		todo := false
		for _, s := range b.manifest {
			for _, o := range s.Objects {
				if isTarget(l, b, o.Path) {
					continue
				}
				todo = true
				if seen[o.Path] {
					sum.Shared++
					continue
				}
				seen[o.Path] = true
				sum.Sealed++
				sum.SealedBytes += o.Size
			}
		}
		for name, o := range b.meta {
			if crypt.Encrypted(l.KeyPrefix(), o.Key) && name != layout.ManifestFile {
				sum.Meta++
			}
		}
		if todo || len(b.manifest) == 0 {
			sum.Backups = append(sum.Backups, b.String())
		}
	}
	for _, o := range m.garbage(inv, nil) {
		sum.Deleted++
		sum.DeletedBytes += o.Size
	}
	return sum
}

// backup seals b's objects and rewrites its manifest. sealed maps the keys
// sealed so far (named by a rewritten manifest, or sealed in this run) to
// their manifest entries.
func (m *Migrator) backup(ctx context.Context, inv *inventory, b *nodeBackup, sealed map[string]layout.Object, sum *Summary) error {
	l := layout.New(m.Prefix)
	next := make(layout.Manifest, len(b.manifest))
	type job struct {
		from layout.Object
		to   string
	}
	var jobs []job
	queued := map[string]bool{}
	changed := false
	for i, s := range b.manifest {
		next[i] = layout.Section{Keyspace: s.Keyspace, ColumnFamily: s.ColumnFamily, Objects: slices.Clone(s.Objects)}
		for _, o := range s.Objects {
			to, err := targetKey(l, b, s, o.Path)
			if err != nil {
				return err
			}
			if to == o.Path {
				continue
			}
			changed = true
			if _, ok := sealed[to]; ok || queued[to] {
				sum.Shared++
				continue
			}
			queued[to] = true
			jobs = append(jobs, job{from: o, to: to})
		}
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	if m.Concurrency > 0 {
		g.SetLimit(m.Concurrency)
	} else {
		g.SetLimit(4)
	}
	for _, j := range jobs {
		g.Go(func() error {
			o, err := m.seal(gctx, j.from, j.to)
			if err != nil {
				return err
			}
			mu.Lock()
			sealed[j.to] = o
			sum.Sealed++
			sum.SealedBytes += o.Size
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, s := range next {
		for k, o := range s.Objects {
			to, _ := targetKey(l, b, s, o.Path)
			if to != o.Path {
				s.Objects[k] = sealed[to]
			}
		}
	}
	// The meta files that are encrypted, in place: the same content.
	keys := []string{l.IndexSchemaKey(b.name, b.fqdn)}
	for name, o := range b.meta {
		if name != layout.ManifestFile && crypt.Encrypted(l.KeyPrefix(), o.Key) {
			keys = append(keys, o.Key)
		}
	}
	slices.Sort(keys)
	metaSealed := 0
	for _, key := range keys {
		if _, ok := inv.objects[key]; !ok {
			continue
		}
		n, err := m.sealInPlace(ctx, key)
		if err != nil {
			return err
		}
		metaSealed += n
	}
	sum.Meta += metaSealed
	data := layout.MarshalManifest(next)
	if changed {
		if _, err := m.Sealed.Put(ctx, l.ManifestKey(b.fqdn, b.name), bytes.NewReader(data)); err != nil {
			return fmt.Errorf("write the new manifest: %w", err)
		}
	}
	if changed || metaSealed > 0 {
		sum.Backups = append(sum.Backups, b.String())
	} else {
		sum.Done = append(sum.Done, b.String())
	}
	// The index copy follows (it may lag after a crash: compared).
	idx := l.IndexManifestKey(b.name, b.fqdn)
	if _, ok := inv.objects[idx]; ok {
		old, err := storage.ReadAll(ctx, m.Plain, idx)
		if err != nil && !errors.Is(err, storage.ErrNotExist) {
			return fmt.Errorf("read %s: %w", idx, err)
		}
		if err != nil || !bytes.Equal(old, data) {
			if _, err := m.Sealed.Put(ctx, idx, bytes.NewReader(data)); err != nil {
				return fmt.Errorf("write the index copy of the new manifest: %w", err)
			}
		}
	}
	m.log().Info("Encrypted", "backup", b.name, "fqdn", b.fqdn)
	return nil
}

// seal copies the plain object of o to the key to, encrypted, through a
// temporary file (memory stays bounded; retries and multipart uploads
// re-read the file), and returns the manifest entry naming it. The object
// read must have the manifest's size.
func (m *Migrator) seal(ctx context.Context, o layout.Object, to string) (layout.Object, error) {
	f, err := os.CreateTemp(m.TempDir, "medusa-encrypt-*")
	if err != nil {
		return layout.Object{}, fmt.Errorf("temporary file for %s: %w (set --temp-dir to a directory with room for the largest SSTable)", o.Path, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	r, _, err := m.Plain.Get(ctx, o.Path, 0, -1)
	if err != nil {
		return layout.Object{}, fmt.Errorf("read %s: %w", o.Path, err)
	}
	// The content is checked against the manifest's hash on the way (when
	// the store's hashes are content hashes): sealing bytes changed behind
	// a kept size would make them authentic, and no later verify could
	// tell.
	var w io.Writer = f
	var chk *checksum.Checker
	if o.MD5 != nil && checksum.Parse(*o.MD5).IsContent() && checksum.HashesAreContent(m.Plain) {
		chk = checksum.NewChecker(*o.MD5, o.Size, checksum.PartSizeOf(m.Plain, o.Size))
		w = io.MultiWriter(f, chk)
	}
	n, err := io.Copy(w, r)
	r.Close()
	if err != nil {
		return layout.Object{}, fmt.Errorf("read %s into %s: %w", o.Path, f.Name(), err)
	}
	if n != o.Size {
		return layout.Object{}, fmt.Errorf("object %s read %d bytes, its manifest says %d: it changed; nothing of it was encrypted", o.Path, n, o.Size)
	}
	if chk != nil && chk.Verdict() == checksum.Differs {
		return layout.Object{}, fmt.Errorf("object %s does not hold what its manifest names (hash %s, read %s): it changed since the backup; "+
			"nothing of it was encrypted (medusa verify --enable-md5-checks names every such object)", o.Path, *o.MD5, chk.Sum())
	}
	src, err := storage.OpenFileSource(f.Name())
	if err != nil {
		return layout.Object{}, err
	}
	defer src.Close()
	info, err := m.Sealed.Put(ctx, to, src)
	if err != nil {
		return layout.Object{}, fmt.Errorf("write %s (the encrypted copy of %s): %w", to, o.Path, err)
	}
	out := layout.Object{Path: to, Size: o.Size}
	if info.Hash != "" {
		h := info.Hash
		out.MD5 = &h
	}
	return out, nil
}

// sealInPlace encrypts the small object at key under the same key, unless
// it is encrypted already. It returns 1 when it wrote.
func (m *Migrator) sealInPlace(ctx context.Context, key string) (int, error) {
	data, err := storage.ReadAll(ctx, m.Plain, key)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", key, err)
	}
	if crypt.IsSealed(data) {
		return 0, nil
	}
	if _, err := m.Sealed.Put(ctx, key, bytes.NewReader(data)); err != nil {
		return 0, fmt.Errorf("encrypt %s: %w", key, err)
	}
	return 1, nil
}

// garbage returns the plain data objects no manifest names: under the
// pools of the nodes with backups, and under the data directories of the
// backups. named are the keys the manifests name; nil for the plan (after
// the run the manifests name sealed keys only).
func (m *Migrator) garbage(inv *inventory, named map[string]bool) []storage.ObjectInfo {
	l := layout.New(m.Prefix)
	if named == nil {
		// The plan: after the run, the manifests name sealed keys only.
		named = map[string]bool{}
	}
	var out []storage.ObjectInfo
	plainData := func(b *nodeBackup, o storage.ObjectInfo) {
		if !named[o.Key] && !isTarget(l, b, o.Key) {
			out = append(out, o)
		}
	}
	for _, b := range inv.backups {
		for _, o := range b.data {
			plainData(b, o)
		}
	}
	done := map[string]bool{}
	for _, b := range inv.backups {
		if done[b.fqdn] {
			continue
		}
		done[b.fqdn] = true
		for _, o := range inv.pools[b.fqdn] {
			plainData(b, o)
		}
	}
	return out
}

// sweep deletes the plain data objects no manifest names, once every
// manifest names sealed keys only (read again from the store: what is
// deleted must be named by none).
func (m *Migrator) sweep(ctx context.Context, inv *inventory, sum *Summary) error {
	l := layout.New(m.Prefix)
	named := map[string]bool{}
	for _, b := range inv.backups {
		keys := []string{l.ManifestKey(b.fqdn, b.name)}
		if _, ok := inv.objects[l.IndexManifestKey(b.name, b.fqdn)]; ok {
			keys = append(keys, l.IndexManifestKey(b.name, b.fqdn))
		}
		for _, key := range keys {
			data, err := storage.ReadAll(ctx, m.Plain, key)
			if err != nil {
				return fmt.Errorf("%s: read %s again: %w", b, key, err)
			}
			mf, err := layout.UnmarshalManifest(data)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", b, key, err)
			}
			for _, s := range mf {
				for _, o := range s.Objects {
					if !isTarget(l, b, o.Path) {
						return fmt.Errorf("%s: %s still names the plain object %s: nothing was deleted", b, key, o.Path)
					}
					named[o.Path] = true
				}
			}
		}
	}
	var keys []string
	for _, o := range m.garbage(inv, named) {
		keys = append(keys, o.Key)
		sum.Deleted++
		sum.DeletedBytes += o.Size
	}
	if len(keys) == 0 {
		return nil
	}
	m.log().Info("Deleting the plain data objects no manifest names", "objects", len(keys))
	if err := m.Plain.DeleteMany(ctx, keys); err != nil {
		return fmt.Errorf("delete the plain data objects no manifest names: %w", err)
	}
	return nil
}
