CREATE OR REPLACE FUNCTION runlog.next_slots(
    cron text, time_zone text DEFAULT 'UTC', after timestamptz DEFAULT pg_catalog.now(), n integer DEFAULT 5
)
RETURNS SETOF timestamptz
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    parsed record := runlog._parse_cron(next_slots.cron);
    problem runlog.problem := parsed.problem;
    slot timestamptz := next_slots.after;
BEGIN
    IF problem.message IS NULL THEN
        problem := runlog._time_zone_problem(next_slots.time_zone);
    END IF;
    IF problem.message IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = problem.sqlstate, MESSAGE = problem.message, HINT = problem.hint;
    END IF;
    IF next_slots.n IS NULL OR next_slots.n NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION USING
            ERRCODE = '22023',
            MESSAGE = pg_catalog.format('n must be between 1 and 1000, got %s', coalesce(next_slots.n::text, 'NULL')),
            HINT = 'n is how many slots to list.';
    END IF;
    IF slot IS NULL OR NOT pg_catalog.isfinite(slot) THEN
        RAISE EXCEPTION USING
            ERRCODE = '22023',
            MESSAGE = pg_catalog.format('after must be a finite timestamp, got %s', coalesce(slot::text, 'NULL')),
            HINT = 'Pass a timestamptz such as now(); slots come strictly after it.';
    END IF;
    FOR i IN 1..next_slots.n LOOP
        slot := runlog._next_slot(parsed.spec, next_slots.time_zone, slot);
        EXIT WHEN slot IS NULL;
        RETURN NEXT slot;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION runlog.next_slots(text, text, timestamptz, integer) IS
'The first n slots of a cron expression strictly after `after`, evaluated in the time zone: what a schedule will fire.';
