-- The band buckets of a staged run over the boilerplate cap (`summary.oversized_buckets`), over
-- the tables of band_pairs.sql. Out, written as WORK/candidates/oversized.parquet: buckets.
WITH firsts AS (
  SELECT file, paragraph
  FROM (
    SELECT file, paragraph,
           ROW_NUMBER() OVER (PARTITION BY exact_hi, exact_lo ORDER BY file, paragraph) AS copy
    FROM paragraphs
    WHERE words > 0
  ) numbered
  WHERE copy = 1
),
sizes AS (
  SELECT b.band, b.key, COUNT(*) AS units
  FROM bands b
  JOIN firsts f ON b.file = f.file AND b.paragraph = f.paragraph
  GROUP BY b.band, b.key
)
SELECT COUNT(*) AS buckets
FROM sizes
CROSS JOIN settings s
WHERE sizes.units > s.boilerplate_cap
