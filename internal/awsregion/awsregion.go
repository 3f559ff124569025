// Package awsregion maps Medusa's storage_provider and region settings to an
// AWS region: an explicit region wins, the generic S3 providers default to
// us-east-1, and the libcloud-era provider names (s3_us_west_oregon, ...)
// name their own region. It is shared by the configuration check and the
// S3 backend so the two never disagree.
package awsregion

import (
	"fmt"
	"strings"
)

// Default is the region of the generic S3 providers when none is set.
const Default = "us-east-1"

// legacyRegions maps Medusa's (libcloud's) region-named providers to AWS
// regions (s3_base_storage.py LIBCLOUD_REGION_NAME_MAP).
var legacyRegions = map[string]string{
	"S3_US_EAST":        "us-east-1",
	"S3_US_EAST1":       "us-east-1",
	"S3_US_EAST2":       "us-east-2",
	"S3_US_WEST":        "us-west-1",
	"S3_US_WEST2":       "us-west-2",
	"S3_US_WEST_OREGON": "us-west-2",
	"S3_US_GOV_EAST":    "us-gov-east-1",
	"S3_US_GOV_WEST":    "us-gov-west-1",
	"S3_EU_WEST":        "eu-west-1",
	"S3_EU_WEST2":       "eu-west-2",
	"S3_EU_CENTRAL":     "eu-central-1",
	"S3_EU_NORTH1":      "eu-north-1",
	"S3_AP_SOUTH":       "ap-south-1",
	"S3_AP_SOUTHEAST":   "ap-southeast-1",
	"S3_AP_SOUTHEAST2":  "ap-southeast-2",
	"S3_AP_NORTHEAST":   "ap-northeast-1",
	"S3_AP_NORTHEAST1":  "ap-northeast-1",
	"S3_AP_NORTHEAST2":  "ap-northeast-2",
	"S3_SA_EAST":        "sa-east-1",
	"S3_SA_EAST2":       "sa-east-2",
	"S3_CA_CENTRAL":     "ca-central-1",
	"S3_CN_NORTH":       "cn-north-1",
	"S3_CN_NORTHWEST":   "cn-northwest-1",
	"S3_AF_SOUTH":       "af-south-1",
	"S3_ME_SOUTH":       "me-south-1",
}

// Resolve applies Medusa's region rule: an explicit region other than
// "default" wins; s3, s3_compatible, s3_rgw and ibm_storage default to
// us-east-1 (Medusa raised "Unknown provider name" for s3_rgw: fixed); any
// other provider name is looked up in the legacy libcloud table, also in its
// libcloud spelling with an underscore before the digit (s3_us_east_2).
func Resolve(provider, region string) (string, error) {
	if r := strings.TrimSpace(region); r != "" && r != "default" {
		return r, nil
	}
	name := strings.ToUpper(strings.TrimSpace(provider))
	switch name {
	case "S3", "S3_COMPATIBLE", "S3_RGW", "IBM_STORAGE":
		return Default, nil
	}
	if r, ok := legacyRegions[name]; ok {
		return r, nil
	}
	if i := strings.LastIndexByte(name, '_'); i > 0 && i+1 < len(name) && isDigits(name[i+1:]) {
		if r, ok := legacyRegions[name[:i]+name[i+1:]]; ok {
			return r, nil
		}
	}
	return "", fmt.Errorf("storage_provider %q has no known legacy region and region is %q: set region = <AWS region, e.g. us-west-2> in [storage]", provider, region)
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
