-- Inserts chunks of one repository, one array element per chunk; each heading path comes as a
-- JSON array of titles.
insert into doc_chunks (project_id, repository_id, path, blob_sha, heading_path, chunk_index,
                        text, token_count, embedding, model)
select $1, $2, c.path, c.blob_sha, array(select jsonb_array_elements_text(c.heading_path)),
       c.chunk_index, c.text, c.token_count, c.embedding, $3
from unnest($4::text[], $5::text[], $6::jsonb[], $7::int[], $8::text[], $9::int[], $10::vector[])
    as c(path, blob_sha, heading_path, chunk_index, text, token_count, embedding)
