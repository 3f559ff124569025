package catalog

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/medusa-go/medusa/internal/layout"
)

// VerifyResult is what Verify found.
type VerifyResult struct {
	Backup string
	// Complete is false when a node backup is unfinished or missing; the
	// manifests are then not checked.
	Complete bool
	// Incomplete are the unfinished node backups; Missing the fqdns of the
	// nodes without a backup.
	Incomplete []IncompleteNode
	Missing    []string
	// Errors are the failure lines, as printed: "  - [<path>] Doesn't exists",
	// "  - [<path>] Blob different", "  - [<key>] exists in storage, but not
	// in manifest".
	Errors []string
	// Warnings are the *-Summary.db mismatches and the objects whose
	// store hash changed since the backup while their content cannot be
	// checked (SSE-KMS/SSE-C, an unknown multipart part size); they do not
	// fail.
	Warnings []string
	// Notes are the objects whose store hash changed since the backup but
	// whose content was downloaded and matches the manifest (re-uploaded
	// with the same bytes, e.g. with another multipart chunk size).
	Notes []string
	// Deep is the content pass of VerifyDeep; nil for Verify.
	Deep *DeepReport
}

// IncompleteNode is a node backup that started and did not finish.
type IncompleteNode struct {
	FQDN    string
	Started int64 // epoch seconds
}

// OK reports whether the backup is complete and every manifest matched.
func (r VerifyResult) OK() bool {
	return r.Complete && len(r.Errors) == 0 && (r.Deep == nil || len(r.Deep.Errors) == 0)
}

// WriteText writes Medusa's verify text:
//
//	Validating <name> ...
//	- Completion: OK!                 or  - Completion: Not complete!
//	                                      (then per node "  - [<fqdn>] Backup started at <epoch>, but not finished yet"
//	                                       or "  - [<fqdn>] Backup missing", and nothing more)
//	- Manifest validated: OK!!        or  - Manifest validation: Failed!  (then the error lines)
//
// and after a deep verify (Deep set, backup complete) the lines
// "- Content read: <n> of <m> objects [(<pct>% sample, seed <seed>)], <size>",
// then "- Content validated: OK!!" or "- Content validation: Failed!" and
// the content's error lines.
func (r VerifyResult) WriteText(out io.Writer) error {
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "Validating %s ...\n", r.Backup)
	if !r.Complete {
		w.WriteString("- Completion: Not complete!\n")
		for _, n := range r.Incomplete {
			fmt.Fprintf(w, "  - [%s] Backup started at %d, but not finished yet\n", n.FQDN, n.Started)
		}
		for _, fqdn := range r.Missing {
			fmt.Fprintf(w, "  - [%s] Backup missing\n", fqdn)
		}
		return w.Flush()
	}
	w.WriteString("- Completion: OK!\n")
	if len(r.Errors) == 0 {
		w.WriteString("- Manifest validated: OK!!\n")
	} else {
		w.WriteString("- Manifest validation: Failed!\n")
		for _, e := range r.Errors {
			fmt.Fprintln(w, e)
		}
	}
	if d := r.Deep; d != nil {
		d.writeText(w)
	}
	return w.Flush()
}

// Verify checks the cluster backup backup like Medusa's verify; the
// result's WriteText prints Medusa's text.
//
// For each node backup it lists the data path (the pool P<fqdn>/data/ for
// differential backups, P<fqdn>/<backup>/data/ for full ones) once and
// compares it with meta/manifest.json: *-Statistics.db files are ignored
// (Cassandra rewrites them); a missing object is an error; a size
// mismatch, or with md5 a content mismatch, is an error except for
// *-Summary.db files, which are only warned about. Hashes compare as
// package checksum says (hex or base64, quotes and case ignored); an empty
// listed hash (local storage) or a null MD5 in the manifest means size
// only. A listed hash that differs from the manifest's is no verdict by
// itself: the object is downloaded and its content compared with the
// manifest's hash (see matchesManifest). Full backups also report objects
// in storage that the manifest does not name.
//
// Differences from Medusa: an unreadable manifest is an error line
// ("  - [<manifest key>] Unable to read manifest: ...") where Medusa only
// logged it and passed; the extra objects are listed sorted; an object
// re-uploaded with the same bytes (another multipart chunk size, so another
// ETag) is fine where Medusa reported it different. An unknown backup gives
// an error wrapping layout.ErrBackupNotFound.
func (c *Catalog) Verify(ctx context.Context, backup string, md5 bool) (VerifyResult, error) {
	cb, err := c.ClusterBackup(ctx, backup)
	if err != nil {
		return VerifyResult{Backup: backup}, err
	}
	res := VerifyResult{Backup: cb.Name, Complete: cb.IsComplete(), Missing: cb.MissingNodes()}
	if !res.Complete {
		for _, n := range cb.IncompleteNodes() {
			res.Incomplete = append(res.Incomplete, IncompleteNode{FQDN: n.FQDN, Started: *n.Started})
		}
		return res, nil
	}
	_, err = c.verifyNodes(ctx, cb, md5, &res)
	return res, err
}

