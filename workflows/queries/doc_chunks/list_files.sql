-- The documents of a repository as indexed: one row per (path, blob, model) with its chunk count.
select path, blob_sha, model, count(*)::int as chunks
from doc_chunks
where repository_id = $1
group by path, blob_sha, model
order by path
