package layout

import (
	"bytes"
	"encoding/json"
	"math/big"
	"slices"
	"strings"
	"testing"
)

func boolp(b bool) *bool { return &b }

func TestTokenmapPythonRoundTrip(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"tokenmap_murmur3_python.json", "tokenmap_random_python.json", "tokenmap_legacy_python.json"} {
		t.Run(name, func(t *testing.T) {
			doc := readTestdata(t, name)
			tm, err := ReadTokenmap(bytes.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			got, err := MarshalTokenmap(tm)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, doc) {
				t.Fatalf("round trip differs\n got: %s\nwant: %s", got, doc)
			}
		})
	}
}

func TestTokenmapParsedValues(t *testing.T) {
	t.Parallel()
	tm, err := UnmarshalTokenmap(readTestdata(t, "tokenmap_murmur3_python.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := tm.HostNames(); !slices.Equal(got, []string{"10.0.0.11", "10.0.0.12", "node3.example.com"}) {
		t.Errorf("host order = %v", got)
	}
	h, ok := tm.Host("node3.example.com")
	if !ok || h.Rack != nil || h.DC == nil || *h.DC != "dé" || h.IsUp == nil || *h.IsUp {
		t.Errorf("node3 = %+v", h)
	}
	if h2, _ := tm.Host("10.0.0.12"); h2.IsUp != nil {
		t.Errorf("is_up null parsed as %v", *h2.IsUp)
	}
	if got := h.TokenStrings(); !slices.Equal(got, []string{"3074457345618258602", "9223372036854775807"}) {
		t.Errorf("tokens = %v", got)
	}

	random, err := UnmarshalTokenmap(readTestdata(t, "tokenmap_random_python.json"))
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := random.Host("127.0.0.2")
	want := new(big.Int).Lsh(big.NewInt(1), 127)
	if got, ok := new(big.Int).SetString(r2.Tokens[1].String(), 10); !ok || got.Cmp(want) != 0 {
		t.Errorf("RandomPartitioner token = %s, want 2**127", r2.Tokens[1])
	}

	legacy, err := UnmarshalTokenmap(readTestdata(t, "tokenmap_legacy_python.json"))
	if err != nil {
		t.Fatal(err)
	}
	n2, _ := legacy.Host("node2")
	if !n2.ScalarToken || !slices.Equal(n2.TokenStrings(), []string{"42"}) || n2.Rack != nil || n2.DC != nil {
		t.Errorf("legacy scalar host = %+v", n2)
	}
	if _, ok := legacy.Host("absent"); ok || legacy.Len() != 2 {
		t.Error("Host/Len wrong on legacy tokenmap")
	}
}

// TestTokenmapBuiltMatchesPython builds tokenmaps in Go (the backup side)
// and compares with json.dumps output.
func TestTokenmapBuiltMatchesPython(t *testing.T) {
	t.Parallel()
	rack1, rack2, dc1, de := "rack1", "rack2", "dc1", "dé"
	murmur := Tokenmap{Hosts: []TokenmapHost{
		{Host: "10.0.0.11", Tokens: []json.Number{Int64Token(-9223372036854775808), Int64Token(-3074457345618258603)}, IsUp: boolp(true), Rack: &rack1, DC: &dc1},
		{Host: "10.0.0.12", Tokens: []json.Number{Int64Token(-6148914691236517206), Int64Token(0)}, Rack: &rack2, DC: &dc1},
		{Host: "node3.example.com", Tokens: []json.Number{Int64Token(3074457345618258602), Int64Token(9223372036854775807)}, IsUp: boolp(false), DC: &de},
	}}
	r1 := "r1"
	big1, _ := new(big.Int).SetString("56713727820156410577229101238628035242", 10)
	big2, _ := new(big.Int).SetString("113427455640312821154458202477256070484", 10)
	random := Tokenmap{Hosts: []TokenmapHost{
		{Host: "127.0.0.1", Tokens: []json.Number{BigToken(big.NewInt(0)), BigToken(big1)}, IsUp: boolp(true), Rack: &r1, DC: &dc1},
		{Host: "127.0.0.2", Tokens: []json.Number{BigToken(big2), BigToken(new(big.Int).Lsh(big.NewInt(1), 127))}, IsUp: boolp(true), Rack: &r1, DC: &dc1},
	}}
	for name, tm := range map[string]Tokenmap{"tokenmap_murmur3_python.json": murmur, "tokenmap_random_python.json": random} {
		got, err := MarshalTokenmap(tm)
		if err != nil {
			t.Fatal(err)
		}
		if want := readTestdata(t, name); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	if got, _ := MarshalTokenmap(Tokenmap{}); string(got) != "{}" {
		t.Errorf("empty tokenmap = %s", got)
	}
}

func TestTokenmapErrors(t *testing.T) {
	t.Parallel()
	for _, tm := range []Tokenmap{
		{Hosts: []TokenmapHost{{Host: "a"}, {Host: "a"}}},
		{Hosts: []TokenmapHost{{Host: "a", Tokens: []json.Number{"1.5"}}}},
		{Hosts: []TokenmapHost{{Host: "a", Tokens: []json.Number{"1", "2"}, ScalarToken: true}}},
	} {
		if _, err := MarshalTokenmap(tm); err == nil {
			t.Errorf("MarshalTokenmap(%+v) succeeded", tm)
		}
	}
	for _, doc := range []string{`[]`, `{"a": {"tokens": [1.5]}}`, `{"a": {"tokens": "x"}}`, `{"a": {"is_up": "yes"}}`, `{} {}`, `{"a": 1}`, `{"a"`} {
		if _, err := UnmarshalTokenmap([]byte(doc)); err == nil {
			t.Errorf("UnmarshalTokenmap(%s) succeeded", doc)
		}
	}
}

func TestUnmarshalTokenmapDuplicateHost(t *testing.T) {
	t.Parallel()
	tm, err := UnmarshalTokenmap([]byte(`{"a": {"tokens": [1]}, "b": {"tokens": [2]}, "a": {"tokens": [3], "is_up": true}}`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := MarshalTokenmap(tm)
	if want := `{"a": {"tokens": [3], "is_up": true}, "b": {"tokens": [2]}}`; string(got) != want {
		t.Errorf("got %s, want %s (first position, last value)", got, want)
	}
	if _, err := UnmarshalTokenmap([]byte(`{"a": {"tokens": null, "rack": "r"}}`)); err != nil {
		t.Errorf("tokens null: %v", err)
	}
	if !strings.Contains(string(got), `"is_up": true`) {
		t.Error("is_up lost")
	}
}
