-- $1 token sha256, $2 run, $3 key sha256: the first registration of a launch wins
insert into push_grants (token_sha256, agent_run_id, key_sha256)
values ($1, $2, $3)
on conflict (token_sha256) do nothing
