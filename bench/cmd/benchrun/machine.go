package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/medusa-go/medusa/internal/testbed"
)

// machineInfo describes where the bench ran.
type machineInfo struct {
	date               string
	cpu                string
	cores              int
	mem                string
	kernel             string
	goVersion, java    string
	python             string
	disk               string
	loadStart, loadEnd string
	took               time.Duration
}

func describeMachine(ctx context.Context, dir string) machineInfo {
	m := machineInfo{date: time.Now().UTC().Format("2006-01-02 15:04 MST"), cores: runtime.NumCPU(),
		goVersion: runtime.Version()}
	m.cpu = cpuInfo()
	m.mem = memTotal()
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		m.kernel = fmt.Sprintf("%s %s %s", utsString(u.Sysname[:]), utsString(u.Release[:]), utsString(u.Machine[:]))
	}
	m.java = firstLine(command(ctx, "java", "-version"))
	m.python = firstLine(command(ctx, "python3", "--version"))
	m.disk = diskInfo(ctx, dir)
	return m
}

func cpuInfo() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	var model, mhz, flags string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case k == "model name" && model == "":
			model = v
		case k == "cpu MHz" && mhz == "":
			mhz = v
		case k == "flags" && flags == "":
			for _, f := range []string{"avx2", "avx512f", "sha_ni", "aes"} {
				if strings.Contains(" "+v+" ", " "+f+" ") {
					flags += " " + f
				}
			}
		}
	}
	return fmt.Sprintf("%s, %s MHz, flags:%s", model, mhz, flags)
}

func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "MemTotal:") {
			kb, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return "unknown"
}

func diskInfo(ctx context.Context, dir string) string {
	out := command(ctx, "df", "-hT", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 {
		return out
	}
	f := strings.Fields(lines[1])
	if len(f) < 7 {
		return lines[1]
	}
	return fmt.Sprintf("%s (%s), %s, %s free", f[0], f[1], f[2], f[4])
}

func utsString(b []int8) string {
	var s strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		s.WriteByte(byte(c))
	}
	return s.String()
}

func command(ctx context.Context, name string, args ...string) string {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// loadAvg is /proc/loadavg's three averages.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func load1() float64 {
	f := strings.Fields(loadAvg())
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// waitForLoad waits (checking every minute, up to wait) until the 1-minute
// load average is below max: other jobs on the machine skew the figures.
func waitForLoad(ctx context.Context, max float64, wait time.Duration, log *slog.Logger) error {
	deadline := time.Now().Add(wait)
	for load1() >= max && time.Now().Before(deadline) {
		log.Info("waiting for the machine to calm down", "load", loadAvg(), "max", max,
			"gives_up_in", time.Until(deadline).Round(time.Second))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Minute):
		}
	}
	if l := load1(); l >= max {
		log.Warn("load still high; measuring anyway (recorded in the results)", "load", loadAvg())
	}
	return nil
}

// versions of the servers, for the machine table.
func serverVersions(cassandra string) string {
	return fmt.Sprintf("Apache Cassandra %s (Java above), versitygw %s, Python Medusa %s (PyPI cassandra-medusa)",
		cassandra, testbed.VersitygwVersion, testbed.PyMedusaVersion)
}
