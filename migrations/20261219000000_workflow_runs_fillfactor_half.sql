-- Every run row is rewritten at least once (its finish), so a page full of new runs needs room for
-- as many new versions as it holds rows: at a fifth free, only about a quarter of a drain's
-- finishes were HOT (ADR 0032). Leave half of each page free. Applies to pages written from now on.
alter table workflow_runs set (fillfactor = 50);
