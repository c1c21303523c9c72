"""LIKE patterns whose value is taken literally: its wildcards escaped by ``!``, which every
query using them names (``ESCAPE '!'``)."""

from __future__ import annotations


def escaped(value: str) -> str:
    """The value with LIKE's wildcards (and the escape itself) escaped by ``!``."""
    return value.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def substring(value: str) -> str:
    """A LIKE pattern for text holding ``value`` anywhere."""
    return f"%{escaped(value)}%"
