-- 0002_scheduling: Postgres schedules the syncs itself.
--
-- Adds runlog.settings (tunables, one row); runlog.sync_schedule (a 5-field
-- cron expression per organisation and integration, evaluated in its own IANA
-- time zone, with a catch-up policy and a pre-warm lead); a cron evaluator in
-- SQL (next_slots); tick(), which enqueues every due slot set-based with an
-- idempotency key per slot; prewarm(), claim_prewarm(), record_prewarm() and
-- the cold_starts view; reap_stale(), which times out runs whose heartbeat went stale and
-- queues their period again; prune(), the retention job, which also prunes
-- pg_cron's job_run_details for our jobs; the drift_alerts view and drift
-- NOTIFYs; install_cron_jobs() for pg_cron and maintain() for workers that
-- drive the same jobs without pg_cron; and scheduler_status().
--
-- Idempotent like 0001: running it twice leaves the catalog unchanged.

-- Settings ----------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS runlog.settings (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    max_slots_per_tick integer NOT NULL DEFAULT 60
    CHECK (max_slots_per_tick BETWEEN 1 AND 10000),
    heartbeat_timeout interval NOT NULL DEFAULT '10 minutes'
    CHECK (heartbeat_timeout >= interval '30 seconds'),
    max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 100),
    drift_threshold interval NOT NULL DEFAULT '5 minutes'
    CHECK (drift_threshold >= interval '0'),
    retention interval NOT NULL DEFAULT '90 days' CHECK (retention >= interval '1 day'),
    retention_batch integer NOT NULL DEFAULT 10000
    CHECK (retention_batch BETWEEN 100 AND 1000000),
    cron_history interval NOT NULL DEFAULT '7 days'
    CHECK (cron_history >= interval '1 hour'),
    last_tick_at timestamptz,
    last_tick_by text
);

INSERT INTO runlog.settings (singleton) VALUES (true) ON CONFLICT (singleton) DO NOTHING;

COMMENT ON TABLE runlog.settings IS
'pyrunlog tunables, one row; runlog_admin may UPDATE it (CHECKs validate).';
COMMENT ON COLUMN runlog.settings.singleton IS 'Always true: the table has one row.';
COMMENT ON COLUMN runlog.settings.max_slots_per_tick IS
'Catch-up policy all: at most this many slots per schedule per tick; the rest follow on later ticks.';
COMMENT ON COLUMN runlog.settings.heartbeat_timeout IS
'A running run without a heartbeat for this long is reaped as timed_out.';
COMMENT ON COLUMN runlog.settings.max_attempts IS
'A scheduled period is run at most this many times (the reaper re-queues timed-out periods).';
COMMENT ON COLUMN runlog.settings.drift_threshold IS
'A scheduled run that starts later than this after its slot is a drift alert (view drift_alerts, NOTIFY runlog_alert); catch-up none skips slots older than this.';
COMMENT ON COLUMN runlog.settings.retention IS
'prune() deletes ended runs older than this (the latest run per integration is always kept).';
COMMENT ON COLUMN runlog.settings.retention_batch IS
'prune() deletes in batches of this many rows.';
COMMENT ON COLUMN runlog.settings.cron_history IS
'prune() deletes cron.job_run_details of the runlog jobs older than this.';
COMMENT ON COLUMN runlog.settings.last_tick_at IS 'When tick() last ran.';
COMMENT ON COLUMN runlog.settings.last_tick_by IS
'Who ran the last tick: pg_cron, or worker:<id> when a worker drives the jobs.';

GRANT SELECT ON runlog.settings TO runlog_reader, runlog_worker, runlog_admin;
GRANT UPDATE (
    max_slots_per_tick, heartbeat_timeout, max_attempts, drift_threshold, retention,
    retention_batch, cron_history
) ON runlog.settings TO runlog_admin;

-- Cron expressions ----------------------------------------------------------------

DO $types$
BEGIN
    IF to_regtype('runlog.cron_spec') IS NULL THEN
        CREATE TYPE runlog.cron_spec AS (
            minutes integer [],
            hours integer [],
            days integer [],
            months integer [],
            weekdays integer [],
            days_restricted boolean,
            weekdays_restricted boolean
        );
    END IF;
END
$types$;

COMMENT ON TYPE runlog.cron_spec IS
'A parsed 5-field cron expression: the matching values of each field, and whether day-of-month and day-of-week are restricted (not *).';

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
        PERFORM runlog._invalid(pg_catalog.format('invalid cron expression %L: empty field', expr));
    END IF;
    FOREACH item IN ARRAY pg_catalog.string_to_array(pg_catalog.lower(_cron_field.field), ',')
    LOOP
        parts := pg_catalog.string_to_array(item, '/');
        IF pg_catalog.array_length(parts, 1) > 2 OR item = '' THEN
            PERFORM runlog._invalid(pg_catalog.format(
                'invalid cron expression %L: bad item %L', expr, item
            ));
        END IF;
        range_text := parts[1];
        step := 1;
        IF pg_catalog.array_length(parts, 1) = 2 THEN
            IF parts[2] !~ '^[0-9]{1,3}$' OR parts[2]::integer = 0 THEN
                PERFORM runlog._invalid(pg_catalog.format(
                    'invalid cron expression %L: bad step %L', expr, parts[2]
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
                        'invalid cron expression %L: bad value %L', expr, bound
                    ));
                END IF;
            END LOOP;
            IF pg_catalog.cardinality(bounds) NOT BETWEEN 1 AND 2 THEN
                PERFORM runlog._invalid(pg_catalog.format(
                    'invalid cron expression %L: bad range %L', expr, range_text
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
                'invalid cron expression %L: %L is outside %s-%s', expr, item, low, high
            ));
        END IF;
        found := found || ARRAY(SELECT pg_catalog.generate_series(first_value, last_value, step));
    END LOOP;
    RETURN ARRAY(SELECT DISTINCT v FROM pg_catalog.unnest(found) AS v ORDER BY v);
