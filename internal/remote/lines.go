package remote

import (
	"bytes"
	"io"
	"sync"
)

// PrefixWriter writes every complete line written to it to W with Prefix
// in front ("[host] "), so that the output of several hosts can share one
// terminal. Lines of several PrefixWriters sharing one W and one Mu never
// interleave. Flush writes a last unterminated line.
type PrefixWriter struct {
	W      io.Writer
	Prefix string
	Mu     *sync.Mutex
	// Line, when set, is called with every complete line (without the
	// prefix and the newline), e.g. to keep the last error line of a host.
	Line func(string)
	buf  []byte
}

func (p *PrefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		if err := p.emit(p.buf[:i]); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

// Flush writes what is left of an unterminated last line.
func (p *PrefixWriter) Flush() error {
	if len(p.buf) == 0 {
		return nil
	}
	err := p.emit(p.buf)
	p.buf = nil
	return err
}

func (p *PrefixWriter) emit(line []byte) error {
	line = bytes.TrimRight(line, "\r")
	if p.Line != nil {
		p.Line(string(line))
	}
	if p.W == nil {
		return nil
	}
	if p.Mu != nil {
		p.Mu.Lock()
		defer p.Mu.Unlock()
	}
	out := make([]byte, 0, len(p.Prefix)+len(line)+1)
	out = append(append(append(out, p.Prefix...), line...), '\n')
	_, err := p.W.Write(out)
	return err
}
