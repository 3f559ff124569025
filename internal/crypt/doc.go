// Package crypt is client-side encryption as a storage decorator: objects
// are encrypted before they reach the backend and decrypted and
// authenticated when they are read, so any store (S3, GCS, Azure, local)
// holds only ciphertext. It sits below the bucket layout and above the
// backends and their retry and limit decorators.
//
// Format (version 1, docs/encryption.md): each object starts with a fixed
// 112-byte header
//
//	magic "MDSAENC" | version 1 | key id length | key id, zero-padded to 32 |
//	chunk size (uint32, 65536) | nonce prefix (7 random bytes) |
//	wrapped data key (12-byte nonce | AES-256-GCM of the 32-byte key | tag)
//
// followed by the content in chunks of 64 KiB, each sealed with AES-256-GCM
// under the object's own random data key, with the nonce
// prefix | chunk number (uint32, big endian) | last-chunk flag, and the
// first 52 header bytes as additional data. The data key is wrapped by the
// master key named by the key id, with the same 52 bytes as additional
// data. An empty object is one empty last chunk. The ciphertext size
// follows from the plaintext size (and back), so listings report plaintext
// sizes without reading objects. A changed byte, a truncated or extended
// object and a wrong key all fail authentication; memory stays bounded by a
// few chunks per stream.
//
// Some objects stay plain so that Python Medusa can still list the bucket
// (the backup index, manifests and token maps): see Encrypted.
package crypt
