#!/usr/bin/env bash
# Runs a command (a test run) with TILL_TEST_POSTGRES naming a PostgreSQL server the tests may
# create databases on: a throw-away cluster started here by pg_virtualenv (Debian's
# postgresql-common; it also works as root) and removed when the command ends. When
# TILL_TEST_POSTGRES is already set, the command runs against that server instead.
#   scripts/with-postgres.sh cargo test -p till-server
# Each PostgreSQL test creates its own database (till_server::repo::postgres::scratch); without
# TILL_TEST_POSTGRES those tests fail, saying how to run them.
set -euo pipefail

if [ -n "${TILL_TEST_POSTGRES:-}" ]; then
  exec "$@"
fi
if ! command -v pg_virtualenv >/dev/null 2>&1; then
  echo "pg_virtualenv is missing: install postgresql and postgresql-common (scripts/install-deps.sh --with-test-tools)" >&2
  exit 1
fi
# -t: the cluster in a temporary directory, so that two runs on one machine do not share it.
exec pg_virtualenv -t sh -c \
  'TILL_TEST_POSTGRES="postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$PGDATABASE" exec "$@"' sh "$@"
