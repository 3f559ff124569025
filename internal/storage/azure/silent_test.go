package azure

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/storagetest"
)

// TestSilentServer: a store that accepts connections and never answers
// fails a request after ReadTimeout with a transient ErrNoAnswer naming
// the endpoint, the operation and the key.
func TestSilentServer(t *testing.T) {
	endpoint := "http://" + storagetest.SilentServer(t) + "/devstoreaccount1"
	b, err := New(Options{Account: "devstoreaccount1", Key: "a2V5", Endpoint: endpoint, Container: "c",
		ReadTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	start := time.Now()
	_, err = b.Stat(t.Context(), "node1/meta/schema.cql")
	if !errors.Is(err, storage.ErrNoAnswer) || !storage.IsTransient(err) ||
		!strings.Contains(err.Error(), endpoint+" sent nothing for 300ms") || !strings.Contains(err.Error(), "node1/meta/schema.cql") {
		t.Fatalf("Stat = %v, want a transient ErrNoAnswer naming %s and the key", err, endpoint)
	}
	if el := time.Since(start); el > 30*time.Second {
		t.Fatalf("took %s", el)
	}
}
