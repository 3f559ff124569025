package backup

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Snapshots left by a killed backup. While a backup runs, its in-progress
// marker holds an owner record: the process id, the process's start time
// and the snapshot the run takes and clears. A run that ends in any way
// but a kill removes the marker; a killed run leaves it, unlocked. The next
// backup that locks the marker reads the record and clears the snapshot it
// names, unless that process still runs (same pid and start time), the
// snapshot is the one this run backs up (resuming the same backup name),
// or the run kept it on purpose (--keep-snapshot, --use-existing-snapshot:
// such snapshots are never recorded).

// ownerRecord is the content of the in-progress marker.
type ownerRecord struct {
	PID int
	// Start is the process start time (clock ticks since boot, Linux
	// /proc/<pid>/stat); "" where unknown.
	Start     string
	Snapshots []string
}

func (o ownerRecord) marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "pid %d\nstart %s\n", o.PID, o.Start)
	for _, s := range o.Snapshots {
		fmt.Fprintf(&b, "snapshot %s\n", s)
	}
	return b.Bytes()
}

// parseOwner reads a marker's content; anything else than a record (an
// empty marker of Medusa or an older version) gives an empty record.
func parseOwner(data []byte) ownerRecord {
	var o ownerRecord
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch k {
		case "pid":
			o.PID, _ = strconv.Atoi(v)
		case "start":
			o.Start = v
		case "snapshot":
			if strings.HasPrefix(v, "medusa-") && !strings.ContainsAny(v, "/\\") {
				o.Snapshots = append(o.Snapshots, v)
			}
		}
	}
	return o
}

// processStart returns the start time of process pid ("" if unknown).
func processStart(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name (field 2) may hold spaces: fields count from the
	// last ')'; the start time is field 22.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

// alive reports whether the recorded process still runs.
func (o ownerRecord) alive() bool {
	if o.PID <= 0 {
		return false
	}
	if o.Start != "" {
		return processStart(o.PID) == o.Start
	}
	// Start time unknown: a process with that id counts as alive.
	err := syscall.Kill(o.PID, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// takeOver writes this run's owner record into the marker and clears the
// snapshots a killed run left (one line says so). A snapshot that cannot
// be cleared is reported with the command that clears it.
func (r *run) takeOver(ctx context.Context, lock *heldLock) error {
	prev := parseOwner(lock.previous)
	own := SnapshotTag(r.o.Name, r.o.UseExistingSnapshot)
	rec := ownerRecord{PID: os.Getpid(), Start: processStart(os.Getpid())}
	if !r.o.UseExistingSnapshot && !r.o.KeepSnapshot {
		rec.Snapshots = []string{own}
	}
	if err := lock.write(rec.marshal()); err != nil {
		return err
	}
	if len(prev.Snapshots) == 0 {
		return nil
	}
	if prev.alive() {
		r.d.Logger.Warn("The in-progress marker names a process that still runs; its snapshots are left alone",
			"marker", lock.path, "pid", prev.PID)
		return nil
	}
	var stale []string
	for _, tag := range prev.Snapshots {
		if tag == own {
			r.snapshotTag = own // backed up again, and cleared at the end whatever happens
			continue
		}
		stale = append(stale, tag)
	}
	r.clearLeftovers(ctx, stale, prev.PID)
	return nil
}

// clearLeftovers clears the snapshots of a killed run.
func (r *run) clearLeftovers(ctx context.Context, tags []string, pid int) {
	var cleared []string
	for _, tag := range tags {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		err := r.d.Snapshotter.Clear(cctx, tag)
		cancel()
		if err != nil {
			r.d.Logger.Warn("Could not clear the snapshot left by an interrupted backup; clear it by hand",
				"tag", tag, "command", "nodetool clearsnapshot -t "+tag, "error", err.Error())
			continue
		}
		cleared = append(cleared, tag)
	}
	if len(cleared) > 0 {
		r.d.Logger.Info(fmt.Sprintf("Cleared snapshot %s left by an interrupted backup (process %d)",
			strings.Join(cleared, ", "), pid))
	}
}
