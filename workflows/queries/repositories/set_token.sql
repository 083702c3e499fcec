-- Stores a repository's sealed token; with $4 the write applies only if the row is still sealed
-- under that key id (a reencryption that lost a race to a new token changes nothing).
update repositories
set token_sealed = $2, token_key_id = $3, token_set_at = case when $4::text is null then now() else token_set_at end,
    updated_at = now()
where id = $1
  and ($4::text is null or token_key_id = $4)
