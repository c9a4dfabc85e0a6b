CREATE OR REPLACE FUNCTION runlog.slot_key(org_id uuid, integration_type text, slot timestamptz)
RETURNS text
LANGUAGE sql
IMMUTABLE
AS $function$
    -- No SET clause: the planner inlines it into tick's INSERT (a SET would
    -- make it a full function call per run). Every name is qualified.
    SELECT org_id::text || '/' || integration_type || '/'
        || pg_catalog.to_char(slot AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"');
$function$;

COMMENT ON FUNCTION runlog.slot_key(uuid, text, timestamptz) IS
'The idempotency key of a scheduled period: org/integration/slot in UTC, e.g. .../xledger/2026-11-29T06:00Z.';
