// Command medusa-demo is the main job of the README's `make demo`: it
// starts the test bed's real Apache Cassandra 5.0 node and S3 server on
// 127.0.0.1, writes sample rows, and runs the medusa binary against them
// the way an operator would, printing every command and its output.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/medusa-go/medusa/internal/testbed"
)

func main() {
	medusa := flag.String("medusa", "bin/medusa", "medusa binary to run")
	keep := flag.Bool("keep", false, "keep the servers' directory after the demo")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *medusa, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

type demo struct {
	medusa string
	ini    string
	node   *testbed.Node
}

func run(ctx context.Context, medusa string, keep bool) error {
	abs, err := filepath.Abs(medusa)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "medusa-demo-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	step("Starting the test bed: S3 server (versitygw) and Apache Cassandra 5.0 on 127.0.0.1 in " + dir)
	s3srv, err := testbed.StartS3(ctx, filepath.Join(dir, "s3"))
	if err != nil {
		return fmt.Errorf("start S3 server: %w", err)
	}
	defer s3srv.Stop()
	cluster, err := testbed.StartCluster(ctx, testbed.CassandraOptions{Dir: filepath.Join(dir, "cassandra"), Fetch: true})
	if err != nil {
		return fmt.Errorf("start Cassandra: %w", err)
	}
	defer cluster.Stop()
	node := cluster.Nodes[0]
	fmt.Printf("Cassandra %s:%d (JMX %d), S3 %s, bucket %q\n", node.Host, node.NativePort, node.JMXPort, s3srv.Endpoint, s3srv.Bucket)

	d := &demo{medusa: abs, ini: filepath.Join(dir, "medusa.ini"), node: node}
	ini := testbed.MedusaINI{
		S3: s3srv, KeyFile: filepath.Join(dir, "medusa-s3-credentials"), User: s3srv.Restricted,
		Bucket: s3srv.Bucket, Node: node, FQDN: node.Host,
	}
	if err := ini.Write(d.ini); err != nil {
		return err
	}
	step("medusa.ini (S3 through a key_file holding a user restricted to the MedusaStorageStrategy policy)")
	if b, err := os.ReadFile(d.ini); err == nil {
		fmt.Print(string(b))
	}

	step("Writing sample rows")
	want, err := writeRows(ctx, node)
	if err != nil {
		return err
	}
	fmt.Printf("demo.users holds %d rows\n", want)

	for _, args := range [][]string{
		{"--version"},
		{"config"},
		{"backup", "--backup-name", "demo-full", "--mode", "full"},
	} {
		if err := d.medusaCmd(ctx, args...); err != nil {
			return err
		}
	}
	step("Writing more rows, then a differential backup uploads only the new SSTables")
	if want, err = writeRowsFrom(ctx, node, 1000, 500); err != nil {
		return err
	}
	fmt.Printf("demo.users holds %d rows\n", want)
	for _, args := range [][]string{
		{"backup", "--backup-name", "demo-diff"},
		{"list-backups"},
		{"status", "--backup-name", "demo-diff"},
		{"verify", "--backup-name", "demo-diff"},
	} {
		if err := d.medusaCmd(ctx, args...); err != nil {
			return err
		}
	}
	step("Losing data: TRUNCATE demo.users")
	if err := cql(ctx, node, "TRUNCATE demo.users"); err != nil {
		return err
	}
	if got, err := countRows(ctx, node); err != nil {
		return err
	} else {
		fmt.Printf("demo.users holds %d rows\n", got)
	}
	if err := d.medusaCmd(ctx, "restore-node", "--backup-name", "demo-diff"); err != nil {
		return err
	}
	got, err := countRows(ctx, node)
	if err != nil {
		return err
	}
	fmt.Printf("demo.users holds %d rows after the restore (%d backed up)\n", got, want)
	if got != want {
		return fmt.Errorf("restore brought back %d rows, want %d", got, want)
	}
	step("Done: backup, loss, restore, rows back — against the real Cassandra node and S3 server")
	return nil
}

func (d *demo) medusaCmd(ctx context.Context, args ...string) error {
	full := append([]string{"--config-file", d.ini}, args...)
	step("medusa " + strings.Join(full, " "))
	cmd := exec.CommandContext(ctx, d.medusa, full...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("medusa %s: %w", strings.Join(args, " "), err)
	}
	fmt.Printf("(%.1fs)\n", time.Since(start).Seconds())
	return nil
}

func writeRows(ctx context.Context, node *testbed.Node) (int, error) {
	s, err := node.NewSession("")
	if err != nil {
		return 0, err
	}
	defer s.Close()
	stmts := []string{
		"CREATE KEYSPACE IF NOT EXISTS demo WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TABLE IF NOT EXISTS demo.users (id int PRIMARY KEY, name text, email text)",
	}
	for _, q := range stmts {
		if err := s.Query(q).ExecContext(ctx); err != nil {
			return 0, fmt.Errorf("%s: %w", q, err)
		}
	}
	return writeRowsFrom(ctx, node, 0, 1000)
}

// writeRowsFrom inserts n rows with ids from first and returns the table's row count.
func writeRowsFrom(ctx context.Context, node *testbed.Node, first, n int) (int, error) {
	s, err := node.NewSession("")
	if err != nil {
		return 0, err
	}
	defer s.Close()
	for i := first; i < first+n; i++ {
		if err := s.Query("INSERT INTO demo.users (id, name, email) VALUES (?, ?, ?)",
			i, fmt.Sprintf("user %d", i), fmt.Sprintf("user%d@example.com", i)).ExecContext(ctx); err != nil {
			return 0, err
		}
	}
	return countRows(ctx, node)
}

func cql(ctx context.Context, node *testbed.Node, q string) error {
	s, err := node.NewSession("")
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Query(q).ExecContext(ctx); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	return nil
}

func countRows(ctx context.Context, node *testbed.Node) (int, error) {
	s, err := node.NewSession("")
	if err != nil {
		return 0, err
	}
	defer s.Close()
	var n int
	if err := s.Query("SELECT count(*) FROM demo.users").ScanContext(ctx, &n); err != nil {
		return 0, err
	}
	return n, nil
}

func step(s string) { fmt.Printf("\n==> %s\n", s) }
