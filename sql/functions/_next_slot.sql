CREATE OR REPLACE FUNCTION runlog._next_slot(spec runlog.cron_spec, time_zone text, after timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
AS $function$
-- No SET search_path: called once per due schedule by tick (a SECURITY
-- DEFINER with the path pinned), where a SET per call costs more than the work.
DECLARE
    -- the first local minute strictly after `after`
    earliest timestamp := pg_catalog.date_trunc('minute', _next_slot.after AT TIME ZONE _next_slot.time_zone)
    + interval '1 minute';
    day date := earliest::date;
    -- integers, compared in the loops instead of building timestamps
    first_day date := earliest::date;
    first_hour integer := pg_catalog.date_part('hour', earliest)::integer;
    first_minute integer := pg_catalog.date_part('minute', earliest)::integer;
    hour_value integer;
    minute_value integer;
    candidate timestamp;
    instant timestamptz;
BEGIN
    -- The first local minute itself when it matches (a frequent schedule
    -- that is on time): no loop. Otherwise, or in a repeated DST hour where
    -- it is not after `after`, the walk below.
    IF first_minute = ANY(spec.minutes) AND first_hour = ANY(spec.hours)
        AND pg_catalog.date_part('month', first_day)::integer = ANY(spec.months)
        AND runlog._cron_day_matches(spec, first_day) THEN
        instant := earliest AT TIME ZONE _next_slot.time_zone;
        IF instant > _next_slot.after THEN
            RETURN instant;
        END IF;
    END IF;
    -- 8 years: enough for any satisfiable expression (29 February on a weekday)
    FOR step IN 0..2930 LOOP
        IF pg_catalog.date_part('month', day)::integer <> ALL(spec.months) THEN
            day := (pg_catalog.date_trunc('month', day) + interval '1 month')::date;
            CONTINUE;
        END IF;
        IF runlog._cron_day_matches(spec, day) THEN
            FOREACH hour_value IN ARRAY spec.hours LOOP
                -- on the first day, only from the first local minute on
                CONTINUE WHEN day = first_day AND hour_value < first_hour;
                FOREACH minute_value IN ARRAY spec.minutes LOOP
                    CONTINUE WHEN day = first_day AND hour_value = first_hour AND minute_value < first_minute;
                    candidate := day + pg_catalog.make_interval(hours => hour_value, mins => minute_value);
                    -- A local time in a DST gap maps to the same offset after
                    -- the gap (02:30 -> 03:30); in the repeated hour to its
                    -- second (standard-time) occurrence.
                    instant := candidate AT TIME ZONE _next_slot.time_zone;
                    IF instant > _next_slot.after THEN
                        RETURN instant;
                    END IF;
                END LOOP;
            END LOOP;
        END IF;
        day := day + 1;
    END LOOP;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION runlog._next_slot(runlog.cron_spec, text, timestamptz) IS
'The first slot of the parsed expression strictly after `after`, evaluated in the time zone; NULL when none within 8 years.';
