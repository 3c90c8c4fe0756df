-- Calls in flight, one row per (caller, method, client): what that client expects its calls
-- of the method still running to add to the operating time (seconds), the estimate's place in
-- that client's order, and until when it counts (unix seconds, database clock). A killed
-- client's row stops counting when it expires. UNLOGGED like the budgets.
CREATE UNLOGGED TABLE bitrix24_operating_flights (
    key        text NOT NULL,
    method     text NOT NULL,
    client     text NOT NULL,
    seconds    double precision NOT NULL,
    sequence   bigint NOT NULL,
    expires_at double precision NOT NULL,
    PRIMARY KEY (key, method, client)
);
