// Package s3 is medusa's backend for Amazon S3 and S3-compatible stores
// (storage_provider s3, s3_compatible, s3_rgw, ibm_storage and Medusa's
// legacy region-named providers such as s3_us_west_oregon), built on the AWS
// SDK for Go v2. It implements storage.Backend.
//
// Configuration comes in as Options (the config package maps medusa.ini onto
// it). Choices worth knowing:
//
//   - Credentials: a key_file is read as an AWS shared-credentials file
//     (profile [default] or api_profile); aws_session_token is honoured.
//     Without a key_file the SDK's default chain is used (environment, shared
//     config, web identity, ECS, EC2 instance metadata v2); temporary
//     credentials are cached and refreshed by the SDK, also in the middle of
//     a long upload. A key_file that group or others can write is refused; one
//     they can read is used with a warning. When a key_file is set it wins
//     over AWS_* environment variables (Medusa let the environment win).
//   - Endpoints: s3_compatible, s3_rgw and ibm_storage talk to
//     {http|https}://host[:port] with path-style addressing unless virtual is
//     asked; ssl_verify=false skips certificate checks there (never for AWS).
//     Flexible checksums are sent only when an operation requires them, as
//     Medusa does, so MinIO, Ceph and other stores accept uploads.
//   - Uploads: below MultipartThreshold one PutObject; from it on, a
//     multipart upload whose parts are read straight from the Source with
//     io.NewSectionReader (no part buffers), MultipartConcurrency parts in
//     flight. Part size is MultipartChunkSize clamped to S3's limits and
//     doubled, like boto3, only when more than 10,000 parts would be needed.
//     The part layout and the ETag such an upload gets are computed in
//     package checksum; Backend.ExpectedHash applies the backend's settings
//     (s3_rgw: always the plain MD5, as in Medusa) and
//     Backend.HashesAreContent says whether ETags are MD5s (not with
//     SSE-KMS or SSE-C). A failed or cancelled multipart upload is aborted
//     on a fresh context.
//   - Timeouts: ReadTimeout (botocore's read_timeout, default 60 s) fails a
//     connection that moves no data in either direction for that long, and
//     a request whose answer's header does not come that long after the
//     request was sent; sending a slow part counts as activity. Either is a
//     transient storage.ErrNoAnswer naming endpoint, operation and key,
//     which the retry decorator tries twice rather than five times.
//   - Retries: the SDK's own retries are off (aws.NopRetryer): the retry
//     decorator (internal/storage/retry) retries whole operations on errors
//     marked storage.Transient. The one exception is a multipart part, which
//     is retried here (Options.PartAttempts, default 3) so a blip does not
//     restart a many-gigabyte file; every attempt re-reads its section.
//   - Errors: NoSuchKey/404 give storage.ErrNotExist, NoSuchBucket gives
//     storage.ErrBucketNotExist, AccessDenied/403/InvalidAccessKeyId/
//     SignatureDoesNotMatch give storage.ErrAccessDenied with one sentence
//     naming the bucket, the refused action and where the credentials came
//     from; throttling, 5xx, timeouts and connection resets are marked
//     storage.Transient. Keys, secrets and SSE-C keys never appear in errors
//     or logs.
//   - IAM: only actions of Medusa's MedusaStorageStrategy policy (from its
//     AWS set-up guide; a copy is internal/testbed/s3_policy.json) are used:
//     ListBucket, GetObject, PutObject, DeleteObject, AbortMultipartUpload,
//     ListBucketMultipartUploads. No HeadBucket, CreateBucket, ListBuckets,
//     ACL or tagging calls; Check uses ListObjectsV2 with MaxKeys=1.
package s3
