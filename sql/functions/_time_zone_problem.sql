CREATE OR REPLACE FUNCTION runlog._time_zone_problem(time_zone text)
RETURNS runlog.problem
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    posix text [];
    wanted integer;
BEGIN
    -- IANA-shaped names only: a POSIX spec such as UTC+3 means UTC-3 and
    -- surprises everyone. (pg_timezone_names would be exact but reads the
    -- zone files on every call.)
    IF _time_zone_problem.time_zone ~ '^[A-Za-z][A-Za-z_+-]*(/[A-Za-z0-9_+-]+)*$' THEN
        BEGIN
            PERFORM pg_catalog.now() AT TIME ZONE _time_zone_problem.time_zone;
            RETURN NULL;
        EXCEPTION WHEN invalid_parameter_value THEN
            NULL;  -- unknown to PostgreSQL: report below
        END;
    END IF;
    posix := pg_catalog.regexp_match(
        _time_zone_problem.time_zone, '^[A-Za-z]{3,5}([+-])([0-9]{1,2})(:[0-9]{2})?$'
    );
    IF posix IS NULL THEN
        RETURN runlog._problem(
            pg_catalog.format('unknown time zone %s', runlog._quote_value(_time_zone_problem.time_zone)),
            'Use an IANA zone name such as UTC, Europe/Oslo or America/New_York (see pg_timezone_names).'
        );
    END IF;
    -- what the writer meant: UTC+3 is three hours ahead of UTC
    wanted := CASE WHEN posix[1] = '-' THEN -1 ELSE 1 END * posix[2]::integer;
    RETURN runlog._problem(
        pg_catalog.format(
            'time zone %s is a POSIX offset, not an IANA zone name: PostgreSQL would read it as UTC%s%s, '
            'the opposite of what it says',
            runlog._quote_value(_time_zone_problem.time_zone),
            CASE WHEN wanted > 0 THEN '-' ELSE '+' END, pg_catalog.abs(wanted) || coalesce(posix[3], '')
        ),
        CASE
            WHEN posix[3] IS NULL AND wanted BETWEEN -12 AND 14
                THEN pg_catalog.format(
                    'For UTC%s%s write Etc/GMT%s%s: POSIX, and so the Etc/GMT names, count hours west '
                    'of Greenwich as positive, hence the flipped sign. A city zone such as Europe/Istanbul '
                    'also follows daylight saving time.',
                    posix[1], pg_catalog.abs(wanted), CASE WHEN wanted > 0 THEN '-' ELSE '+' END,
                    pg_catalog.abs(wanted)
                )
            ELSE 'Use an IANA zone name of a city with that offset, such as Asia/Kolkata for UTC+5:30.'
        END
    );
END
$function$;

COMMENT ON FUNCTION runlog._time_zone_problem(text) IS
'NULL for an IANA time zone name PostgreSQL knows; else the problem (22023), explaining POSIX offsets such as UTC+3.';
