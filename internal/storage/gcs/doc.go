// Package gcs implements storage.Backend on Google Cloud Storage with
// cloud.google.com/go/storage (JSON API over HTTP).
//
// Medusa compatibility (docs/compatibility.md; hashes as in docs/bucket-format.md): key_file is a service-account JSON
// ("~" expanded); without it the application default credentials are used.
// Uploads are resumable uploads sent in chunks of multipart_chunksize (the
// SDK buffers one chunk, shrunk to the object's size for small objects),
// with the CRC32C the SDK computes on the way for the server to verify; the
// hash recorded for an object is its md5Hash, base64 encoded. A failed or
// cancelled upload is abandoned (its context cancelled, then the Writer
// closed) before it is finalised, so no object appears.
//
// Placeholders: List skips zero-byte "folder/" objects (names ending in
// '/'); Medusa's keys never end in '/'.
//
// Retries. The retry decorator (internal/storage/retry) retries whole
// operations, so the SDK's own retries are off for every call except inside
// an upload: there the SDK may resend a chunk of the resumable session (at
// most 3 tries per request), which the decorator cannot do
// without restarting the whole object. Everything else makes one attempt and
// reports throttling, server errors and broken connections as
// storage.Transient errors.
//
// Timeouts. Options.ReadTimeout (read_timeout, default 60 s) bounds the
// wait for response headers of every request; it never cuts a long
// download or upload short. A store that stays silent that long gives a
// transient storage.ErrNoAnswer naming the endpoint, operation and key.
//
// Emulators. Options.Endpoint (or STORAGE_EMULATOR_HOST, which the SDK
// honours) points the client at fake-gcs-server; without a key file no
// credentials are sent there.
package gcs
