"""The cron evaluator in SQL, checked against croniter and on DST changes."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from croniter import CroniterBadDateError, CroniterError, croniter

from tests.helpers import Conn, sqlstate_of

ZONES = [
    "UTC", "Europe/Oslo", "America/New_York", "Asia/Kolkata", "Australia/Sydney",
    "Pacific/Chatham", "America/St_Johns", "Asia/Tokyo",
]  # fmt: skip
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def random_field(rng: random.Random, low: int, high: int, names: list[str] | None) -> str:
    """A random field in croniter's 5-field syntax, including ranges, steps and lists that
    cover every value (0-6, 1-7, */1, 1-31), wrapping ranges (fri-mon, 22-2, mon-sun) and
    7 for Sunday. Equal ranges (9-9) are left out: croniter reads them as the whole field,
    runlog refuses them (tested below)."""
    use_names = names is not None and rng.random() < 0.3
    top = 7 if high == 6 else high  # day of week also takes 7 for Sunday

    def value(v: int) -> str:
        index = v - low if v <= high else 0  # 7 is Sunday
        return names[index] if use_names and names and rng.random() < 0.8 else str(v)

    def two_values() -> tuple[int, int]:
        while True:
            a, b = rng.randint(low, top), rng.randint(low, top)
            if a != b and not (high == 6 and {a, b} == {0, 7} and use_names):
                return a, b

    kind = rng.choice(
        ["star", "star", "step", "one", "range", "range_step", "start_step", "list", "full", "wrap"]
    )
    if kind == "star":
        return "*"
    if kind == "step":
        return f"*/{rng.choice([1, 1, rng.randint(2, max(2, high - low)), 100])}"
    if kind == "one":
        return value(rng.randint(low, top))
    if kind == "full":
        return rng.choice(
            [f"{low}-{high}", f"{value(low)}-{value(high)}", "*/1", f"{low}-{high}/1"]
            + (["1-7", "0-7", "mon-sun", "sun-sat", "mon-7"] if high == 6 else [])
            + [",".join(value(v) for v in range(low, high + 1))]
        )
    if kind == "start_step":
        return f"{value(rng.randint(low, top))}/{rng.randint(1, high - low + 2)}"
    a, b = two_values()
    if kind == "wrap":
        a, b = max(a, b), min(a, b)
    elif kind in ("range", "range_step"):
        a, b = min(a, b), max(a, b)
    if kind in ("range", "wrap") and rng.random() < 0.5:
        return f"{value(a)}-{value(b)}"
    if kind in ("range", "range_step", "wrap"):
        return f"{value(a)}-{value(b)}/{rng.randint(1, high - low + 2)}"
    parts = [random_field(rng, low, high, names) for _ in range(rng.randint(2, 4))]
    return ",".join(p for p in parts if p != "*") or "*"


def random_expression(rng: random.Random) -> str:
    return " ".join(
        [
            random_field(rng, 0, 59, None),
            random_field(rng, 0, 23, None),
            random_field(rng, 1, 31, None),
            random_field(rng, 1, 12, MONTHS),
            random_field(rng, 0, 6, DAYS),
        ]
    )


def crosses_offset_change(zone: str, start: datetime, end: datetime) -> bool:
    tz = ZoneInfo(zone)
    return start.astimezone(tz).utcoffset() != end.astimezone(tz).utcoffset()


def croniter_fields(expression: str) -> tuple[list[list[int]], bool, bool] | None:
    """croniter's expansion: each field's values, and whether each day field is restricted
    (the OR rule applies when both are); None when croniter refuses the expression."""
    try:
        expanded = croniter.expand(expression)[0]
    except CroniterError:
        return None
    ranges = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]
    values = [
        list(range(low, high + 1)) if "*" in field else sorted(int(v) for v in field)
        for field, (low, high) in zip(expanded, ranges, strict=True)
    ]
    return values, expanded[2][0] != "*", expanded[4][0] != "*"


def parse_many(conn: Conn, expressions: list[str]) -> list[tuple[Any, ...]]:
    """runlog's reading of each expression in one query: (accepted, minutes, hours, days,
    months, weekdays, days_restricted, weekdays_restricted), all NULL when refused."""
    conn.execute(
        """CREATE OR REPLACE FUNCTION pg_temp.try_parse(e text) RETURNS runlog.cron_spec
        LANGUAGE plpgsql AS $$
        BEGIN RETURN runlog.parse_cron(e);
        EXCEPTION WHEN invalid_parameter_value THEN RETURN NULL; END $$"""
    )
    return conn.execute(
        "SELECT s IS NOT NULL, (s).minutes, (s).hours, (s).days, (s).months, (s).weekdays,"
        " (s).days_restricted, (s).weekdays_restricted"
        " FROM unnest(%s::text[]) WITH ORDINALITY AS c(e, i), pg_temp.try_parse(c.e) AS s"
        " ORDER BY c.i",
        [expressions],
    ).fetchall()


def test_parse_cron_expands_every_field_as_croniter(conn: Conn) -> None:
    """Field by field on 30,000 random expressions: the same values, the same
    restricted day fields, and the same expressions refused."""
    rng = random.Random(20261130)
    expressions = [random_expression(rng) for _ in range(30_000)]
    rows = parse_many(conn, expressions)
    mismatches = []
    for expression, (accepted, *ours) in zip(expressions, rows, strict=True):
        theirs = croniter_fields(expression)
        got = (ours[:5], ours[5], ours[6]) if accepted else None
        if got != (theirs and (theirs[0], theirs[1], theirs[2])):
            mismatches.append((expression, got, theirs))
    assert mismatches == [], f"{len(mismatches)} disagreements, e.g. {mismatches[:3]}"
    # the generator really reaches the cases that used to differ
    assert sum(" 0-6" in e or " */1" in e or "mon-sun" in e for e in expressions) > 1_000


def every_day_of_week_item() -> list[str]:
    """Each single item the day-of-week field can hold: values, ranges (wrapping too),
    steps, with numbers 0-7 and names."""
    values = [str(v) for v in range(8)] + DAYS
    items = ["*", "?"] + values + [f"*/{s}" for s in range(1, 9)]
    items += [f"{v}/{s}" for v in values for s in range(1, 9)]
    items += [f"{a}-{b}" for a in values for b in values]
    items += [f"{a}-{b}/{s}" for a in values for b in values for s in (1, 2, 3, 5)]
    return items


@pytest.mark.parametrize("day_of_month", ["*", "1", "*/2"])
def test_every_day_of_week_item_expands_as_croniter(conn: Conn, day_of_month: str) -> None:
    """Exhaustive where the wrap-around, Sunday-as-7 and full-week rules meet."""
    expressions = [f"0 0 {day_of_month} * {item}" for item in every_day_of_week_item()]
    mismatches = []
    for expression, row in zip(expressions, parse_many(conn, expressions), strict=True):
        accepted, weekdays, days_restricted, weekdays_restricted = row[0], *row[5:]
        theirs = croniter_fields(expression)
        bounds = expression.split()[4].split("/")[0].split("-")
        written = [DAYS.index(b) if b in DAYS else b for b in bounds]
        if len(written) == 2 and str(written[0]) == str(written[1]):
            # an equal range: croniter reads the whole field, runlog refuses
            assert not accepted, expression
            continue
        ours = (weekdays, days_restricted, weekdays_restricted) if accepted else None
        if ours != (theirs and (theirs[0][4], theirs[1], theirs[2])):
            mismatches.append((expression, ours, theirs))
    assert mismatches == [], f"{len(mismatches)} disagreements, e.g. {mismatches[:3]}"


def rough_expression(rng: random.Random) -> str:
    """Anything a person might type: stray separators, zero-padding, upper case, huge
    steps, values just outside the field, day 0, ?, and croniter's extensions."""
    highs = [59, 23, 31, 12, 7]
    names = [[], [], [], ["jan", "OCT", "Dec"], ["sun", "MON", "Fri"]]

    def value(index: int) -> str:
        if names[index] and rng.random() < 0.3:
            return rng.choice(names[index])
        number = rng.choices(
            [0, 1, rng.randint(1, highs[index]), highs[index], highs[index] + 1],
            weights=[2, 2, 8, 2, 1],
        )[0]
        return ("0" if rng.random() < 0.05 else "") + str(number)

    def item(index: int) -> str:
        step = rng.choice(["1", "2", "3", "5", "15", "61", "99999", "1", "2", "0"])
        a, b = value(index), value(index)
        if rng.random() < 0.04:
            return rng.choice(["l", "15w", "5#2", "l5", "h", "", "-", "1-", "/2", "1//2", "1-2-3"])
        return rng.choice(["*", "?", a, f"{a}-{b}", f"{a}/{step}", f"{a}-{b}/{step}", f"*/{step}"])

    fields = [",".join(item(i) for _ in range(rng.choice([1, 1, 1, 2]))) for i in range(5)]
    count = rng.choices([5, 4, 6], weights=[18, 1, 1])[0]
    return rng.choice([" ", "  ", "\t"]).join([*fields, "*"][:count])


