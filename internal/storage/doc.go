// Package storage defines the contract every object-store backend of medusa
// fulfils (S3 and S3-compatible stores, Google Cloud Storage, Azure Blob and
// a local directory), the object metadata they report and the sentinel
// errors callers match with errors.Is.
//
// The contract:
//
//   - Keys are '/'-separated, never start with '/', and are used byte for
//     byte: Medusa's bucket layout is a compatibility contract.
//   - Put streams from a re-readable Source (io.ReaderAt plus Size). A
//     backend may read any range of it, more than once (multipart parts,
//     retries), and never holds the whole object in memory. Put overwrites.
//     On failure, including cancellation, no object and no pending multipart
//     upload is left behind. It returns what Stat would return afterwards
//     (the local backend's Put also reports the hash its Stat leaves empty;
//     the S3 backend takes it from the store's answer to the upload, not
//     from a HeadObject).
//   - Get returns a stream of length bytes from offset (length < 0 means to
//     the end). A missing key gives ErrNotExist, from Get itself. A range
//     past the end is cut at the end; length 0 gives an empty stream; an
//     offset past the end is an error that is not transient.
//   - Get also returns the ObjectInfo of the object it reads, taken from the
//     store's answer to that very request, never from a second one: Size is
//     the whole object's, whatever the range; ModTime and Version always;
//     Hash when the answer carries it (S3: the ETag; Azure: the blob's
//     Content-MD5; the GCS reader and the local backend report none). So a
//     caller that needs the size or the version of what it downloads sends
//     no Stat, and the description always matches the bytes of the stream
//     (a Stat beside a Get could describe another version).
//   - Version changes with every write of the object. A read resumed from an
//     offset (package retry does so after a broken connection) is pinned to
//     the version its first request got: when the resumed request's answer
//     names another version, the stream fails with an error matching
//     ErrChanged, which is not transient, instead of splicing the start of
//     one version to the rest of another.
//   - Stat returns size, modification time and the hash the store reports
//     (see ObjectInfo.Hash). A missing key gives ErrNotExist.
//   - List yields every object whose key starts with prefix, in ascending
//     key order, paging through the store as needed. It never yields
//     directory placeholders.
//   - Delete removes one object; a missing key is not an error.
//     DeleteMany removes many in as few requests as the store allows; keys
//     that are missing are not errors.
//   - Errors are translated into the sentinels below (wrapped with the key
//     and the operation); errors worth retrying are marked with Transient,
//     including those of reading a Get stream (connection resets).
//     Messages never contain credentials.
//   - A cancelled context stops the operation; no write starts after it.
//     The error then matches the context's error (errors.Is).
//
// Package storagetest checks all of this against a real server.
package storage
