"""Runs the band join of a staged run (unit_firsts.sql, band_pairs.sql, oversized_buckets.sql)
in DuckDB.

    python3 sql/duckdb_candidates.py WORK      # in place of: dedup stage candidates WORK

Reads WORK/sign/*.parquet and WORK/settings.parquet, writes WORK/candidates/band-pairs.parquet
and WORK/candidates/oversized.parquet with the settings hash the tables carry (DuckDB 1.1 or
later, from PyPI: pip install duckdb).
"""

import pathlib
import sys

import duckdb


def main() -> None:
    work = pathlib.Path(sys.argv[1])
    here = pathlib.Path(__file__).resolve().parent
    db = duckdb.connect()
    db.execute("SET preserve_insertion_order = false")
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
        db.execute(
            f"COPY ({sql}) TO '{out / (name + '.parquet')}' "
            f"(FORMAT parquet, KV_METADATA {{{kv}}})"
        )


if __name__ == "__main__":
    main()
