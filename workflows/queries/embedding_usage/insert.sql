-- Records what one indexing batch or one search asked of the embeddings provider.
insert into embedding_usage (project_id, repository_id, purpose, workflow_run_id, agent_run_id,
                             model, requests, inputs, input_tokens)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
