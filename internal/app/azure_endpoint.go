package app

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// azureService maps [storage] host and port of azure_blobs to the Azure
// backend's options.
//
// As in Medusa, a plain host is the domain suffix of the service URL
// https://<account>.blob.core.<host>[:<port>]/ (e.g. usgovcloudapi.net),
// returned as suffix with port.
//
// Beyond Medusa, a host that is a URL (http:// or https://) is the blob
// service endpoint itself, used as given: Azurite's path-style
// http://127.0.0.1:10000/devstoreaccount1, an Azure Stack Hub endpoint such
// as https://<account>.blob.local.azurestack.external, or a private
// endpoint. A port setting is added to a URL without one; a URL with a
// different port is refused. A URL may not carry credentials, a query (SAS
// tokens) or a fragment. override (StorageOverrides.Endpoint) wins over
// both.
func azureService(host string, port int, override string) (suffix string, outPort int, endpoint string, err error) {
	if override != "" {
		return "", 0, override, nil
	}
	if !strings.Contains(host, "://") {
		return host, port, "", nil
	}
	const what = "[storage] host of azure_blobs"
	u, err := url.Parse(host)
	if err != nil {
		// url errors quote the input; name the problem only.
		return "", 0, "", fmt.Errorf("%s is not a valid URL", what)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", 0, "", fmt.Errorf("%s: a URL must start with http:// or https://", what)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", 0, "", fmt.Errorf("%s: the endpoint URL must not carry credentials, a query or a fragment "+
			"(use key_file for the account key)", what)
	case u.Hostname() == "":
		return "", 0, "", fmt.Errorf("%s: the endpoint URL has no host name", what)
	}
	if port != 0 {
		switch p := u.Port(); {
		case p == "":
			u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
		case p != strconv.Itoa(port):
			return "", 0, "", fmt.Errorf("%s names port %s but [storage] port is %d; set the port in one place",
				what, p, port)
		}
	}
	return "", 0, u.String(), nil
}
