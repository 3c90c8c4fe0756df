-- The checkpoint of an unfinished `b24 export` (what FILE.checkpoint holds without a store):
-- one row per job, keyed by the portal's host and the job name (`--job`, by default the
-- output file's name), so a run on another machine or from another directory finds it.
CREATE TABLE b24_export_checkpoints (
    portal     text NOT NULL,
    job        text NOT NULL,
    checkpoint text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (portal, job)
);
