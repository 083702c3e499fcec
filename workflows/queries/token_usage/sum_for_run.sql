-- A run's token usage, summed over its turns.
select count(*)::bigint as turns,
       coalesce(sum(input_tokens), 0)::bigint as input_tokens,
       coalesce(sum(cached_input_tokens), 0)::bigint as cached_input_tokens,
       coalesce(sum(output_tokens), 0)::bigint as output_tokens,
       coalesce(sum(reasoning_output_tokens), 0)::bigint as reasoning_output_tokens,
       coalesce(sum(total_tokens), 0)::bigint as total_tokens
from token_usage
where agent_run_id = $1
