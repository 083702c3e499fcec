-- Whether the run already left its :eyes: reaction.
select pickup_reacted_at is not null from agent_runs where id = $1
