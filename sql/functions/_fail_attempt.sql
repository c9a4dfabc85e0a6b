CREATE OR REPLACE FUNCTION runlog._fail_attempt(
    run_id bigint,
    status text,
    failure_type text,
    error_message text,
    retry_after interval,
    records_processed bigint,
    records_failed bigint
)
RETURNS SETOF runlog.sync_run_log
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    current runlog.sync_run_log;
    failed runlog.sync_run_log;
    policy runlog.retry_policy;
    decision text;
    counted integer;
    delay interval;
    due timestamptz;
    deadline timestamptz;
    waited interval;
    -- A period's rate-limited attempts in a row that use no attempt; each further one counts.
    free_rate_limited constant integer := 10;
    limited_in_row integer;
    written integer;
BEGIN
    -- Locked until the transaction ends (reap_stale holds the lock already):
    -- no other session ends the attempt meanwhile, so the statement below that
    -- ends it and queues its next attempt finds it still running.
    SELECT r.* INTO current
    FROM runlog.sync_run_log AS r
    WHERE r.id = _fail_attempt.run_id AND r.status = 'running'
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;  -- the caller raises (or, the reaper, skips)
    END IF;
    policy := runlog._retry_policy(current.org_id, current.integration_type);
    counted := current.counted_attempt + 1;
    IF _fail_attempt.failure_type = 'rate_limited' AND current.idempotency_key IS NOT NULL THEN
        -- Free unless the free_rate_limited attempts before this one were all rate-limited:
        -- a server that always answers 429 cannot keep a period alive for ever.
        SELECT pg_catalog.count(*) FILTER (WHERE e.failure_type = 'rate_limited') INTO limited_in_row
        FROM (
            SELECT e.failure_type
            FROM runlog.sync_run_log AS e
            WHERE
                e.org_id = current.org_id
                AND e.idempotency_key = current.idempotency_key
                AND e.id < current.id
            ORDER BY e.id DESC
            LIMIT free_rate_limited
        ) AS e;
        IF limited_in_row < free_rate_limited THEN
            counted := current.counted_attempt;
        END IF;
    END IF;
    IF _fail_attempt.retry_after IS NOT NULL THEN
        waited := least(greatest(_fail_attempt.retry_after, interval '0'), policy.max_retry_after);
    END IF;

    -- The decision, made with the failure in one transaction.
    IF current.idempotency_key IS NULL THEN
        decision := 'no_period';
    ELSIF _fail_attempt.failure_type = ANY(policy.never_retry) THEN
        decision := 'not_retryable';
    ELSIF counted > policy.max_attempts THEN
        decision := 'exhausted';
    ELSE
        IF _fail_attempt.failure_type = 'rate_limited' AND waited IS NOT NULL THEN
            -- Retry-After (capped), no backoff on top, but never less than initial_delay:
            -- Retry-After 0 or a past date must not retry at once.
            delay := greatest(waited, policy.initial_delay);
        ELSE
            delay := greatest(runlog._retry_delay(policy, current.counted_attempt), waited);
        END IF;
        due := pg_catalog.now() + delay;
        -- Only the scheduler's attempts end at the next slot: a manual retry_period
        -- (triggered_by manual, like the attempts after it) has no next-slot limit.
        IF NOT policy.retry_past_next_slot AND current.scheduled_for IS NOT NULL
            AND current.triggered_by = 'scheduler' THEN
            SELECT runlog._next_slot(s.cron_spec, s.time_zone, current.scheduled_for) INTO deadline
            FROM runlog.sync_schedule AS s
            WHERE s.org_id = current.org_id AND s.integration_type = current.integration_type;
        END IF;
        decision := CASE WHEN due >= deadline THEN 'window_closed' ELSE 'retry' END;
    END IF;

    IF decision = 'retry' THEN
        -- One statement ends the attempt and queues the next, instead of an UPDATE
        -- and an INSERT: the table's CHECK constraints, generated columns and
        -- indexes are set up once, which is most of what a statement on this
        -- table costs. Its first row is the locked attempt itself, as it stands:
        -- its id conflicts, so it takes the DO UPDATE (and the AFTER UPDATE
        -- triggers fire as for an UPDATE; the table has no BEFORE INSERT trigger
        -- to see the row proposed). The second row is the retry, with a new id.
        -- The rows are written in this order, so the attempt leaves the
        -- period's live idempotency key before the retry takes it.
        RETURN QUERY
            INSERT INTO runlog.sync_run_log AS r (
                id, org_id, integration_type, status, triggered_by, scheduled_for, idempotency_key,
                attempt, retry_of, counted_attempt, run_after, run_before, started_at, heartbeat_at
            )
            OVERRIDING SYSTEM VALUE
            VALUES
            (
                current.id, current.org_id, current.integration_type, current.status,
                current.triggered_by, current.scheduled_for, current.idempotency_key,
                current.attempt, current.retry_of, current.counted_attempt, current.run_after,
                current.run_before, current.started_at, current.heartbeat_at
            ),
            (
                DEFAULT, current.org_id, current.integration_type, 'queued',
                current.triggered_by, current.scheduled_for, current.idempotency_key,
                current.attempt + 1, current.id, counted, due, deadline, NULL, NULL
            )
            ON CONFLICT (id) DO UPDATE
                SET
                    status = _fail_attempt.status,
                    ended_at = greatest(pg_catalog.clock_timestamp(), r.started_at),
                    records_processed = coalesce(_fail_attempt.records_processed, r.records_processed),
                    records_failed = coalesce(_fail_attempt.records_failed, r.records_failed),
                    error_message = pg_catalog.left(_fail_attempt.error_message, 2000),
                    failure_type = _fail_attempt.failure_type,
                    retry_decision = decision
                -- only the locked attempt: a retry whose new id hits another
                -- run (the id sequence behind the table) is not written, and
                -- the count below turns that into an error
                WHERE r.id = current.id AND r.status = 'running'
            RETURNING r.*;
        GET DIAGNOSTICS written = ROW_COUNT;
        IF written <> 2 THEN
            RAISE EXCEPTION 'the retry of run % got the id of an existing run', current.id
                USING
                    ERRCODE = '23505',
                    HINT = 'runlog.sync_run_log_id_seq is behind the table (after a restore or a failover): '
                    'SELECT setval(''runlog.sync_run_log_id_seq'', max(id)) FROM runlog.sync_run_log;';
        END IF;
    ELSE
        UPDATE runlog.sync_run_log AS r
        SET
            status = _fail_attempt.status,
            ended_at = greatest(pg_catalog.clock_timestamp(), r.started_at),
            records_processed = coalesce(_fail_attempt.records_processed, r.records_processed),
            records_failed = coalesce(_fail_attempt.records_failed, r.records_failed),
            error_message = pg_catalog.left(_fail_attempt.error_message, 2000),
            failure_type = _fail_attempt.failure_type,
            retry_decision = decision
        WHERE r.id = current.id AND r.status = 'running'
        RETURNING r.* INTO failed;
        IF NOT FOUND THEN
            RETURN;  -- not reached: locked above while running
        END IF;
        RETURN NEXT failed;
    END IF;

    IF _fail_attempt.failure_type = 'rate_limited' THEN
        -- The throttle is on the credential: hold the whole integration.
        INSERT INTO runlog.integration_holds AS h (org_id, integration_type, held_until, reason, run_id)
        VALUES (
            current.org_id, current.integration_type,
            pg_catalog.now() + coalesce(delay, greatest(waited, policy.initial_delay)),
            pg_catalog.left(_fail_attempt.error_message, 2000), current.id
        )
        ON CONFLICT (org_id, integration_type) DO UPDATE
            SET
                held_until = greatest(h.held_until, excluded.held_until),
                reason = excluded.reason,
                run_id = excluded.run_id,
                updated_at = pg_catalog.now();
    END IF;

    IF decision NOT IN ('retry', 'no_period') THEN
        PERFORM runlog._period_died(
            current.org_id, current.integration_type, current.idempotency_key, current.id
        );
    END IF;
END
$function$;

COMMENT ON FUNCTION runlog._fail_attempt(bigint, text, text, text, interval, bigint, bigint) IS
'Ends a running attempt failed or timed_out with its failure type and, in the same transaction, decides by the retry policy: queues the next attempt (attempt + 1, retry_of, run_after, run_before) or records why the period is dead. rate_limited waits at least the policy''s initial_delay, holds the integration and uses no attempt unless the 10 attempts before it were all rate-limited. Only scheduler attempts end at the next slot. Returns the ended attempt, then the queued retry if any; nothing when the run is not running.';
