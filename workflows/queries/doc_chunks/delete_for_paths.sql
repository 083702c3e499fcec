-- Removes every chunk of these documents of a repository (before their new chunks go in, or
-- because they are gone).
delete from doc_chunks
where repository_id = $1 and path = any($2::text[])
