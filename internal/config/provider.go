package config

import (
	"fmt"
	"strings"
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

// legacyRegions maps libcloud-era provider names to AWS regions
// (s3_base_storage.py LIBCLOUD_REGION_NAME_MAP).
var legacyRegions = map[string]string{
	"s3_us_east": "us-east-1", "s3_us_east1": "us-east-1", "s3_us_east2": "us-east-2",
	"s3_us_west": "us-west-1", "s3_us_west2": "us-west-2", "s3_us_west_oregon": "us-west-2",
	"s3_us_gov_east": "us-gov-east-1", "s3_us_gov_west": "us-gov-west-1",
	"s3_eu_west": "eu-west-1", "s3_eu_west2": "eu-west-2", "s3_eu_central": "eu-central-1",
	"s3_eu_north1": "eu-north-1", "s3_ap_south": "ap-south-1", "s3_ap_southeast": "ap-southeast-1",
	"s3_ap_southeast2": "ap-southeast-2", "s3_ap_northeast": "ap-northeast-1",
	"s3_ap_northeast1": "ap-northeast-1", "s3_ap_northeast2": "ap-northeast-2",
	"s3_sa_east": "sa-east-1", "s3_sa_east2": "sa-east-2", "s3_ca_central": "ca-central-1",
	"s3_cn_north": "cn-north-1", "s3_cn_northwest": "cn-northwest-1",
	"s3_af_south": "af-south-1", "s3_me_south": "me-south-1",
}

// S3Region returns the AWS region of an S3-family provider as Medusa
// computes it: region if set and not "default"; else, for legacy names
// such as s3_us_west_oregon, the region they name; else us-east-1.
// Medusa raises for s3_rgw with region "default"; here it is us-east-1.
func (s Storage) S3Region() (string, error) {
	if s.Region != "" && s.Region != "default" {
		return s.Region, nil
	}
	if s.Backend() == BackendS3 && s.StorageProvider != "s3" {
		if r, ok := legacyRegions[s.StorageProvider]; ok {
			return r, nil
		}
		return "", fmt.Errorf("storage_provider %q names no known AWS region; set [storage] region", s.StorageProvider)
	}
	return "us-east-1", nil
}

// providerV is storage_provider: lower-cased, one of §2.2.
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
