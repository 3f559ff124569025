package kube

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/medusa-go/medusa/internal/grpcserver/medusapb"
	"github.com/medusa-go/medusa/internal/testbed"
)

// pyClientScript drives our server with Python Medusa's own gRPC client
// (medusa/service/grpc/client.py of the PyPI package) and prints what it
// got as JSON (messages as json_format.MessageToDict renders them).
const pyClientScript = `
import asyncio, json, sys
from google.protobuf.json_format import MessageToDict
from medusa.service.grpc.client import Client

async def main(addr, name):
    c = Client(addr)
    out = {}
    h = await c.health_check()
    out["health"] = h.status if h is not None else None
    r = await c.async_backup(name, "full")
    out["async"] = MessageToDict(r) if r is not None else None
    out["status_now"] = await c.get_backup_status(name)
    s = 0
    for _ in range(900):
        s = await c.get_backup_status(name)
        if s != 0:
            break
        await asyncio.sleep(0.2)
    out["status_end"] = s
    r = await c.async_backup(name, "full")
    out["async_again"] = MessageToDict(r) if r is not None else None
    out["status_after_again"] = await c.get_backup_status(name)
    out["unknown"] = await c.get_backup_status("no-such-backup")
    out["exists"] = await c.backup_exists(name)
    b = await c.get_backup(name)
    out["backup"] = MessageToDict(b) if b is not None else None
    bs = await c.get_backups()
    out["backups"] = [MessageToDict(x) for x in bs] if bs is not None else None
    p = await c.purge_backups()
    out["purge"] = MessageToDict(p) if p is not None else None
    print(json.dumps(out))

asyncio.run(main(sys.argv[1], sys.argv[2]))
`

// pyResult is what pyClientScript prints.
type pyResult struct {
	Health           *int             `json:"health"`
	Async            map[string]any   `json:"async"`
	StatusNow        int              `json:"status_now"`
	StatusEnd        int              `json:"status_end"`
	AsyncAgain       map[string]any   `json:"async_again"`
	StatusAfterAgain int              `json:"status_after_again"`
	Unknown          int              `json:"unknown"`
	Exists           bool             `json:"exists"`
	Backup           map[string]any   `json:"backup"`
	Backups          []map[string]any `json:"backups"`
	Purge            map[string]any   `json:"purge"`
}

// TestSvcPythonClient: Python Medusa's own gRPC client against our
// server gets the answers the Go client gets.
func TestSvcPythonClient(t *testing.T) {
	py := testbed.PyMedusaGRPCT(t)
	n := testbed.SharedNode(t)
	srv := testbed.S3T(t)
	ini := filepath.Join(t.TempDir(), "medusa.ini")
	svcINI(t, ini, n, srv, "svcpy", 0, nil)
	b := newSvcBed(t, n, ini)

	const name = "py-full"
	out, errOut, err := testbed.PyMedusa{Exe: py, Timeout: 5 * time.Minute}.Python(t.Context(), pyClientScript, b.addr, name)
	if err != nil {
		t.Fatalf("python client: %v\n%s\n%s", err, out, errOut)
	}
	var got pyResult
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("python client output: %v\n%s\n%s", err, out, errOut)
	}
	t.Logf("python client: %s", out)

	if got.Health == nil || *got.Health != 1 { // SERVING
		t.Errorf("python health_check: %v", got.Health)
	}
	if !reflect.DeepEqual(got.Async, map[string]any{"backupName": name}) { // IN_PROGRESS is the default: omitted
		t.Errorf("python async_backup: %v", got.Async)
	}
	if got.StatusNow != int(medusapb.StatusType_IN_PROGRESS) || got.StatusEnd != int(medusapb.StatusType_SUCCESS) {
		t.Errorf("python get_backup_status: right after %d, at the end %d", got.StatusNow, got.StatusEnd)
	}
	if !reflect.DeepEqual(got.AsyncAgain, map[string]any{"backupName": name, "status": "SUCCESS"}) ||
		got.StatusAfterAgain != int(medusapb.StatusType_SUCCESS) {
		t.Errorf("python async_backup of a finished name: %v, then status %d", got.AsyncAgain, got.StatusAfterAgain)
	}
	// The client turns NotFound into UNKNOWN; the Go client sees NotFound.
	if got.Unknown != int(medusapb.StatusType_UNKNOWN) {
		t.Errorf("python get_backup_status of an unknown name: %d", got.Unknown)
	}
	if _, err := b.c.BackupStatus(t.Context(), &medusapb.BackupStatusRequest{BackupName: "no-such-backup"}); status.Code(err) != codes.NotFound {
		t.Errorf("go BackupStatus of an unknown name: %v", err)
	}
	if !got.Exists {
		t.Error("python backup_exists: false")
	}

	gb, err := b.c.GetBackup(t.Context(), &medusapb.GetBackupRequest{BackupName: name})
	if err != nil {
		t.Fatal(err)
	}
	checkSummary(t, b, gb.Backup, "full")
	if want := asJSON(t, gb.Backup); !reflect.DeepEqual(got.Backup, want) {
		t.Errorf("python get_backup:\n%v\ngo GetBackup:\n%v", got.Backup, want)
	}
	all, err := b.c.GetBackups(t.Context(), &medusapb.GetBackupsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var want []map[string]any
	for _, s := range all.Backups {
		want = append(want, asJSON(t, s))
	}
	if !reflect.DeepEqual(got.Backups, want) {
		t.Errorf("python get_backups:\n%v\ngo GetBackups:\n%v", got.Backups, want)
	}
	p, err := b.c.PurgeBackups(t.Context(), &medusapb.PurgeBackupsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if w := asJSON(t, p); got.Purge == nil || !reflect.DeepEqual(got.Purge, w) {
		t.Errorf("python purge_backups: %v, go PurgeBackups: %v", got.Purge, w)
	}
}

// asJSON renders m as Python's MessageToDict does (proto JSON names,
// int64 as strings, enums by name, defaults omitted).
func asJSON(t *testing.T, m proto.Message) map[string]any {
	t.Helper()
	data, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
