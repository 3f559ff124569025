package layout

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
)

// TimestampLayout is Medusa's '%Y-%m-%d %H:%M:%S'.
const TimestampLayout = "2006-01-02 15:04:05"

// FormatTimestamp renders an epoch in loc the way list-backups and status
// do (Python's datetime.fromtimestamp, i.e. local time).
func FormatTimestamp(epoch int64, loc *time.Location) string {
	return time.Unix(epoch, 0).In(loc).Format(TimestampLayout)
}

// FormatBytes renders a size like Medusa's format_bytes_str: the largest of
// B, KB, MB, GB, TB (1024-based) under which the value is below 1024, with
// two decimals: "0.00 B", "1.50 KB", "2048.00 TB".
func FormatBytes(n int64) string {
	units := [...]string{"B", "KB", "MB", "GB", "TB"}
	shift := 0
	for ; shift < len(units)-1; shift++ {
		if n>>(shift*10) < 1024 {
			break
		}
	}
	// Division by a power of two is exact, so this rounds like Python's
	// int / int followed by '{:.2f}'.
	v := float64(n) / float64(int64(1)<<(shift*10))
	return strconv.FormatFloat(v, 'f', 2, 64) + " " + units[shift]
}

// FormatBytesIEC renders a size like Medusa's report_latest
// human_readable_size: 1024-based with binary prefixes and two decimals
// ("160.00 B", "1.50 KiB").
func FormatBytesIEC(n int64) string {
	v := float64(n)
	for _, unit := range []string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi"} {
		if v < 1024 && v > -1024 {
			return fmt.Sprintf("%.2f %sB", v, unit)
		}
		v /= 1024
	}
	return fmt.Sprintf("%.2f YiB", v)
}

// WriteListBackups writes the text output of list-backups for backups
// (already selected and ordered by ListBackups):
//
//	<name> (started: <ts>, finished: <ts>)
//	<name> (started: <ts>, finished: Incomplete [<n> of <m> nodes finished])
//
// followed, if any backup is incomplete, by an empty line and
// `Incomplete backups found. You can run "medusa status --backup-name <name>" for more details`.
func WriteListBackups(w io.Writer, backups []ClusterBackup, loc *time.Location) error {
	bw := bufio.NewWriter(w)
	incomplete := false
	for _, c := range backups {
		var finished string
		if f := c.Finished(); f != nil {
			finished = FormatTimestamp(*f, loc)
		} else {
			incomplete = true
			finished = fmt.Sprintf("Incomplete [%d of %d nodes finished]", len(c.finishedNodes()), c.Tokenmap.Len())
		}
		fmt.Fprintf(bw, "%s (started: %s, finished: %s)\n", c.Name, FormatTimestamp(c.Started(), loc), finished)
	}
	if incomplete {
		bw.WriteString("\n")
		bw.WriteString(`Incomplete backups found. You can run "medusa status --backup-name <name>" for more details` + "\n")
	}
	return bw.Flush()
}

// WriteStatus writes the text output of `medusa status` for c:
//
//	<name>   or   <name> [Incomplete!]   or   <name> [Damaged!]
//	- Started: <ts>, Finished: <ts|never>
//	- X nodes completed, Y nodes incomplete, Z nodes missing
//	- Incomplete nodes:        (only if any, then one "    <fqdn>" line each)
//	- Missing nodes:           (only if any, then one "    <fqdn>" line each)
//	- Damaged nodes ...:       (only if any; see writeDamage)
//	- N files, <size>
//	- N objects stored again since the backup ...   (only if any)
//
// Without damage found and objects stored again, this is Medusa's text.
// Finished is the latest node finish once every node finished, damaged
// or not.
func WriteStatus(w io.Writer, c ClusterBackup, loc *time.Location) error {
	bw := bufio.NewWriter(w)
	switch {
	case c.IsComplete():
		fmt.Fprintf(bw, "%s\n", c.Name)
	case c.allFinished():
		fmt.Fprintf(bw, "%s [Damaged!]\n", c.Name)
	default:
		fmt.Fprintf(bw, "%s [Incomplete!]\n", c.Name)
	}
	finished := "never"
	if f := c.LastFinish(); f != nil {
		finished = FormatTimestamp(*f, loc)
	}
	fmt.Fprintf(bw, "- Started: %s, Finished: %s\n", FormatTimestamp(c.Started(), loc), finished)
	complete, incomplete, missing := c.CompleteNodes(), c.IncompleteNodes(), c.MissingNodes()
	fmt.Fprintf(bw, "- %d nodes completed, %d nodes incomplete, %d nodes missing\n",
		len(complete), len(incomplete), len(missing))
	if len(incomplete) > 0 {
		bw.WriteString("- Incomplete nodes:\n")
		for _, n := range incomplete {
			fmt.Fprintf(bw, "    %s\n", n.FQDN)
		}
	}
	if len(missing) > 0 {
		bw.WriteString("- Missing nodes:\n")
		for _, fqdn := range missing {
			fmt.Fprintf(bw, "    %s\n", fqdn)
		}
	}
	writeDamage(bw, c)
	fmt.Fprintf(bw, "- %d files, %s\n", c.NumObjects(), FormatBytes(c.Size()))
	if again := c.StoredAgain(); again > 0 {
		fmt.Fprintf(bw, "- %d objects stored again since the backup (their store hash changed, their size did not); "+
			"`medusa verify --backup-name %s --enable-md5-checks` reads them and says whether the content still matches\n",
			again, c.Name)
	}
	return bw.Flush()
}

