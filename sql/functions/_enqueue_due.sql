CREATE OR REPLACE FUNCTION runlog._enqueue_due(
    schedule_id bigint,
    at timestamptz,
    config runlog.settings,
    skip_live_keys boolean,
    OUT enqueued integer,
    OUT kinds text[],
    OUT taken bigint[]
)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- Memoize would cache each schedule's plan under a key no other schedule
-- shares: all misses, a tenth of the statement's time.
SET enable_memoize = off
-- The CTEs hold a row per due schedule: in memory, not in temporary files.
SET work_mem = '64MB'
AS $function$
BEGIN
    -- One statement locks the due slot rows nobody else holds (SKIP LOCKED:
    -- tick waits for the others afterwards, one by one), plans them, advances
    -- them and enqueues their runs.
    WITH due AS (
        -- The following slot is worked out here, so the CTE holds narrow
        -- rows; the parsed expression is read again only to catch up.
        SELECT
            n.schedule_id AS id,
            n.next_slot,
            s.org_id,
            s.integration_type,
            s.catch_up,
            runlog._next_slot(s.cron_spec, s.time_zone, n.next_slot) AS following
        FROM runlog.schedule_slot AS n
        INNER JOIN runlog.sync_schedule AS s ON n.schedule_id = s.id
        WHERE
            s.enabled AND n.next_slot <= _enqueue_due.at
            AND (_enqueue_due.schedule_id IS NULL OR n.schedule_id = _enqueue_due.schedule_id)
        FOR NO KEY UPDATE OF n SKIP LOCKED
    ),

    planned AS (
        SELECT
            s.id,
            s.org_id,
            s.integration_type,
            p.slots,
            p.next_slot
        FROM due AS s
        CROSS JOIN LATERAL (
            -- On time (the common case): this slot, then the following one.
            SELECT
                ARRAY[s.next_slot] AS slots,
                s.following AS next_slot
            WHERE
                s.following > _enqueue_due.at
                AND (s.catch_up <> 'none' OR _enqueue_due.at - s.next_slot <= _enqueue_due.config.drift_threshold)
            UNION ALL
            -- Slots were missed: the catch-up policy decides.
            SELECT
                c.slots,
                c.next_slot
            FROM runlog.sync_schedule AS d
            CROSS JOIN LATERAL runlog._plan_slots(
                d.cron_spec, d.time_zone, s.catch_up, s.next_slot, _enqueue_due.at,
                _enqueue_due.config.max_slots_per_tick, _enqueue_due.config.drift_threshold
            ) AS c
            WHERE
                d.id = s.id
                AND (
                    s.following IS NULL OR s.following <= _enqueue_due.at
                    OR (s.catch_up = 'none' AND _enqueue_due.at - s.next_slot > _enqueue_due.config.drift_threshold)
                )
        ) AS p
    ),

    advanced AS (
        UPDATE runlog.schedule_slot AS n
        SET
            next_slot = p.next_slot,
            last_slot = coalesce(p.slots[pg_catalog.cardinality(p.slots)], n.last_slot)
        FROM planned AS p
        WHERE n.schedule_id = p.id
        RETURNING n.schedule_id
    ),

    slots AS (
        SELECT
            p.org_id,
            p.integration_type,
            slot.value AS slot,
            runlog.slot_key(p.org_id, p.integration_type, slot.value) AS idempotency_key
        FROM planned AS p
        CROSS JOIN LATERAL pg_catalog.unnest(p.slots) AS slot (value)
    ),

    inserted AS (
        INSERT INTO runlog.sync_run_log AS r (
            org_id, integration_type, status, triggered_by, scheduled_for, idempotency_key
        )
        SELECT
            k.org_id,
            k.integration_type,
            'queued',
            'scheduler',
            k.slot,
            k.idempotency_key
        FROM slots AS k
        -- A slot whose key a live run already has (an operator ran that
        -- period ahead of time) is not enqueued again when skip_live_keys.
        -- Without it the INSERT is plain: no look-up before each row and no
        -- speculative insertion (ON CONFLICT), a tenth of a 100k tick; a
        -- live key then raises unique_violation and tick asks again with it.
        WHERE
            NOT _enqueue_due.skip_live_keys
            OR NOT EXISTS (
                SELECT FROM runlog.sync_run_log AS e
                WHERE
                    e.org_id = k.org_id
                    AND e.idempotency_key = k.idempotency_key
                    AND e.status IN ('queued', 'running', 'succeeded', 'partial')
            )
        -- In index order: the three indexes that lead with org_id take the
        -- runs leaf after leaf instead of at random, a third of the INSERT.
        ORDER BY k.org_id, k.integration_type, k.slot
        RETURNING r.integration_type
    )

    SELECT
        (SELECT count(*)::integer FROM inserted),
        -- hashed: a handful of kinds, not a sort of every run
        ARRAY(SELECT DISTINCT i.integration_type FROM inserted AS i),
        ARRAY(SELECT d.id FROM due AS d)
    INTO enqueued, kinds, taken;
END
$function$;

COMMENT ON FUNCTION runlog._enqueue_due(bigint, timestamptz, runlog.settings, boolean) IS
'tick()''s set-based step: locks the slot rows of the schedules due at `at` that nobody else holds (every one, or schedule_id''s), enqueues their slots under each catch-up policy and advances next_slot. skip_live_keys: a slot whose key a live run has is not enqueued again; without it such a slot raises unique_violation. Returns the runs enqueued, their integration types and the schedules it took.';