END
$function$;

COMMENT ON FUNCTION runlog._cron_field(text, text, integer, integer, text[]) IS
'The values one cron field matches: *, lists, ranges, steps and names; raises 22023 naming the bad part.';

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

CREATE OR REPLACE FUNCTION runlog._cron_day_matches(spec runlog.cron_spec, day date)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
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

CREATE OR REPLACE FUNCTION runlog._next_slot(spec runlog.cron_spec, time_zone text, after timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    -- the first local minute strictly after `after`
    earliest timestamp := pg_catalog.date_trunc('minute', _next_slot.after AT TIME ZONE _next_slot.time_zone)
    + interval '1 minute';
    day date := earliest::date;
    hour_value integer;
    minute_value integer;
    candidate timestamp;
    instant timestamptz;
BEGIN
    -- 8 years: enough for any satisfiable expression (29 February on a weekday)
    FOR step IN 0..2930 LOOP
        IF pg_catalog.date_part('month', day)::integer <> ALL(spec.months) THEN
            day := (pg_catalog.date_trunc('month', day) + interval '1 month')::date;
            CONTINUE;
        END IF;
        IF runlog._cron_day_matches(spec, day) THEN
            FOREACH hour_value IN ARRAY spec.hours LOOP
                CONTINUE WHEN day + pg_catalog.make_interval(hours => hour_value, mins => 59) < earliest;
                FOREACH minute_value IN ARRAY spec.minutes LOOP
                    candidate := day + pg_catalog.make_interval(hours => hour_value, mins => minute_value);
                    CONTINUE WHEN candidate < earliest;
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

CREATE OR REPLACE FUNCTION runlog._check_time_zone(time_zone text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    -- IANA-shaped names only: a POSIX spec such as UTC+3 means UTC-3 and
    -- surprises everyone. (pg_timezone_names would be exact but reads the
    -- zone files on every call.)
    IF _check_time_zone.time_zone ~ '^[A-Za-z][A-Za-z_+-]*(/[A-Za-z0-9_+-]+)*$' THEN
        BEGIN
            PERFORM pg_catalog.now() AT TIME ZONE _check_time_zone.time_zone;
            RETURN;
        EXCEPTION WHEN invalid_parameter_value THEN
            NULL;  -- unknown to PostgreSQL: report below
        END;
    END IF;
    PERFORM runlog._invalid(
        pg_catalog.format('unknown time zone %s', runlog._quote_value(_check_time_zone.time_zone)),
        'Use an IANA zone name such as UTC or Europe/Oslo.'
    );
END
$function$;

COMMENT ON FUNCTION runlog._check_time_zone(text) IS
'Raises 22023 unless the name is an IANA-style time zone name PostgreSQL knows (UTC, Europe/Oslo, Etc/GMT+3); POSIX specs such as UTC+3 are refused.';

CREATE OR REPLACE FUNCTION runlog.next_slots(
    cron text, time_zone text DEFAULT 'UTC', after timestamptz DEFAULT pg_catalog.now(), n integer DEFAULT 5
)
RETURNS SETOF timestamptz
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    spec runlog.cron_spec := runlog.parse_cron(next_slots.cron);
    slot timestamptz := next_slots.after;
BEGIN
    PERFORM runlog._check_time_zone(next_slots.time_zone);
    IF next_slots.n IS NULL OR next_slots.n NOT BETWEEN 1 AND 1000 THEN
        PERFORM runlog._invalid(pg_catalog.format('n must be between 1 and 1000, got %s', next_slots.n));
    END IF;
    IF slot IS NULL OR NOT pg_catalog.isfinite(slot) THEN
        PERFORM runlog._invalid('after must be a finite timestamp');
    END IF;
    FOR i IN 1..next_slots.n LOOP
        slot := runlog._next_slot(spec, next_slots.time_zone, slot);
        EXIT WHEN slot IS NULL;
        RETURN NEXT slot;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION runlog.next_slots(text, text, timestamptz, integer) IS
'The first n slots of a cron expression strictly after `after`, evaluated in the time zone: what a schedule will fire.';

-- Schedules -----------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS runlog.sync_schedule (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id uuid NOT NULL,
    integration_type text NOT NULL
    CONSTRAINT sync_schedule_integration_type_check
    CHECK (integration_type ~ '^[a-z][a-z0-9_]{0,63}$'),
    cron text NOT NULL,
    cron_spec runlog.cron_spec NOT NULL,
    time_zone text NOT NULL DEFAULT 'UTC',
    enabled boolean NOT NULL DEFAULT true,
    catch_up text NOT NULL DEFAULT 'latest'
    CONSTRAINT sync_schedule_catch_up_check CHECK (catch_up IN ('none', 'latest', 'all')),
    prewarm_lead interval NOT NULL DEFAULT '1 minute'
    CONSTRAINT sync_schedule_prewarm_lead_check
    CHECK (prewarm_lead BETWEEN interval '0' AND interval '1 hour'),
    next_slot timestamptz,
    last_slot timestamptz,
    prewarmed_slot timestamptz,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT sync_schedule_org_integration_key UNIQUE (org_id, integration_type)
);

COMMENT ON TABLE runlog.sync_schedule IS
'When each integration of each organisation syncs: a cron expression in a time zone. Written through set_schedule and friends (runlog_admin).';
COMMENT ON COLUMN runlog.sync_schedule.cron IS
'5-field cron expression as written: minute hour day-of-month month day-of-week.';
COMMENT ON COLUMN runlog.sync_schedule.cron_spec IS 'The parsed expression (set by set_schedule).';
COMMENT ON COLUMN runlog.sync_schedule.time_zone IS
'IANA time zone the expression is evaluated in (financial periods are local).';
COMMENT ON COLUMN runlog.sync_schedule.enabled IS
'Disabled schedules enqueue nothing; slots passed while disabled are not caught up.';
COMMENT ON COLUMN runlog.sync_schedule.catch_up IS
'After missed slots (an outage): none = skip them, latest = run the latest one, all = run each (bounded per tick).';
COMMENT ON COLUMN runlog.sync_schedule.prewarm_lead IS
'How long before a slot workers get the pre-warm signal (0 to 1 hour).';
COMMENT ON COLUMN runlog.sync_schedule.next_slot IS 'The next slot tick() will enqueue.';
COMMENT ON COLUMN runlog.sync_schedule.last_slot IS 'The last slot tick() enqueued.';
COMMENT ON COLUMN runlog.sync_schedule.prewarmed_slot IS 'The last slot a pre-warm signal went out for.';

CREATE INDEX IF NOT EXISTS sync_schedule_due_idx
ON runlog.sync_schedule (next_slot)
WHERE enabled;
COMMENT ON INDEX runlog.sync_schedule_due_idx IS 'Serves tick() and prewarm(): enabled schedules by next slot.';

GRANT SELECT ON runlog.sync_schedule TO runlog_reader, runlog_worker, runlog_admin;

CREATE OR REPLACE FUNCTION runlog.set_schedule(
    org_id uuid,
    integration_type text,
    cron text,
    time_zone text DEFAULT 'UTC',
    catch_up text DEFAULT 'latest',
    prewarm_lead interval DEFAULT '1 minute',
    enabled boolean DEFAULT true
)
RETURNS runlog.sync_schedule
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    spec runlog.cron_spec;
    first_slot timestamptz;
    saved runlog.sync_schedule;
BEGIN
    PERFORM runlog._check_run_args(
        set_schedule.org_id, set_schedule.integration_type, 'scheduler', NULL, NULL
    );
    spec := runlog.parse_cron(set_schedule.cron);
    PERFORM runlog._check_time_zone(set_schedule.time_zone);
    IF set_schedule.catch_up IS NULL OR set_schedule.catch_up NOT IN ('none', 'latest', 'all') THEN
        PERFORM runlog._invalid(
            pg_catalog.format('invalid catch_up %s', runlog._quote_value(set_schedule.catch_up)),
            'catch_up is none, latest or all.'
        );
    END IF;
    IF set_schedule.prewarm_lead IS NULL
        OR set_schedule.prewarm_lead NOT BETWEEN interval '0' AND interval '1 hour' THEN
        PERFORM runlog._invalid(
            pg_catalog.format('prewarm_lead must be between 0 and 1 hour, got %s', set_schedule.prewarm_lead)
        );
    END IF;
    first_slot := runlog._next_slot(spec, set_schedule.time_zone, pg_catalog.now());
    IF first_slot IS NULL THEN
        PERFORM runlog._invalid(pg_catalog.format(
            'cron expression %L never fires (no slot within 8 years)', set_schedule.cron
        ));
    END IF;
    INSERT INTO runlog.sync_schedule AS s (
        org_id, integration_type, cron, cron_spec, time_zone, catch_up, prewarm_lead, enabled, next_slot
    )
    VALUES (
        set_schedule.org_id, set_schedule.integration_type, set_schedule.cron, spec,
        set_schedule.time_zone, set_schedule.catch_up, set_schedule.prewarm_lead,
        coalesce(set_schedule.enabled, true), first_slot
    )
    ON CONFLICT ON CONSTRAINT sync_schedule_org_integration_key DO UPDATE
        SET
            cron = excluded.cron,
            cron_spec = excluded.cron_spec,
            time_zone = excluded.time_zone,
            catch_up = excluded.catch_up,
            prewarm_lead = excluded.prewarm_lead,
            enabled = excluded.enabled,
            -- a changed expression or zone starts from now; otherwise keep the place
            next_slot = CASE
                WHEN s.cron IS DISTINCT FROM excluded.cron
                    OR s.time_zone IS DISTINCT FROM excluded.time_zone
                    OR NOT s.enabled
                    THEN excluded.next_slot
                ELSE s.next_slot
            END,
            updated_at = pg_catalog.now()
    RETURNING s.* INTO saved;
    RETURN saved;
END
$function$;

COMMENT ON FUNCTION runlog.set_schedule(uuid, text, text, text, text, interval, boolean) IS
'Creates or replaces the schedule of an integration of an organisation; validates the expression and zone (22023). A new expression or zone takes effect from now.';

CREATE OR REPLACE FUNCTION runlog._no_schedule(org_id uuid, integration_type text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RAISE EXCEPTION 'no schedule for % of organisation %',
        runlog._quote_value(_no_schedule.integration_type), _no_schedule.org_id
        USING ERRCODE = 'RL004';
END
$function$;

COMMENT ON FUNCTION runlog._no_schedule(uuid, text) IS
'Raises RL004: the organisation has no schedule for this integration.';

CREATE OR REPLACE FUNCTION runlog.enable_schedule(org_id uuid, integration_type text, enabled boolean DEFAULT true)
RETURNS runlog.sync_schedule
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    saved runlog.sync_schedule;
BEGIN
    UPDATE runlog.sync_schedule AS s
    SET
        enabled = coalesce(enable_schedule.enabled, true),
        -- slots passed while disabled are not caught up
        next_slot = CASE
            WHEN NOT s.enabled AND coalesce(enable_schedule.enabled, true)
                THEN runlog._next_slot(s.cron_spec, s.time_zone, pg_catalog.now())
            ELSE s.next_slot
        END,
        updated_at = pg_catalog.now()
    WHERE s.org_id = enable_schedule.org_id AND s.integration_type = enable_schedule.integration_type
    RETURNING s.* INTO saved;
    IF NOT FOUND THEN
        PERFORM runlog._no_schedule(enable_schedule.org_id, enable_schedule.integration_type);
    END IF;
    RETURN saved;
END
$function$;

COMMENT ON FUNCTION runlog.enable_schedule(uuid, text, boolean) IS
'Enables (or, with enabled = false, disables) a schedule; RL004 when there is none. Slots passed while disabled are skipped.';

CREATE OR REPLACE FUNCTION runlog.disable_schedule(org_id uuid, integration_type text)
RETURNS runlog.sync_schedule
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
    SELECT runlog.enable_schedule(org_id, integration_type, false);
$function$;

COMMENT ON FUNCTION runlog.disable_schedule(uuid, text) IS
'Disables a schedule: it enqueues nothing until enabled again. RL004 when there is none.';

CREATE OR REPLACE FUNCTION runlog.delete_schedule(org_id uuid, integration_type text)
RETURNS runlog.sync_schedule
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    removed runlog.sync_schedule;
BEGIN
    DELETE FROM runlog.sync_schedule AS s
    WHERE s.org_id = delete_schedule.org_id AND s.integration_type = delete_schedule.integration_type
    RETURNING s.* INTO removed;
    IF NOT FOUND THEN
        PERFORM runlog._no_schedule(delete_schedule.org_id, delete_schedule.integration_type);
    END IF;
    RETURN removed;
END
$function$;

COMMENT ON FUNCTION runlog.delete_schedule(uuid, text) IS
'Deletes a schedule (its runs stay in the log); RL004 when there is none.';

-- Tick: enqueue due slots ---------------------------------------------------------

CREATE OR REPLACE FUNCTION runlog.slot_key(org_id uuid, integration_type text, slot timestamptz)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT org_id::text || '/' || integration_type || '/'
        || pg_catalog.to_char(slot AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"');
$function$;

COMMENT ON FUNCTION runlog.slot_key(uuid, text, timestamptz) IS
'The idempotency key of a scheduled period: org/integration/slot in UTC, e.g. .../xledger/2026-11-29T06:00Z.';

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
SET search_path = pg_catalog, pg_temp
AS $function$
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

CREATE OR REPLACE FUNCTION runlog.tick(at timestamptz DEFAULT pg_catalog.now(), ticked_by text DEFAULT 'pg_cron')
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    config runlog.settings;
    enqueued integer;
    kinds text [];
    kind text;
BEGIN
    IF tick.at IS NULL OR NOT pg_catalog.isfinite(tick.at) THEN
        PERFORM runlog._invalid('at must be a finite timestamp');
    END IF;
    SELECT s.* INTO STRICT config FROM runlog.settings AS s;

    WITH due AS (
        SELECT s.id, s.org_id, s.integration_type, s.cron_spec, s.time_zone, s.catch_up, s.next_slot
        FROM runlog.sync_schedule AS s
        WHERE s.enabled AND s.next_slot <= tick.at
        FOR UPDATE SKIP LOCKED
    ),

    planned AS (
        SELECT
            d.id,
            d.org_id,
            d.integration_type,
            p.slots,
            p.next_slot
        FROM due AS d
        CROSS JOIN LATERAL runlog._plan_slots(
            d.cron_spec, d.time_zone, d.catch_up, d.next_slot, tick.at,
            config.max_slots_per_tick, config.drift_threshold
        ) AS p
    ),

    advanced AS (
        UPDATE runlog.sync_schedule AS s
        SET
            next_slot = p.next_slot,
            last_slot = coalesce(p.slots[pg_catalog.cardinality(p.slots)], s.last_slot)
        FROM planned AS p
        WHERE s.id = p.id
        RETURNING s.id
    ),

    inserted AS (
        INSERT INTO runlog.sync_run_log AS r (
            org_id, integration_type, status, triggered_by, scheduled_for, idempotency_key
        )
        SELECT
            p.org_id,
            p.integration_type,
            'queued',
            'scheduler',
            slot.value,
            runlog.slot_key(p.org_id, p.integration_type, slot.value)
        FROM planned AS p
        CROSS JOIN LATERAL pg_catalog.unnest(p.slots) AS slot (value)
        ON CONFLICT DO NOTHING
        RETURNING r.integration_type
    )

    SELECT
        count(*)::integer,
        array_agg(DISTINCT i.integration_type)
    INTO enqueued, kinds
    FROM inserted AS i;

    UPDATE runlog.settings SET last_tick_at = pg_catalog.now(), last_tick_by = tick.ticked_by;

    -- One wake-up per integration type, not one per run.
    FOREACH kind IN ARRAY coalesce(kinds, '{}') LOOP
        PERFORM pg_catalog.pg_notify(
            'runlog_queued', pg_catalog.json_build_object('integration_type', kind, 'tick', true)::text
        );
    END LOOP;
    RETURN enqueued;
END
$function$;

COMMENT ON FUNCTION runlog.tick(timestamptz, text) IS
'Enqueues every slot that has come (status queued, triggered_by scheduler, idempotency key per slot) following each schedule''s catch-up policy, in one set-based pass; never the same slot twice. Returns the number of runs enqueued.';

-- Pre-warm and cold starts -------------------------------------------------------------

CREATE TABLE IF NOT EXISTS runlog.prewarm_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id uuid NOT NULL,
    integration_type text NOT NULL,
    slot timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    ok boolean,
    latency_ms integer CHECK (latency_ms >= 0),
    error_message text CHECK (pg_catalog.char_length(error_message) <= 2000),
    worker_id text CHECK (pg_catalog.char_length(worker_id) <= 200),
    CONSTRAINT prewarm_log_slot_key UNIQUE (org_id, integration_type, slot)
);

COMMENT ON TABLE runlog.prewarm_log IS
'One pre-warm per slot: claimed by one worker (claim_prewarm), its outcome recorded (record_prewarm).';
COMMENT ON COLUMN runlog.prewarm_log.slot IS 'The slot the pre-warm was for.';
COMMENT ON COLUMN runlog.prewarm_log.ok IS 'Whether the pre-warm hook succeeded; NULL while it runs.';
COMMENT ON COLUMN runlog.prewarm_log.latency_ms IS 'How long the pre-warm hook took.';
COMMENT ON COLUMN runlog.prewarm_log.worker_id IS 'The worker that ran the pre-warm hook.';

GRANT SELECT ON runlog.prewarm_log TO runlog_reader, runlog_worker, runlog_admin;

CREATE OR REPLACE FUNCTION runlog.prewarm(at timestamptz DEFAULT pg_catalog.now())
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    signalled integer := 0;
    due record;
BEGIN
    -- The next slot after `at`: next_slot, or (when the tick of this minute has
    -- not run yet, since pg_cron starts both jobs at once) the one after it.
    FOR due IN
        WITH upcoming AS (
            SELECT
                s.id,
                CASE
                    WHEN s.next_slot > prewarm.at THEN s.next_slot
                    ELSE runlog._next_slot(s.cron_spec, s.time_zone, prewarm.at)
                END AS slot
            FROM runlog.sync_schedule AS s
            WHERE s.enabled AND s.next_slot <= prewarm.at + s.prewarm_lead
        )

        UPDATE runlog.sync_schedule AS s
        SET prewarmed_slot = u.slot
        FROM upcoming AS u
        WHERE
            s.id = u.id
            AND u.slot <= prewarm.at + s.prewarm_lead
            AND s.prewarmed_slot IS DISTINCT FROM u.slot
        RETURNING s.org_id, s.integration_type, u.slot AS next_slot
    LOOP
        PERFORM pg_catalog.pg_notify(
            'runlog_prewarm',
            pg_catalog.json_build_object(
                'org_id', due.org_id, 'integration_type', due.integration_type, 'slot', due.next_slot
            )::text
        );
        signalled := signalled + 1;
    END LOOP;
    RETURN signalled;
END
$function$;

COMMENT ON FUNCTION runlog.prewarm(timestamptz) IS
'NOTIFY runlog_prewarm once for each schedule whose next slot is within its pre-warm lead. Returns the number of signals.';

CREATE OR REPLACE FUNCTION runlog.claim_prewarm(
    org_id uuid, integration_type text, slot timestamptz, worker_id text
)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
BEGIN
    PERFORM runlog._check_run_args(
        claim_prewarm.org_id, claim_prewarm.integration_type, 'scheduler', claim_prewarm.slot, NULL
    );
    IF claim_prewarm.slot IS NULL THEN
        PERFORM runlog._invalid('slot must not be NULL');
    END IF;
    INSERT INTO runlog.prewarm_log AS p (org_id, integration_type, slot, worker_id)
    VALUES (
        claim_prewarm.org_id, claim_prewarm.integration_type, claim_prewarm.slot,
        pg_catalog.left(claim_prewarm.worker_id, 200)
    )
    ON CONFLICT ON CONSTRAINT prewarm_log_slot_key DO NOTHING;
    RETURN FOUND;
END
$function$;

COMMENT ON FUNCTION runlog.claim_prewarm(uuid, text, timestamptz, text) IS
'True for the one worker that may pre-warm this slot (every worker hears the NOTIFY); false for the rest.';

CREATE OR REPLACE FUNCTION runlog.record_prewarm(
    org_id uuid,
    integration_type text,
    slot timestamptz,
    ok boolean,
    latency_ms integer DEFAULT null,
    error_message text DEFAULT null,
    worker_id text DEFAULT null
)
RETURNS runlog.prewarm_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    recorded runlog.prewarm_log;
BEGIN
    PERFORM runlog._check_run_args(
        record_prewarm.org_id, record_prewarm.integration_type, 'scheduler', record_prewarm.slot, NULL
    );
    IF record_prewarm.slot IS NULL OR record_prewarm.ok IS NULL THEN
        PERFORM runlog._invalid('slot and ok must not be NULL');
    END IF;
    IF record_prewarm.latency_ms < 0 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('latency_ms must not be negative, got %s', record_prewarm.latency_ms)
        );
    END IF;
    INSERT INTO runlog.prewarm_log AS p (
        org_id, integration_type, slot, ok, latency_ms, error_message, worker_id
    )
    VALUES (
        record_prewarm.org_id, record_prewarm.integration_type, record_prewarm.slot,
        record_prewarm.ok, record_prewarm.latency_ms,
        pg_catalog.left(record_prewarm.error_message, 2000),
        pg_catalog.left(record_prewarm.worker_id, 200)
    )
    ON CONFLICT ON CONSTRAINT prewarm_log_slot_key DO UPDATE
        SET
            ok = excluded.ok,
            latency_ms = excluded.latency_ms,
            error_message = excluded.error_message,
            worker_id = coalesce(excluded.worker_id, p.worker_id),
            recorded_at = pg_catalog.now()
    RETURNING p.* INTO recorded;
    RETURN recorded;
END
$function$;

COMMENT ON FUNCTION runlog.record_prewarm(uuid, text, timestamptz, boolean, integer, text, text) IS
'Records the outcome of the pre-warm hook for a slot (ok, latency, error).';

-- Drift ------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runlog._alert_if_late()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF new.drift_seconds > (
        SELECT pg_catalog.date_part('epoch', s.drift_threshold) FROM runlog.settings AS s
    ) THEN
        PERFORM pg_catalog.pg_notify(
            'runlog_alert',
            pg_catalog.json_build_object(
                'kind', 'drift', 'run_id', new.id, 'org_id', new.org_id,
                'integration_type', new.integration_type,
                'scheduled_for', new.scheduled_for, 'drift_seconds', new.drift_seconds
            )::text
        );
    END IF;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION runlog._alert_if_late() IS
'Trigger: NOTIFY runlog_alert when a scheduled run starts later after its slot than settings.drift_threshold.';

CREATE OR REPLACE TRIGGER sync_run_log_drift_alert
AFTER INSERT OR UPDATE OF status ON runlog.sync_run_log
FOR EACH ROW
WHEN (new.status = 'running' AND new.drift_seconds IS NOT null)
EXECUTE FUNCTION runlog._alert_if_late();

COMMENT ON TRIGGER sync_run_log_drift_alert ON runlog.sync_run_log IS
'Alerts (NOTIFY runlog_alert) when a scheduled run starts late, however it was started.';

CREATE OR REPLACE FUNCTION runlog.claim_runs(
    worker_id text, integration_types text[] DEFAULT null, max_runs integer DEFAULT 1
)
RETURNS SETOF runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    claimed runlog.sync_run_log;
BEGIN
    IF claim_runs.max_runs IS NULL OR claim_runs.max_runs NOT BETWEEN 1 AND 1000 THEN
        PERFORM runlog._invalid(
            pg_catalog.format('max_runs must be between 1 and 1000, got %s', claim_runs.max_runs)
        );
    END IF;
    FOR i IN 1..claim_runs.max_runs LOOP
        claimed := runlog.claim_next(claim_runs.worker_id, claim_runs.integration_types);
        EXIT WHEN claimed.id IS NULL;
        RETURN NEXT claimed;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION runlog.claim_runs(text, text[], integer) IS
'Claims up to max_runs runs as claim_next would, in one call (a worker fills all its free slots in one roundtrip).';

CREATE OR REPLACE FUNCTION runlog.finish_and_claim(
    run_id bigint,
    status text,
    records_processed bigint,
    records_failed bigint,
    error_message text,
    worker_id text,
    integration_types text[] DEFAULT null
)
RETURNS SETOF runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
BEGIN
    -- One transaction: when the finish fails, nothing is claimed either.
    PERFORM runlog.finish_run(
        finish_and_claim.run_id, finish_and_claim.status, finish_and_claim.records_processed,
        finish_and_claim.records_failed, finish_and_claim.error_message
    );
    RETURN QUERY
    SELECT * FROM runlog.claim_runs(finish_and_claim.worker_id, finish_and_claim.integration_types, 1);
END
$function$;

COMMENT ON FUNCTION runlog.finish_and_claim(bigint, text, bigint, bigint, text, text, text[]) IS
'finish_run, then claim_next for the same worker, atomically in one call: a worker''s thread finishes a run and takes the next in one roundtrip.';

CREATE OR REPLACE VIEW runlog.drift_alerts
WITH (security_invoker = true) AS
SELECT
    r.id,
    r.org_id,
    r.integration_type,
    r.status,
    r.scheduled_for,
    r.started_at,
    r.drift_seconds,
    pg_catalog.date_part('epoch', s.drift_threshold) AS threshold_seconds
FROM runlog.sync_run_log AS r
CROSS JOIN runlog.settings AS s
WHERE r.drift_seconds > pg_catalog.date_part('epoch', s.drift_threshold);

COMMENT ON VIEW runlog.drift_alerts IS
'Scheduled runs that started later after their slot than settings.drift_threshold (default 5 minutes). Readers see their own organisation.';

CREATE OR REPLACE VIEW runlog.cold_starts
WITH (security_invoker = true) AS
SELECT
    r.id,
    r.org_id,
    r.integration_type,
    r.status,
    r.scheduled_for,
    r.started_at
FROM runlog.sync_run_log AS r
WHERE
    r.triggered_by = 'scheduler'
    AND r.scheduled_for IS NOT null
    AND r.started_at IS NOT null
    AND NOT EXISTS (
        SELECT FROM runlog.prewarm_log AS p
        WHERE
            p.org_id = r.org_id
            AND p.integration_type = r.integration_type
            AND p.slot = r.scheduled_for
            AND p.ok
            AND p.recorded_at <= r.started_at
    );

COMMENT ON VIEW runlog.cold_starts IS
'Scheduled runs that started without a successful pre-warm for their slot. Readers see their own organisation.';

-- Stale runs and retention -----------------------------------------------------------

CREATE OR REPLACE FUNCTION runlog.reap_stale(timeout interval DEFAULT null)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    config runlog.settings;
    limit_age interval;
    reaped integer;
BEGIN
    SELECT s.* INTO STRICT config FROM runlog.settings AS s;
    limit_age := coalesce(reap_stale.timeout, config.heartbeat_timeout);
    IF limit_age < interval '1 second' THEN
        PERFORM runlog._invalid(pg_catalog.format('timeout must be at least 1 second, got %s', limit_age));
    END IF;

    WITH stale AS (
        UPDATE runlog.sync_run_log AS r
        SET
            status = 'timed_out',
            ended_at = greatest(pg_catalog.clock_timestamp(), r.started_at),
            error_message = pg_catalog.format(
                'timed out: no heartbeat since %s (timeout %s); worker %s presumed dead',
                coalesce(r.heartbeat_at, r.started_at), limit_age, coalesce(r.worker_id, '(none)')
            )
        WHERE
            r.status = 'running'
            AND coalesce(r.heartbeat_at, r.started_at) < pg_catalog.now() - limit_age
        RETURNING r.*
    ),

    -- The period of a scheduled run is queued again, up to max_attempts runs.
    retried AS (
        INSERT INTO runlog.sync_run_log AS q (
            org_id, integration_type, status, triggered_by, scheduled_for, idempotency_key
        )
        SELECT s.org_id, s.integration_type, 'queued', s.triggered_by, s.scheduled_for, s.idempotency_key
        FROM stale AS s
        WHERE
            s.idempotency_key IS NOT NULL
            AND (
                SELECT count(*) FROM runlog.sync_run_log AS o
                WHERE
                    o.org_id = s.org_id
                    AND o.integration_type = s.integration_type
                    AND o.idempotency_key = s.idempotency_key
            ) + 1 <= config.max_attempts
        ON CONFLICT DO NOTHING
        RETURNING q.integration_type
    )

    SELECT count(*)::integer INTO reaped FROM stale;
    IF reaped > 0 THEN
        PERFORM pg_catalog.pg_notify('runlog_queued', '{"reaped": true}');
    END IF;
    RETURN reaped;
END
$function$;

COMMENT ON FUNCTION runlog.reap_stale(interval) IS
'Marks running runs without a heartbeat for longer than the timeout (default settings.heartbeat_timeout) timed_out, freeing their integration, and queues their period again (up to settings.max_attempts runs). Returns the number reaped.';

CREATE OR REPLACE FUNCTION runlog.prune(older_than interval DEFAULT null, max_batches integer DEFAULT 100)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    config runlog.settings;
    age_limit interval;
    batch bigint;
    total bigint := 0;
    cron_schema constant text := 'cron';
BEGIN
    SELECT s.* INTO STRICT config FROM runlog.settings AS s;
    age_limit := coalesce(prune.older_than, config.retention);
    IF age_limit < interval '1 hour' THEN
        PERFORM runlog._invalid(pg_catalog.format('older_than must be at least 1 hour, got %s', age_limit));
    END IF;
    FOR i IN 1..greatest(prune.max_batches, 1) LOOP
        WITH doomed AS (
            SELECT r.id
            FROM runlog.sync_run_log AS r
            WHERE
                r.ended_at < pg_catalog.now() - age_limit
                -- always keep the latest started run of each integration
                AND EXISTS (
                    SELECT FROM runlog.sync_run_log AS newer
                    WHERE
                        newer.org_id = r.org_id
                        AND newer.integration_type = r.integration_type
                        AND newer.started_at IS NOT NULL
                        AND (newer.started_at, newer.id) > (coalesce(r.started_at, '-infinity'), r.id)
                )
            ORDER BY r.id
            LIMIT config.retention_batch
            FOR UPDATE SKIP LOCKED
        )

        DELETE FROM runlog.sync_run_log AS r
        USING doomed AS d
        WHERE r.id = d.id;
        GET DIAGNOSTICS batch = ROW_COUNT;
        total := total + batch;
        EXIT WHEN batch < config.retention_batch;
    END LOOP;

    DELETE FROM runlog.prewarm_log AS p WHERE p.recorded_at < pg_catalog.now() - age_limit;

    -- pg_cron never prunes its own run history: prune our jobs' rows.
    -- (dynamic SQL: the cron schema exists only where pg_cron is installed)
    IF pg_catalog.to_regclass('cron.job_run_details') IS NOT NULL THEN
        EXECUTE pg_catalog.format(
            'DELETE FROM %1$I.job_run_details AS d USING %1$I.job AS j'
            ' WHERE d.jobid = j.jobid AND j.jobname LIKE ''runlog\_%%'' AND d.end_time < $1',
            cron_schema
        ) USING pg_catalog.now() - config.cron_history;
    END IF;
    RETURN total;
END
$function$;

COMMENT ON FUNCTION runlog.prune(interval, integer) IS
'Retention: deletes ended runs older than older_than (default settings.retention, 90 days) in bounded batches, always keeping the latest run per integration; prunes old pre-warm outcomes and pg_cron''s job_run_details of the runlog jobs. Returns the runs deleted.';

-- Who drives the jobs ------------------------------------------------------------------

CREATE OR REPLACE FUNCTION runlog.install_cron_jobs(
    tick_schedule text DEFAULT '* * * * *', retention_schedule text DEFAULT '17 3 * * *'
)
RETURNS TABLE (jobname text, schedule text, command text)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    job record;
    cron_schema constant text := 'cron';  -- dynamic SQL: exists only with pg_cron
BEGIN
    IF pg_catalog.to_regnamespace(cron_schema) IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed in database %', pg_catalog.current_database()
            USING ERRCODE = '55000',
                  HINT = 'Set shared_preload_libraries = pg_cron and cron.database_name to this database, '
                      'restart, CREATE EXTENSION pg_cron; or run a worker with --tick instead.';
    END IF;
    FOR job IN
        SELECT * FROM (VALUES
            ('runlog_tick', install_cron_jobs.tick_schedule, 'SELECT runlog.tick()'),
            ('runlog_prewarm', install_cron_jobs.tick_schedule, 'SELECT runlog.prewarm()'),
            ('runlog_reaper', install_cron_jobs.tick_schedule, 'SELECT runlog.reap_stale()'),
            ('runlog_retention', install_cron_jobs.retention_schedule, 'SELECT runlog.prune()')
        ) AS j (name, cron, sql)
    LOOP
        -- cron.schedule(name, ...) replaces a job of the same name: one row per job
        EXECUTE pg_catalog.format('SELECT %I.schedule($1, $2, $3)', cron_schema)
        USING job.name, job.cron, job.sql;
        jobname := job.name;
        schedule := job.cron;
        command := job.sql;
        RETURN NEXT;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION runlog.install_cron_jobs(text, text) IS
'Installs or updates the pg_cron jobs runlog_tick, runlog_prewarm, runlog_reaper (every minute) and runlog_retention (daily); idempotent. 55000 when pg_cron is not installed in this database.';

CREATE OR REPLACE FUNCTION runlog.uninstall_cron_jobs()
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    removed integer := 0;
    name text;
    cron_schema constant text := 'cron';  -- dynamic SQL: exists only with pg_cron
BEGIN
    IF pg_catalog.to_regnamespace(cron_schema) IS NULL THEN
        RETURN 0;
    END IF;
    FOR name IN EXECUTE pg_catalog.format(
        'SELECT jobname FROM %I.job WHERE jobname LIKE ''runlog\_%%''', cron_schema
    ) LOOP
        EXECUTE pg_catalog.format('SELECT %I.unschedule($1)', cron_schema) USING name;
        removed := removed + 1;
    END LOOP;
    RETURN removed;
END
$function$;

COMMENT ON FUNCTION runlog.uninstall_cron_jobs() IS
'Removes the runlog pg_cron jobs (e.g. to let workers drive the jobs). Returns how many were removed.';

CREATE OR REPLACE FUNCTION runlog.maintain(worker_id text, at timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (enqueued integer, prewarmed integer, reaped integer)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
BEGIN
    -- One driver at a time, however many workers call this.
    IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('runlog.maintain')) THEN
        RETURN;
    END IF;
    enqueued := runlog.tick(maintain.at, 'worker:' || pg_catalog.left(maintain.worker_id, 190));
    prewarmed := runlog.prewarm(maintain.at);
    reaped := runlog.reap_stale();
    RETURN NEXT;
END
$function$;

COMMENT ON FUNCTION runlog.maintain(text, timestamptz) IS
'tick + prewarm + reap_stale for deployments without pg_cron, driven by workers (pyrunlog worker --tick); an advisory lock lets one caller at a time through (the others get no row).';

CREATE OR REPLACE FUNCTION runlog.scheduler_status()
RETURNS TABLE (driver text, cron_jobs integer, last_tick_at timestamptz, last_tick_by text)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $function$
DECLARE
    cron_schema constant text := 'cron';  -- dynamic SQL: exists only with pg_cron
BEGIN
    cron_jobs := 0;
    IF pg_catalog.to_regnamespace(cron_schema) IS NOT NULL THEN
        EXECUTE pg_catalog.format(
            'SELECT count(*)::integer FROM %I.job WHERE jobname LIKE ''runlog\_%%'' AND active', cron_schema
        ) INTO cron_jobs;
    END IF;
    SELECT s.last_tick_at, s.last_tick_by INTO last_tick_at, last_tick_by FROM runlog.settings AS s;
    driver := CASE
        WHEN cron_jobs > 0 THEN 'pg_cron'
        WHEN last_tick_by LIKE 'worker:%' AND last_tick_at > pg_catalog.now() - interval '5 minutes' THEN 'worker'
        ELSE 'none'
    END;
    RETURN NEXT;
END
$function$;

COMMENT ON FUNCTION runlog.scheduler_status() IS
'Which driver runs tick/prewarm/reaper: pg_cron (jobs installed), worker (a worker ticked in the last 5 minutes) or none.';

-- Row-level security and privileges ---------------------------------------------------

DO $tenancy$
BEGIN
    PERFORM runlog._tenant_policies('sync_schedule');
    PERFORM runlog._tenant_policies('prewarm_log');
END
$tenancy$;

GRANT SELECT ON runlog.drift_alerts, runlog.cold_starts TO runlog_reader, runlog_worker, runlog_admin;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA runlog FROM public;

GRANT EXECUTE ON FUNCTION
runlog.next_slots(text, text, timestamptz, integer),
runlog.parse_cron(text),
runlog.slot_key(uuid, text, timestamptz)
TO runlog_reader, runlog_worker, runlog_admin;

GRANT EXECUTE ON FUNCTION
runlog.claim_runs(text, text[], integer),
runlog.claim_prewarm(uuid, text, timestamptz, text),
runlog.record_prewarm(uuid, text, timestamptz, boolean, integer, text, text),
runlog.maintain(text, timestamptz),
runlog.scheduler_status()
TO runlog_worker, runlog_admin;

GRANT EXECUTE ON FUNCTION
runlog.set_schedule(uuid, text, text, text, text, interval, boolean),
runlog.enable_schedule(uuid, text, boolean),
runlog.disable_schedule(uuid, text),
runlog.delete_schedule(uuid, text),
runlog.tick(timestamptz, text),
runlog.prewarm(timestamptz),
runlog.reap_stale(interval),
runlog.prune(interval, integer),
runlog.install_cron_jobs(text, text),
runlog.uninstall_cron_jobs()
TO runlog_admin;

INSERT INTO runlog.schema_migrations (version, name)
VALUES (2, 'scheduling')
ON CONFLICT (version) DO NOTHING;