// verifyNodes runs verifyNode on every node backup of cb, adds the lines
// found to res and returns the objects stored with their manifest's size,
// in node order.
func (c *Catalog) verifyNodes(ctx context.Context, cb layout.ClusterBackup, md5 bool, res *VerifyResult) ([]contentItem, error) {
	type nodeResult struct {
		errors, warnings, notes []string
		present                 []contentItem
	}
	results := make([]nodeResult, len(cb.Nodes))
	err := forEach(ctx, len(cb.Nodes), c.Concurrency, func(ctx context.Context, i int) error {
		errs, warns, notes, present, err := c.verifyNode(ctx, cb.Nodes[i], md5)
		results[i] = nodeResult{errs, warns, notes, present}
		return err
	})
	if err != nil {
		return nil, err
	}
	var present []contentItem
	for _, r := range results {
		res.Errors = append(res.Errors, r.errors...)
		res.Warnings = append(res.Warnings, r.warnings...)
		res.Notes = append(res.Notes, r.notes...)
		present = append(present, r.present...)
	}
	return present, nil
}

// verifyNode compares the data of one node backup with its manifest. It
// also returns the objects that are stored with the manifest's size and
// were not found different (what a deep verify reads).
func (c *Catalog) verifyNode(ctx context.Context, n layout.NodeBackup, md5 bool) (
	errs, warns, notes []string, present []contentItem, err error) {
	l := c.layout()
	manifestKey := l.ManifestKey(n.FQDN, n.Name)
	m, err := c.manifestAt(ctx, manifestKey)
	if err != nil {
		if ctx.Err() != nil || !isContentProblem(err) {
			return nil, nil, nil, nil, err
		}
		c.log().Error("Unable to read manifest from storage", "key", manifestKey, "error", err)
		return []string{fmt.Sprintf("  - [%s] Unable to read manifest: %v", manifestKey, err)}, nil, nil, nil, nil
	}
	inStorage, err := c.listData(ctx, n)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("verify %s of %s: %w", n.Name, n.FQDN, err)
	}
	inManifest := map[string]bool{}
	for _, s := range m {
		for _, o := range s.Objects {
			if unchecked(o.Path) {
				continue
			}
			inManifest[o.Path] = true
			blob, ok := inStorage[o.Path]
			if !ok {
				errs = append(errs, fmt.Sprintf("  - [%s] Doesn't exists", o.Path))
				continue
			}
			bc, err := c.matchesManifest(ctx, blob, o, md5)
			switch {
			case err != nil:
				return nil, nil, nil, nil, fmt.Errorf("verify %s of %s: %w", n.Name, n.FQDN, err)
			case bc.unchecked:
				c.log().Warn(bc.note)
				warns = append(warns, bc.note)
			case bc.note != "":
				c.log().Info(bc.note)
				notes = append(notes, bc.note)
			}
			if bc.ok {
				present = append(present, contentItem{path: o.Path, want: recorded(o.MD5), size: o.Size})
				continue
			}
			if mayBeRebuilt(blob.Key) {
				msg := fmt.Sprintf("Blob [%s] mismatches manifest. It's a Summary.db file which might be re-written "+
					"once Cassandra rebuilds index summaries. Therefore we are not causing this mismatch to fail "+
					"the verification. Cassandra will (re-)write this file during bootstrap if needed.", blob.Key)
				c.log().Warn(msg)
				warns = append(warns, msg)
				continue
			}
			c.log().Error(fmt.Sprintf("Expected %s (size %d, MD5 %s) but got size %d, hash %s",
				o.Path, o.Size, deref(o.MD5), blob.Size, blob.Hash))
			errs = append(errs, fmt.Sprintf("  - [%s] Blob different", o.Path))
		}
	}
	if !n.Differential {
		var extra []string
		for k := range inStorage {
			if !inManifest[k] {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		for _, k := range extra {
			errs = append(errs, fmt.Sprintf("  - [%s] exists in storage, but not in manifest", k))
		}
	}
	return errs, warns, notes, present, nil
}

func deref(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// recorded is the manifest's hash of an object, "" for null.
func recorded(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
