package config

import (
	"errors"
	"strings"
	"testing"
)

func TestAzureService(t *testing.T) {
	tests := []struct {
		name, host string
		port       int
		suffix     string
		outPort    int
		endpoint   string
		err        string // substring; "" means success
	}{
		{name: "default cloud", host: "", suffix: ""},
		{name: "suffix and port", host: "usgovcloudapi.net", port: 8443, suffix: "usgovcloudapi.net", outPort: 8443},
		{name: "azurite path style", host: "http://127.0.0.1:10000/devstoreaccount1",
			endpoint: "http://127.0.0.1:10000/devstoreaccount1"},
		{name: "port added to a URL without one", host: "http://127.0.0.1/devstoreaccount1", port: 10000,
			endpoint: "http://127.0.0.1:10000/devstoreaccount1"},
		{name: "same port twice", host: "https://acct.blob.local.azurestack.external:443", port: 443,
			endpoint: "https://acct.blob.local.azurestack.external:443"},
		{name: "ipv6 host gets the port", host: "http://[::1]/devstoreaccount1", port: 10000,
			endpoint: "http://[::1]:10000/devstoreaccount1"},
		{name: "conflicting ports", host: "http://127.0.0.1:10000/devstoreaccount1", port: 10001,
			err: "names port 10000 but [storage] port is 10001"},
		{name: "other scheme", host: "ftp://127.0.0.1/x", err: "must start with http:// or https://"},
		{name: "sas token refused", host: "https://acct.blob.core.windows.net/?sv=2020&sig=SECRET",
			err: "must not carry credentials, a query or a fragment"},
		{name: "user info refused", host: "https://user:SECRET@acct.blob.core.windows.net/",
			err: "must not carry credentials"},
		{name: "no host", host: "http:///devstoreaccount1", err: "has no host name"},
		{name: "unparsable", host: "http://127.0.0.1:port/SECRET", err: "not a valid URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			suffix, port, endpoint, err := azureService(tc.host, tc.port)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "SECRET") {
					t.Fatalf("error shows the URL's secret part: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if suffix != tc.suffix || port != tc.outPort || endpoint != tc.endpoint {
				t.Fatalf("got suffix %q port %d endpoint %q, want %q %d %q",
					suffix, port, endpoint, tc.suffix, tc.outPort, tc.endpoint)
			}
		})
	}
}

// A bad Azure endpoint is a configuration problem (exit 2 in the CLI),
// reported with the others and without the URL's secret part.
func TestLoadRefusesBadAzureEndpoint(t *testing.T) {
	ini := "[storage]\nstorage_provider = azure_blobs\nbucket_name = c\nfqdn = n1\n" +
		"host = https://acct.blob.core.windows.net/?sig=SECRET\nmax_backup_count = x\n"
	_, _, err := (&Loader{}).Parse(t.Context(), "medusa.ini", strings.NewReader(ini), Overrides{},
		func(string) string { return "" })
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v, want a *ValidationError", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "[storage] host: the endpoint URL must not carry credentials") ||
		!strings.Contains(msg, "max_backup_count") || strings.Contains(msg, "SECRET") {
		t.Fatalf("error:\n%s\nwant the host problem (without its secret) beside the other problems", msg)
	}
}
