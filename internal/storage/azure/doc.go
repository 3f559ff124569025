// Package azure implements storage.Backend on Azure Blob Storage (block
// blobs) with azblob.
//
// Medusa compatibility (docs/compatibility.md; hashes as in docs/bucket-format.md): key_file is a JSON file
// {"storage_account": "...", "key": "..."} giving a shared key; without it
// DefaultAzureCredential is used with the account named by
// AZURE_STORAGE_ACCOUNT. The service URL is
// https://<account>.blob.core.<host or windows.net>[:port]/, the container
// is bucket_name, the block size multipart_chunksize and storage_class the
// access tier (Hot, Cool, Cold, Archive). The hash of an object is its
// Content-MD5 in base64, or the ETag without quotes when it has none.
//
// Uploads. An object no bigger than one block is one Put Blob request
// carrying its MD5, which the service verifies and stores as Content-MD5.
// A bigger one is staged block by block straight from section readers of
// the Source (no block buffers: memory does not grow with the block size),
// up to Options.Concurrency blocks in flight, while the MD5 of the whole
// object is computed in a parallel sequential pass; the block list is then
// committed with that MD5 as Content-MD5. A failed or cancelled upload
// never commits, so no blob appears (staged blocks expire on their own).
//
// Retries. The retry decorator (internal/storage/retry) retries whole
// operations and resumes broken downloads, so the SDK's retry policy is
// off (one try) for every call except staging a block, where it may resend
// that one block (at most 3 more times) instead of the whole
// object. Throttling (429, 503 ServerBusy), server errors and broken
// connections come back marked storage.Transient.
//
// Timeouts. Options.ReadTimeout (read_timeout, default 60 s) bounds the
// wait for response headers of every request; it never cuts a long
// transfer short. A store that stays silent that long gives a transient
// storage.ErrNoAnswer naming the endpoint, operation and key.
//
// DeleteMany uses the blob batch API (256 deletes per request) and falls
// back to concurrent single deletes for the rest of the Backend's life if
// the service refuses batches.
package azure
