// Package limit holds two storage.Backend decorators for transfers:
//
//   - Bandwidth: ONE token bucket for the whole process
//     (transfer_max_bandwidth), shared by uploads and downloads. Medusa's
//     limit was per file (boto3 builds a transfer manager per call); here
//     it is one limit for everything. It counts the bytes read from the
//     Source during Put (a backend that reads the Source twice, e.g. to
//     hash then to send, is charged twice) and the bytes read from Get
//     streams. Reads are cut to at most the bucket's burst (256 KiB or the
//     rate if lower) and paid for after they happen, so no extra buffer is
//     held. A nil limiter (rate 0) means unlimited.
//   - Concurrency: a semaphore that lets at most N transfers run at once
//     (concurrent_transfers). A Put holds a slot for its duration, a Get
//     from the call until its stream is closed. Stat, List and deletes are
//     not transfers and are not limited. Waiting for a slot ends with the
//     context.
//
// The app stacks them as Concurrency(Bandwidth(retry.New(backend))): a
// transfer keeps its slot while it is retried, and retried bytes are paid
// for.
package limit
