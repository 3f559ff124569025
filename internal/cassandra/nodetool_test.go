package cassandra

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestNodetoolCommand(t *testing.T) {
	t.Parallel()
	o := NodetoolOptions{
		Executable: "/opt/nodetool", Flags: []string{"-Dcom.sun.jndi.rmiURLParsing=legacy"}, SSL: true,
		Username: "admin", Password: "s3cret", PasswordFile: "/etc/pw", Host: "10.0.0.1", Port: 7199,
	}
	want := []string{"/opt/nodetool", "-Dcom.sun.jndi.rmiURLParsing=legacy", "--ssl", "-u", "admin", "-pw", "s3cret",
		"-pwf", "/etc/pw", "-h", "10.0.0.1", "-p", "7199", "snapshot", "-t", "medusa-b1"}
	if got := o.Command("snapshot", "-t", "medusa-b1"); !reflect.DeepEqual(got, want) {
		t.Fatalf("Command = %q\nwant      %q", got, want)
	}
	if r := o.Redacted("status"); strings.Contains(r, "s3cret") || !strings.Contains(r, "-pw <redacted>") {
		t.Fatalf("Redacted = %q", r)
	}
	if got := (NodetoolOptions{}).Command("status"); !reflect.DeepEqual(got, []string{"nodetool", "status"}) {
		t.Fatalf("default Command = %q", got)
	}
}

func TestNodetoolRunErrorHidesPassword(t *testing.T) {
	t.Parallel()
	script := filepath.Join(t.TempDir(), "nodetool")
	body := "#!/bin/sh\necho \"nodetool: Failed to connect\" >&2\nexit 3\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	n := Nodetool{Options: NodetoolOptions{Executable: script, Password: "hunter2"}}
	err := n.Snapshot(context.Background(), "medusa-x")
	if err == nil {
		t.Fatal("expected an error")
	}
	msg := err.Error()
	if strings.Contains(msg, "hunter2") || !strings.Contains(msg, "Failed to connect") || !strings.Contains(msg, "snapshot -t medusa-x") {
		t.Fatalf("error = %q", msg)
	}
}

func TestLoaderSkippedFiles(t *testing.T) {
	out := "Opening sstables and calculating sections to stream\n" +
		"Skipping file nb-1-big-Data.db: table dc.t doesn't exist\n\nSummary statistics:\n"
	if got := skippedFiles(out); len(got) != 1 || got[0] != "Skipping file nb-1-big-Data.db: table dc.t doesn't exist" {
		t.Errorf("skippedFiles = %q", got)
	}
	if got := skippedFiles("Summary statistics:\n"); len(got) != 0 {
		t.Errorf("skippedFiles = %q", got)
	}
}
