#!/usr/bin/env bash
# Catalog discovery on 10,000 tables × 10 columns, side by side in one run with SQLAlchemy's
# inspector (get_multi_columns + get_multi_pk_constraint, from PyPI) on the same database.
# Starts its own PostgreSQL; writes target/bench-catalog.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_postgresql
ensure_openbao   # the project's Python virtualenv (.tools/venv)
.tools/venv/bin/pip install -q --disable-pip-version-check "sqlalchemy>=2.0,<3" "psycopg2-binary>=2.9,<3"
PGCONNECT_PYTHON="$PWD/.tools/venv/bin/python" cargo bench -p pgconnect-live --bench catalog --locked
