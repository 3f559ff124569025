package azure

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
)

func TestServiceURL(t *testing.T) {
	tests := []struct {
		account, suffix string
		port            int
		want, wantErr   string
	}{
		{"medusa1", "", 0, "https://medusa1.blob.core.windows.net/", ""},
		{"medusa1", "usgovcloudapi.net", 0, "https://medusa1.blob.core.usgovcloudapi.net/", ""},
		{"medusa1", "chinacloudapi.cn", 8443, "https://medusa1.blob.core.chinacloudapi.cn:8443/", ""},
		{"medusa1", ".windows.net/", 0, "https://medusa1.blob.core.windows.net/", ""},
		{"Medusa", "", 0, "", "not a valid account name"},
		{"ab", "", 0, "", "not a valid account name"},
		{"a-b-c", "", 0, "", "not a valid account name"},
		{"medusa1", "evil.com/x", 0, "", "must be a domain suffix"},
		{"medusa1", "host:99", 0, "", "must be a domain suffix"},
	}
	for _, tc := range tests {
		got, err := serviceURL(tc.account, tc.suffix, tc.port)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("serviceURL(%q, %q, %d) error = %v, want %q", tc.account, tc.suffix, tc.port, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("serviceURL(%q, %q, %d) = %q, %v; want %q", tc.account, tc.suffix, tc.port, got, err, tc.want)
		}
	}
}

func TestParseTier(t *testing.T) {
	tests := []struct {
		class string
		want  blob.AccessTier // "" means nil
		bad   bool
	}{
		{"", "", false},
		{"HOT", blob.AccessTierHot, false},
		{"cool", blob.AccessTierCool, false},
		{"Cold", blob.AccessTierCold, false},
		{"ARCHIVE", blob.AccessTierArchive, false},
		{"STANDARD_IA", "", true},
		{"premium", "", true},
	}
	for _, tc := range tests {
		got, err := parseTier(tc.class)
		switch {
		case tc.bad:
			if err == nil || !strings.Contains(err.Error(), "Hot, Cool, Cold or Archive") {
				t.Errorf("parseTier(%q) error = %v, want a list of the tiers", tc.class, err)
			}
		case err != nil:
			t.Errorf("parseTier(%q): %v", tc.class, err)
		case tc.want == "" && got != nil, tc.want != "" && (got == nil || *got != tc.want):
			t.Errorf("parseTier(%q) = %v, want %q", tc.class, got, tc.want)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"ok", Options{Container: "c"}, ""},
		{"no container", Options{}, "container) is empty"},
		{"slash", Options{Container: "a/b"}, "must not contain '/'"},
		{"negative", Options{Container: "c", Concurrency: -1}, "must not be negative"},
		{"block too big", Options{Container: "c", BlockSize: 4001 << 20}, "4000 MiB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			err := o.setDefaults()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("setDefaults error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || o.BlockSize != DefaultBlockSize || o.Concurrency != DefaultConcurrency || o.Logger == nil {
				t.Errorf("setDefaults = %v, %+v", err, o)
			}
		})
	}
}

func TestResolveCredentials(t *testing.T) {
	const key = "a2V5LWJ5dGVz"
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, []byte(`{"storage_account":"fromfile","key":"`+key+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, env    string
		opts         Options
		wantAccount  string
		wantSource   string // substring
		wantErr      string
		wantTokenCrd bool
	}{
		{name: "key", opts: Options{Account: "acct1", Key: key}, wantAccount: "acct1", wantSource: "configured shared key"},
		{name: "key without account", opts: Options{Key: key}, wantErr: "needs the storage account name"},
		{name: "key not base64", opts: Options{Account: "a", Key: "%%%"}, wantErr: "is not base64"},
		{name: "key file", opts: Options{Account: "ignored", KeyFile: good}, wantAccount: "fromfile", wantSource: "key file " + good},
		{name: "missing key file", opts: Options{KeyFile: filepath.Join(dir, "none.json")}, wantErr: "none.json"},
		{name: "no key file no env", wantErr: "must come from AZURE_STORAGE_ACCOUNT, which is not set"},
		{name: "env account", env: "envacct", wantAccount: "envacct", wantSource: "DefaultAzureCredential", wantTokenCrd: true},
		{name: "option account", env: "envacct", opts: Options{Account: "optacct"}, wantAccount: "optacct", wantTokenCrd: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(AccountEnv, tc.env)
			o := tc.opts
			o.Container = "c"
			if err := o.setDefaults(); err != nil {
				t.Fatal(err)
			}
			c, err := resolveCredentials(&o)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("resolveCredentials error = %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), key) {
					t.Errorf("error %q leaks the key", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.account != tc.wantAccount || !strings.Contains(c.source, tc.wantSource) || (c.token != nil) != tc.wantTokenCrd {
				t.Errorf("resolveCredentials = account %q source %q token %v", c.account, c.source, c.token != nil)
			}
		})
	}
}

func TestBlockSizeFor(t *testing.T) {
	tests := []struct{ size, bs, want int64 }{
		{100 << 20, 50 << 20, 50 << 20},
		{50_000 * (4 << 20), 4 << 20, 4 << 20},
		{50_000*(4<<20) + 1, 4 << 20, 5 << 20},
		{4 << 40, 50 << 20, 84 << 20},
	}
	for _, tc := range tests {
		got := blockSizeFor(tc.size, tc.bs)
		if got != tc.want || (tc.size+got-1)/got > maxBlocks {
			t.Errorf("blockSizeFor(%d, %d) = %d, want %d", tc.size, tc.bs, got, tc.want)
		}
	}
}

func TestBlockIDs(t *testing.T) {
	a, err := blockIDs(300)
	if err != nil {
		t.Fatal(err)
	}
	b, err := blockIDs(2)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range append(a, b...) {
		if len(id) != len(a[0]) {
			t.Errorf("block id %q has length %d, want %d for all", id, len(id), len(a[0]))
		}
		if seen[id] {
			t.Errorf("duplicate block id %q", id)
		}
		seen[id] = true
	}
}

func TestIsFolder(t *testing.T) {
	yes, no := "true", "false"
	tests := []struct {
		meta map[string]*string
		want bool
	}{
		{nil, false},
		{map[string]*string{"hdi_isfolder": &yes}, true},
		{map[string]*string{"Hdi_IsFolder": &yes}, true},
		{map[string]*string{"hdi_isfolder": &no}, false},
		{map[string]*string{"hdi_isfolder": nil}, false},
		{map[string]*string{"other": &yes}, false},
	}
	for _, tc := range tests {
		if got := isFolder(tc.meta); got != tc.want {
			t.Errorf("isFolder(%v) = %v, want %v", tc.meta, got, tc.want)
		}
	}
}

func TestOptionsStringRedactsKey(t *testing.T) {
	o := Options{Account: "acct1", Key: "c2VjcmV0", Container: "c"}
	for _, s := range []string{o.String(), fmt.Sprintf("%v", o), fmt.Sprintf("%+v", o), fmt.Sprint(&o)} {
		if strings.Contains(s, "c2VjcmV0") || !strings.Contains(s, "acct1") {
			t.Errorf("formatted options %q leak the key or lack the account", s)
		}
	}
}
