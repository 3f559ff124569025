package cli

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/catalog"
	"github.com/medusa-go/medusa/internal/layout"
)

// hashManifests records in b2's manifests the hex MD5 of every object's
// content (the fixture's manifests have none, as local storage lists none).
func hashManifests(t *testing.T, f *catFixture) {
	t.Helper()
	c := &catalog.Catalog{Backend: f.b, Prefix: fxPrefix}
	for _, h := range fxHosts {
		m, err := c.Manifest(t.Context(), "b2", h)
		catMust(t, err)
		for i := range m {
			for j := range m[i].Objects {
				o := &m[i].Objects[j]
				data, err := os.ReadFile(filepath.Join(f.b.Root(), filepath.FromSlash(o.Path)))
				catMust(t, err)
				sum := md5.Sum(data)
				s := hex.EncodeToString(sum[:])
				o.MD5 = &s
			}
		}
		f.put(t, layout.New(fxPrefix).ManifestKey(h, "b2"), layout.MarshalManifest(m), 0)
	}
}

func TestVerifyDeepFlags(t *testing.T) {
	f := newCatFixture(t, "")
	f.populate(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--sample", "10"}, "--sample only applies to a deep verify: add --deep"},
		{[]string{"--seed", "3"}, "--seed only applies to a deep verify: add --deep"},
		{[]string{"--deep", "--sample", "0"}, "invalid value for --sample: 0 (a percentage of the objects, above 0 and at most 100"},
		{[]string{"--deep", "--sample", "100.5"}, "invalid value for --sample: 100.5"},
		{[]string{"--deep", "--sample", "-3"}, "invalid value for --sample: -3"},
		{[]string{"--deep", "--sample", "NaN"}, "invalid value for --sample: NaN"},
		{[]string{"--deep", "--sample", "ten"}, `invalid argument "ten" for "--sample"`},
		{[]string{"--deep", "--seed", "x"}, `invalid argument "x" for "--seed"`},
	} {
		args := append([]string{"verify", "--backup-name", "b2"}, tc.args...)
		out, errOut, code := f.run(t, nil, args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and %q", tc.args, code, out, errOut, tc.want)
		}
	}
}

// TestVerifyDeepCommand: an object whose bytes changed but not its size
// passes verify (with MD5 checks too: local storage lists no hashes) and
// fails verify --deep, which names it; a sample prints its seed, and the
// same seed reads the same sample.
func TestVerifyDeepCommand(t *testing.T) {
	f := newCatFixture(t, "concurrent_transfers = 2\n")
	f.populate(t)
	hashManifests(t, f)
	const ok = "Validating b2 ...\n- Completion: OK!\n- Manifest validated: OK!!\n" +
		"- Content read: 3 of 3 objects, 300 B\n- Content validated: OK!!\n"
	if out, errOut, code := f.run(t, nil, "verify", "--backup-name", "b2", "--deep"); code != 0 || out != ok {
		t.Fatalf("intact backup: exit %d, stdout:\n%s\nwant:\n%s\nstderr:\n%s", code, out, ok, errOut)
	}

	key := layout.New(fxPrefix).DataPrefix("n2.example.com", "b2") + "ks/t-0123456789abcdef0123456789abcdef/nb-1-big-Data.db"
	path := filepath.Join(f.b.Root(), filepath.FromSlash(key))
	fd, err := os.OpenFile(path, os.O_WRONLY, 0)
	catMust(t, err)
	_, err = fd.WriteAt([]byte("X"), 42) // same size, other bytes
	catMust(t, err)
	catMust(t, fd.Close())
	if out, errOut, code := f.run(t, nil, "verify", "--backup-name", "b2", "--enable-md5-checks"); code != 0 {
		t.Fatalf("plain verify: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	out, errOut, code := f.run(t, nil, "verify", "--backup-name", "b2", "--deep")
	want := "- Content read: 3 of 3 objects, 300 B\n- Content validation: Failed!\n  - [" + key +
		"] Content differs from the manifest (manifest "
	if code != 1 || !strings.Contains(out, want) || !strings.Contains(errOut, "content validation of backup b2 failed: 1 objects") {
		t.Errorf("deep verify: exit %d, stdout:\n%s\nwant it to contain:\n%s\nstderr:\n%s", code, out, want, errOut)
	}

	out, errOut, _ = f.run(t, nil, "verify", "--backup-name", "b2", "--deep", "--sample", "50")
	m := regexp.MustCompile(`repeat it with --seed (\d+)`).FindStringSubmatch(errOut)
	if m == nil || !strings.Contains(out, "- Content read: 2 of 3 objects (50% sample, seed "+m[1]+"), 200 B\n") {
		t.Fatalf("sample without a seed: stdout:\n%s\nstderr:\n%s", out, errOut)
	}
	again, _, _ := f.run(t, nil, "verify", "--backup-name", "b2", "--deep", "--sample", "50", "--seed", m[1])
	if again != out {
		t.Errorf("the same seed read another sample:\n%s\nthen:\n%s", out, again)
	}
}
