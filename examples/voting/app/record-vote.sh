#!/bin/sh
# The record-vote task: one container per vote appends one row to the SQLite file in /data.
# The gateway's vote program checked the choice; check again, since this is a separate program.
set -eu
case "$1" in cats|dogs) ;; *) echo "record-vote: choice must be cats or dogs" >&2; exit 2 ;; esac
sqlite3 /data/votes.db <<SQL
.timeout 10000
CREATE TABLE IF NOT EXISTS votes (choice TEXT NOT NULL CHECK (choice IN ('cats', 'dogs')), at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);
INSERT INTO votes (choice) VALUES ('$1');
SQL
echo "recorded $1"
