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
        PERFORM pg_catalog.pg_notify('runlog_queued', kind);
    END LOOP;
    RETURN enqueued;
END
$function$;

COMMENT ON FUNCTION runlog.tick(timestamptz, text) IS
'Enqueues every slot that has come (status queued, triggered_by scheduler, idempotency key per slot) following each schedule''s catch-up policy, in one set-based pass; never the same slot twice. Returns the number of runs enqueued.';
