-- Stores one turn's usage as the delta between the thread's running totals reported by codex
-- ($5..$8) and what the thread's earlier turns already stored (codex reports totals on resume).
-- A turn already stored is left alone (the report is idempotent per run, thread and turn).
insert into token_usage (
    agent_run_id, thread_id, turn, model,
    input_tokens, cached_input_tokens, output_tokens, reasoning_output_tokens, total_tokens
)
select $1, $2, $3, $4,
    greatest($5 - coalesce(sum(input_tokens), 0), 0)::bigint,
    greatest($6 - coalesce(sum(cached_input_tokens), 0), 0)::bigint,
    greatest($7 - coalesce(sum(output_tokens), 0), 0)::bigint,
    greatest($8 - coalesce(sum(reasoning_output_tokens), 0), 0)::bigint,
    (greatest($5 - coalesce(sum(input_tokens), 0), 0)
        + greatest($7 - coalesce(sum(output_tokens), 0), 0))::bigint
from token_usage
where thread_id = $2
on conflict (agent_run_id, thread_id, turn) do nothing
returning input_tokens, cached_input_tokens, output_tokens, reasoning_output_tokens, total_tokens
