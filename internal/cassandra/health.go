package cassandra

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Health check modes of [checks] health_check.
const (
	HealthCQL    = "cql"    // native port or storage port open
	HealthThrift = "thrift" // rpc port open
	HealthAll    = "all"    // rpc, native and storage ports open
)

// HealthCheck tells whether a node is up the way Medusa's is_node_up does:
// by opening TCP connections to its ports (nothing is sent). The ports are
// the local node's (cassandra.yaml); seeds are assumed to use the same.
type HealthCheck struct {
	// Mode is cql (default), thrift or all.
	Mode string
	// Host is the local node's address (listen_address); NativeHost is
	// where the native transport listens (rpc_address unless it is a
	// wildcard); both default to the other, then to localhost.
	Host       string
	NativeHost string
	// Ports from cassandra.yaml (NodeConfig).
	NativePort, StoragePort, RPCPort int
	// DialTimeout bounds each connection attempt (default 3 s).
	DialTimeout time.Duration
}

// HealthCheckFor builds the check of the node nc describes.
func HealthCheckFor(nc *NodeConfig, mode string) HealthCheck {
	native := nc.RPCAddress
	if native == "0.0.0.0" || native == "::" {
		native = ""
	}
	return HealthCheck{Mode: mode, Host: nc.ListenAddress, NativeHost: native,
		NativePort: nc.NativePort, StoragePort: nc.StoragePort, RPCPort: nc.RPCPort}
}

// ValidateHealthMode checks a [checks] health_check value.
func ValidateHealthMode(mode string) error {
	switch strings.ToLower(mode) {
	case "", HealthCQL, HealthThrift, HealthAll:
		return nil
	}
	return fmt.Errorf("[checks] health_check %q: use cql, thrift or all", mode)
}

func (h HealthCheck) hosts() (host, native string) {
	host, native = h.Host, h.NativeHost
	if host == "" {
		host = native
	}
	if native == "" {
		native = host
	}
	if host == "" {
		host, native = "localhost", "localhost"
	}
	return host, native
}

// Up reports whether the local node passes the health check.
func (h HealthCheck) Up(ctx context.Context) bool {
	host, native := h.hosts()
	return h.up(ctx, host, native)
}

// UpAt reports whether the node at host (a seed) passes the health check,
// assuming it uses the local node's ports.
func (h HealthCheck) UpAt(ctx context.Context, host string) bool {
	return h.up(ctx, host, host)
}

// NativeOpen reports whether the local node's native transport (CQL)
// port accepts connections: clients can connect.
func (h HealthCheck) NativeOpen(ctx context.Context) bool {
	_, native := h.hosts()
	return h.open(ctx, native, h.NativePort)
}

// Down reports whether none of the local node's ports accept connections,
// whatever the mode: a node whose storage port is still open is still
// shutting down.
func (h HealthCheck) Down(ctx context.Context) bool {
	host, native := h.hosts()
	if h.open(ctx, native, h.NativePort) || h.open(ctx, host, h.StoragePort) {
		return false
	}
	m := strings.ToLower(h.Mode)
	return !((m == HealthThrift || m == HealthAll) && h.open(ctx, native, h.RPCPort))
}

func (h HealthCheck) up(ctx context.Context, host, native string) bool {
	switch strings.ToLower(h.Mode) {
	case HealthThrift:
		return h.open(ctx, native, h.RPCPort)
	case HealthAll:
		return h.open(ctx, native, h.RPCPort) && h.open(ctx, native, h.NativePort) && h.open(ctx, host, h.StoragePort)
	default:
		return h.open(ctx, native, h.NativePort) || h.open(ctx, host, h.StoragePort)
	}
}

// open reports whether a TCP connection to host:port succeeds.
func (h HealthCheck) open(ctx context.Context, host string, port int) bool {
	if port <= 0 {
		return false
	}
	timeout := h.DialTimeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	defer c.Close()
	// A port in the ephemeral range with nothing listening can "accept" a
	// connection to itself (TCP simultaneous open, when the kernel picks
	// the same port as the source): that is not Cassandra answering.
	return !selfConnected(c)
}

// selfConnected reports whether c's two ends are the same address.
func selfConnected(c net.Conn) bool {
	return c.LocalAddr().String() == c.RemoteAddr().String()
}
