"""SQLAlchemy's inspector on the same schema, for scripts/bench-catalog.sh.

Usage: sqlalchemy_catalog.py URL SCHEMA RUNS. Prints one JSON line: per-run seconds and counts.
Each run takes a fresh Inspector (no reflection cache) on a warm pooled connection, and reads
columns and primary keys of every table in the schema with the set-based get_multi_* calls.
"""
import json
import sys
import time

import sqlalchemy
from sqlalchemy import create_engine, inspect

url, schema, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
engine = create_engine(url)
with engine.connect() as conn:
    conn.exec_driver_sql("SELECT 1")  # warm the pool
times, tables, columns, keys = [], 0, 0, 0
for _ in range(runs):
    started = time.perf_counter()
    insp = inspect(engine)
    cols = insp.get_multi_columns(schema=schema)
    pks = insp.get_multi_pk_constraint(schema=schema)
    times.append(time.perf_counter() - started)
    tables = len(cols)
    columns = sum(len(c) for c in cols.values())
    keys = sum(1 for p in pks.values() if p.get("constrained_columns"))
print(json.dumps({"sqlalchemy": sqlalchemy.__version__, "seconds": times,
                  "tables": tables, "columns": columns, "primary_keys": keys}))
