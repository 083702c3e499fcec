-- Gives documents that moved (same blob, new path) the chunks of their old path, embeddings
-- included, so a rename costs no embedding; the new paths must hold no chunks yet.
insert into doc_chunks (project_id, repository_id, path, blob_sha, heading_path, chunk_index,
                        text, token_count, embedding, model)
select c.project_id, c.repository_id, m.to_path, c.blob_sha, c.heading_path, c.chunk_index,
       c.text, c.token_count, c.embedding, c.model
from unnest($2::text[], $3::text[], $4::text[]) as m(from_path, to_path, blob_sha)
join doc_chunks c
    on c.repository_id = $1 and c.path = m.from_path and c.blob_sha = m.blob_sha and c.model = $5
