package metrics

// The HELP text of every Prometheus series (docs/metrics.md lists them).
const (
	helpCmdStart       = "When the last run of the command started (Unix time)."
	helpCmdEnd         = "When the last run of the command ended (Unix time)."
	helpCmdDuration    = "How long the last run of the command took, in seconds."
	helpCmdSuccess     = "1 when the last run of the command succeeded, 0 when it failed."
	helpCmdSuccessTime = "When the last successful run of the command ended (Unix time)."
	helpCmdUp          = "Bytes the last run of the command uploaded to storage."
	helpCmdDown        = "Bytes the last run of the command downloaded from storage."
	helpCmdRuns        = "Runs of the command on this node."
	helpCmdFailures    = "Failed runs of the command on this node."

	helpBackupSuccess     = "1 when the last node backup succeeded, 0 when it failed."
	helpBackupStart       = "When the last node backup started (Unix time)."
	helpBackupEnd         = "When the last node backup ended, successfully or not (Unix time)."
	helpBackupDuration    = "How long the last node backup took, in seconds."
	helpBackupInfo        = "Name and mode (full or differential) of the last node backup; always 1."
	helpBackupFailures    = "Failed node backups."
	helpBackupSuccessTime = "When the last successful node backup finished (Unix time)."
	helpBackupSize        = "Bytes of the last successful node backup (every file it references)."
	helpBackupFiles       = "Files of the last successful node backup."
	helpBackupUpBytes     = "Bytes the last successful node backup uploaded."
	helpBackupUpFiles     = "Files the last successful node backup uploaded."
	helpBackupReused      = "Files the last successful node backup found already stored and did not upload."

	helpPurgeSuccess = "1 when the last purge (the command label: purge, delete-backup or purge-decommissioned) succeeded, 0 when it failed."
	helpPurgeBackups = "Node backups the last purge deleted."
	helpPurgeObjects = "Objects the last purge deleted."
	helpPurgeBytes   = "Bytes the last purge deleted."

	helpRestoreSuccess  = "1 when the last node restore succeeded, 0 when it failed."
	helpRestoreEnd      = "When the last node restore ended (Unix time)."
	helpRestoreDuration = "How long the last node restore took, in seconds."
	helpRestoreInfo     = "Backup the last node restore restored; always 1."

	helpOverdue          = "1 when the node's last complete backup is older than [monitoring] backup_overdue_hours, or there is none."
	helpOverdueThreshold = "[monitoring] backup_overdue_hours, in seconds."
	helpAgeChecked       = "When the age of the last complete backup was read from storage (Unix time)."
	helpLastComplete     = "When the node's last complete backup finished (Unix time), as read from storage."
)
