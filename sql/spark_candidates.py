"""Runs the band join of a staged run (unit_firsts.sql, band_pairs.sql, oversized_buckets.sql)
in Spark.

    spark-submit sql/spark_candidates.py WORK   # in place of: dedup stage candidates WORK
    python3 sql/spark_candidates.py WORK        # the same, with pyspark from PyPI, local mode

Reads WORK/sign/*.parquet and WORK/settings.parquet (on any file system Spark reads: a shared
folder, HDFS, S3), writes WORK/candidates/band-pairs.parquet and WORK/candidates/oversized.parquet
as Spark writes tables, folders of part files, which `dedup stage report` reads.
"""

import pathlib
import sys

from pyspark.sql import SparkSession


def main() -> None:
    work = sys.argv[1].rstrip("/")
    here = pathlib.Path(__file__).resolve().parent
    spark = SparkSession.builder.appName("dedup band join").getOrCreate()
    for name, files in [
        ("paragraphs", f"{work}/sign/paragraphs-*.parquet"),
        ("bands", f"{work}/sign/bands-*.parquet"),
        ("settings", f"{work}/settings.parquet"),
    ]:
        spark.read.parquet(files).createOrReplaceTempView(name)
    spark.sql((here / "unit_firsts.sql").read_text()).createOrReplaceTempView("firsts")
    for query, name in [("band_pairs.sql", "band-pairs"), ("oversized_buckets.sql", "oversized")]:
        table = spark.sql((here / query).read_text())
        table.write.mode("overwrite").parquet(f"{work}/candidates/{name}.parquet")
    spark.stop()


if __name__ == "__main__":
    main()
