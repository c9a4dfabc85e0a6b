CREATE OR REPLACE FUNCTION runlog._parse_cron(expr text, OUT spec runlog.cron_spec, OUT problem runlog.problem)
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    -- fields are separated by ASCII white space, as croniter splits them
    fields text [] := pg_catalog.regexp_split_to_array(
        pg_catalog.regexp_replace(_parse_cron.expr, '^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$', '', 'g'), '[ \t\n\r\f\v]+'
    );
    field_values record;
    days_star boolean;
    weekdays_star boolean;
BEGIN
    IF _parse_cron.expr IS NULL OR pg_catalog.cardinality(fields) <> 5 THEN
        problem := runlog._problem(
            pg_catalog.format('invalid cron expression %s: it needs 5 fields', runlog._quote_value(_parse_cron.expr)),
            'minute hour day-of-month month day-of-week, e.g. */15 6-18 * * mon-fri'
        );
        RETURN;
    END IF;
    -- ? means * in the day fields, as in croniter
    days_star := fields[3] = '?' OR '*' = ANY(pg_catalog.string_to_array(fields[3], ','));
    weekdays_star := fields[5] = '?' OR '*' = ANY(pg_catalog.string_to_array(fields[5], ','));
    FOR i IN 1..5 LOOP
        field_values := runlog._cron_field(
            _parse_cron.expr,
            CASE WHEN i IN (3, 5) AND fields[i] = '?' THEN '*' ELSE fields[i] END,
            (ARRAY[0, 0, 1, 1, 0])[i],
            (ARRAY[59, 23, 31, 12, 6])[i],
            CASE i
                WHEN 4 THEN '{jan,feb,mar,apr,may,jun,jul,aug,sep,oct,nov,dec}'::text []
                WHEN 5 THEN '{sun,mon,tue,wed,thu,fri,sat}'::text []
                ELSE '{}'::text []
            END
        );
        IF (field_values.problem).message IS NOT NULL THEN
            problem := field_values.problem;
            RETURN;
        END IF;
        CASE i
            WHEN 1 THEN spec.minutes := field_values.matches;
            WHEN 2 THEN spec.hours := field_values.matches;
            WHEN 3 THEN spec.days := field_values.matches;
            WHEN 4 THEN spec.months := field_values.matches;
            ELSE spec.weekdays := field_values.matches;
        END CASE;
    END LOOP;
    -- croniter: a day field is unrestricted when it is * (or has * in its
    -- list), or when it covers every value and the other day field contains *.
    spec.days_restricted := NOT (
        days_star OR (pg_catalog.cardinality(spec.days) = 31 AND pg_catalog.strpos(fields[5], '*') > 0)
    );
    spec.weekdays_restricted := NOT (
        weekdays_star OR (pg_catalog.cardinality(spec.weekdays) = 7 AND pg_catalog.strpos(fields[3], '*') > 0)
    );
END
$function$;

COMMENT ON FUNCTION runlog._parse_cron(text) IS
'A 5-field cron expression parsed as croniter reads it, or the problem (22023) naming the bad part.';
