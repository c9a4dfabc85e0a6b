CREATE OR REPLACE FUNCTION runlog._cron_field(
    expr text, field text, low integer, high integer, names text[],
    OUT matches integer[], OUT problem runlog.problem
)
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
-- The values one field matches, expanded as croniter expands them: `a/s`
-- means a-high/s; a range whose end is below its start wraps (22-2, fri-mon,
-- nov-feb); day of week (0-6) also takes 7 for Sunday, and a range whose ends
-- are then equal (0-7, sun-7) is the whole week. The one departure: croniter
-- reads an equal range such as 9-9 as the whole field; it is refused here.
DECLARE
    item text;
    parts text [];
    range_text text;
    step integer;
    bound text;
    bounds integer [];
    written integer [];
    first_value integer;
    last_value integer;
    found integer [] := '{}';
    last_taken integer;
    cron_hint constant text := 'minute hour day-of-month month day-of-week, e.g. */15 6-18 * * mon-fri';
    is_weekday boolean := _cron_field.low = 0 AND _cron_field.high = 6;
BEGIN
    IF _cron_field.field IS NULL OR _cron_field.field = '' THEN
        problem := runlog._problem(
            pg_catalog.format('invalid cron expression %s: empty field', runlog._quote_value(_cron_field.expr)),
            cron_hint
        );
        RETURN;
    END IF;
    FOREACH item IN ARRAY pg_catalog.string_to_array(pg_catalog.lower(_cron_field.field), ',') LOOP
        parts := pg_catalog.string_to_array(item, '/');
        IF item = '' OR pg_catalog.cardinality(parts) > 2 OR '' = ANY(parts) THEN
            problem := runlog._problem(pg_catalog.format(
                'invalid cron expression %s: bad item %s', runlog._quote_value(_cron_field.expr), runlog._quote_value(item)
            ), cron_hint);
            RETURN;
        END IF;
        range_text := parts[1];
        step := 1;
        IF pg_catalog.cardinality(parts) = 2 THEN
            IF parts[2] !~ '^[0-9]+$' OR parts[2]::numeric = 0 THEN
                problem := runlog._problem(pg_catalog.format(
                    'invalid cron expression %s: bad step %s in %s', runlog._quote_value(_cron_field.expr),
                    runlog._quote_value(parts[2]), runlog._quote_value(item)
                ), cron_hint);
                RETURN;
            END IF;
            -- any step longer than the field (60 values at most) picks one value
            step := LEAST(parts[2]::numeric, 100)::integer;
        END IF;
        IF range_text = '*' THEN
            found := found || ARRAY(SELECT pg_catalog.generate_series(_cron_field.low, _cron_field.high, step));
            CONTINUE;
        END IF;
        bounds := '{}';
        written := '{}';
        FOREACH bound IN ARRAY pg_catalog.string_to_array(range_text, '-') LOOP
            IF bound ~ '^[0-9]+$' THEN
                written := written || LEAST(bound::numeric, 1000)::integer;
            ELSIF bound = ANY(_cron_field.names) THEN
                written := written || (pg_catalog.array_position(_cron_field.names, bound) - 1 + _cron_field.low);
            ELSE
                problem := runlog._problem(
                    pg_catalog.format(
                        'invalid cron expression %s: bad value %s', runlog._quote_value(_cron_field.expr),
                        runlog._quote_value(bound)
                    ),
                    'Fields take numbers, *, lists (1,15), ranges (1-5), steps (*/15) and, for month and day '
                    'of week, names (jan, mon); ? is * in the day fields. Extensions such as L, W, # and H are not supported.'
                );
                RETURN;
            END IF;
            bounds := bounds || CASE WHEN is_weekday AND written[pg_catalog.cardinality(written)] = 7
                THEN 0 ELSE written[pg_catalog.cardinality(written)] END;
        END LOOP;
        IF pg_catalog.cardinality(bounds) NOT BETWEEN 1 AND 2 THEN
            problem := runlog._problem(pg_catalog.format(
                'invalid cron expression %s: bad range %s', runlog._quote_value(_cron_field.expr),
                runlog._quote_value(range_text)
            ), cron_hint);
            RETURN;
        END IF;
        IF pg_catalog.cardinality(written) = 2 AND written[1] = written[2] THEN
            problem := runlog._problem(
                pg_catalog.format(
                    'invalid cron expression %s: %s is a range of one value', runlog._quote_value(_cron_field.expr),
                    runlog._quote_value(item)
                ),
                pg_catalog.format(
                    'Write %s alone. croniter reads an equal range as the whole field, other crons as the one value.',
                    pg_catalog.left(bound, 20)
                )
            );
            RETURN;
        END IF;
        IF bounds[1] < _cron_field.low OR bounds[pg_catalog.cardinality(bounds)] > _cron_field.high
            OR bounds[1] > _cron_field.high OR bounds[pg_catalog.cardinality(bounds)] < _cron_field.low THEN
            problem := runlog._problem(pg_catalog.format(
                'invalid cron expression %s: %s is outside %s-%s', runlog._quote_value(_cron_field.expr),
                runlog._quote_value(item), _cron_field.low,
                CASE WHEN is_weekday THEN 7 ELSE _cron_field.high END
            ), cron_hint);
            RETURN;
        END IF;
        first_value := bounds[1];
        IF pg_catalog.cardinality(bounds) = 2 THEN
            last_value := bounds[2];
        ELSIF pg_catalog.cardinality(parts) = 2 THEN
            last_value := _cron_field.high;  -- a/s means a-high/s
        ELSE
            last_value := first_value;
        END IF;
        IF pg_catalog.cardinality(bounds) = 2 AND first_value = last_value THEN
            -- 0-7, sun-7: both ends are Sunday, the whole week
            first_value := _cron_field.low;
            last_value := _cron_field.high;
        END IF;
        IF first_value <= last_value THEN
            found := found || ARRAY(SELECT pg_catalog.generate_series(first_value, last_value, step));
        ELSE
            -- A wrapping range (22-2): first to high, then on from low to last.
            -- croniter restarts the step at low + (last step taken - high), or
            -- at low itself when the step lands exactly one past high.
            found := found || ARRAY(SELECT pg_catalog.generate_series(first_value, _cron_field.high, step));
            last_taken := found[pg_catalog.cardinality(found)];
            found := found || ARRAY(SELECT pg_catalog.generate_series(
                _cron_field.low + CASE
                    WHEN last_taken + step = _cron_field.high + 1 THEN 0
                    ELSE last_taken + step - _cron_field.high
                END,
                last_value,
                step
            ));
        END IF;
    END LOOP;
    matches := ARRAY(SELECT DISTINCT v FROM pg_catalog.unnest(found) AS v ORDER BY v);
END
$function$;

COMMENT ON FUNCTION runlog._cron_field(text, text, integer, integer, text[]) IS
'The values one cron field matches, as croniter expands them: *, lists, ranges (wrapping too), steps and names; or the problem (22023) naming the bad part.';
