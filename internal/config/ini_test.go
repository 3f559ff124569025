package config

import (
	"reflect"
	"testing"
)

// TestParseINI checks the configparser rules on the raw parse: sections,
// keys and joined values.
func TestParseINI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want map[string]map[string]string // section -> key -> value
	}{
		{
			name: "greedy header, trailing text ignored",
			text: "[a]]\nk = 1\n[b] # c\nk = 2\n",
			want: map[string]map[string]string{"a]": {"k": "1"}, "b": {"k": "2"}},
		},
		{
			name: "first delimiter splits, keys lower-cased, empty value",
			text: "[s]\nA:B = c\nKey=\nx : y : z\n",
			want: map[string]map[string]string{"s": {"a": "B = c", "key": "", "x": "y : z"}},
		},
		{
			name: "continuation needs more indentation than the key line",
			text: "[s]\n  k = a\n    b\n  j = c\n   d\n",
			want: map[string]map[string]string{"s": {"k": "a\nb", "j": "c\nd"}},
		},
		{
			name: "blank lines inside a value, comment lines skipped",
			text: "[s]\nk = a\n\n  ; c\n\n  b\n\n",
			want: map[string]map[string]string{"s": {"k": "a\n\n\nb"}},
		},
		{
			name: "section names keep case and spaces",
			text: "[ Storage ]\nk = v\n",
			want: map[string]map[string]string{" Storage ": {"k": "v"}},
		},
		{
			name: "empty brackets are not a header",
			text: "[s]\n[]\n",
			want: map[string]map[string]string{"s": {}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, probs := parseINI(tt.text)
			got := map[string]map[string]string{}
			for _, s := range f.sections {
				got[s.name] = map[string]string{}
				for _, k := range s.keys {
					got[s.name][k.name] = k.value()
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sections = %q, want %q", got, tt.want)
			}
			if tt.name == "empty brackets are not a header" {
				if len(probs) != 1 || probs[0].format("f") != `f:2: [s]: not a "key = value" line, a section header or a comment` {
					t.Errorf("problems = %+v", probs)
				}
			} else if len(probs) != 0 {
				t.Errorf("problems = %+v", probs)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	keys := []string{"bucket_name", "prefix", "port", "host"}
	for in, want := range map[string]string{
		"bucket_nme": "bucket_name", "bucketname": "bucket_name", "bukcet_name": "bucket_name",
		"prefx": "prefix", "PORT": "port", "hots": "host", "ab": "", "colour": "", "region": "",
	} {
		if got := suggest(in, keys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
