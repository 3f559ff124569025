// Package local is the backend for storage_provider = local: object K is
// the file <base_path>/<bucket_name>/K, so the directory looks exactly like
// Medusa's bucket layout, with no extra files.
//
// Contract details and decisions:
//
//   - Put writes to a temporary file ".medusa-tmp-*" in the target
//     directory, fsyncs it, renames it over the key and fsyncs the
//     directory, so readers see either the old or the new file, never a
//     partial one. Directories are created as needed (and their parents
//     fsynced). A cancelled Put removes its temporary file. List skips
//     temporary files; keys whose path segments start with ".medusa-tmp-"
//     are refused.
//   - The hash is the hex MD5 of the content, computed while Put writes
//     (streaming, no second read), and reported by Put only. Stat and List
//     report an empty Hash: hashing a file on every Stat would read it
//     whole, and Medusa itself records null for local files it did not
//     write in that backup (differential mode). Medusa never compares
//     local MD5s.
//   - Files are created 0644 and directories 0755, as Medusa's Python
//     defaults give under the usual umask.
//   - The bucket directory <base_path>/<bucket_name> is created by New only
//     when Options.Create is set (Medusa creates it on start; the app sets
//     Create for commands that write). Otherwise a missing directory gives
//     storage.ErrBucketNotExist on every operation, so a mistyped base_path
//     on restore is reported instead of looking like an empty bucket.
//   - Keys are refused when empty, starting with '/', containing NUL, or
//     with an empty, "." or ".." segment: a key never escapes the bucket
//     directory. A prefix with such a segment lists nothing.
//   - Delete removes the file and then the directories it leaves empty, up
//     to (not including) the bucket directory, as object stores have no
//     empty directories. A concurrent Put retries its directory creation.
//   - A key cannot be both a file and a directory ("a/b" and "a/b/c"): the
//     second Put fails. Medusa's layout never needs both.
package local
