CREATE OR REPLACE FUNCTION runlog._plan_slots(
    spec runlog.cron_spec,
    time_zone text,
    catch_up text,
    first_due timestamptz,
    at timestamptz,
    max_slots integer,
    on_time interval,
    OUT slots timestamptz[],
    OUT next_slot timestamptz
)
LANGUAGE plpgsql
STABLE
AS $function$
-- No SET search_path: called once per due schedule by tick (a SECURITY
-- DEFINER with the path pinned), where a SET per call costs more than the work.
DECLARE
    latest timestamptz := first_due;
    probe timestamptz;
    window_size interval;
BEGIN
    IF catch_up = 'all' THEN
        slots := '{}';
        next_slot := first_due;
        WHILE next_slot IS NOT NULL AND next_slot <= _plan_slots.at AND pg_catalog.cardinality(slots) < max_slots LOOP
            slots := slots || next_slot;
            next_slot := runlog._next_slot(spec, time_zone, next_slot);
        END LOOP;
        RETURN;
    END IF;
    next_slot := runlog._next_slot(spec, time_zone, first_due);
    IF next_slot IS NOT NULL AND next_slot <= _plan_slots.at THEN
        -- Slots were missed: jump to the smallest window before `at` that
        -- holds a slot, then walk to the latest one.
        FOREACH window_size IN ARRAY ARRAY[
            interval '1 minute', interval '1 hour', interval '1 day', interval '32 days', interval '400 days'
        ] LOOP
            probe := runlog._next_slot(spec, time_zone, _plan_slots.at - window_size);
            IF probe IS NOT NULL AND probe <= _plan_slots.at AND probe > latest THEN
                latest := probe;
                EXIT;
            END IF;
        END LOOP;
        LOOP
            next_slot := runlog._next_slot(spec, time_zone, latest);
            EXIT WHEN next_slot IS NULL OR next_slot > _plan_slots.at;
            latest := next_slot;
        END LOOP;
    END IF;
    slots := CASE
        WHEN catch_up = 'none' AND _plan_slots.at - latest > on_time THEN '{}'::timestamptz []
        ELSE ARRAY[latest]
    END;
END
$function$;

COMMENT ON FUNCTION runlog._plan_slots(runlog.cron_spec, text, text, timestamptz, timestamptz, integer, interval) IS
'The slots a due schedule enqueues now under its catch-up policy, and its next slot afterwards.';
