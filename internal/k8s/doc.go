// Package k8s is the restore init container of a Kubernetes pod run by
// k8ssandra-operator (`medusa init-restore`, what the image runs for
// MEDUSA_MODE=RESTORE): the operator's environment in, the restore of the
// local node out, at most once per restore key.
//
// The operator starts a restore by setting, on the init container of every
// Cassandra pod of the datacenter, BACKUP_NAME, RESTORE_KEY (a new UUID per
// MedusaRestoreJob) and RESTORE_MAPPING (which backed-up node each pod
// becomes, see Mapping), then restarts the pods. The variables stay in the
// pod template afterwards, so every later start of the pod runs the init
// container again: <dir>/.last-restore (the data volume, see
// DefaultLastRestoreDir) records the key of the last restore that completed
// and makes those later runs do nothing.
//
// Decide is the pure part (environment and last key in, decision out),
// Run the sequence (decide, check the backup is listed, restore, record
// the key), RestoreOptions the restore-node options it uses. The restore
// itself is restore-node's (package restore), unchanged: everything is
// downloaded and checked before the data directories are touched, and a
// failure afterwards rolls back. Cassandra is not running in an init
// container and is neither stopped nor started; the restore refuses to
// start when it finds the node's ports open.
package k8s
