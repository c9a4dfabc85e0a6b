CREATE OR REPLACE FUNCTION runlog._cron_field(
    expr text, field text, low integer, high integer, names text[]
)
RETURNS integer[]
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    item text;
    parts text [];
    range_text text;
    step integer;
    first_value integer;
    last_value integer;
    bound text;
    bounds integer [];
    found integer [] := '{}';
BEGIN
    IF _cron_field.field IS NULL OR _cron_field.field = '' THEN
        PERFORM runlog._invalid(pg_catalog.format('invalid cron expression %s: empty field', runlog._quote_value(expr)));
    END IF;
    FOREACH item IN ARRAY pg_catalog.string_to_array(pg_catalog.lower(_cron_field.field), ',')
    LOOP
        parts := pg_catalog.string_to_array(item, '/');
        IF pg_catalog.array_length(parts, 1) > 2 OR item = '' THEN
            PERFORM runlog._invalid(pg_catalog.format(
                'invalid cron expression %s: bad item %s', runlog._quote_value(expr), runlog._quote_value(item)
            ));
        END IF;
        range_text := parts[1];
        step := 1;
        IF pg_catalog.array_length(parts, 1) = 2 THEN
            IF parts[2] !~ '^[0-9]{1,3}$' OR parts[2]::integer = 0 THEN
                PERFORM runlog._invalid(pg_catalog.format(
                    'invalid cron expression %s: bad step %s', runlog._quote_value(expr), runlog._quote_value(parts[2])
                ));
            END IF;
            step := parts[2]::integer;
        END IF;
        IF range_text = '*' THEN
            first_value := low;
            last_value := high;
        ELSE
            bounds := '{}';
            FOREACH bound IN ARRAY pg_catalog.string_to_array(range_text, '-') LOOP
                IF bound ~ '^[0-9]{1,2}$' THEN
                    bounds := bounds || bound::integer;
                ELSIF bound = ANY(_cron_field.names) THEN
                    bounds := bounds || (pg_catalog.array_position(_cron_field.names, bound) - 1 + low);
                ELSE
                    PERFORM runlog._invalid(pg_catalog.format(
                        'invalid cron expression %s: bad value %s', runlog._quote_value(expr), runlog._quote_value(bound)
                    ));
                END IF;
            END LOOP;
            IF pg_catalog.cardinality(bounds) NOT BETWEEN 1 AND 2 THEN
                PERFORM runlog._invalid(pg_catalog.format(
                    'invalid cron expression %s: bad range %s', runlog._quote_value(expr), runlog._quote_value(range_text)
                ));
            END IF;
            first_value := bounds[1];
            -- a/step means a-high/step, as in Vixie cron
            last_value := CASE
                WHEN pg_catalog.cardinality(bounds) = 2 THEN bounds[2]
                WHEN step > 1 THEN high
                ELSE bounds[1]
            END;
        END IF;
        IF first_value < low OR last_value > high OR first_value > last_value THEN
            PERFORM runlog._invalid(pg_catalog.format(
                'invalid cron expression %s: %s is outside %s-%s',
                runlog._quote_value(expr), runlog._quote_value(item), low, high
            ));
        END IF;
        found := found || ARRAY(SELECT pg_catalog.generate_series(first_value, last_value, step));
    END LOOP;
    RETURN ARRAY(SELECT DISTINCT v FROM pg_catalog.unnest(found) AS v ORDER BY v);
END
$function$;

COMMENT ON FUNCTION runlog._cron_field(text, text, integer, integer, text[]) IS
'The values one cron field matches: *, lists, ranges, steps and names; raises 22023 naming the bad part.';
