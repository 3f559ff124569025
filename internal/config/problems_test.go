package config

import (
	"strings"
	"testing"
)

const (
	boolMsg = "not a boolean (use 1, yes, true, on, 0, no, false or off)"
	sizeMsg = "not a size (use a byte count such as 20971520, or a number with B, KB, MB, GB, TB or PB such as 50MB)"
)

// TestProblems: malformed files, each with the exact problem lines and
// warnings it gives.
func TestProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		ini   string
		ov    Overrides
		env   map[string]string
		want  []string
		warns []string
	}{
		{
			name: "empty file",
			ini:  "",
			want: []string{
				"medusa.ini: [storage] storage_provider: required, not set",
				"medusa.ini: [storage] bucket_name: required, not set",
			},
		},
		{
			name: "only comments and blank lines",
			ini:  "; medusa.ini\n\n# nothing here\n   \n",
			want: []string{
				"medusa.ini: [storage] storage_provider: required, not set",
				"medusa.ini: [storage] bucket_name: required, not set",
			},
		},
		{
			name: "missing bucket_name",
			ini:  "[storage]\nstorage_provider = s3\n",
			want: []string{"medusa.ini: [storage] bucket_name: required, not set"},
		},
		{
			name: "missing storage_provider",
			ini:  "[storage]\nbucket_name = backups\n",
			want: []string{"medusa.ini: [storage] storage_provider: required, not set"},
		},
		{
			name: "empty bucket_name",
			ini:  "[storage]\nstorage_provider = s3\nbucket_name =\n",
			want: []string{"medusa.ini: [storage] bucket_name: required, must not be empty"},
		},
		{
			name: "object lock on a store without it",
			ini:  "[storage]\nstorage_provider = google_storage\nbucket_name = b\nobject_lock_days = 7\n",
			want: []string{`medusa.ini: [storage] object_lock_days = "7": S3 Object Lock needs an S3 store, not ` +
				`storage_provider = google_storage; remove object_lock_days (GCS retention policies and Azure ` +
				`immutability policies are set on the bucket or container)`},
		},
		{
			name: "bad object lock mode",
			ini:  validINI + "object_lock_mode = forever\n",
			want: []string{`medusa.ini: [storage] object_lock_mode = "forever": must be one of governance, compliance`},
		},
		{
			name: "bad boolean",
			ini:  validINI + "secure = maybe\n",
			want: []string{`medusa.ini: [storage] secure = "maybe": ` + boolMsg},
		},
		{
			name: "empty boolean",
			ini:  validINI + "[cassandra]\nuse_sudo =\n",
			want: []string{"medusa.ini: [cassandra] use_sudo: empty, " + boolMsg},
		},
		{
			name: "bad size unit",
			ini:  validINI + "multipart_chunksize = 50XB\n",
			want: []string{`medusa.ini: [storage] multipart_chunksize = "50XB": ` + sizeMsg},
		},
		{
			name: "fractional bare size",
			ini:  validINI + "multi_part_upload_threshold = 1.5\n",
			want: []string{`medusa.ini: [storage] multi_part_upload_threshold = "1.5": ` + sizeMsg},
		},
		{
			name: "zero chunk size",
			ini:  validINI + "multipart_chunksize = 0MB\n",
			want: []string{`medusa.ini: [storage] multipart_chunksize = "0MB": must be greater than zero`},
		},
		{
			name: "slash in prefix",
			ini:  validINI + "prefix = team/a\n",
			want: []string{`medusa.ini: [storage] prefix = "team/a": must not contain "/"`},
		},
		{
			name: "slash in bucket_name",
			ini:  "[storage]\nstorage_provider = s3\nbucket_name = my/bucket\n",
			want: []string{`medusa.ini: [storage] bucket_name = "my/bucket": must not contain "/"`},
		},
		{
			name: "unknown provider",
			ini:  "[storage]\nstorage_provider = dropbox\nbucket_name = b\n",
			want: []string{`medusa.ini: [storage] storage_provider = "dropbox": unknown storage provider; use one of s3, s3_<region> (e.g. s3_us_west_oregon), s3_compatible, s3_rgw, google_storage, azure_blobs or local`},
		},
		{
			name: "provider typo",
			ini:  "[storage]\nstorage_provider = Google_Storge\nbucket_name = b\n",
			want: []string{`medusa.ini: [storage] storage_provider = "Google_Storge": unknown storage provider; use one of s3, s3_<region> (e.g. s3_us_west_oregon), s3_compatible, s3_rgw, google_storage, azure_blobs or local; did you mean google_storage?`},
		},
		{
			name: "legacy s3 name without a region",
			ini:  "[storage]\nstorage_provider = s3_mars\nbucket_name = b\n",
			want: []string{`medusa.ini: [storage] storage_provider = "s3_mars": not a legacy S3 name with a known region; set [storage] region (e.g. us-east-1)`},
		},
		{
			name: "s3compatible without underscore",
			ini:  "[storage]\nstorage_provider = s3compatible\nbucket_name = b\n",
			want: []string{`medusa.ini: [storage] storage_provider = "s3compatible": not a legacy S3 name with a known region; set [storage] region (e.g. us-east-1) or did you mean s3_compatible?`},
		},
		{
			name: "s3_compatible without host",
			ini:  "[storage]\nstorage_provider = s3_compatible\nbucket_name = b\n",
			want: []string{"medusa.ini: [storage] host: required when storage_provider = s3_compatible"},
		},
		{
			name: "local without base_path",
			ini:  "[storage]\nstorage_provider = local\nbucket_name = b\n",
			want: []string{"medusa.ini: [storage] base_path: required when storage_provider = local"},
		},
		{
			name: "duplicate keys",
			ini:  "[storage]\nstorage_provider = local\nbucket_name = a\nbase_path = /x\nBucket_Name = b\nprefix: p\nprefix = q\n",
			want: []string{
				"medusa.ini:5: [storage] bucket_name: duplicate key (first set on line 3)",
				"medusa.ini:7: [storage] prefix: duplicate key (first set on line 6)",
			},
		},
		{
			name: "duplicate sections",
			ini:  validINI + "[cassandra]\nuse_sudo = false\n[storage]\nprefix = p\n[cassandra]\n",
			want: []string{
				"medusa.ini:7: [storage]: duplicate section (first defined on line 1)",
				"medusa.ini:9: [cassandra]: duplicate section (first defined on line 5)",
			},
		},
		{
			name: "duplicate key across two DEFAULT sections",
			ini:  "[DEFAULT]\nprefix = a\n" + validINI + "[DEFAULT]\nprefix = b\n",
			want: []string{"medusa.ini:8: [DEFAULT] prefix: duplicate key (first set on line 2)"},
		},
		{
			name: "key before any section",
			ini:  "bucket_name = b\nstorage_provider = s3\n" + validINI,
			want: []string{"medusa.ini:1: line is outside any section; the file must start with a section header such as [storage]"},
		},
		{
			name: "line without delimiter does not echo its content",
			ini:  validINI + "[cassandra]\ncql_password hunter2\n",
			want: []string{`medusa.ini:6: [cassandra]: not a "key = value" line, a section header or a comment`},
		},
		{
			name: "no key name",
			ini:  validINI + "= value\n",
			want: []string{`medusa.ini:5: [storage]: no key name before "="`},
		},
		{
			name: "invalid UTF-8",
			ini:  validINI + "prefix = caf\xe9\n",
			want: []string{"medusa.ini:5: not valid UTF-8"},
		},
		{
			name: "not an integer",
			ini:  validINI + "concurrent_transfers = abc\n",
			want: []string{`medusa.ini: [storage] concurrent_transfers = "abc": not an integer`},
		},
		{
			name: "empty integer",
			ini:  validINI + "concurrent_transfers =\n",
			want: []string{`medusa.ini: [storage] concurrent_transfers: empty, not an integer`},
		},
		{
			name: "concurrent_transfers below 1",
			ini:  validINI + "concurrent_transfers = 0\n",
			want: []string{`medusa.ini: [storage] concurrent_transfers = "0": must be 1 or more`},
		},
		{
			name: "negative retention",
			ini:  validINI + "max_backup_count = -3\n",
			want: []string{`medusa.ini: [storage] max_backup_count = "-3": must be 0 or more`},
		},
		{
			name: "port out of range",
			ini:  validINI + "[ssh]\nport = 70000\n[grpc]\nport = 0\n",
			want: []string{
				`medusa.ini: [ssh] port = "70000": must be between 1 and 65535`,
				`medusa.ini: [grpc] port = "0": must be between 1 and 65535`,
			},
		},
		{
			name: "bad host key policy",
			ini:  validINI + "[ssh]\nhost_key_policy = accept-any\n",
			want: []string{`medusa.ini: [ssh] host_key_policy = "accept-any": must be one of strict, accept-new`},
		},
		{
			name: "bad addressing style",
			ini:  validINI + "s3_addressing_style = dns\n",
			want: []string{`medusa.ini: [storage] s3_addressing_style = "dns": must be one of auto, path, virtual`},
		},
		{
			name: "bad health_check",
			ini:  validINI + "[checks]\nhealth_check = ping\n",
			want: []string{`medusa.ini: [checks] health_check = "ping": must be one of cql, thrift, all`},
		},
		{
			name: "bad monitoring_provider",
			ini:  validINI + "[monitoring]\nmonitoring_provider = graphite\n",
			want: []string{`medusa.ini: [monitoring] monitoring_provider = "graphite": must be one of None, local, dog-statsd, prometheus`},
		},
		{
			name: "bad prometheus_listen",
			ini:  validINI + "[monitoring]\nprometheus_listen = 9153\n",
			want: []string{`medusa.ini: [monitoring] prometheus_listen = "9153": must be host:port (e.g. :9153 or 127.0.0.1:9153)`},
		},
		{
			name: "bad backup_overdue_hours",
			ini:  validINI + "[monitoring]\nbackup_overdue_hours = 0\n",
			want: []string{`medusa.ini: [monitoring] backup_overdue_hours = "0": must be 1 or more`},
		},
		{
			name: "bad logging level",
			ini:  validINI + "[logging]\nlevel = verbose\n",
			want: []string{`medusa.ini: [logging] level = "verbose": must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL`},
		},
		{
			name: "bad sse_c_key is not echoed",
			ini:  "[storage]\nstorage_provider = s3\nbucket_name = b\nsse_c_key = c2VjcmV0\n",
			want: []string{"medusa.ini: [storage] sse_c_key: not the base64 encoding of a 256-bit (32-byte) key"},
		},
		{
			name: "kms_id with sse_c_key",
			ini: "[storage]\nstorage_provider = s3\nbucket_name = b\nkms_id = alias/k\n" +
				"sse_c_key = MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n",
			want: []string{"medusa.ini: [storage] sse_c_key: cannot be combined with kms_id; S3 accepts one kind of server-side encryption"},
		},
		{
			name: "bad CLI override",
			ini:  validINI,
			ov:   Overrides{BackupGracePeriodInDays: strp("ten"), Prefix: strp("a/b")},
			want: []string{
				`medusa.ini: [storage] prefix = "a/b" (from --prefix): must not contain "/"`,
				`medusa.ini: [storage] backup_grace_period_in_days = "ten" (from --backup-grace-period-in-days): not an integer`,
			},
		},
		{
			name: "bad environment override",
			ini:  validINI,
			env:  map[string]string{"MEDUSA_RESOLVE_IP_ADDRESSES": "maybe"},
			want: []string{`medusa.ini: [cassandra] resolve_ip_addresses = "maybe" (from $MEDUSA_RESOLVE_IP_ADDRESSES): ` + boolMsg},
		},
		{
			name:  "bad value inherited from DEFAULT",
			ini:   "[DEFAULT]\nport = x\n" + validINI,
			want:  []string{`medusa.ini: [storage] port = "x" (from [DEFAULT]): not an integer`},
			warns: []string{"[DEFAULT] port: not applied to [ssh], [grpc], which have built-in defaults (as in Medusa); set it in those sections"},
		},
		{
			name:  "section names are case-sensitive",
			ini:   "[Storage]\nstorage_provider = local\nbucket_name = b\nbase_path = /x\n",
			want:  []string{"medusa.ini: [storage] storage_provider: required, not set", "medusa.ini: [storage] bucket_name: required, not set"},
			warns: []string{"[Storage]: unknown section, ignored; did you mean [storage]?"},
		},
		{
			name: "every problem is reported at once",
			ini: "[storage]\nbucket_name = a/b\nconcurrent_transfers = many\nsecure = sometimes\n" +
				"[cassandra]\nnodetool_port = 0\n[checks]\nhealth_check = http\nmd5_check_concurrency = 0\n",
			want: []string{
				"medusa.ini: [storage] storage_provider: required, not set",
				`medusa.ini: [storage] bucket_name = "a/b": must not contain "/"`,
				`medusa.ini: [storage] concurrent_transfers = "many": not an integer`,
				`medusa.ini: [storage] secure = "sometimes": ` + boolMsg,
				`medusa.ini: [cassandra] nodetool_port = "0": must be between 1 and 65535`,
				`medusa.ini: [checks] health_check = "http": must be one of cql, thrift, all`,
				`medusa.ini: [checks] md5_check_concurrency = "0": must be 1 or more`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, warns, err := parseText(t, tt.ini, tt.ov, tt.env)
			if cfg != nil {
				t.Errorf("config = %+v, want nil on error", cfg)
			}
			equalLines(t, "problems", problemLines(t, err), tt.want)
			equalLines(t, "warnings", warningLines(warns), tt.warns)
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error echoes a secret: %v", err)
			}
		})
	}
}