// writeDamage writes, when a data check found damaged node backups:
//
//   - Damaged nodes: data objects of the manifest missing or stored with another size
//     <fqdn>: <n> of <m> objects missing, <k> of <m> with another size
//     <key>              (the first few of each kind)
//     ... and <j> more
//     A restore of this backup would fail. `medusa verify --backup-name <name>` lists every object concerned.
func writeDamage(w *bufio.Writer, c ClusterBackup) {
	damaged := c.DamagedNodes()
	if len(damaged) == 0 {
		return
	}
	w.WriteString("- Damaged nodes: data objects of the manifest missing or stored with another size\n")
	for _, n := range damaged {
		fmt.Fprintf(w, "    %s: %s\n", n.FQDN, n.Damage.Summary(n.NumObjects))
		for _, k := range n.Damage.MissingKeys {
			fmt.Fprintf(w, "      missing: %s\n", k)
		}
		for _, k := range n.Damage.ResizedKeys {
			fmt.Fprintf(w, "      other size: %s\n", k)
		}
		if more := n.Damage.Missing + n.Damage.Resized - len(n.Damage.MissingKeys) - len(n.Damage.ResizedKeys); more > 0 {
			fmt.Fprintf(w, "      ... and %d more\n", more)
		}
	}
	fmt.Fprintf(w, "  A restore of this backup would fail. `medusa verify --backup-name %s` lists every object concerned.\n", c.Name)
}

// appendNodeJSON appends one node entry of the ClusterBackup JSON, keys
// sorted: finished, fqdn, num_objects, release_version, server_type, size,
// started. Unfinished nodes report null, 0, 0. pitr_window (ours, after
// num_objects) is there only when the node's recoverable window was
// loaded (see PITRWindow).
func appendNodeJSON(b []byte, n NodeBackup) []byte {
	var size, objects int64
	if n.Finished != nil {
		size, objects = n.Size, n.NumObjects
	}
	b = appendPyKey(append(b, '{'), "finished", true, false)
	b = appendOptInt(b, n.Finished)
	b = appendPyString(appendPyKey(b, "fqdn", false, false), n.FQDN, false)
	b = strconv.AppendInt(appendPyKey(b, "num_objects", false, false), objects, 10)
	if n.PITR != nil {
		b = appendPITRWindowJSON(appendPyKey(b, "pitr_window", false, false), *n.PITR)
	}
	b = appendPyString(appendPyKey(b, "release_version", false, false), n.ServerVersion.ReleaseVersion, false)
	b = appendPyString(appendPyKey(b, "server_type", false, false), n.ServerVersion.ServerType, false)
	b = strconv.AppendInt(appendPyKey(b, "size", false, false), size, 10)
	b = appendOptInt(appendPyKey(b, "started", false, false), n.Started)
	return append(b, '}')
}

func appendOptInt(b []byte, v *int64) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, *v, 10)
}

func appendNodeList(b []byte, nodes []NodeBackup) []byte {
	b = append(b, '[')
	for i, n := range nodes {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendNodeJSON(b, n)
	}
	return append(b, ']')
}

