-- The checkpoint of `b24 events pull` when a store is set (what offline-<profile>.pid holds
-- without one): the process_id of the batch a run reserved and has not cleared yet, keyed by
-- the portal's host and the job name (`offline <profile>`), so that a pull on another machine
-- finishes the batch a killed one left.
CREATE TABLE b24_offline_checkpoints (
    portal     text NOT NULL,
    job        text NOT NULL,
    process_id text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (portal, job)
);
