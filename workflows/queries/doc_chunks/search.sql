-- The chunks of a project nearest to an embedding by cosine distance, approximately, through the
-- HNSW index on `embedding::halfvec(3072)`: the order by is that same expression, or the index
-- is not used. Run after tune_search in the same transaction.
select n.path, n.heading_path, n.chunk_index, n.text, n.blob_sha, r.full_name as repository,
       1 - n.distance as score
from (
    select c.repository_id, c.path, c.heading_path, c.chunk_index, c.text, c.blob_sha,
           c.embedding::halfvec(3072) <=> $2::vector::halfvec(3072) as distance
    from doc_chunks c
    where c.project_id = $1
    order by c.embedding::halfvec(3072) <=> $2::vector::halfvec(3072)
    limit $3
) n
join repositories r on r.id = n.repository_id
order by n.distance, n.path, n.chunk_index
