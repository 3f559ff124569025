package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sample is one measured run of a command.
type sample struct {
	wall      time.Duration
	user, sys time.Duration // rusage of the process and its waited-for children
	rss       int64         // peak RSS in bytes (rusage ru_maxrss)
	server    time.Duration // CPU the S3 server used meanwhile
	bytes     int64         // payload moved (for MB/s); 0 when not a transfer
}

func (s sample) cpu() time.Duration { return s.user + s.sys }

// mbps is the payload rate in MB/s (10^6 bytes).
func (s sample) mbps() float64 {
	if s.wall <= 0 {
		return 0
	}
	return float64(s.bytes) / s.wall.Seconds() / 1e6
}

// rotate returns s turned left by k*len(s)/3 places (round k = 0, 1, 2,
// ...): the commands of a round take other places (and other neighbours)
// in the next one, so that drift during a round (the S3 server's CPU cost
// varies from run to run) does not always favour the same command.
func rotate[T any](s []T, k int) []T {
	if len(s) == 0 {
		return s
	}
	n := (k * max(len(s)/3, 1)) % len(s)
	return append(append([]T{}, s[n:]...), s[:n]...)
}

// step is a measured command and the row it goes to.
type step struct {
	key, label string
	p          proc
	cleanup    func() error // removes what the command stored; nil: nothing to remove
}

// proc is a command to measure.
type proc struct {
	name string   // for the log file and messages
	path string   // executable
	args []string // never secrets
	env  []string // the whole environment
}

// measure runs p to completion with stdout and stderr in a log file and
// returns its sample; a non-zero exit is an error carrying the log tail.
func (b *bench) measure(ctx context.Context, p proc) (sample, error) {
	b.seq++
	logPath := filepath.Join(b.work, "logs", fmt.Sprintf("%03d-%s.log", b.seq, p.name))
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return sample{}, err
	}
	b.lastLog = logPath
	logFile, err := os.Create(logPath)
	if err != nil {
		return sample{}, err
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, p.path, p.args...)
	cmd.Env = p.env
	cmd.Dir = b.work
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	// Start every command with no dirty pages: the previous command's
	// writes (2 GiB into the S3 server's directory, or a download) would
	// otherwise be written back during this one, on its time.
	syscall.Sync()
	srv0 := b.serverCPU()
	began := time.Now()
	err = cmd.Start()
	var hwm int64
	if err == nil {
		stop := make(chan struct{})
		done := make(chan int64)
		go func() { done <- pollHWM(cmd.Process.Pid, stop) }()
		err = cmd.Wait()
		close(stop)
		hwm = <-done
	}
	wall := time.Since(began)
	srv1 := b.serverCPU()
	if err != nil {
		return sample{}, fmt.Errorf("%s (%s %s): %w\n--- tail of %s ---\n%s", p.name, p.path,
			strings.Join(p.args, " "), err, logPath, fileTail(logPath, 25))
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	s := sample{
		wall:   wall,
		user:   time.Duration(ru.Utime.Nano()),
		sys:    time.Duration(ru.Stime.Nano()),
		rss:    ru.Maxrss * 1024, // kilobytes on Linux
		server: srv1 - srv0,
	}
	// ru_maxrss also covers waited-for children (restore-node's nodetool
	// JVM): prefer the process's own high-water mark when it was seen.
	if hwm > 0 {
		s.rss = hwm
	}
	b.log.Info("measured", "cmd", p.name, "wall", wall.Round(time.Millisecond),
		"cpu", s.cpu().Round(time.Millisecond), "rss_mib", s.rss>>20, "server_cpu", s.server.Round(time.Millisecond))
	return s, nil
}

// pollHWM follows VmHWM (peak resident set) of process pid every 10 ms
// until stop is closed, and returns the last value read (0 if none). The
// mark only grows, so the last read is the peak up to 10 ms before exit.
func pollHWM(pid int, stop <-chan struct{}) int64 {
	var last int64
	path := fmt.Sprintf("/proc/%d/status", pid)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if data, err := os.ReadFile(path); err == nil {
			for _, l := range strings.Split(string(data), "\n") {
				if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
					if f := strings.Fields(v); len(f) > 0 {
						if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil && kb<<10 > last {
							last = kb << 10
						}
					}
				}
			}
		}
		select {
		case <-stop:
			return last
		case <-t.C:
		}
	}
}

// serverCPU is the CPU time (user+sys) used so far by the S3 server's
// processes (the gateway and its IAM service).
func (b *bench) serverCPU() time.Duration {
	var total time.Duration
	for _, pid := range b.serverPIDs {
		total += procCPU(pid)
	}
	return total
}

// procCPU reads utime+stime of a process from /proc (clock ticks of 10 ms).
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// pidsWithArg returns the processes whose command line contains arg.
func pidsWithArg(arg string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(arg)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// fileTail returns the last n lines of a file.
func fileTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// baseEnv is the environment of every measured command: no AWS_*,
// MEDUSA_* or CQL_* variable of the caller leaks in.
func baseEnv(tmp string) []string {
	env := []string{"LANG=C.UTF-8", "LC_ALL=C.UTF-8", "TZ=UTC", "TMPDIR=" + tmp,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull}
	for _, k := range []string{"PATH", "HOME", "JAVA_HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
