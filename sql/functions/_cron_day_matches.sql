CREATE OR REPLACE FUNCTION runlog._cron_day_matches(spec runlog.cron_spec, day date)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
AS $function$
    -- Vixie cron: when both day fields are restricted, either may match.
    SELECT CASE
        WHEN (spec).days_restricted AND (spec).weekdays_restricted
            THEN
                pg_catalog.date_part('day', day)::integer = ANY((spec).days)
                OR pg_catalog.date_part('dow', day)::integer = ANY((spec).weekdays)
        ELSE
            pg_catalog.date_part('day', day)::integer = ANY((spec).days)
            AND pg_catalog.date_part('dow', day)::integer = ANY((spec).weekdays)
    END;
$function$;

COMMENT ON FUNCTION runlog._cron_day_matches(runlog.cron_spec, date) IS
'Whether a day matches the day-of-month and day-of-week fields (either, when both are restricted).';
