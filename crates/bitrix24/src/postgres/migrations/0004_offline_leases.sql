-- Leases on portals' offline event queues, one row per portal: which worker (`holder`)
-- consumes it until when (unix seconds, database clock), and the `process_id` of the batch
-- that worker reserved and has not cleared yet (the checkpoint), so the next holder of a dead
-- worker's portal finishes that batch. Logged: the checkpoint must survive a server crash.
CREATE TABLE bitrix24_offline_leases (
    member_id  text PRIMARY KEY,
    holder     text,
    expires_at double precision NOT NULL DEFAULT 0,
    process_id text
);
