// Package limit holds two storage.Backend decorators for transfers:
//
//   - Bandwidth: ONE token bucket for the whole process
//     (transfer_max_bandwidth), shared by uploads and downloads. Medusa's
//     limit was per file (boto3 builds a transfer manager per call); here
//     it is one limit for everything. It counts each byte of the Source of
//     a Put once, however often the backend reads it (the S3 SDK reads a
//     body twice over plain HTTP: to sign it, then to send it), and the
//     bytes read from Get streams. Reads are cut to at most 256 KiB and
//     paid for after they happen, so no extra buffer is held. The bucket
//     starts empty and holds one second of the rate (see NewLimiter). A
//     nil limiter (rate 0) means unlimited.
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