def departure(expression: str) -> bool:
    """The documented refusals of what croniter accepts: an equal range (9-9), day or
    month 0 ending a range (10-0), and the extensions L, W, # and H."""
    for index, field in enumerate(expression.lower().split()):
        names = {"sun": 0, "mon": 1, "fri": 5, "jan": 1, "oct": 10, "dec": 12}
        for item in field.split(","):
            if re.fullmatch(r"l|\d+w|\d#\d|l\d|h", item):
                return True
            ends = [names.get(b, b) for b in item.split("/")[0].split("-")]
            numbers = [int(b) if isinstance(b, str) else b for b in ends if str(b).isdigit()]
            if len(numbers) == 2 and (
                numbers[0] == numbers[1] or (index in (2, 3) and numbers[1] == 0)
            ):
                return True
    return False


def test_every_expression_croniter_accepts_is_read_alike_or_refused_as_documented(
    conn: Conn,
) -> None:
    """On 30,000 rough expressions: what croniter refuses is refused, and what it
    accepts is read alike unless it is one of the documented departures."""
    rng = random.Random(20261201)
    expressions = [rough_expression(rng) for _ in range(30_000)]
    rows = parse_many(conn, expressions)
    accepted_by_both, mismatches = 0, []
    for expression, (accepted, *ours) in zip(expressions, rows, strict=True):
        if len(expression.split()) != 5:  # croniter's 6-field syntax has seconds
            assert not accepted, expression
            continue
        try:
            theirs = croniter_fields(expression)
        except ValueError:  # croniter accepted an extension its values cannot show (L)
            theirs = None if departure(expression) else ([], False, False)
        if theirs is not None and not accepted and departure(expression):
            continue
        got = (ours[:5], ours[5], ours[6]) if accepted else None
        accepted_by_both += accepted and theirs is not None
        if got != (theirs and (theirs[0], theirs[1], theirs[2])):
            mismatches.append((expression, got, theirs))
    assert mismatches == [], f"{len(mismatches)} disagreements, e.g. {mismatches[:3]}"
    assert accepted_by_both > 3_000, accepted_by_both


