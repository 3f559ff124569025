package testbed

import (
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// BlackHole is a TCP listener on 127.0.0.1 that accepts connections and
// never answers (a server that hangs).
type BlackHole struct {
	Host     string
	Port     int
	ln       net.Listener
	mu       sync.Mutex
	conns    []net.Conn
	accepted atomic.Int64
}

// StartBlackHole starts a black hole listener.
func StartBlackHole() (*BlackHole, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("black hole: %w", err)
	}
	b := &BlackHole{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, ln: ln}
	go b.accept()
	return b, nil
}

// BlackHoleT starts a black hole for a test; t.Cleanup stops it.
func BlackHoleT(t testing.TB) *BlackHole {
	t.Helper()
	b, err := StartBlackHole()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	return b
}

func (b *BlackHole) accept() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.accepted.Add(1)
		b.mu.Lock()
		b.conns = append(b.conns, c)
		b.mu.Unlock()
		go func() { _, _ = io.Copy(io.Discard, c) }() // read, never write
	}
}

// Accepted is the number of connections accepted so far.
func (b *BlackHole) Accepted() int64 { return b.accepted.Load() }

// Stop closes the listener and every connection it accepted.
func (b *BlackHole) Stop() {
	_ = b.ln.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		_ = c.Close()
	}
	b.conns = nil
}
