// Package app is medusa's composition root: from a loaded configuration it
// builds the storage stack (backend, retries, bandwidth and concurrency
// limits), the Cassandra client and the services the commands run. It is
// the only package that knows every concrete backend.
package app
