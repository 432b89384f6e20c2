-- The band join of a staged run (`dedup stage`, README "More than one machine"): pairs of units
-- whose first paragraphs share a MinHash band key. Plain SQL, no user-defined functions, so that
-- DuckDB, Spark SQL and DataFusion run it unchanged, over two tables and a view:
--   bands     WORK/sign/bands-*.parquet  (file, paragraph, band, key)
--   settings  WORK/settings.parquet      (boilerplate_cap)
--   firsts    unit_firsts.sql            (file, paragraph: each unit's first paragraph)
-- Out, written as WORK/candidates/band-pairs.parquet: a_file, a_paragraph, b_file, b_paragraph,
-- each pair once, a before b. Per band, a bucket of more than boilerplate_cap units pairs its
-- first unit with each other one only (`dedup stage candidates` writes the same rows). Most band
-- keys are held by one unit: the buckets of two or more are found by an aggregate first, and
-- only their rows are numbered.
WITH keyed AS (
  SELECT b.band, b.key, b.file, b.paragraph
  FROM bands b
  JOIN firsts f ON b.file = f.file AND b.paragraph = f.paragraph
),
shared AS (
  SELECT band, key, COUNT(*) AS units
  FROM keyed
  GROUP BY band, key
  HAVING COUNT(*) > 1
),
buckets AS (
  SELECT k.band, k.key, k.file, k.paragraph, s.units,
         ROW_NUMBER() OVER (PARTITION BY k.band, k.key ORDER BY k.file, k.paragraph) AS place
  FROM keyed k
  JOIN shared s ON k.band = s.band AND k.key = s.key
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
