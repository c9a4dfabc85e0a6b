CREATE OR REPLACE FUNCTION runlog.next_slots(
    cron text, time_zone text DEFAULT 'UTC', after timestamptz DEFAULT pg_catalog.now(), n integer DEFAULT 5
)
RETURNS SETOF timestamptz
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    spec runlog.cron_spec := runlog.parse_cron(next_slots.cron);
    slot timestamptz := next_slots.after;
BEGIN
    PERFORM runlog._check_time_zone(next_slots.time_zone);
    IF next_slots.n IS NULL OR next_slots.n NOT BETWEEN 1 AND 1000 THEN
        PERFORM runlog._invalid(pg_catalog.format('n must be between 1 and 1000, got %s', next_slots.n));
    END IF;
    IF slot IS NULL OR NOT pg_catalog.isfinite(slot) THEN
        PERFORM runlog._invalid('after must be a finite timestamp');
    END IF;
    FOR i IN 1..next_slots.n LOOP
        slot := runlog._next_slot(spec, next_slots.time_zone, slot);
        EXIT WHEN slot IS NULL;
        RETURN NEXT slot;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION runlog.next_slots(text, text, timestamptz, integer) IS
'The first n slots of a cron expression strictly after `after`, evaluated in the time zone: what a schedule will fire.';
