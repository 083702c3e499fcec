-- Repositories whose token is sealed under another key than the active one, by id after the cursor.
select id, token_sealed, token_key_id
from repositories
where token_key_id is not null and token_key_id <> $1
  and ($2::uuid is null or id > $2)
order by id
limit $3
