"""`tsh-erp` and the target's zero-setup default (embedded PostgreSQL under the cwd)."""

from __future__ import annotations

import json
import subprocess
import sys

import orjson
from psycopg import sql

from target_tsh_erp.store.migrations import LATEST_VERSION
from target_tsh_erp.testing import schema_message, synthetic_item

TSH_ERP = [sys.executable, "-c", "from target_tsh_erp.cli import main; raise SystemExit(main())"]
TARGET = [sys.executable, "-c",
          "from target_tsh_erp.target import TargetTshErp; TargetTshErp.cli()"]


def test_default_embedded_database_migrate_load_remap(tmp_path):
    lines = [orjson.dumps(schema_message("books_items")),
             *(orjson.dumps({"type": "RECORD", "stream": "books_items",
                             "record": synthetic_item(i)}) for i in range(3))]
    (tmp_path / "config.json").write_text(json.dumps({}))
    loaded = subprocess.run([*TARGET, "--config", "config.json"], cwd=tmp_path,
                            input=b"\n".join(lines) + b"\n", capture_output=True,
                            timeout=120, check=True)
    assert b"Run summary" in loaded.stderr
    assert (tmp_path / ".meltano" / "erp-db" / "PG_VERSION").is_file()
    version = subprocess.run([*TSH_ERP, "version"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=120, check=True)
    assert version.stdout.strip() == str(LATEST_VERSION)
    migrated = subprocess.run([*TSH_ERP, "migrate"], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120, check=True)
    assert f"schema at version {LATEST_VERSION}" in migrated.stdout
    remapped = subprocess.run([*TSH_ERP, "remap"], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120, check=True)
    assert "{'products': 3} rows written, 0 rejected" in remapped.stdout


def test_migrate_refuses_newer_schema(tmp_path, database_url, settings, conn):
    conn.execute(sql.SQL("INSERT INTO {}.schema_migrations VALUES (7)").format(
        sql.Identifier(settings.erp_schema)))
    conn.commit()
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"database_url": database_url,
                                  "erp_schema": settings.erp_schema,
                                  "raw_schema": settings.raw_schema}))
    done = subprocess.run([*TSH_ERP, "migrate", "--config", str(config)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert f"version 7, newer than this target-tsh-erp knows ({LATEST_VERSION})" in done.stderr
