package commitlog

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
)

// SegmentName is the name of a commit log segment file,
// CommitLog-<Version>-<ID>.log. Within one run of Cassandra the ids of
// successive segments are consecutive; the first id of a run is the time
// the run started, in milliseconds since the epoch (or one more than the
// largest id on disk).
type SegmentName struct {
	Version int
	ID      int64
}

// ParseSegmentName parses "CommitLog-<v>-<id>.log".
func ParseSegmentName(name string) (SegmentName, error) {
	rest, ok := strings.CutPrefix(name, "CommitLog-")
	if ok {
		rest, ok = strings.CutSuffix(rest, ".log")
	}
	var v, id string
	if ok {
		v, id, ok = strings.Cut(rest, "-")
	}
	if !ok || !isDigits(v) || !isDigits(id) {
		return SegmentName{}, fmt.Errorf("%q is not a commit log segment name (CommitLog-<version>-<id>.log)", name)
	}
	ver, err1 := strconv.Atoi(v)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil {
		return SegmentName{}, fmt.Errorf("%q: version or id out of range", name)
	}
	return SegmentName{Version: ver, ID: n}, nil
}

// String returns the file name, CommitLog-<v>-<id>.log.
func (s SegmentName) String() string {
	return "CommitLog-" + strconv.Itoa(s.Version) + "-" + strconv.FormatInt(s.ID, 10) + ".log"
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Header is the descriptor at the start of a segment.
type Header struct {
	Version int
	ID      int64
	// Params are the JSON parameters (compression class, encryption
	// cipher...); empty for an uncompressed, unencrypted segment.
	Params map[string]any
	// Compressed: Params names a compression class (commitlog_compression).
	Compressed bool
	// Encrypted: Params carries encryption parameters (transparent data
	// encryption of the commit log).
	Encrypted bool
}

// Name returns the segment name the header describes.
func (h Header) Name() SegmentName { return SegmentName{Version: h.Version, ID: h.ID} }

// maxParams bounds the parameter length (an unsigned short in the format).
const maxParams = 0xFFFF

// ErrBadHeader marks a segment whose header is not a valid descriptor.
var ErrBadHeader = errors.New("not a valid commit log segment header")

// ReadHeader reads and checks the segment header: big-endian int version,
// long id, unsigned short parameter length, the parameters (JSON), then an
// int CRC32 over the version, the id's low int, the id's high int, the
// parameter length and the parameter bytes. It reads exactly the header.
func ReadHeader(r io.Reader) (Header, error) {
	var fixed [14]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return Header{}, fmt.Errorf("read segment header: %w (%w)", ErrBadHeader, err)
	}
	h := Header{
		Version: int(int32(binary.BigEndian.Uint32(fixed[0:4]))),
		ID:      int64(binary.BigEndian.Uint64(fixed[4:12])),
	}
	plen := int(binary.BigEndian.Uint16(fixed[12:14]))
	rest := make([]byte, plen+4)
	if _, err := io.ReadFull(r, rest); err != nil {
		return Header{}, fmt.Errorf("read segment header parameters: %w (%w)", ErrBadHeader, err)
	}
	params := rest[:plen]
	crc := crc32.NewIEEE()
	var b [4]byte
	for _, n := range []uint32{uint32(h.Version), uint32(h.ID), uint32(uint64(h.ID) >> 32), uint32(plen)} {
		binary.BigEndian.PutUint32(b[:], n)
		crc.Write(b[:])
	}
	crc.Write(params)
	if got, want := crc.Sum32(), binary.BigEndian.Uint32(rest[plen:]); got != want {
		return Header{}, fmt.Errorf("segment header of CommitLog-%d-%d.log: %w: CRC %08x, computed %08x",
			h.Version, h.ID, ErrBadHeader, want, got)
	}
	if h.Version < 1 {
		return Header{}, fmt.Errorf("segment header: %w: version %d", ErrBadHeader, h.Version)
	}
	if len(bytes.TrimSpace(params)) > 0 {
		if err := json.Unmarshal(params, &h.Params); err != nil {
			return Header{}, fmt.Errorf("segment header parameters of CommitLog-%d-%d.log: %w: %w",
				h.Version, h.ID, ErrBadHeader, err)
		}
	}
	if c, ok := h.Params["compressionClass"].(string); ok && c != "" {
		h.Compressed = true
	}
	for k := range h.Params {
		if strings.HasPrefix(k, "enc") {
			h.Encrypted = true
		}
	}
	return h, nil
}

// EncodeHeader renders h as Cassandra writes it (params marshalled as
// JSON; none when h.Params is empty). Tests use it to build segments.
func EncodeHeader(h Header) ([]byte, error) {
	var params []byte
	if len(h.Params) > 0 {
		var err error
		if params, err = json.Marshal(h.Params); err != nil {
			return nil, err
		}
	} else {
		params = []byte("{}")
	}
	if len(params) > maxParams {
		return nil, fmt.Errorf("segment header parameters are %d bytes, more than %d", len(params), maxParams)
	}
	out := make([]byte, 14, 18+len(params))
	binary.BigEndian.PutUint32(out[0:4], uint32(h.Version))
	binary.BigEndian.PutUint64(out[4:12], uint64(h.ID))
	binary.BigEndian.PutUint16(out[12:14], uint16(len(params)))
	out = append(out, params...)
	crc := crc32.NewIEEE()
	crc.Write(out[0:4])
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(h.ID))
	crc.Write(b[:])
	binary.BigEndian.PutUint32(b[:], uint32(uint64(h.ID)>>32))
	crc.Write(b[:])
	binary.BigEndian.PutUint32(b[:], uint32(len(params)))
	crc.Write(b[:])
	crc.Write(params)
	return binary.BigEndian.AppendUint32(out, crc.Sum32()), nil
}
