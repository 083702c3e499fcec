-- Every bound repository, oldest first (the docs sweep indexes each).
select id from repositories order by created_at, id