def test_next_slot_agrees_with_croniter_on_random_cases(conn: Conn) -> None:
    rng = random.Random(20261129)
    cases = []
    while len(cases) < 12_000:
        expression = random_expression(rng)
        if croniter_fields(expression) is None:
            continue  # refused by both: compared in the test above
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
        try:
            expected = croniter(expression, instant.astimezone(ZoneInfo(zone))).get_next(datetime)
        except CroniterBadDateError:
            expected = None  # never fires, such as 0 0 31 2 *
        # Compare instants: PEP 495 makes fold=1 datetimes unequal across zones.
        if (got and got.timestamp()) == (expected and expected.timestamp()):
            compared += 1
            continue
        if crosses_offset_change(zone, instant, max(expected or instant, got or instant)):
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
        # Every minute into the repeated hour: the next local minute is taken
        # whole (no walk), and 02:00 local is its standard-time occurrence.
        ("* * * * *", "2026-10-24 23:58+00",
         ["2026-10-24 23:59+00", "2026-10-25 01:00+00", "2026-10-25 01:01+00"]),
    ],
    ids=["skipped-hour", "repeated-hour", "half-hourly-across-gap",
         "every-minute-into-repeated-hour"],
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
    ("expression", "first_three"),
    [
        # a day-of-week field covering the week is * when day-of-month has a *
        ("0 0 */2 * 0-6", ["2026-11-29", "2026-12-01", "2026-12-03"]),
        ("0 0 */2 * */1", ["2026-11-29", "2026-12-01", "2026-12-03"]),
        # ... and restricted beside a plain day-of-month: either field, so every day
        ("0 0 15 * 0-6", ["2026-11-29", "2026-11-30", "2026-12-01"]),
        ("0 0 * * mon-sun", ["2026-11-29", "2026-11-30", "2026-12-01"]),  # wraps Sunday
        ("0 0 1 * 5/1", ["2026-12-01", "2026-12-04", "2026-12-05"]),  # 5/1 is 5-6
        ("0 0 1,* * 1", ["2026-11-30", "2026-12-07", "2026-12-14"]),  # * in a list is *
    ],
)
def test_day_fields_read_as_croniter_reads_them(
    conn: Conn, expression: str, first_three: list[str]
) -> None:
    got = conn.execute(
        "SELECT array_agg(s::date::text) FROM runlog.next_slots(%s, 'UTC', '2026-11-28', 3) AS s",
        [expression],
    ).fetchone()
    assert got == (first_three,)


