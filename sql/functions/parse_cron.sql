CREATE OR REPLACE FUNCTION runlog.parse_cron(expr text)
RETURNS runlog.cron_spec
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    -- fields are separated by ASCII white space, as croniter splits them
    fields text [] := pg_catalog.regexp_split_to_array(
        pg_catalog.regexp_replace(parse_cron.expr, '^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$', '', 'g'), '[ \t\n\r\f\v]+'
    );
    spec runlog.cron_spec;
    days_star boolean;
    weekdays_star boolean;
BEGIN
    IF parse_cron.expr IS NULL OR pg_catalog.cardinality(fields) <> 5 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('invalid cron expression %s: it needs 5 fields', runlog._quote_value(parse_cron.expr)),
            'minute hour day-of-month month day-of-week, e.g. */15 6-18 * * mon-fri'
        );
    END IF;
    -- ? means * in the day fields, as in croniter
    days_star := fields[3] = '?' OR '*' = ANY(pg_catalog.string_to_array(fields[3], ','));
    weekdays_star := fields[5] = '?' OR '*' = ANY(pg_catalog.string_to_array(fields[5], ','));
    spec.minutes := runlog._cron_field(parse_cron.expr, fields[1], 0, 59, '{}');
    spec.hours := runlog._cron_field(parse_cron.expr, fields[2], 0, 23, '{}');
    spec.days := runlog._cron_field(parse_cron.expr, CASE WHEN fields[3] = '?' THEN '*' ELSE fields[3] END, 1, 31, '{}');
    spec.months := runlog._cron_field(
        parse_cron.expr, fields[4], 1, 12, '{jan,feb,mar,apr,may,jun,jul,aug,sep,oct,nov,dec}'
    );
    spec.weekdays := runlog._cron_field(
        parse_cron.expr, CASE WHEN fields[5] = '?' THEN '*' ELSE fields[5] END, 0, 6,
        '{sun,mon,tue,wed,thu,fri,sat}'
    );
    -- croniter: a day field is unrestricted when it is * (or has * in its
    -- list), or when it covers every value and the other day field contains *.
    spec.days_restricted := NOT (
        days_star OR (pg_catalog.cardinality(spec.days) = 31 AND pg_catalog.strpos(fields[5], '*') > 0)
    );
    spec.weekdays_restricted := NOT (
        weekdays_star OR (pg_catalog.cardinality(spec.weekdays) = 7 AND pg_catalog.strpos(fields[3], '*') > 0)
    );
    RETURN spec;
END
$function$;

COMMENT ON FUNCTION runlog.parse_cron(text) IS
'Parses a 5-field cron expression (minute hour day-of-month month day-of-week) as croniter reads it; raises 22023 naming the bad part.';
