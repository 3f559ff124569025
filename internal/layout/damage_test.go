package layout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestStatusDamaged: a complete backup whose data check found a node
// damaged is shown as [Damaged!] with the node, the counts, the first keys
// and what to run; in JSON it is no longer finished and the node moves to
// damaged_nodes_list. Without damage the output is Medusa's (the golden
// tests).
func TestStatusDamaged(t *testing.T) {
	t.Parallel()
	_, clusters := fixtureClusters(t, "clusterA")
	cb := clusters[1]
	if !cb.IsComplete() {
		t.Fatal("the fixture's second backup is not complete")
	}
	cb.Nodes = slices.Clone(cb.Nodes)
	d := &cb.Nodes[0].Damage
	for i := range MaxDamageKeys + 2 {
		d.AddMissing(fmt.Sprintf("k/missing-%d", i))
	}
	d.AddResized("k/resized")
	fqdn := cb.Nodes[0].FQDN
	if cb.IsComplete() || !cb.IsDamaged() || cb.Finished() != nil || cb.LastFinish() == nil ||
		len(cb.CompleteNodes()) != len(cb.Nodes)-1 {
		t.Fatalf("complete %v damaged %v finished %v", cb.IsComplete(), cb.IsDamaged(), cb.Finished())
	}
	var text bytes.Buffer
	if err := WriteStatus(&text, cb, cet); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	for _, want := range []string{
		cb.Name + " [Damaged!]\n",
		fmt.Sprintf("    %s: 7 of %d objects missing, 1 of %d objects with another size\n", fqdn,
			cb.Nodes[0].NumObjects, cb.Nodes[0].NumObjects),
		"      missing: k/missing-0\n", "      missing: k/missing-4\n", "      other size: k/resized\n",
		"      ... and 2 more\n",
		"`medusa verify --backup-name " + cb.Name + "` lists every object concerned",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Finished: never") || strings.Contains(out, "missing-5") {
		t.Errorf("status:\n%s", out)
	}
	var js bytes.Buffer
	if err := WriteStatusJSON(&js, cb); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Finished *int64 `json:"finished"`
		Damaged  int    `json:"damaged_nodes"`
		List     []struct {
			FQDN        string   `json:"fqdn"`
			Missing     int      `json:"missing_objects"`
			MissingKeys []string `json:"missing_keys"`
			Resized     int      `json:"resized_objects"`
			ResizedKeys []string `json:"resized_keys"`
		} `json:"damaged_nodes_list"`
		Nodes []struct {
			FQDN string `json:"fqdn"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, js.Bytes())
	}
	if got.Finished != nil || got.Damaged != 1 || len(got.List) != 1 || got.List[0].FQDN != fqdn ||
		got.List[0].Missing != 7 || len(got.List[0].MissingKeys) != MaxDamageKeys || got.List[0].Resized != 1 ||
		len(got.Nodes) != len(cb.Nodes)-1 {
		t.Errorf("status json: %s", js.Bytes())
	}
	// Keys sorted as Python's sort_keys: completed_nodes < damaged_nodes < finished.
	j := js.String()
	if c, d, f := strings.Index(j, `"completed_nodes"`), strings.Index(j, `"damaged_nodes": 1, "damaged_nodes_list": [{"fqdn": `),
		strings.Index(j, `"finished": null`); c < 0 || d < c || f < d {
		t.Errorf("keys out of order: %s", j)
	}
}
