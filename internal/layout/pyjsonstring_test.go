package layout

import "testing"

func TestPyJSONString(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"medusa-b1": `"medusa-b1"`,
		`a"b\c`:     `"a\"b\\c"`,
		"<&>":       `"<&>"`,
		"é😀":        `"\u00e9\ud83d\ude00"`,
		"del\x7f":   `"del\u007f"`,
		"\t\x01":    `"\t\u0001"`,
	} {
		if got := PyJSONString(in); got != want {
			t.Errorf("PyJSONString(%q) = %s, want %s", in, got, want)
		}
	}
}
