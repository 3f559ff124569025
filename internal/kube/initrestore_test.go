package kube

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestInitRestoreInPlace is the init container of an in-place
// MedusaRestoreJob: the pod's backup is restored onto the stopped node,
// the key recorded, and the node starts with the backed-up rows (the rows
// written later are gone, commit log included). A second start of the pod
// with the same key changes nothing.
func TestInitRestoreInPlace(t *testing.T) {
	b := newIRBed(t)
	b.backup("ir-inplace", "")
	backed := b.checksums()
	b.change()
	if changed := b.checksums(); changed["fx_shop.users"] == backed["fx_shop.users"] {
		t.Fatal("the change did not change fx_shop.users")
	}
	changed := b.checksums()

	const key = "0b6f7f8e-1c9a-4c55-9d55-3f1d6c1f2a01"
	vars := map[string]string{"BACKUP_NAME": "ir-inplace", "RESTORE_KEY": key}
	// Cassandra still runs: the restore refuses before touching anything.
	out, code := b.initRestore(vars)
	if code != 1 || !strings.Contains(out, "seems to be running") || b.lastKey() != "" {
		t.Fatalf("init-restore beside a running node: exit %d, .last-restore %q:\n%s", code, b.lastKey(), out)
	}
	sameSums(t, "after the refused restore", b.checksums(), changed)
	b.noLeftovers()
	b.stop()

	// A damaged object fails the check stage: nothing is touched, no key
	// is recorded, the pod's next start tries again.
	obj := b.dataObject("ir-inplace")
	good, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	bad := slices.Clone(good)
	bad[len(bad)/2] ^= 0xff
	if err := os.WriteFile(obj, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	stopped := b.tree()
	out, code = b.initRestore(vars)
	if code != 1 || b.lastKey() != "" {
		t.Fatalf("init-restore of a damaged backup: exit %d, .last-restore %q:\n%s", code, b.lastKey(), out)
	}
	sameTree(t, "failed init-restore", stopped, b.tree())
	b.noLeftovers()
	if err := os.WriteFile(obj, good, 0o644); err != nil {
		t.Fatal(err)
	}

	// Killed (SIGKILL, as an OOM kill) while placing the files: no key is
	// recorded, and the next run first rolls the interrupted restore back.
	killed := maps.Clone(vars)
	killed["MEDUSA_FAULT_KILL"] = "place:3"
	if out, code = b.initRestore(killed); code != -1 || b.lastKey() != "" {
		t.Fatalf("init-restore killed while placing: exit %d, .last-restore %q:\n%s", code, b.lastKey(), out)
	}

	out, code = b.initRestore(vars)
	if !strings.Contains(out, "Recovery: ") {
		t.Errorf("the interrupted restore was not recovered first:\n%s", out)
	}
	if code != 0 || !strings.Contains(out, "Finished restore of backup ir-inplace") {
		t.Fatalf("init-restore exited %d:\n%s", code, out)
	}
	if got := b.lastKey(); got != key+"\n" {
		t.Fatalf(".last-restore = %q, want %q", got, key+"\n")
	}
	b.noLeftovers()
	if segs, _ := os.ReadDir(b.n.CommitlogDir); len(segs) != 0 {
		t.Errorf("commit log not cleared: %d entries", len(segs))
	}

	// The pod starts again later (same template): nothing is touched.
	before := b.tree()
	tmpBefore, _ := os.ReadDir(b.tmp)
	out, code = b.initRestore(vars)
	if code != 0 || !strings.Contains(out, "already done") || strings.Contains(out, "Downloading") {
		t.Fatalf("second init-restore exited %d:\n%s", code, out)
	}
	sameTree(t, "second init-restore", before, b.tree())
	if tmpAfter, _ := os.ReadDir(b.tmp); len(tmpAfter) != len(tmpBefore) {
		t.Errorf("MEDUSA_TMP_DIR changed: %v -> %v", tmpBefore, tmpAfter)
	}

	b.start()
	sameSums(t, "after the in-place restore", b.checksums(), backed)
}

// TestInitRestoreRemote is the init container of a MedusaRestoreJob that
// is not in place: the mapping names the backed-up node this pod becomes
// ("127.0.0.1", a backup of the shared node under that name, whose token
// map holds it), cassandra.yaml gets its tokens and auto_bootstrap: false,
// and the node starts with its rows. cassandra.yaml is put back at the end.
func TestInitRestoreRemote(t *testing.T) {
	b := newIRBed(t)
	const source = "127.0.0.1"
	b.backup("ir-remote", source)
	backed := b.checksums()
	tokens := b.tokens()
	yaml, err := os.ReadFile(b.n.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	b.change()
	b.stop()
	t.Cleanup(func() { // runs before the node is started again
		if err := os.WriteFile(b.n.ConfigFile, yaml, 0o644); err != nil {
			t.Errorf("put cassandra.yaml back: %v", err)
		}
	})

	const key = "5d1c2a3b-7e8f-4a6b-9c0d-1e2f3a4b5c6d"
	mapping := fmt.Sprintf(`{"in_place": false, "host_map": {%q: {"source": [%q], "seed": false}, `+
		`"kube-dc1-default-sts-1": {"source": ["other-sts-1"], "seed": false}}}`, irPod, source)
	out, code := b.initRestore(map[string]string{"BACKUP_NAME": "ir-remote", "RESTORE_KEY": key, "RESTORE_MAPPING": mapping})
	if code != 0 || !strings.Contains(out, "restoring backup ir-remote of node 127.0.0.1 onto pod "+irPod) {
		t.Fatalf("init-restore exited %d:\n%s", code, out)
	}
	if got := b.lastKey(); got != key+"\n" {
		t.Fatalf(".last-restore = %q", got)
	}
	edited, err := os.ReadFile(b.n.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	var initial []string
	for _, line := range strings.Split(string(edited), "\n") {
		if v, ok := strings.CutPrefix(line, "initial_token: "); ok {
			initial = strings.Split(v, ",")
		}
	}
	slices.Sort(initial)
	if !slices.Equal(initial, tokens) || !strings.Contains(string(edited), fmt.Sprintf("\nnum_tokens: %d\n", len(tokens))) ||
		!strings.Contains(string(edited), "\nauto_bootstrap: false\n") {
		t.Fatalf("cassandra.yaml: initial_token %v (want %v), content:\n%s", initial, tokens, edited)
	}
	if !strings.Contains(string(edited), "cluster_name:") || len(edited) < len(yaml) {
		t.Errorf("cassandra.yaml lost content:\n%s", edited)
	}
	b.noLeftovers()

	b.start()
	sameSums(t, "after the remote restore", b.checksums(), backed)
}

// TestInitRestoreSkips: the init container of a pod absent from the
// mapping (a scale-up after the restore), or of a backup that is not in
// the bucket, succeeds without touching the node and records the key; a
// mapping that is not JSON fails (exit 2) and records nothing. The node
// keeps running: none of these reaches the restore.
func TestInitRestoreSkips(t *testing.T) {
	b := newIRBed(t)
	before := b.tree()

	bad := map[string]string{"BACKUP_NAME": "ir-any", "RESTORE_KEY": "k-bad", "RESTORE_MAPPING": `{"in_place": false,`}
	if out, code := b.initRestore(bad); code != 2 || !strings.Contains(out, "RESTORE_MAPPING: not a JSON restore mapping") ||
		b.lastKey() != "" {
		t.Fatalf("bad mapping: exit %d, .last-restore %q:\n%s", code, b.lastKey(), out)
	}

	absent := map[string]string{"BACKUP_NAME": "ir-any", "RESTORE_KEY": "k-absent",
		"RESTORE_MAPPING": `{"in_place": false, "host_map": {"kube-dc1-default-sts-5": {"source": ["old-sts-0"], "seed": false}}}`}
	if out, code := b.initRestore(absent); code != 0 || !strings.Contains(out, "pod "+irPod+" is not in RESTORE_MAPPING") ||
		b.lastKey() != "k-absent\n" {
		t.Fatalf("pod absent: exit %d, .last-restore %q:\n%s", code, b.lastKey(), out)
	}

	missing := map[string]string{"BACKUP_NAME": "ir-never-taken", "RESTORE_KEY": "k-missing"}
	if out, code := b.initRestore(missing); code != 0 || !strings.Contains(out, "Skipped restore of missing backup ir-never-taken") ||
		b.lastKey() != "k-missing\n" {
		t.Fatalf("backup missing: exit %d, .last-restore %q:\n%s", code, b.lastKey(), out)
	}
	if entries, _ := os.ReadDir(b.tmp); len(entries) != 0 {
		t.Errorf("MEDUSA_TMP_DIR holds %v", entries)
	}
	after := b.tree()
	for p, v := range before {
		if strings.Contains(p, "/fx_") && after[p] != v {
			t.Errorf("%s changed", p)
		}
	}
}
