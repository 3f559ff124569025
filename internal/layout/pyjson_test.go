package layout

import (
	"encoding/json"
	"testing"
)

// TestAppendPyStringMatchesPython compares the escaping with CPython's
// json.dumps in both ensure_ascii modes (testdata/pystrings_python.json).
func TestAppendPyStringMatchesPython(t *testing.T) {
	t.Parallel()
	var cases [][3]string
	if err := json.Unmarshal(readTestdata(t, "pystrings_python.json"), &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 10 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		if got := string(appendPyString(nil, c[0], true)); got != c[1] {
			t.Errorf("ensure_ascii=True %q: got %s, want %s", c[0], got, c[1])
		}
		if got := string(appendPyString(nil, c[0], false)); got != c[2] {
			t.Errorf("ensure_ascii=False %q: got %s, want %s", c[0], got, c[2])
		}
	}
}

func TestAppendPyStringInvalidUTF8(t *testing.T) {
	t.Parallel()
	if got := string(appendPyString(nil, "a\xffb", true)); got != `"a\ufffdb"` {
		t.Errorf("ascii: got %s", got)
	}
	if got := string(appendPyString(nil, "a\xffb", false)); got != "\"a\ufffdb\"" {
		t.Errorf("utf-8: got %s", got)
	}
}

func TestIsJSONInteger(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"0": true, "-1": true, "170141183460469231731687303715884105728": true, "-9223372036854775808": true,
		"": false, "-": false, "01": false, "-0": true, "1.0": false, "1e3": false, "+1": false, " 1": false,
	} {
		if got := isJSONInteger(s); got != want {
			t.Errorf("isJSONInteger(%q) = %v, want %v", s, got, want)
		}
	}
}
