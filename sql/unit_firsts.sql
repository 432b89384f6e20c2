-- The units of a staged run (`dedup stage`, README "More than one machine"): the paragraphs with
-- one exact key (of at least one word) are one unit, named by its first (file, paragraph), and
-- holds_input is 1 when one of them is not reference text (`--reference`). Over
-- the table paragraphs (WORK/sign/paragraphs-*.parquet); the runners make it the view `firsts`
-- that band_pairs.sql and oversized_buckets.sql read.
SELECT file, paragraph, holds_input
FROM (
  SELECT file, paragraph,
         ROW_NUMBER() OVER (PARTITION BY exact_hi, exact_lo ORDER BY file, paragraph) AS copy,
         MAX(1 - reference) OVER (PARTITION BY exact_hi, exact_lo) AS holds_input
  FROM paragraphs
  WHERE words > 0
) numbered
WHERE copy = 1
