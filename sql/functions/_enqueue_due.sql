CREATE OR REPLACE FUNCTION runlog._enqueue_due(
    schedule_ids bigint[],
    at timestamptz,
    config runlog.settings,
    OUT enqueued integer,
    OUT kinds text[]
)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    -- The caller (tick) holds the row locks of these schedules.
    WITH planned AS (
        SELECT
            s.id,
            s.org_id,
            s.integration_type,
            p.slots,
            p.next_slot
        FROM pg_catalog.unnest(_enqueue_due.schedule_ids) AS t (id)
        -- a join, not id = ANY (array): that is a filter tested against the
        -- whole array for every row, quadratic in the number due
        INNER JOIN runlog.sync_schedule AS s ON t.id = s.id
        CROSS JOIN LATERAL runlog._next_slot(s.cron_spec, s.time_zone, s.next_slot) AS f (following)
        CROSS JOIN LATERAL (
            -- On time (the common case): this slot, then the following one;
            -- one cron evaluation per schedule.
            SELECT
                ARRAY[s.next_slot] AS slots,
                f.following AS next_slot
            WHERE
                f.following > _enqueue_due.at
                AND (s.catch_up <> 'none' OR _enqueue_due.at - s.next_slot <= _enqueue_due.config.drift_threshold)
            UNION ALL
            -- Slots were missed: the catch-up policy decides.
            SELECT
                c.slots,
                c.next_slot
            FROM runlog._plan_slots(
                s.cron_spec, s.time_zone, s.catch_up, s.next_slot, _enqueue_due.at,
                _enqueue_due.config.max_slots_per_tick, _enqueue_due.config.drift_threshold
            ) AS c
            WHERE
                f.following IS NULL OR f.following <= _enqueue_due.at
                OR (s.catch_up = 'none' AND _enqueue_due.at - s.next_slot > _enqueue_due.config.drift_threshold)
        ) AS p
        WHERE s.enabled AND s.next_slot <= _enqueue_due.at
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
        coalesce(array_agg(DISTINCT i.integration_type), '{}')
    INTO enqueued, kinds
    FROM inserted AS i;
END
$function$;

COMMENT ON FUNCTION runlog._enqueue_due(bigint[], timestamptz, runlog.settings) IS
'tick()''s set-based step: for the given schedules (locked by the caller) that are due at `at`, enqueues their slots under each catch-up policy and advances next_slot. Returns the runs enqueued and their integration types.';
