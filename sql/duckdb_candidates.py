"""Runs the band join of a staged run (unit_firsts.sql, band_pairs.sql, oversized_buckets.sql)
in DuckDB.

    python3 sql/duckdb_candidates.py WORK      # in place of: dedup stage candidates WORK

Reads WORK/sign/*.parquet and WORK/settings.parquet, writes WORK/candidates/band-pairs.parquet
and WORK/candidates/oversized.parquet with the settings hash the tables carry (DuckDB 1.1 or
later, from PyPI: pip install duckdb). DuckDB spills to WORK/duckdb-spill/ (removed when it is
done); DEDUP_DUCKDB_MEMORY (`8GB`) caps its memory, by default 80 % of the machine's.
"""

import os
import pathlib
import shutil
import sys

import duckdb


def main() -> None:
    work = pathlib.Path(sys.argv[1])
    here = pathlib.Path(__file__).resolve().parent
    db = duckdb.connect()
    db.execute("SET preserve_insertion_order = false")
    # What DuckDB spills goes beside the candidates; DEDUP_DUCKDB_MEMORY caps its memory (by
    # default 80 % of the machine's).
    db.execute(f"SET temp_directory = '{work / 'duckdb-spill'}'")
    if "DEDUP_DUCKDB_MEMORY" in os.environ:
        db.execute(f"SET memory_limit = '{os.environ['DEDUP_DUCKDB_MEMORY']}'")
    for name, files in [
        ("paragraphs", work / "sign" / "paragraphs-*.parquet"),
        ("bands", work / "sign" / "bands-*.parquet"),
        ("settings", work / "settings.parquet"),
    ]:
        db.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{files}')")
    db.execute(f"CREATE VIEW firsts AS {(here / 'unit_firsts.sql').read_text()}")
    # The schema version and settings hash of the tables, carried into what is written.
    metadata = dict(
        db.execute(
            "SELECT decode(key), decode(value) FROM parquet_kv_metadata(?)",
            [str(work / "settings.parquet")],
        ).fetchall()
    )
    kv = ", ".join(f"'{k}': '{v}'" for k, v in sorted(metadata.items()) if k.startswith("dedup."))
    out = work / "candidates"
    out.mkdir(exist_ok=True)
    for query, name in [("band_pairs.sql", "band-pairs"), ("oversized_buckets.sql", "oversized")]:
        sql = (here / query).read_text()
        # Written under a temporary name and renamed, so that a join cut short leaves no table.
        partial = out / f".{name}.parquet.partial"
        db.execute(f"COPY ({sql}) TO '{partial}' (FORMAT parquet, KV_METADATA {{{kv}}})")
        os.replace(partial, out / f"{name}.parquet")
    db.close()
    shutil.rmtree(work / "duckdb-spill", ignore_errors=True)


if __name__ == "__main__":
    main()
