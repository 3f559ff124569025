// Package checksum owns the hashes stores report for objects: how they are
// read, compared with each other and with hashes computed locally, how
// they are computed (plain MD5, S3 multipart ETag) and the capability a
// backend offers to say which hash it would report for a local file.
//
// What stores report (storage.ObjectInfo.Hash, recorded as is in
// manifest.json):
//
//	S3, MinIO, Ceph RGW, versitygw  ETag: hex MD5 of the content for a single
//	                                PutObject; "<hex>-<parts>" (the MD5 of the
//	                                parts' binary MD5s) for a multipart upload;
//	                                with SSE-KMS or SSE-C an ETag that is no
//	                                MD5 of the content (often still 32 hex)
//	GCS                             md5Hash, base64 (none for composite objects)
//	Azure                           Content-MD5, base64; the ETag ("0x8D...")
//	                                when the blob has no Content-MD5
//	local                           hex MD5
//
// Decisions, one for every case where earlier copies of this code
// disagreed:
//
//   - Surrounding white space and double quotes (raw HTTP ETags) are
//     ignored everywhere.
//   - An empty hash is no evidence: it equals nothing, not even another
//     empty hash. Callers decide what a missing hash means (size only).
//   - Hex digits compare case-insensitively, in plain MD5s and in multipart
//     ETags alike.
//   - A plain MD5 written in hex equals the same digest written in base64
//     (an S3 ETag and a GCS md5Hash of the same bytes are the same hash).
//   - A multipart ETag equals only a multipart ETag with the same digest and
//     the same number of parts; it never equals a plain MD5, even of the same
//     bytes (it is not one).
//   - Anything else (an Azure ETag, a string that is neither hex nor base64
//     of 16 bytes) is opaque: it equals only the identical string. It says
//     which version of an object is stored, never what the content is.
//   - A store hash that differs from a recorded one is not, by itself, a
//     sign of corruption: an object re-uploaded with the same bytes and
//     another part size, or under SSE-KMS/SSE-C, gets another hash. The
//     content compared with the recorded hash decides (Checker,
//     VerifySource): a plain MD5 matches or differs; a multipart ETag
//     matches when the backend's part size (PartSizer) or a usual one
//     (PartSizes) reproduces it, differs when the backend's own part size
//     gives the same number of parts and does not, and is Unknown
//     otherwise. Restore and verify accept Unknown only while the store
//     still reports the recorded hash; an object stored again must
//     reproduce it. Hashes that are no MD5s of the content (SSE buckets,
//     Azure ETags) can only be warned about.
//   - SSE-KMS and SSE-C ETags may look like hex MD5s. A locally computed MD5
//     never equals one except by an MD5 collision, so such an object never
//     "matches" by accident; it is simply reported as different (and a
//     differential backup uploads it again, as Python Medusa does).
package checksum
