-- Search settings for the rest of the transaction: how many candidates the HNSW index keeps per
-- query; an iterative scan, so that the project filter still finds `limit` rows in order; and no
-- sequential scan, which the planner underprices here because it leaves out the detoasting of
-- every 12 KB vector (ADR 0015: it chose a 55-75 ms scan over a 2-5 ms index scan at 5,000 chunks).
select set_config('hnsw.ef_search', $1, true),
       set_config('hnsw.iterative_scan', 'strict_order', true),
       set_config('enable_seqscan', 'off', true)
