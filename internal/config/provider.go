package config

import (
	"strings"

	"github.com/medusa-go/medusa/internal/awsregion"
)

// Backend is the kind of object store a storage_provider selects.
type Backend string

// The backends of medusa/storage/__init__.py _load_storage.
const (
	BackendS3           Backend = "s3"             // AWS S3: "s3" and any other value starting with "s3"
	BackendS3Compatible Backend = "s3_compatible"  // S3 at http(s)://host:port (also ibm_storage)
	BackendS3RGW        Backend = "s3_rgw"         // Ceph RGW; never treats objects as multipart for MD5
	BackendGCS          Backend = "google_storage" // Google Cloud Storage
	BackendAzure        Backend = "azure_blobs"    // Azure Blob Storage
	BackendLocal        Backend = "local"          // directory base_path/bucket_name
)

// providerNames are the documented storage_provider values, for messages.
var providerNames = []string{"s3", "s3_compatible", "s3_rgw", "google_storage", "azure_blobs", "local"}

// Backend classifies StorageProvider ("" if it is not a valid provider).
func (s Storage) Backend() Backend {
	switch p := s.StorageProvider; {
	case p == "google_storage":
		return BackendGCS
	case p == "azure_blobs":
		return BackendAzure
	case p == "local":
		return BackendLocal
	case p == "s3_compatible", p == "ibm_storage":
		return BackendS3Compatible
	case p == "s3_rgw":
		return BackendS3RGW
	case strings.HasPrefix(p, "s3"):
		return BackendS3
	}
	return ""
}

// S3Region returns the AWS region of an S3-family provider as Medusa
// computes it (see awsregion.Resolve): region if set and not "default";
// else, for legacy names such as s3_us_west_oregon, the region they name;
// else us-east-1. Medusa raises for s3_rgw with region "default"; here it is
// us-east-1.
func (s Storage) S3Region() (string, error) {
	return awsregion.Resolve(s.StorageProvider, s.Region)
}

// providerV is storage_provider: lower-cased, one of the providers docs/compatibility.md lists.
type providerV struct{ p *string }

func (v providerV) set(raw string) string {
	p := strings.ToLower(raw)
	if (Storage{StorageProvider: p}).Backend() == "" {
		msg := "unknown storage provider; use one of s3, s3_<region> (e.g. s3_us_west_oregon), s3_compatible, s3_rgw, google_storage, azure_blobs or local"
		if s := suggest(p, providerNames); s != "" {
			msg += "; did you mean " + s + "?"
		}
		return msg
	}
	*v.p = p
	return ""
}
func (v providerV) text() string { return *v.p }

// ClientSideEncryption reports whether backups are encrypted by medusa:
// a key ring (encryption_key_file) or a KMS key (encryption_kms_key_id).
func (s Storage) ClientSideEncryption() bool {
	return s.EncryptionKeyFile != "" || s.EncryptionKMSKeyID != ""
}
