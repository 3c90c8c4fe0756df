-- Token records, one row per portal (member_id). `record` is the same JSON the file and
-- SQLite stores keep; `generation` is copied out of it so an operator can see refreshes.
CREATE TABLE bitrix24_tokens (
    member_id  text PRIMARY KEY,
    generation bigint NOT NULL,
    record     text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
