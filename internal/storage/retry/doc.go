// Package retry is a storage.Backend decorator that retries transient
// failures with exponential backoff and full jitter.
//
// The rules:
//
//   - Only errors marked with storage.Transient are retried, never one
//     matching storage.ErrNotExist, ErrAccessDenied or ErrBucketNotExist,
//     and never once the context is done: the backoff sleep ends at
//     cancellation, and the operation then fails with an error matching
//     the context's error.
//   - An operation is tried at most Policy.MaxAttempts times, or
//     NoAnswerAttempts times (default 2) when the store sent nothing for
//     its timeout (storage.ErrNoAnswer): each such try already waited the
//     whole timeout. Before try
//     n+1 it sleeps a random duration in [0, min(MaxDelay, BaseDelay*2^(n-1))).
//   - Put is repeated whole; the Source is re-read from its start (it is
//     re-readable by contract).
//   - Get: opening is retried; when reading the stream fails with a
//     transient error (or a connection reset, an unexpected EOF or a
//     network timeout, which SDKs often return unmarked from bodies), the
//     stream is reopened at the current offset, at most MaxAttempts-1
//     times in a row without progress. A stream to the end of the object
//     asks Stat for the size when it first resumes.
//   - List: after a transient error the listing restarts and skips the
//     keys up to the last one already yielded.
//   - Stat, Delete and DeleteMany (idempotent: missing keys are not errors)
//     are repeated whole.
//   - Each retry is logged with slog at Warn level (operation, key,
//     attempt, delay, error); backend errors carry no credentials.
package retry
