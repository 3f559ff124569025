// Package medusapb holds Medusa's gRPC contract (medusa.proto, unchanged on
// the wire from Python Medusa's) and the Go code protoc generates from it.
// Nothing else lives here; regenerate with scripts/gen-proto.sh.
package medusapb
