package storage

import (
	"fmt"
	"io"
	"os"
)

// FileSource is a file opened as a Source. Its size is fixed when it is
// opened (SSTables and snapshot files do not change); reads never go past
// that size.
type FileSource struct {
	f    *os.File
	size int64
}

// OpenFileSource opens the regular file at path for upload.
func OpenFileSource(path string) (*FileSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("open %s: not a regular file", path)
	}
	return &FileSource{f: f, size: fi.Size()}, nil
}

// ReadAt implements io.ReaderAt, bounded by Size.
func (s *FileSource) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.size {
		if len(p) == 0 && off == s.size {
			return 0, nil
		}
		return 0, io.EOF
	}
	if rest := s.size - off; int64(len(p)) > rest {
		n, err := s.f.ReadAt(p[:rest], off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return s.f.ReadAt(p, off)
}

// Size implements Source: the size when the file was opened.
func (s *FileSource) Size() int64 { return s.size }

// Name returns the path the file was opened with.
func (s *FileSource) Name() string { return s.f.Name() }

// Close closes the file.
func (s *FileSource) Close() error { return s.f.Close() }
