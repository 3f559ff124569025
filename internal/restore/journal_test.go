package restore

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestJournalReplay: what a journal records reads back, a torn last line
// (a write cut short) is ignored, a journal without its header counts as
// empty, and a journal held by a live process cannot be opened.
func TestJournalReplay(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, journalName)
	j, err := createJournal(path, header{Backup: "b1", ID: "x", Started: time.Now(), PID: 42})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.intend(entry{Kind: entryAside, From: "/a", To: "/b"}, entry{Kind: entryPlace, From: "/c", To: "/a"}); err != nil {
		t.Fatal(err)
	}
	if err := j.mark(stateStopping); err != nil {
		t.Fatal(err)
	}
	if _, err := openJournal(path); !errors.Is(err, errJournalLocked) {
		t.Fatalf("open while held: %v, want errJournalLocked", err)
	}
	j.close()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"entry":{"kind":"place","fr`); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, err := openJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Header.Backup != "b1" || got.Header.PID != 42 || len(got.Entries) != 2 || !got.has(stateStopping) ||
		got.has(statePlaced) || got.Entries[1].To != "/a" {
		t.Errorf("read back %+v, entries %+v", got.Header, got.Entries)
	}
	// Records appended after the torn line read back.
	if err := got.mark(statePlaced); err != nil {
		t.Fatal(err)
	}
	got.close()
	again, err := openJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.close()
	if !again.has(statePlaced) || len(again.Entries) != 2 {
		t.Errorf("after the torn line: placed %v, %d entries", again.has(statePlaced), len(again.Entries))
	}

	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte(`{"hea`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openJournal(empty); !errors.Is(err, errJournalEmpty) {
		t.Errorf("headerless journal: %v, want errJournalEmpty", err)
	}
}
