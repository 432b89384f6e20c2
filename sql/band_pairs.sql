-- The band join of a staged run (`dedup stage`, README "More than one machine"): pairs of units
-- whose first paragraphs share a MinHash band key. Plain SQL, no user-defined functions, so that
-- DuckDB, Spark SQL and DataFusion run it unchanged, over three tables and a view:
--   bands     WORK/sign/bands-*.parquet  (file, paragraph, band, key)
--   settings  WORK/settings.parquet      (boilerplate_cap)
--   firsts    unit_firsts.sql            (file, paragraph: each unit's first paragraph)
-- Out, written as WORK/candidates/band-pairs.parquet: a_file, a_paragraph, b_file, b_paragraph,
-- each pair once, a before b. Per band, a bucket of more than boilerplate_cap units pairs its
-- first unit with each other one only (`dedup stage candidates` writes the same rows).
WITH buckets AS (
  SELECT b.band, b.key, b.file, b.paragraph,
         COUNT(*) OVER (PARTITION BY b.band, b.key) AS units,
         ROW_NUMBER() OVER (PARTITION BY b.band, b.key ORDER BY b.file, b.paragraph) AS place
  FROM bands b
  JOIN firsts f ON b.file = f.file AND b.paragraph = f.paragraph
),
leaders AS (
  SELECT k.band, k.key, k.file, k.paragraph, k.place
  FROM buckets k
  CROSS JOIN settings s
  WHERE k.units <= s.boilerplate_cap OR k.place = 1
)
SELECT DISTINCT a.file AS a_file, a.paragraph AS a_paragraph, b.file AS b_file, b.paragraph AS b_paragraph
FROM leaders a
JOIN buckets b ON a.band = b.band AND a.key = b.key AND a.place < b.place
