// Package storagetest is the conformance suite every storage.Backend runs
// against its real server, plus helpers for tests of code above storage:
//
//   - Run(t, newBackend, caps) runs every subtest of the contract stated in
//     package storage against backends made by newBackend. Capabilities says
//     what the backend and its server can do (multipart part size, the hash
//     the store reports, SSE-C, pending multipart uploads, ...); subtests for
//     missing capabilities are skipped with the reason.
//   - Faulty wraps a Backend and injects errors per operation and count:
//     transient ones (503 SlowDown, connection resets, also mid-stream in a
//     Get body or mid-listing), permanent ones (access denied). The retry
//     decorator's tests use it.
//   - Pattern is a deterministic, incompressible Source of any size that
//     holds no buffer, for large objects that must be streamed.
//   - Memory is an in-memory Backend that passes the suite, for tests of
//     code above storage (catalog, purge, restore) that need many objects
//     quickly; SetNow fixes the modification time of the next writes.
//
// The suite works under a random key prefix per Run and deletes what it
// wrote, so it can share a bucket with other data. It never asserts on
// elapsed time.
//
// Decisions the suite pins down beyond package storage's doc:
//
//   - Get with length 0 returns an empty stream.
//   - Get whose offset+length passes the end returns the bytes up to the
//     end; an offset past the end is an error that is not transient.
//   - List uses plain string prefixes: "a/b" matches "a/b.d", "a/bc" and
//     "a/b-1/x". Keys come in ascending byte order.
//   - Get describes the object with its stream: the whole object's size and
//     Stat's version whatever the range; Stat's hash or none (with
//     Capabilities.GetHash, Stat's hash for a whole read). An overwrite of
//     the same size gives a new version.
//   - A read broken mid-stream and resumed through Capabilities.Resume (the
//     retry decorator) delivers the object; if the object was overwritten
//     before the resume, it fails with storage.ErrChanged, having delivered
//     only bytes of the first version.
//   - Cancelling the context of Put makes Put fail with an error matching
//     context.Canceled and leaves no object (an object being overwritten
//     keeps its old content) and no pending multipart upload.
package storagetest
