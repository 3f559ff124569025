package testbed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// CassandraFetchScript returns the path of scripts/testbed/cassandra/fetch.sh
// in the source tree this package was built from.
func CassandraFetchScript() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cassandra test bed: cannot locate the source tree (runtime.Caller)")
	}
	p := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "testbed", "cassandra", "fetch.sh")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("cassandra test bed: fetch script: %w", err)
	}
	return filepath.Clean(p), nil
}

// cassLibDir returns <cache>/cassandra-<version>/lib once fetch.sh has
// completed it, running fetch.sh first when opts.Fetch is set.
func cassLibDir(ctx context.Context, opts CassandraOptions) (string, error) {
	home := filepath.Join(opts.CacheDir, "cassandra-"+opts.Version)
	lib := filepath.Join(home, "lib")
	if _, err := os.Stat(filepath.Join(home, ".complete")); err == nil {
		return lib, nil
	}
	script, err := CassandraFetchScript()
	if err != nil {
		return "", err
	}
	if !opts.Fetch {
		return "", fmt.Errorf("cassandra %s jars not found in %s: run %s %s (with MEDUSA_TESTBED_CACHE=%s)",
			opts.Version, lib, script, opts.Version, opts.CacheDir)
	}
	opts.Logger.Info("fetching cassandra jars with maven", "version", opts.Version, "lib", lib)
	cmd := exec.CommandContext(ctx, script, opts.Version)
	cmd.Env = append(os.Environ(), "MEDUSA_TESTBED_CACHE="+opts.CacheDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("cassandra test bed: %s %s: %w\n%s", script, opts.Version, err, cassTail(string(out), 40))
	}
	return lib, nil
}

// cassFindJava returns $JAVA_HOME/bin/java or java from PATH, absolute.
func cassFindJava() (string, error) {
	if jh := os.Getenv("JAVA_HOME"); jh != "" {
		p := filepath.Join(jh, "bin", "java")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("cassandra test bed: java not found (set JAVA_HOME or install a Java 17 JDK): %w", err)
	}
	return filepath.Abs(p)
}

type cassPorts struct {
	storage, native int
	jmx             []int
}

// cassPickPorts chooses a storage and a native port free on every host and
// one JMX port per node free on 127.0.0.1 (JMX binds loopback only). All
// probe listeners stay open until every port is chosen, so the ports differ.
func cassPickPorts(hosts []string, nodes int) (cassPorts, error) {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			_ = l.Close()
		}
	}()
	pick := func(on []string) (int, error) {
		for range 50 {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return 0, err
			}
			held = append(held, l)
			port := l.Addr().(*net.TCPAddr).Port
			if cassFreeOn(on, port, &held) {
				return port, nil
			}
		}
		return 0, errors.New("no port free on all node addresses after 50 tries")
	}
	var p cassPorts
	var err error
	if p.storage, err = pick(hosts); err != nil {
		return p, fmt.Errorf("cassandra test bed: storage port: %w", err)
	}
	if p.native, err = pick(hosts); err != nil {
		return p, fmt.Errorf("cassandra test bed: native port: %w", err)
	}
	for range nodes {
		jmx, err := pick(nil)
		if err != nil {
			return p, fmt.Errorf("cassandra test bed: jmx port: %w", err)
		}
		p.jmx = append(p.jmx, jmx)
	}
	return p, nil
}

// cassFreeOn reports whether port can be bound on every host other than
// 127.0.0.1 (already held by the caller), keeping those listeners in held.
func cassFreeOn(hosts []string, port int, held *[]net.Listener) bool {
	for _, h := range hosts {
		if h == "127.0.0.1" {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort(h, strconv.Itoa(port)))
		if err != nil {
			return false
		}
		*held = append(*held, l)
	}
	return true
}

// cassTail returns the last n lines of s.
func cassTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
