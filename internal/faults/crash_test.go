package faults_test

import (
	"slices"
	"strings"
	"syscall"
	"testing"
)

// rerunResumes says whether re-running a killed backup's name resumes it.
// On this branch the re-run is refused ("already exists") and the suite
// accepts that, checking that a backup under a new name then completes.
// Set it to true once re-runs resume (issue 13, item 5): the suite then
// requires the re-run itself to complete and verify.
const rerunResumes = true

// TestKillAndSignals stops medusa with kill -9, SIGINT or SIGTERM at a
// chosen request and checks that nothing partial lists as complete, that
// Cassandra is up and that the next command recovers. A case is one row:
// restore kill points go here too.
func TestKillAndSignals(t *testing.T) {
	backup := func(mode string) func(name string) []string {
		return func(name string) []string { return []string{"backup", "--backup-name", name, "--mode", mode} }
	}
	full, diff := backup("full"), backup("differential")
	purgeINI := map[string]map[string]string{"storage": {"max_backup_count": "1"}}
	cases := []killCase{
		{name: "kill -9 backup (full) during upload", args: full("k-full"),
			at: atPut("the 5th data upload", "/data/", 5), sig: syscall.SIGKILL, check: backupRecovers("k-full", full, false)},
		{name: "kill -9 backup (differential) during upload", args: diff("k-diff"),
			at: atPut("the 5th data upload", "/data/", 5), sig: syscall.SIGKILL, check: backupRecovers("k-diff", diff, false)},
		{name: "kill -9 backup during the manifest write", args: full("k-manifest"),
			at: atPut("the PUT of meta/manifest.json", "/meta/manifest.json", 1), sig: syscall.SIGKILL,
			check: backupRecovers("k-manifest", full, false)},
		{name: "kill -9 backup during the index writes", args: full("k-index"),
			at:  atPut("the first index PUT after the manifest", "/index/backup_index/k-index/manifest_", 1),
			sig: syscall.SIGKILL, check: backupRecovers("k-index", full, true)},
		{name: "kill -9 purge during deletions", extra: purgeINI, setup: backups(full, "p1", "p2", "p3"),
			args: []string{"purge"}, at: atDelete(2), sig: syscall.SIGKILL, check: purgeRecovers("p3")},
		{name: "kill -9 delete-backup during deletions", setup: backups(full, "d1", "d2"),
			args: []string{"delete-backup", "--backup-name", "d1"}, at: atDelete(2), sig: syscall.SIGKILL,
			check: deleteRecovers("d1", "d2")},
		{name: "SIGINT backup during upload", args: full("i-backup"),
			at: atPut("the 5th data upload", "/data/", 5), sig: syscall.SIGINT, check: backupRecovers("i-backup", full, false)},
		{name: "SIGTERM backup during upload", args: diff("t-backup"),
			at: atPut("the 5th data upload", "/data/", 5), sig: syscall.SIGTERM, check: backupRecovers("t-backup", diff, false)},
		{name: "SIGINT verify --enable-md5-checks", setup: backups(full, "v1"),
			args: []string{"verify", "--backup-name", "v1", "--enable-md5-checks"},
			at:   atList("the second listing", 2), sig: syscall.SIGINT,
			check: verifyRecovers("v1")},
		{name: "SIGTERM purge during deletions", extra: purgeINI, setup: backups(full, "q1", "q2", "q3"),
			args: []string{"purge"}, at: atDelete(2), sig: syscall.SIGTERM, check: purgeRecovers("q3")},
	}
	runKillCases(t, "kill", cases)
}

// backups makes a setup that takes these backups.
func backups(args func(string) []string, names ...string) func(e *env) {
	return func(e *env) {
		for _, n := range names {
			e.must(args(n)...)
		}
	}
}

// notListedComplete fails the test if list-backups shows name complete,
// and checks that every backup listed complete verifies. With stored, the
// stop came after the manifest was stored: the backup may then list as
// complete, since it verifies.
func notListedComplete(e *env, name string, stored bool) {
	e.t.Helper()
	if slices.Contains(e.completeVerify(), name) && !stored {
		e.t.Errorf("the interrupted backup %s lists as complete", name)
	}
	st := e.run("status", "--backup-name", name)
	if st.code == 0 && !strings.Contains(st.out, "[Incomplete!]") && !stored {
		e.t.Errorf("status calls the interrupted backup complete: %s", st)
	}
}

// backupRecovers checks a stopped backup: it does not list as complete
// (unless stored: see notListedComplete); its re-run completes it (or,
// until rerunResumes, refuses and a new backup completes).
func backupRecovers(name string, args func(string) []string, stored bool) func(e *env, r result) string {
	return func(e *env, _ result) string {
		t := e.t
		notListedComplete(e, name, stored)
		re := e.run(args(name)...)
		switch {
		case re.code == 0:
			e.must("verify", "--backup-name", name)
			return "not listed complete after the stop; the re-run completed it and it verifies; Cassandra up"
		case stored && strings.Contains(re.out, "already exists and is complete"):
			// Stopped after its manifest was stored: the backup is complete,
			// so the re-run refuses the name, and the backup must verify.
			e.must("verify", "--backup-name", name)
			return "stopped after its manifest was stored: complete and verifying; the re-run says it already " +
				"exists and is complete; Cassandra up"
		case !rerunResumes && strings.Contains(re.out, "already exists"):
			e.must(args(name + "-next")...)
			e.must("verify", "--backup-name", name+"-next")
			notListedComplete(e, name, stored)
			return "not listed complete after the stop (or, stopped after its manifest, complete and verifying); the re-run says \"already exists\" (resume pending); " +
				"a new backup completes and verifies; Cassandra up"
		default:
			t.Errorf("the re-run of the stopped backup failed: %s", re)
			return "re-run failed: " + re.saw()
		}
	}
}

// purgeRecovers checks a stopped purge: what lists complete verifies; the
// next purge completes and keeps only keep.
func purgeRecovers(keep string) func(e *env, r result) string {
	return func(e *env, _ result) string {
		e.completeVerify()
		e.must("purge")
		if got := e.completeVerify(); !slices.Equal(got, []string{keep}) {
			e.t.Errorf("after the re-run of purge, complete backups %v, want [%s]", got, keep)
		}
		return "every backup listed complete verifies after the stop; the next purge completed; the kept backup verifies; Cassandra up"
	}
}

// deleteRecovers checks a stopped delete-backup of name: what lists
// complete verifies; the re-run removes it; keep still verifies.
func deleteRecovers(name, keep string) func(e *env, r result) string {
	return func(e *env, _ result) string {
		e.completeVerify()
		re := e.run("delete-backup", "--backup-name", name)
		if re.code != 0 && !strings.Contains(re.out, "not") {
			e.t.Errorf("the re-run of delete-backup failed: %s", re)
		}
		if got := e.completeVerify(); !slices.Equal(got, []string{keep}) {
			e.t.Errorf("after the re-run of delete-backup, complete backups %v, want [%s]", got, keep)
		}
		return "every backup listed complete verifies after the stop; the re-run removed the backup (" + re.saw() + "); the other verifies"
	}
}

// verifyRecovers checks an interrupted verify: it changed nothing and a
// re-run passes.
func verifyRecovers(name string) func(e *env, r result) string {
	return func(e *env, _ result) string {
		e.must("verify", "--backup-name", name, "--enable-md5-checks")
		return "nothing changed: the re-run of verify passes"
	}
}
