-- When the stage run left its :eyes: reaction on the thread: a re-executed step (after a worker
-- died before the step's checkpoint committed) sees it and does not post the reaction again.
alter table agent_runs add column pickup_reacted_at timestamptz;
