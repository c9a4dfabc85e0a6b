"""The cron evaluator in SQL, checked against croniter and on DST changes."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from tests.helpers import Conn, sqlstate_of

ZONES = [
    "UTC", "Europe/Oslo", "America/New_York", "Asia/Kolkata", "Australia/Sydney",
    "Pacific/Chatham", "America/St_Johns", "Asia/Tokyo",
]  # fmt: skip
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def random_field(rng: random.Random, low: int, high: int, names: list[str] | None) -> str:
    """A random, well-formed field: croniter misreads a-a ranges and mixed name-number ranges."""
    use_names = names is not None and rng.random() < 0.3

    def value(v: int) -> str:
        return names[v - low] if use_names and names and v - low < len(names) else str(v)

    kind = rng.choice(["star", "star", "step", "one", "range", "range_step", "list"])
    if kind == "star":
        return "*"
    if kind == "step":
        return f"*/{rng.randint(2, max(2, (high - low) // 2))}"
    if kind == "one":
        return value(rng.randint(low, high))
    a = rng.randint(low, high - 1)
    b = rng.randint(a + 1, high)
    if kind == "range":
        return f"{value(a)}-{value(b)}"
    if kind == "range_step":
        return f"{a}-{b}/{rng.randint(1, b - a)}"
    picks = sorted(rng.sample(range(low, high + 1), rng.randint(2, 4)))
    return ",".join(value(v) for v in picks)


def random_expression(rng: random.Random) -> str:
    return " ".join(
        [
            random_field(rng, 0, 59, None),
            random_field(rng, 0, 23, None),
            random_field(rng, 1, 28, None),
            random_field(rng, 1, 12, MONTHS),
            random_field(rng, 0, 6, DAYS) if rng.random() < 0.8 else rng.choice(["7", "5-7"]),
        ]
    )


def crosses_offset_change(zone: str, start: datetime, end: datetime) -> bool:
    tz = ZoneInfo(zone)
    return start.astimezone(tz).utcoffset() != end.astimezone(tz).utcoffset()


def test_next_slot_agrees_with_croniter_on_random_cases(conn: Conn) -> None:
    rng = random.Random(20261129)
    cases = []
    for _ in range(12_000):
        expression = random_expression(rng)
        zone = rng.choice(ZONES)
        instant = datetime(2020, 1, 1, tzinfo=timezone.utc) + timedelta(
            seconds=rng.randint(0, 10 * 365 * 86400)
        )
        cases.append((expression, zone, instant))
    ours = conn.execute(
        "SELECT (SELECT s FROM runlog.next_slots(c.e, c.z, c.a, 1) AS s)"
        " FROM unnest(%s::text[], %s::text[], %s::timestamptz[]) WITH ORDINALITY AS c(e, z, a, i)"
        " ORDER BY c.i",
        [[c[0] for c in cases], [c[1] for c in cases], [c[2] for c in cases]],
    ).fetchall()
    compared, dst_excluded, mismatches = 0, 0, []
    for (expression, zone, instant), (got,) in zip(cases, ours, strict=True):
        expected = croniter(expression, instant.astimezone(ZoneInfo(zone))).get_next(datetime)
        # Compare instants: PEP 495 makes fold=1 datetimes unequal across zones.
        if got is not None and got.timestamp() == expected.timestamp():
            compared += 1
            continue
        if crosses_offset_change(zone, instant, max(expected, got or expected)):
            dst_excluded += 1  # DST rules differ by design; tested below
            continue
        mismatches.append((expression, zone, instant, got, expected))
    assert mismatches == [], f"{len(mismatches)} disagreements, e.g. {mismatches[:3]}"
    assert compared >= 10_000, f"only {compared} cases compared ({dst_excluded} across DST)"


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # Skipped hour (Oslo, 2026-03-29 02:00 -> 03:00): 02:30 fires once, at 03:30 CEST.
        ("30 2 * * *", "2026-03-28 12:00+00", ["2026-03-29 01:30+00", "2026-03-30 00:30+00"]),
        # Repeated hour (Oslo, 2026-10-25 03:00 -> 02:00): 02:30 fires once, at its
        # second (standard time) occurrence.
        ("30 2 * * *", "2026-10-24 12:00+00", ["2026-10-25 01:30+00", "2026-10-26 01:30+00"]),
        # Every 30 minutes across the skipped hour: no slot is lost but 02:xx,
        # which does not exist; nothing fires twice.
        ("*/30 * * * *", "2026-03-29 00:15+00",
         ["2026-03-29 00:30+00", "2026-03-29 01:00+00", "2026-03-29 01:30+00",
          "2026-03-29 02:00+00"]),
    ],
    ids=["skipped-hour", "repeated-hour", "half-hourly-across-gap"],
)  # fmt: skip
def test_dst_changes_in_a_schedule_zone(
    conn: Conn, expression: str, after: str, expected: list[str]
) -> None:
    got = [
        r[0]
        for r in conn.execute(
            "SELECT s FROM runlog.next_slots(%s, 'Europe/Oslo', %s, %s) AS s",
            [expression, after, len(expected)],
        )
    ]
    assert got == [datetime.fromisoformat(e.replace("+00", "+00:00")) for e in expected]


@pytest.mark.parametrize(
    ("expression", "first"),
    [
        ("0 9 * * 7", "2026-11-29 09:00+00"),  # 7 is Sunday
        ("0 9 * * sun", "2026-11-29 09:00+00"),
        ("0 0 1 jan-mar *", "2027-01-01 00:00+00"),
        ("0 0 15 * fri", "2026-12-04 00:00+00"),  # either field: Friday 4 Dec before the 15th
        ("5/20 * * * *", "2026-11-28 00:05+00"),
    ],
)
def test_cron_syntax(conn: Conn, expression: str, first: str) -> None:
    got = conn.execute(
        "SELECT s FROM runlog.next_slots(%s, 'UTC', '2026-11-28 00:00+00', 1) AS s", [expression]
    ).fetchone()
    assert got == (datetime.fromisoformat(first.replace("+00", "+00:00")),)


@pytest.mark.parametrize(
    "expression",
    ["", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *",
     "* * * 13 *", "* * * * 8", "*/0 * * * *", "a * * * *", "5-1 * * * *", "* * * foo *",
     "1,,2 * * * *", "1/2/3 * * * *", None],
)  # fmt: skip
def test_bad_expressions_are_refused_naming_the_problem(conn: Conn, expression: str | None) -> None:
    assert sqlstate_of(conn, "SELECT runlog.parse_cron(%s)", expression) == "22023"
