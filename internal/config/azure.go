package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// AzureService maps [storage] host and port of azure_blobs to the Azure
// backend's service address.
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
// tokens) or a fragment. Load reports a bad value with the other problems
// of the file; the error never shows the URL.
func (s Storage) AzureService() (suffix string, port int, endpoint string, err error) {
	return azureService(s.Host, s.Port)
}

func azureService(host string, port int) (suffix string, outPort int, endpoint string, err error) {
	if !strings.Contains(host, "://") {
		return host, port, "", nil
	}
	u, err := url.Parse(host)
	if err != nil {
		// url errors quote the input; name the problem only.
		return "", 0, "", errors.New("not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", 0, "", errors.New("a URL must start with http:// or https://")
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", 0, "", errors.New("the endpoint URL must not carry credentials, a query or a fragment " +
			"(use key_file for the account key)")
	case u.Hostname() == "":
		return "", 0, "", errors.New("the endpoint URL has no host name")
	}
	if port != 0 {
		switch p := u.Port(); {
		case p == "":
			u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
		case p != strconv.Itoa(port):
			return "", 0, "", fmt.Errorf("the URL names port %s but [storage] port is %d; set the port in one place",
				p, port)
		}
	}
	return "", 0, u.String(), nil
}
