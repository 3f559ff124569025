package medusapb

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// TestWireNames pins what k8ssandra-operator puts on the wire: the proto has
// no package, so the service is "Medusa" and every message name is bare.
func TestWireNames(t *testing.T) {
	fd := File_medusa_proto
	if fd.Package() != "" {
		t.Fatalf("proto package = %q, want none (methods would no longer be /Medusa/<Rpc>)", fd.Package())
	}
	if got := Medusa_ServiceDesc.ServiceName; got != "Medusa" {
		t.Fatalf("service name = %q, want Medusa", got)
	}
	want := []string{"Backup", "AsyncBackup", "BackupStatus", "DeleteBackup", "GetBackup", "GetBackups", "PurgeBackups", "PrepareRestore"}
	svc := fd.Services().ByName("Medusa")
	if svc.Methods().Len() != len(want) {
		t.Fatalf("%d methods, want %d", svc.Methods().Len(), len(want))
	}
	for i, name := range want {
		if got := svc.Methods().Get(i).Name(); string(got) != name {
			t.Errorf("method %d = %s, want %s", i, got, name)
		}
	}
	if Medusa_AsyncBackup_FullMethodName != "/Medusa/AsyncBackup" {
		t.Errorf("AsyncBackup path = %s", Medusa_AsyncBackup_FullMethodName)
	}
	// Field numbers the operator decodes.
	checks := map[string]map[string]protoreflect.FieldNumber{
		"BackupStatusResponse": {"startTime": 1, "finishTime": 2, "status": 3},
		"BackupSummary": {"backupName": 1, "startTime": 2, "finishTime": 3, "totalNodes": 4, "finishedNodes": 5,
			"nodes": 6, "status": 7, "backupType": 8, "totalSize": 9, "totalObjects": 10},
		"PurgeBackupsResponse": {"nbBackupsPurged": 1, "nbObjectsPurged": 2, "totalPurgedSize": 3, "totalObjectsWithinGcGrace": 4},
		"BackupNode":           {"host": 1, "tokens": 2, "datacenter": 3, "rack": 4},
	}
	for msg, fields := range checks {
		md := fd.Messages().ByName(protoreflect.Name(msg))
		if md == nil {
			t.Fatalf("message %s missing", msg)
		}
		if md.FullName() != protoreflect.FullName(msg) {
			t.Errorf("message full name %s, want bare %s", md.FullName(), msg)
		}
		for f, n := range fields {
			fdsc := md.Fields().ByName(protoreflect.Name(f))
			if fdsc == nil || fdsc.Number() != n {
				t.Errorf("%s.%s: want field number %d", msg, f, n)
			}
		}
	}
}
