-- The journal of a `b24 import` (what FILE.b24import holds without a store), keyed by the
-- portal's host and the job name (`--job`, by default the input file's name): each row is one
-- commit of journal lines, in `seq` order. Only the process holding the job's advisory lock
-- writes, one commit after another, so `seq` order is commit order.
CREATE TABLE b24_import_journals (
    portal text NOT NULL,
    job    text NOT NULL,
    seq    bigint GENERATED ALWAYS AS IDENTITY,
    lines  text NOT NULL,
    PRIMARY KEY (portal, job, seq)
);
