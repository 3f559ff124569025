package k8s

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The environment variables the operator sets on the init container.
const (
	EnvBackupName     = "BACKUP_NAME"
	EnvRestoreKey     = "RESTORE_KEY"
	EnvRestoreMapping = "RESTORE_MAPPING"
	EnvPodName        = "POD_NAME"
	EnvTmpDir         = "MEDUSA_TMP_DIR"
	// EnvPITR is ours, not the operator's: a point-in-time restore (an
	// RFC 3339 time, or "latest"), added by the user to the init
	// container (docs/kubernetes.md).
	EnvPITR = "MEDUSA_RESTORE_PITR"
)

// DefaultTmpDir receives the download when MEDUSA_TMP_DIR is not set: the
// Cassandra data volume, as the operator sets it (Medusa falls back to
// /tmp, which in a pod is a small emptyDir on another file system).
const DefaultTmpDir = "/var/lib/cassandra"

// Env is what the operator passes to the init container.
type Env struct {
	BackupName string // BACKUP_NAME: the MedusaBackup to restore
	RestoreKey string // RESTORE_KEY: the MedusaRestoreJob's key
	// Mapping is RESTORE_MAPPING as given ("" when not set: in place).
	Mapping string
	PodName string // POD_NAME: this pod's name
	TmpDir  string // MEDUSA_TMP_DIR, DefaultTmpDir when not set
	// PITR is MEDUSA_RESTORE_PITR as given ("" when not set).
	PITR string
}

// ReadEnv reads the init container's variables with getenv.
func ReadEnv(getenv func(string) string) Env {
	e := Env{
		BackupName: strings.TrimSpace(getenv(EnvBackupName)),
		RestoreKey: strings.TrimSpace(getenv(EnvRestoreKey)),
		Mapping:    strings.TrimSpace(getenv(EnvRestoreMapping)),
		PodName:    strings.TrimSpace(getenv(EnvPodName)),
		TmpDir:     getenv(EnvTmpDir),
		PITR:       strings.TrimSpace(getenv(EnvPITR)),
	}
	if e.TmpDir == "" {
		e.TmpDir = DefaultTmpDir
	}
	return e
}

// Mapping is the restore mapping k8ssandra-operator computes for a
// MedusaRestoreJob (status.restoreMapping) and passes as RESTORE_MAPPING;
// the PrepareRestore rpc writes the same JSON:
//
//	{"in_place": false, "host_map": {"<target pod>": {"source": ["<backed-up host>"], "seed": false}}}
//
// InPlace is true when every pod restores its own backup.
type Mapping struct {
	InPlace bool                   `json:"in_place"`
	HostMap map[string]HostMapping `json:"host_map"`
}

// HostMapping names the backed-up node a target pod becomes. Only the
// first source is used; Seed is carried for compatibility.
type HostMapping struct {
	Source []string `json:"source"`
	Seed   bool     `json:"seed"`
}

