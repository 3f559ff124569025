package restore

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// FaultEnv names the environment variable with which the fault suite
// interrupts a restore at a precise point: "<stage>:<n>" kills the process
// (SIGKILL) before the (n+1)th change to the node's files made in that
// stage ("start:0" as the start stage begins). Stages are the restore's
// (move-aside, place, start, cleanup, ...).
const FaultEnv = "MEDUSA_FAULT_KILL"

// WithFaults wraps fs with the fault named by getenv(FaultEnv); without
// one, fs is returned as is.
func WithFaults(fs FS, getenv func(string) string) FS {
	spec := getenv(FaultEnv)
	stage, count, ok := strings.Cut(spec, ":")
	n, err := strconv.Atoi(count)
	if spec == "" || !ok || err != nil || n < 0 {
		return fs
	}
	return &faultFS{FS: fs, stage: stage, after: n, crash: func() {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is delivered asynchronously
	}}
}

// faultFS counts the changes made (in one stage, or in all when stage is
// "") and calls crash instead of the change after the first after ones.
type faultFS struct {
	FS
	stage string
	after int
	crash func()

	mu      sync.Mutex
	current string
	n       int
}

func (f *faultFS) enterStage(name string) {
	f.mu.Lock()
	f.current = name
	hit := f.stage == name && f.after == 0
	f.mu.Unlock()
	if hit {
		f.crash()
	}
}

func (f *faultFS) step() {
	f.mu.Lock()
	counts := f.stage == "" || f.stage == f.current
	if counts {
		f.n++
	}
	hit := counts && f.n > f.after
	f.mu.Unlock()
	if hit {
		f.crash()
	}
}

func (f *faultFS) Rename(ctx context.Context, from, to string) error {
	f.step()
	return f.FS.Rename(ctx, from, to)
}

func (f *faultFS) MkdirAll(ctx context.Context, dir string) error {
	f.step()
	return f.FS.MkdirAll(ctx, dir)
}

func (f *faultFS) RemoveAll(ctx context.Context, path string) error {
	f.step()
	return f.FS.RemoveAll(ctx, path)
}

func (f *faultFS) Chown(ctx context.Context, path string, uid, gid int) error {
	f.step()
	return f.FS.Chown(ctx, path, uid, gid)
}

func (f *faultFS) WriteFile(ctx context.Context, path string, data []byte) error {
	f.step()
	return f.FS.WriteFile(ctx, path, data)
}
