package metrics

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/storage"
	localstore "github.com/medusa-go/medusa/internal/storage/local"
)

// TestCountTransfers counts the bytes of Puts and of what is read from Gets,
// and keeps the wrapped backend reachable.
func TestCountTransfers(t *testing.T) {
	t.Parallel()
	b, err := localstore.New(localstore.Options{BasePath: t.TempDir(), Bucket: "bucket", Create: true})
	if err != nil {
		t.Fatal(err)
	}
	var tr Transfer
	c := CountTransfers(b, &tr)
	defer c.Close()
	if _, err := c.Put(t.Context(), "a/b", strings.NewReader(strings.Repeat("x", 1000))); err != nil {
		t.Fatal(err)
	}
	rc, _, err := c.Get(t.Context(), "a/b", 100, 300)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, rc); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if up, down := tr.Bytes(); up != 1000 || down != 300 {
		t.Errorf("counted %d up, %d down; want 1000, 300", up, down)
	}
	if u, ok := c.(storage.Unwrapper); !ok || u.Unwrap() != b {
		t.Error("the counting backend does not unwrap to the backend it wraps")
	}
	if CountTransfers(b, nil) != b {
		t.Error("CountTransfers(b, nil) wrapped b")
	}
}
