package cassandra

import (
	"net"
	"testing"
)

// TestSelfConnected: a connection whose two ends are the same address (TCP
// simultaneous open on a port nobody listens on) is not a node answering.
func TestSelfConnected(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if selfConnected(c) {
		t.Errorf("a connection to a listener counts as self-connected: %v -> %v", c.LocalAddr(), c.RemoteAddr())
	}
	if !selfConnected(fakeConn{Conn: c, addr: c.LocalAddr()}) {
		t.Error("a connection from an address to itself does not count as self-connected")
	}
}

// fakeConn reports addr as its remote address.
type fakeConn struct {
	net.Conn
	addr net.Addr
}

func (f fakeConn) RemoteAddr() net.Addr { return f.addr }
