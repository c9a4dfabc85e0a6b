"""Words for people: counts with their noun in the right form."""

from __future__ import annotations


def count_of(number: int, noun: str, plural: str | None = None) -> str:
    """``1 run``, ``2 runs``: a number with its noun in the right form."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