// ClusterBackupJSON renders c like Medusa's ClusterBackup.to_json_dict()
// dumped with sort_keys=True and ensure_ascii=False (non-ASCII is written as
// UTF-8, unlike manifest.json): keys backup_type, completed_nodes, finished,
// incomplete_nodes, incomplete_nodes_list, missing_nodes,
// missing_nodes_list, name, nodes, num_objects, size, started. Two keys
// are ours and appear only when a data check found something (status):
// damaged_nodes and damaged_nodes_list (nodes listed there are not in
// nodes, and finished is null), stored_again_objects.
func ClusterBackupJSON(c ClusterBackup) []byte {
	complete, incomplete, missing := c.CompleteNodes(), c.IncompleteNodes(), c.MissingNodes()
	b := appendPyKey([]byte{'{'}, "backup_type", true, false)
	b = appendPyString(b, c.BackupType(), false)
	b = strconv.AppendInt(appendPyKey(b, "completed_nodes", false, false), int64(len(complete)), 10)
	if damaged := c.DamagedNodes(); len(damaged) > 0 {
		b = strconv.AppendInt(appendPyKey(b, "damaged_nodes", false, false), int64(len(damaged)), 10)
		b = append(appendPyKey(b, "damaged_nodes_list", false, false), '[')
		for i, n := range damaged {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendDamageJSON(b, n)
		}
		b = append(b, ']')
	}
	b = appendOptInt(appendPyKey(b, "finished", false, false), c.Finished())
	b = strconv.AppendInt(appendPyKey(b, "incomplete_nodes", false, false), int64(len(incomplete)), 10)
	b = appendNodeList(appendPyKey(b, "incomplete_nodes_list", false, false), incomplete)
	b = strconv.AppendInt(appendPyKey(b, "missing_nodes", false, false), int64(len(missing)), 10)
	b = appendPyStringList(appendPyKey(b, "missing_nodes_list", false, false), missing)
	b = appendPyString(appendPyKey(b, "name", false, false), c.Name, false)
	b = appendNodeList(appendPyKey(b, "nodes", false, false), complete)
	b = strconv.AppendInt(appendPyKey(b, "num_objects", false, false), c.NumObjects(), 10)
	b = strconv.AppendInt(appendPyKey(b, "size", false, false), c.Size(), 10)
	b = strconv.AppendInt(appendPyKey(b, "started", false, false), c.Started(), 10)
	if again := c.StoredAgain(); again > 0 {
		b = strconv.AppendInt(appendPyKey(b, "stored_again_objects", false, false), int64(again), 10)
	}
	return append(b, '}')
}

// appendDamageJSON appends one entry of damaged_nodes_list, keys sorted:
// fqdn, missing_keys, missing_objects, resized_keys, resized_objects.
func appendDamageJSON(b []byte, n NodeBackup) []byte {
	d := n.Damage
	b = appendPyString(appendPyKey(append(b, '{'), "fqdn", true, false), n.FQDN, false)
	b = appendPyStringList(appendPyKey(b, "missing_keys", false, false), d.MissingKeys)
	b = strconv.AppendInt(appendPyKey(b, "missing_objects", false, false), int64(d.Missing), 10)
	b = appendPyStringList(appendPyKey(b, "resized_keys", false, false), d.ResizedKeys)
	b = strconv.AppendInt(appendPyKey(b, "resized_objects", false, false), int64(d.Resized), 10)
	return append(b, '}')
}

// appendPyStringList appends a JSON list of strings.
func appendPyStringList(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendPyString(b, s, false)
	}
	return append(b, ']')
}

// WriteListBackupsJSON writes list-backups --output json: a JSON list of
// ClusterBackupJSON documents and a newline (Python's print).
func WriteListBackupsJSON(w io.Writer, backups []ClusterBackup) error {
	b := []byte{'['}
	for i, c := range backups {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, ClusterBackupJSON(c)...)
	}
	_, err := w.Write(append(b, "]\n"...))
	return err
}

// WriteStatusJSON writes status --output json for c, and a newline.
func WriteStatusJSON(w io.Writer, c ClusterBackup) error {
	_, err := w.Write(append(ClusterBackupJSON(c), '\n'))
	return err
}

// WriteUnknownStatusJSON writes what status --output json prints for an
// unknown backup ("{}" and a newline; the command then exits 1).
func WriteUnknownStatusJSON(w io.Writer) error {
	_, err := io.WriteString(w, "{}\n")
	return err
}