def test_a_wrapping_range_runs_across_its_end(conn: Conn) -> None:
    got = conn.execute(
        "SELECT array_agg(to_char(s, 'DD HH24:MI'))"
        " FROM runlog.next_slots('0 22-2 * * *', 'UTC', '2026-11-28', 3) AS s"
    ).fetchone()
    assert got == (["28 01:00", "28 02:00", "28 22:00"],)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 9-9 * * *", "'9-9' is a range of one value"),
        ("0 0 * * sun-sun", "'sun-sun' is a range of one value"),
        ("0 0 L * *", "bad value 'l'"),
        ("0 0 15W * *", "bad value '15w'"),
        ("0 0 * * 5#2", "bad value '5#2'"),
        ("H * * * *", "bad value 'h'"),
        ("@daily", "it needs 5 fields"),
        ("0 0 0-5 * *", "'0-5' is outside 1-31"),
        # croniter accepts 0 as the end of a wrapping range: 10-0 is 10-31
        ("0 0 10-0 * *", "'10-0' is outside 1-31"),
        ("0 0 1 oct-0 *", "'oct-0' is outside 1-12"),
        ("0 0 * * 0-8", "'0-8' is outside 0-7"),
        ("0 0 1,? * *", "bad value '?'"),
    ],
)
def test_syntax_beyond_croniters_5_fields_is_refused_with_a_reason(
    conn: Conn, expression: str, message: str
) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=re.escape(message)):
        conn.execute("SELECT runlog.parse_cron(%s)", [expression])


@pytest.mark.parametrize(
    "expression",
    ["", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *",
     "* * * 13 *", "* * * * 8", "*/0 * * * *", "a * * * *", "1- * * * *", "* * * foo *",
     "1,,2 * * * *", "1/2/3 * * * *", None],
)  # fmt: skip
def test_bad_expressions_are_refused_naming_the_problem(conn: Conn, expression: str | None) -> None:
    assert sqlstate_of(conn, "SELECT runlog.parse_cron(%s)", expression) == "22023"
