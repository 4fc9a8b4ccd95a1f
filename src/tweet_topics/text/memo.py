"""The two mechanics the cleaning rules share: a bounded memo, and applying a rule again until it settles."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class Memo(dict[K, V]):
    """A dict that fills itself: ``memo[key]`` is ``compute(key)``, computed on the first lookup and kept.

    A memo that holds ``limit`` entries is emptied before the next one goes in, so memory stays bounded however
    many distinct keys come (``None``: no bound).
    """

    __slots__ = ("compute", "limit")

    def __init__(self, compute: Callable[..., V], limit: int | None = None) -> None:
        super().__init__()
        self.compute = compute
        self.limit = sys.maxsize if limit is None else limit

    def __missing__(self, key: K) -> V:
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.compute(key)
        return value

    def lookup(self, key: K, *args: Any) -> V:
        """``memo[key]``, passing ``args`` to ``compute`` when the value is not known yet; the value is kept under
        ``key`` alone (``args`` such as a recursion depth are not part of it). A value of None is computed again."""
        value = self.get(key)
        if value is None:
            if len(self) >= self.limit:
                self.clear()
            value = self[key] = self.compute(key, *args)
        return value


def settle(step: Callable[[T], T], value: T, rounds: int, done: Callable[[T], bool] | None = None) -> T:
    """``step`` applied again and again until it changes nothing (a fixed point), at most ``rounds`` times.

    The cleaning rules are meant to be idempotent, but one pass can expose a match for another (an unescaped
    entity, a removed handle); ``rounds`` bounds the work on a text that never settles. ``done(value)`` says that
    no step can change the value any more (an ASCII text, for the Unicode rules), so no step is run.
    """
    for _ in range(rounds):
        if done is not None and done(value):
            break
        again = step(value)
        if again == value:
            break
        value = again
    return value
