package faults_test

import (
	"net/http/httptest"
	"testing"
)

// TestKillPointMatchers: each kill point accepts exactly its requests.
func TestKillPointMatchers(t *testing.T) {
	const data = "/medusa-test/p/n1/b1/data/ks/t-1/nb-1-big-Data.db"
	points := map[string]killPoint{
		"put data":    atPut("", "/data/", 1),
		"put meta":    atPut("", "/meta/manifest.json", 1),
		"delete":      atDelete(1),
		"list":        atList("", 1),
		"get data":    atGet("", "/data/", 1),
		"put nothing": atPut("", "/nowhere/", 1),
	}
	tests := []struct {
		method, target string
		want           []string
	}{
		{"PUT", data, []string{"put data"}},
		{"PUT", data + "?partNumber=1&uploadId=x", []string{"put data"}},
		{"PUT", "/medusa-test/p/n1/b1/meta/manifest.json", []string{"put meta"}},
		{"POST", "/medusa-test?delete=", []string{"delete"}},
		{"DELETE", data, []string{"delete"}},
		{"GET", "/medusa-test?list-type=2&prefix=p%2Fn1%2Fb1%2Fdata%2F", []string{"list"}},
		{"GET", data, []string{"get data"}},
		{"HEAD", data, nil},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.target, nil)
		for name, p := range points {
			want := false
			for _, w := range tt.want {
				want = want || w == name
			}
			if got := p.match(r); got != want {
				t.Errorf("%s %s: %s matches %v, want %v", tt.method, tt.target, name, got, want)
			}
		}
	}
}
