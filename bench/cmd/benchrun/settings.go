package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/medusa-go/medusa/internal/testbed"
)

// settings of one bench run (flags and BENCH_* environment variables).
type settings struct {
	medusa, sdkloop, diskread, out string

	runs       int     // BENCH_RUNS: repetitions of every measured command
	sizeGiB    float64 // BENCH_SIZE_GIB: data of the large node
	files      int     // BENCH_FILES: SSTable files of the many-files node
	backups    int     // BENCH_BACKUPS: backups in the index for list-backups
	quick      bool    // BENCH_QUICK
	skipPython bool    // BENCH_SKIP_PYTHON
	cases      []int   // BENCH_CASES; empty means all
	profileDir string  // BENCH_PROFILE
	before     string  // BENCH_BEFORE: an older medusa binary, for before/after rows
	maxLoad    float64 // BENCH_MAX_LOAD: wait until the 1-minute load is below
	loadWait   time.Duration
	cache      string // $MEDUSA_TESTBED_CACHE/bench
}

func (s *settings) fromEnv() error {
	s.quick = os.Getenv("BENCH_QUICK") == "1"
	s.runs, s.sizeGiB, s.files, s.backups = 3, 2, 10000, 1000
	s.maxLoad, s.loadWait = 1.5, 20*time.Minute
	if s.quick {
		s.runs, s.sizeGiB, s.files, s.backups = 1, 0.25, 1000, 100
		s.loadWait = 0
	}
	var err error
	if s.runs, err = envInt("BENCH_RUNS", s.runs); err != nil {
		return err
	}
	if s.files, err = envInt("BENCH_FILES", s.files); err != nil {
		return err
	}
	if s.backups, err = envInt("BENCH_BACKUPS", s.backups); err != nil {
		return err
	}
	if s.sizeGiB, err = envFloat("BENCH_SIZE_GIB", s.sizeGiB); err != nil {
		return err
	}
	if s.maxLoad, err = envFloat("BENCH_MAX_LOAD", s.maxLoad); err != nil {
		return err
	}
	if v := os.Getenv("BENCH_LOAD_WAIT"); v != "" {
		if s.loadWait, err = time.ParseDuration(v); err != nil {
			return fmt.Errorf("BENCH_LOAD_WAIT=%q: %w", v, err)
		}
	}
	if s.runs < 1 || s.sizeGiB <= 0 || s.files < 100 || s.backups < 1 {
		return fmt.Errorf("BENCH_RUNS >= 1, BENCH_SIZE_GIB > 0, BENCH_FILES >= 100 and BENCH_BACKUPS >= 1 are required")
	}
	s.skipPython = os.Getenv("BENCH_SKIP_PYTHON") == "1"
	if v := os.Getenv("BENCH_CASES"); v != "" {
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || n > 7 {
				return fmt.Errorf("BENCH_CASES=%q: want numbers 1-7 separated by commas", v)
			}
			s.cases = append(s.cases, n)
		}
	}
	s.profileDir = os.Getenv("BENCH_PROFILE")
	if s.before = os.Getenv("BENCH_BEFORE"); s.before != "" {
		if s.before, err = filepath.Abs(s.before); err != nil {
			return err
		}
		if _, err := os.Stat(s.before); err != nil {
			return fmt.Errorf("BENCH_BEFORE: %w", err)
		}
	}
	s.cache = filepath.Join(testbed.CacheDir(), "bench")
	for _, p := range []*string{&s.medusa, &s.sdkloop, &s.diskread, &s.out} {
		if *p, err = filepath.Abs(*p); err != nil {
			return err
		}
	}
	for _, p := range []string{s.medusa, s.sdkloop, s.diskread} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%w (run `make bench`, which builds it)", err)
		}
	}
	return nil
}

// want reports whether case n is to be run.
func (s *settings) want(n int) bool { return len(s.cases) == 0 || slices.Contains(s.cases, n) }

// bigBytes is the size of the large node's data.
func (s *settings) bigBytes() int64 { return int64(s.sizeGiB * (1 << 30)) }

func envInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: not an integer", name, v)
	}
	return n, nil
}

func envFloat(name string, def float64) (float64, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: not a number", name, v)
	}
	return f, nil
}
