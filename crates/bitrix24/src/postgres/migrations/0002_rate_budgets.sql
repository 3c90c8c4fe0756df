-- Request-rate budgets (GCRA), one row per budget key (a portal, or a portal and an egress
-- group). `tat` is the theoretical arrival time of the next request, in unix seconds on the
-- database's clock, so hosts with skewed clocks agree. UNLOGGED: an admission writes no WAL
-- and waits for no flush; after a server crash the table is empty, which forgets at most one
-- bucket's worth of history (the portal's own bucket drains within 25 s).
CREATE UNLOGGED TABLE bitrix24_rate_budgets (
    key text PRIMARY KEY,
    tat double precision NOT NULL
);
