-- One stored turn of a run's thread.
select input_tokens, cached_input_tokens, output_tokens, reasoning_output_tokens, total_tokens
from token_usage
where agent_run_id = $1 and thread_id = $2 and turn = $3
