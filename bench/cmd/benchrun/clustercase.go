package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/medusa-go/medusa/internal/remote"
	"github.com/medusa-go/medusa/internal/testbed"
)

// clusterRows are the fixture rows written over the three nodes of case 6.
const clusterRows = 300

// case6 measures backup-cluster on the test bed's 3-node cluster (one
// sshd per node address, each node with its own medusa.ini): with one
// node backing up at a time (-pu 1, the default) and all three at once
// (-pu 3), beside the same node backups run one after another on each
// node by hand (backup-node with that node's medusa.ini, no SSH). Every
// backup is a differential backup of a new snapshot under a new name,
// once the pool holds the data (a first cluster backup, not measured).
// Then restore-cluster in place of that first backup, beside restore-node
// on each node one after another by hand; and, unless BENCH_SKIP_PYTHON=1,
// Python Medusa's backup-cluster and restore-cluster, run in node 1's
// login (testbed.PyLogins).
func (b *bench) case6(ctx context.Context) error {
	b.log.Info("starting the 3-node cluster bed (Cassandra, one sshd per node)")
	bed, err := testbed.StartClusterBed(ctx, testbed.ClusterBedOptions{Dir: filepath.Join(b.work, "cluster"),
		S3: b.s3, MedusaBin: b.s.medusa, Logger: b.log})
	if err != nil {
		return err
	}
	defer func() { _ = bed.Stop() }()
	b.cassandraVersion = bed.Cassandra.Version
	s, err := bed.Node(1).NewSession("")
	if err != nil {
		return err
	}
	err = testbed.CreateFixtureSchema(ctx, s)
	if err == nil {
		err = testbed.WriteRows(ctx, s, clusterRows)
	}
	s.Close()
	if err != nil {
		return err
	}
	for _, n := range bed.Nodes() {
		if _, err := n.Nodetool(ctx, "flush"); err != nil {
			return err
		}
	}
	orch := func(name string, args ...string) proc {
		return proc{name: name, path: b.s.medusa, args: append([]string{"--config-file", bed.OrchestratorIni()}, args...),
			env: baseEnv(bed.TmpDir(0))}
	}
	if _, err := b.measure(ctx, orch("cluster-fill", "backup-cluster", "--backup-name", "c6-fill")); err != nil {
		return err
	}
	var py *testbed.PyLogins
	if b.pyExe != "" {
		if py, err = bed.PythonLogins(ctx, b.pyExe); err != nil {
			return err
		}
	}
	b.res.setInfo(6, case6Info(py != nil))
	for round := 1; round <= b.s.runs; round++ {
		var steps []step
		steps = append(steps,
			step{key: "go-cluster-pu1", label: "medusa backup-cluster (-pu 1, default)",
				p: orch("backup-cluster-pu1", "backup-cluster", "--backup-name", fmt.Sprintf("c6-pu1-%d", round))},
			step{key: "go-cluster-pu3", label: "medusa backup-cluster -pu 3",
				p: orch("backup-cluster-pu3", "backup-cluster", "-pu", "3", "--backup-name", fmt.Sprintf("c6-pu3-%d", round))},
			step{key: "go-hand", label: "medusa backup-node on each node, one after another (by hand, no SSH)",
				p: byHand(b.s.medusa, bed, fmt.Sprintf("c6-hand-%d", round))},
			step{key: "go-restore-cluster", label: "medusa restore-cluster in place",
				p: orch("restore-cluster", "restore-cluster", "--backup-name", "c6-fill", "-y")},
			step{key: "go-restore-hand", label: "medusa restore-node on each node, one after another (by hand, no SSH)",
				p: restoreByHand(b.s.medusa, bed, "c6-fill")})
		if py != nil {
			steps = append(steps,
				step{key: "py-cluster", label: "Python Medusa backup-cluster (defaults; run in node 1's login)",
					p: pyLogin(py, "py-backup-cluster", "backup-cluster", "--backup-name", fmt.Sprintf("c6-py-%d", round),
						"--temp-dir", testbed.PyLoginTmp)},
				step{key: "py-restore-cluster", label: "Python Medusa restore-cluster in place (run in node 1's login)",
					p: pyLogin(py, "py-restore-cluster", "restore-cluster", "--backup-name", "c6-fill",
						"--seed-target", bed.Node(1).Host, "--temp-dir", testbed.PyLoginTmp, "-y")})
		}
		for _, st := range rotate(steps, round-1) {
			smp, err := b.measure(ctx, st.p)
			if err != nil {
				return err
			}
			b.res.add(6, st.key, st.label, smp)
			// A restore leaves the nodes starting (Python Medusa's returns
			// before they are all up): the next command finds them up.
			if err := bed.Cassandra.WaitAllUp(ctx); err != nil {
				return fmt.Errorf("after %s: %w", st.label, err)
			}
		}
	}
	return nil
}

// case6Info is the text of case 6 above its table.
func case6Info(python bool) string {
	s := fmt.Sprintf("3 Cassandra nodes on one machine (127.0.0.1-3), %d fixture rows over them, "+
		"OpenSSH to each node address; CPU and RSS are the orchestrating process's own (the node commands run "+
		"under sshd). The restores are in place, of the first cluster backup (the nodes hold its data); a "+
		"restore-cluster restores the three nodes at once, the rows by hand one after another", clusterRows)
	if !python {
		return s + ". Python Medusa was not run (BENCH_SKIP_PYTHON=1)"
	}
	return s + ". Python Medusa's cluster commands run in node 1's login with the default /etc/medusa/medusa.ini, " +
		"as on real hosts (the test bed's Python logins: nodetool and the Cassandra start and stop commands on " +
		"PATH, the node's own, and a temporary directory of each node's own as --temp-dir); their CPU and RSS are " +
		"the ssh client's"
}

// pyLogin runs Python Medusa in node 1's Python login.
func pyLogin(py *testbed.PyLogins, name string, args ...string) proc {
	argv := py.Command(1, args...)
	return proc{name: name, path: argv[0], args: argv[1:], env: baseEnv(os.TempDir())}
}

// restoreByHand is one shell running restore-node (in place) on every
// node in turn, each with its own medusa.ini and TMPDIR.
func restoreByHand(medusa string, bed *testbed.ClusterBed, name string) proc {
	var lines []string
	for i := range bed.Nodes() {
		lines = append(lines, fmt.Sprintf("TMPDIR=%s %s --config-file %s restore-node --in-place --backup-name %s",
			remote.Quote(bed.TmpDir(i+1)), remote.Quote(medusa), remote.Quote(bed.Ini(i+1)), remote.Quote(name)))
	}
	return proc{name: "restore-node-by-hand", path: "/bin/sh",
		args: []string{"-ec", strings.Join(lines, "\n")}, env: baseEnv(os.TempDir())}
}

// byHand is one shell running backup-node on every node in turn, each
// with its own medusa.ini and TMPDIR.
func byHand(medusa string, bed *testbed.ClusterBed, name string) proc {
	var lines []string
	for i := range bed.Nodes() {
		lines = append(lines, fmt.Sprintf("TMPDIR=%s %s --config-file %s backup-node --backup-name %s",
			remote.Quote(bed.TmpDir(i+1)), remote.Quote(medusa), remote.Quote(bed.Ini(i+1)), remote.Quote(name)))
	}
	return proc{name: "backup-node-by-hand", path: "/bin/sh",
		args: []string{"-ec", strings.Join(lines, "\n")}, env: baseEnv(os.TempDir())}
}
