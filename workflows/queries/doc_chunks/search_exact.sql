-- The same search, exactly: full-precision cosine distance over every chunk of the project (no
-- index serves this order), to verify what the approximate search returns.
select n.path, n.heading_path, n.chunk_index, n.text, n.blob_sha, r.full_name as repository,
       1 - n.distance as score
from (
    select c.repository_id, c.path, c.heading_path, c.chunk_index, c.text, c.blob_sha,
           c.embedding <=> $2::vector as distance
    from doc_chunks c
    where c.project_id = $1
    order by c.embedding <=> $2::vector
    limit $3
) n
join repositories r on r.id = n.repository_id
order by n.distance, n.path, n.chunk_index
