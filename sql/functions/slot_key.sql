CREATE OR REPLACE FUNCTION runlog.slot_key(org_id uuid, integration_type text, slot timestamptz)
RETURNS text
LANGUAGE sql
STABLE
AS $function$
    -- No SET clause, and STABLE like to_char(timestamp, text): only then
    -- does the planner inline it into tick's INSERT (a SET, or IMMUTABLE
    -- over a STABLE body, makes it a function call per run, twice the cost).
    -- Every name is qualified.
    SELECT org_id::text || '/' || integration_type || '/'
        || pg_catalog.to_char(slot AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"');
$function$;

COMMENT ON FUNCTION runlog.slot_key(uuid, text, timestamptz) IS
'The idempotency key of a scheduled period: org/integration/slot in UTC, e.g. .../xledger/2026-11-29T06:00Z.';
