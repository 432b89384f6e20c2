-- The band buckets of a staged run over the boilerplate cap (`summary.oversized_buckets`), over
-- the tables of band_pairs.sql; with `--reference`, those holding input text only. Out, written
-- as WORK/candidates/oversized.parquet: buckets.
WITH sizes AS (
  SELECT b.band, b.key, COUNT(*) AS units, MAX(f.holds_input) AS inputs
  FROM bands b
  JOIN firsts f ON b.file = f.file AND b.paragraph = f.paragraph
  GROUP BY b.band, b.key
)
SELECT COUNT(*) AS buckets
FROM sizes
CROSS JOIN settings s
WHERE sizes.units > s.boilerplate_cap AND sizes.inputs = 1
