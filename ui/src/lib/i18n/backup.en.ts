// The installer's backup panel.
export default {
  "backup.title": "Backups",
  "backup.hint":
    "A backup of the database is written every night beside it, in {folder}; the last 7 days and 4 weeks are kept. till.key is never in a backup: keep a copy of it somewhere else.",
  "backup.hour": "Nightly backup at (local hour, 0–23)",
  "backup.offset": "Local time minus UTC (minutes, e.g. 480 for China)",
  "backup.secondTarget": "Second copy to this folder (a mounted USB disk or network share; empty for none)",
  "backup.secondTargetHint": "The folder must exist: Till never creates it, so an unmounted disk is reported, not filled.",
  "backup.save": "Save",
  "backup.saved": "Backup settings saved.",
  "backup.invalid": "Enter an hour from 0 to 23 and an offset from -840 to 840 minutes.",
  "backup.now": "Back up now",
  "backup.running": "Backing up…",
  "backup.never": "No backup yet.",
  "backup.lastOk": "Last backup {when}: {file} ({size} MB)",
  "backup.lastFailed": "Last backup {when} FAILED: {error}",
  "backup.secondOk": "Second copy: {message}",
  "backup.secondFailed": "Second copy FAILED: {message}",
  "backup.next": "Next nightly backup: {when}",
  "backup.files": "Backups kept",
} as const;
