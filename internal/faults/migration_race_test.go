package faults_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/crypt"
	"github.com/medusa-go/medusa/internal/layout"
)

// TestPlainBackupMeetsEncryptMigration: a plain backup checked the prefix
// (no encryption marker) and started uploading; medusa encrypt-backups
// then writes its "in-progress" marker. The backup must not finish: it
// checks the marker again just before its manifest and fails, naming the
// migration, so the migration's sweep can never delete objects that a
// backup it did not see names. (The same check, made before the first
// data upload, stops a backup that begins too late for the migration to
// see it; the unit test TestCheckPrefixRefusal covers both.)
func TestPlainBackupMeetsEncryptMigration(t *testing.T) {
	suite(t)
	const prefix, backup = "migrace", "b1"
	e := newEnv(t, prefix, nil)
	st := newStore(t)
	l := layout.New(prefix)

	// Hold the backup's first data upload until the marker is written.
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	bed.proxy.SetInterceptor(func(r *http.Request) bool {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/"+backup+"/data/") {
			once.Do(func() { close(held) })
			<-release
		}
		return false
	})
	defer bed.proxy.SetInterceptor(nil)
	done := make(chan result, 1)
	go func() { done <- e.run("backup", "--backup-name", backup, "--mode", "full") }()
	select {
	case <-held:
	case r := <-done:
		t.Fatalf("the backup ended before its first data upload: %s", r)
	case <-time.After(runTimeout):
		t.Fatal("the backup never uploaded a data file")
	}
	st.put(crypt.MarkerKey(l.KeyPrefix()), []byte(`{"mode":"client-side","format":1,"migration":"in-progress"}`))
	close(release)
	r := <-done
	t.Logf("plain backup during the migration: %s", r)
	if r.code == 0 {
		t.Fatalf("the plain backup finished while the prefix was being encrypted: %s", r)
	}
	if !strings.Contains(r.out, "plain backup "+backup+" of node "+bed.node.Host+" stopped, unfinished") ||
		!strings.Contains(r.out, "is being encrypted by medusa encrypt-backups") {
		t.Errorf("the failure does not say the prefix is being encrypted: %s", r)
	}
	for _, k := range st.keys(l.KeyPrefix()) {
		if strings.HasSuffix(k, "/"+backup+"/meta/manifest.json") || strings.Contains(k, "finished_") {
			t.Errorf("%s was written: the backup lists as finished", k)
		}
	}
	if n := len(st.keys(l.KeyPrefix() + bed.node.Host + "/" + backup + "/data/")); n == 0 {
		t.Error("no data object was uploaded: the check did not run after the uploads")
	}
}
