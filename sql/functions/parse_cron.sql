CREATE OR REPLACE FUNCTION runlog.parse_cron(expr text)
RETURNS runlog.cron_spec
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    fields text [] := pg_catalog.regexp_split_to_array(pg_catalog.btrim(expr), '\s+');
    spec runlog.cron_spec;
BEGIN
    IF expr IS NULL OR pg_catalog.cardinality(fields) <> 5 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('invalid cron expression %s: it needs 5 fields', runlog._quote_value(expr)),
            'minute hour day-of-month month day-of-week, e.g. */15 6-18 * * mon-fri'
        );
    END IF;
    spec.minutes := runlog._cron_field(expr, fields[1], 0, 59, '{}');
    spec.hours := runlog._cron_field(expr, fields[2], 0, 23, '{}');
    spec.days := runlog._cron_field(expr, fields[3], 1, 31, '{}');
    spec.months := runlog._cron_field(
        expr, fields[4], 1, 12, '{jan,feb,mar,apr,may,jun,jul,aug,sep,oct,nov,dec}'
    );
    -- 0-7 with 7 = Sunday, folded to 0
    spec.weekdays := ARRAY(
        SELECT DISTINCT v % 7
        FROM pg_catalog.unnest(
            runlog._cron_field(expr, fields[5], 0, 7, '{sun,mon,tue,wed,thu,fri,sat}')
        ) AS v
        ORDER BY 1
    );
    spec.days_restricted := fields[3] <> '*';
    spec.weekdays_restricted := fields[5] <> '*';
    RETURN spec;
END
$function$;

COMMENT ON FUNCTION runlog.parse_cron(text) IS
'Parses a 5-field cron expression (minute hour day-of-month month day-of-week); raises 22023 naming the bad part.';
