-- A repository's sealed token (for the code that calls GitHub with it; never for a response).
select token_sealed, token_key_id from repositories where id = $1