// ParseMapping parses a restore mapping. in_place must be present and true
// or false (the operator's field is a pointer: null means the mapping was
// never computed); unknown fields are ignored.
func ParseMapping(data []byte) (Mapping, error) {
	var raw struct {
		InPlace *bool                  `json:"in_place"`
		HostMap map[string]HostMapping `json:"host_map"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return Mapping{}, fmt.Errorf("not a JSON restore mapping: %w", err)
	}
	if dec.More() {
		return Mapping{}, errors.New("not a JSON restore mapping: text after the object")
	}
	if raw.InPlace == nil {
		return Mapping{}, errors.New(`"in_place" is missing or null: expected true or false`)
	}
	return Mapping{InPlace: *raw.InPlace, HostMap: raw.HostMap}, nil
}

// EnvError is a variable of the init container that cannot be used; the
// operator's MedusaRestoreJob (or whoever edited the pod template) must be
// fixed.
type EnvError struct {
	Var string
	Err error
}

func (e *EnvError) Error() string { return e.Var + ": " + e.Err.Error() }
func (e *EnvError) Unwrap() error { return e.Err }

// Action is what the init container does.
type Action int

const (
	// NotRequested: BACKUP_NAME or RESTORE_KEY is empty, the normal start
	// of a pod; .last-restore is not written.
	NotRequested Action = iota
	// AlreadyDone: .last-restore holds RESTORE_KEY.
	AlreadyDone
	// NotMapped: the mapping has no entry for this pod (e.g. a pod added
	// by a scale-up after the restore); the key is recorded.
	NotMapped
	// Restore: restore the node.
	Restore
)

func (a Action) String() string {
	switch a {
	case NotRequested:
		return "not requested"
	case AlreadyDone:
		return "already done"
	case NotMapped:
		return "not mapped"
	case Restore:
		return "restore"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Decision is what Decide found.
type Decision struct {
	Action Action
	// Reason explains the decision in one log line.
	Reason string
	// InPlace: the pod restores its own backup (system.local, peers and
	// system_auth included). Otherwise it becomes FQDN: that node's
	// backup and tokens.
	InPlace bool
	// FQDN is the backed-up node to restore ("" in place: the node's own
	// identity, [storage] fqdn or its Kubernetes name).
	FQDN string
	// PITR, for a Restore with MEDUSA_RESTORE_PITR: the point in time.
	PITR *PITRTarget
}

// PITRTarget is MEDUSA_RESTORE_PITR: a time, or Latest (the node's
// newest archived write).
type PITRTarget struct {
	Time   time.Time
	Latest bool
}

// ParsePITR reads MEDUSA_RESTORE_PITR: "latest" (any case), or an RFC 3339
// time in UTC or with an offset, to the microsecond.
func ParsePITR(v string) (*PITRTarget, error) {
	if strings.EqualFold(v, "latest") {
		return &PITRTarget{Latest: true}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, fmt.Errorf("%q is neither \"latest\" nor an RFC 3339 time (e.g. 2026-05-01T12:00:00Z, "+
			"2026-05-01T14:00:00.000250+02:00)", v)
	}
	return &PITRTarget{Time: t.UTC()}, nil
}

// Decide decides, from the environment and the key in .last-restore
// ("" when none), whether and how this pod restores. Errors are
// *EnvError.
func Decide(e Env, lastKey string) (Decision, error) {
	switch {
	case e.BackupName == "":
		return Decision{Action: NotRequested, Reason: EnvBackupName + " is not set: no restore requested"}, nil
	case e.RestoreKey == "":
		return Decision{Action: NotRequested, Reason: EnvRestoreKey + " is not set: no restore requested"}, nil
	case lastKey == e.RestoreKey:
		return Decision{Action: AlreadyDone,
			Reason: fmt.Sprintf("restore %s of backup %s was already done on this node", e.RestoreKey, e.BackupName)}, nil
	}
	var pitr *PITRTarget
	if e.PITR != "" {
		var err error
		if pitr, err = ParsePITR(e.PITR); err != nil {
			return Decision{}, &EnvError{Var: EnvPITR, Err: err}
		}
	}
	if e.Mapping == "" {
		return Decision{Action: Restore, InPlace: true, PITR: pitr,
			Reason: fmt.Sprintf("restoring backup %s in place%s (no %s)", e.BackupName, pitrReason(pitr),
				EnvRestoreMapping)}, nil
	}
	m, err := ParseMapping([]byte(e.Mapping))
	if err != nil {
		return Decision{}, &EnvError{Var: EnvRestoreMapping, Err: err}
	}
	if m.InPlace {
		return Decision{Action: Restore, InPlace: true, PITR: pitr,
			Reason: fmt.Sprintf("restoring backup %s in place%s", e.BackupName, pitrReason(pitr))}, nil
	}
	if pitr != nil {
		return Decision{}, &EnvError{Var: EnvPITR, Err: fmt.Errorf("set, but %s restores other nodes' backups "+
			"(\"in_place\": false): a commit log replays only on the node that wrote it; restore to a point in "+
			"time onto the backed-up pods, or remove %s", EnvRestoreMapping, EnvPITR)}
	}
	if e.PodName == "" {
		return Decision{}, &EnvError{Var: EnvPodName, Err: errors.New(
			"not set: a restore that is not in place needs this pod's name to find it in " + EnvRestoreMapping)}
	}
	hm, ok := m.HostMap[e.PodName]
	if !ok {
		return Decision{Action: NotMapped, Reason: fmt.Sprintf(
			"pod %s is not in %s (a pod added after the backup?): nothing to restore here", e.PodName, EnvRestoreMapping)}, nil
	}
	if len(hm.Source) == 0 || strings.TrimSpace(hm.Source[0]) == "" {
		return Decision{}, &EnvError{Var: EnvRestoreMapping,
			Err: fmt.Errorf(`host_map[%q].source is empty: it must name the backed-up node`, e.PodName)}
	}
	src := strings.TrimSpace(hm.Source[0])
	return Decision{Action: Restore, FQDN: src,
		Reason: fmt.Sprintf("restoring backup %s of node %s onto pod %s", e.BackupName, src, e.PodName)}, nil
}

// pitrReason completes a decision's reason.
func pitrReason(p *PITRTarget) string {
	switch {
	case p == nil:
		return ""
	case p.Latest:
		return ", to its newest archived write (" + EnvPITR + "=latest)"
	}
	return ", to " + p.Time.Format(time.RFC3339Nano) + " (" + EnvPITR + ")"
}
