package storagetest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
)

func TestPattern(t *testing.T) {
	t.Parallel()
	p := Pattern{N: 1003, Seed: 5}
	whole := p.Bytes()
	if len(whole) != 1003 || bytes.Equal(whole, Pattern{N: 1003, Seed: 6}.Bytes()) {
		t.Fatalf("pattern of %d bytes, or seeds give the same content", len(whole))
	}
	tests := []struct {
		off, n  int64
		wantN   int
		wantEOF bool
	}{
		{0, 10, 10, false},
		{3, 13, 13, false}, // unaligned start and end
		{995, 8, 8, false},
		{1000, 10, 3, true},
		{1003, 1, 0, true},
	}
	for _, tc := range tests {
		buf := make([]byte, tc.n)
		n, err := p.ReadAt(buf, tc.off)
		if n != tc.wantN || (err == io.EOF) != tc.wantEOF || (err != nil && err != io.EOF) {
			t.Errorf("ReadAt(%d bytes at %d) = %d, %v; want %d, EOF %v", tc.n, tc.off, n, err, tc.wantN, tc.wantEOF)
		}
		if !bytes.Equal(buf[:n], whole[tc.off:tc.off+int64(n)]) {
			t.Errorf("ReadAt at %d differs from the same range of the whole", tc.off)
		}
	}
}

func TestHashes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, hex, b64 string
	}{
		{"", "d41d8cd98f00b204e9800998ecf8427e", "1B2M2Y8AsgTpgAmY7PhCfg=="},
		{"hello", "5d41402abc4b2a76b9719d911017c592", "XUFAKrxLKna5cZ2REBfFkg=="},
	}
	for _, tc := range tests {
		if got := HexMD5(strings.NewReader(tc.in)); got != tc.hex {
			t.Errorf("HexMD5(%q) = %s, want %s", tc.in, got, tc.hex)
		}
		if got := Base64MD5(strings.NewReader(tc.in)); got != tc.b64 {
			t.Errorf("Base64MD5(%q) = %s, want %s", tc.in, got, tc.b64)
		}
	}
}

func newFaulty(t *testing.T) *Faulty {
	t.Helper()
	b := NewMemory()
	for _, k := range []string{"a", "b", "c", "d"} {
		if _, err := b.Put(t.Context(), k, strings.NewReader("content of "+k)); err != nil {
			t.Fatal(err)
		}
	}
	return NewFaulty(b)
}

func TestFaultySkipTimesKey(t *testing.T) {
	t.Parallel()
	f := newFaulty(t)
	f.Inject(Fault{Op: OpStat, Key: "b", Err: ErrSlowDown, Skip: 1, Times: 2})
	var got []bool
	for _, key := range []string{"a", "b", "b", "a", "b", "b"} {
		_, err := f.Stat(t.Context(), key)
		if err != nil && !errors.Is(err, ErrSlowDown) {
			t.Fatalf("Stat(%s): unexpected %v", key, err)
		}
		got = append(got, err != nil)
	}
	want := []bool{false, false, true, false, true, false}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("failures %v, want %v", got, want)
		}
	}
	if f.Calls(OpStat) != 6 || f.Injected(OpStat) != 2 {
		t.Errorf("calls %d injected %d, want 6 and 2", f.Calls(OpStat), f.Injected(OpStat))
	}
	if !storage.IsTransient(ErrSlowDown) || !storage.IsTransient(ErrConnReset) || storage.IsTransient(ErrDenied) ||
		!errors.Is(ErrDenied, storage.ErrAccessDenied) {
		t.Error("injected errors are not classified as documented")
	}
	f.Reset()
	if _, err := f.Stat(t.Context(), "b"); err != nil || f.Calls(OpStat) != 1 {
		t.Errorf("after Reset: %v, calls %d", err, f.Calls(OpStat))
	}
}

func TestFaultyMidStreamAndList(t *testing.T) {
	t.Parallel()
	f := newFaulty(t)
	f.Inject(Fault{Op: OpRead, Err: ErrConnReset, After: 5},
		Fault{Op: OpList, Err: ErrSlowDown, After: 2, Times: 1})
	rc, info, err := f.Get(t.Context(), "c", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if info.Key != "c" || info.Size != int64(len("content of c")) || info.Version == "" {
		t.Errorf("Get described %+v, not the object read", info)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if string(got) != "conte" || !errors.Is(err, ErrConnReset) {
		t.Errorf("read %q, %v; want 5 bytes then the reset", got, err)
	}
	var keys []string
	var listErr error
	for info, err := range f.List(t.Context(), "") {
		if err != nil {
			listErr = err
			continue
		}
		keys = append(keys, info.Key)
	}
	if strings.Join(keys, ",") != "a,b" || !errors.Is(listErr, ErrSlowDown) {
		t.Errorf("list yielded %v then %v; want a,b then SlowDown", keys, listErr)
	}
	n := 0
	for _, err := range f.List(t.Context(), "") {
		if err != nil {
			t.Fatalf("second listing failed: %v", err)
		}
		n++
	}
	if n != 4 {
		t.Errorf("second listing yielded %d objects, want 4", n)
	}
}

func TestFaultyPutReadsSource(t *testing.T) {
	t.Parallel()
	f := newFaulty(t)
	f.Inject(Fault{Op: OpPut, Err: ErrDenied, After: 100})
	src := &countingSource{Source: Pattern{N: 1000}}
	if _, err := f.Put(t.Context(), "new", src); !errors.Is(err, storage.ErrAccessDenied) {
		t.Errorf("Put error = %v, want access denied", err)
	}
	if got := src.total.Load(); got != 100 {
		t.Errorf("source read %d bytes before the failure, want 100", got)
	}
	if _, err := f.Stat(t.Context(), "new"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("failed Put stored an object: %v", err)
	}
}
