-- Operating-time reports, one row per (caller, method): the portal's last reported sum for the
-- 10-minute window, when the oldest minute drops out (unix seconds, database clock; NULL when
-- not reported) and the estimated run time of one call. UNLOGGED for the same reason as the
-- rate budgets: after a server crash it is empty, and the next answer fills it again.
CREATE UNLOGGED TABLE bitrix24_operating_budgets (
    key       text NOT NULL,
    method    text NOT NULL,
    operating double precision NOT NULL,
    resets_at double precision,
    cost      double precision NOT NULL,
    PRIMARY KEY (key, method)
);
