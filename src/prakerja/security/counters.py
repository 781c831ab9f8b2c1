"""Attempt counters for abuse limits: rate limits per client, email or phone, and OTP locks.

One rule for every counter: the first hit opens a window; hits inside it are counted;
the hit that reaches the limit starts a full window from that moment (the key "locks"
for the whole window, however early in the old one the limit was reached); once the
window ends the key starts afresh. Hits are counted atomically and *before* the guarded
work runs, so parallel requests cannot slip past a limit between a read and a write.
A hit refused by any of its limits is counted by none: hammering a locked key neither
extends the lock nor uses up a longer limit (a daily ceiling) meant for real attempts.

The production store is PostgreSQL (one upsert per key, in one transaction per call):
the counts survive restarts and are shared by every API process. Keys are keyed hashes,
never the email, phone or address itself: the table holds no personal data. The
in-memory store is for the in-memory test container.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from psycopg_pool import ConnectionPool

from prakerja.domain.errors import DomainError

_PURGE_EVERY = 1000


@dataclass(frozen=True)
class Limit:
    """At most ``count`` hits on ``name:value`` per ``window``."""

    name: str
    value: str
    count: int
    window: dt.timedelta


@dataclass(frozen=True)
class Verdict:
    limit: Limit
    hits: int
    resets_at: dt.datetime

    @property
    def allowed(self) -> bool:
        """This hit was within the limit."""
        return self.hits <= self.limit.count

    @property
    def exhausted(self) -> bool:
        """The next hit would be refused (what :meth:`Counters.peek` callers ask)."""
        return self.hits >= self.limit.count

    def retry_after(self, now: dt.datetime) -> int:
        """Whole seconds until the key is free again (at least 1)."""
        return max(1, math.ceil((self.resets_at - now).total_seconds()))


class LimitExceeded(DomainError):
    """Raised when a client, account or phone is over one of its abuse limits (HTTP 429)."""

    code = "rate_limited"

    def __init__(
        self, detail: str, *, retry_after: int, limit: str, code: str | None = None
    ) -> None:
        super().__init__(detail, code=code, retry_after=retry_after, limit=limit)
        self.retry_after = retry_after
        self.limit = limit


@runtime_checkable
class Counters(Protocol):
    def hit(self, limits: Sequence[Limit], now: dt.datetime) -> list[Verdict]:
        """Count one attempt against every limit, or (if one refuses it) against none.

        The verdicts come back in the order of ``limits``.
        """
        ...

    def peek(self, limits: Sequence[Limit], now: dt.datetime) -> list[Verdict]:
        """Where the limits stand, without counting an attempt."""
        ...


def longest_wait(verdicts: Sequence[Verdict]) -> Verdict | None:
    """Of some refused verdicts, the one that frees up last: the wait to report."""
    return max(verdicts, key=lambda v: v.resets_at) if verdicts else None


class _Keys:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def of(self, limit: Limit) -> str:
        message = f"{limit.name}\x00{limit.value}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()


class InMemoryCounters:
    def __init__(self, secret: bytes) -> None:
        self._keys = _Keys(secret)
        self._rows: dict[str, tuple[int, dt.datetime]] = {}
        self._lock = threading.Lock()

    def hit(self, limits: Sequence[Limit], now: dt.datetime) -> list[Verdict]:
        verdicts = []
        with self._lock:
            for limit in limits:
                hits, resets_at = self._rows.get(self._keys.of(limit), (0, now))
                if resets_at <= now:
                    hits, resets_at = 0, now + limit.window
                hits += 1
                if hits == limit.count:
                    resets_at = now + limit.window
                verdicts.append(Verdict(limit, hits, resets_at))
            if all(v.allowed for v in verdicts):
                for verdict in verdicts:
                    self._rows[self._keys.of(verdict.limit)] = (verdict.hits, verdict.resets_at)
        return verdicts

    def peek(self, limits: Sequence[Limit], now: dt.datetime) -> list[Verdict]:
        verdicts = []
        with self._lock:
            for limit in limits:
                hits, resets_at = self._rows.get(self._keys.of(limit), (0, now))
                verdicts.append(Verdict(limit, hits if resets_at > now else 0, resets_at))
        return verdicts


_HIT = """
INSERT INTO limit_counters AS c (key, hits, resets_at)
VALUES (%(key)s, 1, %(now)s + %(window)s)
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN c.resets_at <= %(now)s THEN 1 ELSE c.hits + 1 END,
    resets_at = CASE
        WHEN c.resets_at <= %(now)s THEN %(now)s + %(window)s
        WHEN c.hits + 1 = %(count)s THEN %(now)s + %(window)s
        ELSE c.resets_at
    END
RETURNING hits, resets_at
"""


class _Refused(Exception):
    def __init__(self, verdicts: list[Verdict]) -> None:
        super().__init__("refused")
        self.verdicts = verdicts


class PostgresCounters:
    """Counters in the ``limit_counters`` table (migration 0006)."""

    def __init__(self, pool: ConnectionPool, secret: bytes) -> None:
        self._pool = pool
        self._keys = _Keys(secret)
        self._calls = itertools.count(1)

    def hit(self, limits: Sequence[Limit], now: dt.datetime) -> list[Verdict]:
        keyed = [(self._keys.of(limit), limit) for limit in limits]
        rows: dict[str, tuple[int, dt.datetime]] = {}
        try:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                # A fixed order of row locks: two calls sharing keys cannot deadlock.
                for key, limit in sorted(keyed, key=lambda pair: pair[0]):
                    params = {"key": key, "now": now, "window": limit.window, "count": limit.count}
                    found = cursor.execute(_HIT, params).fetchone()
                    assert found is not None
                    rows[key] = (int(found[0]), found[1])
                verdicts = [Verdict(limit, *rows[key]) for key, limit in keyed]
                if not all(v.allowed for v in verdicts):
                    raise _Refused(verdicts)  # rolls the counts back: nothing is counted
        except _Refused as refused:
            return refused.verdicts
        if next(self._calls) % _PURGE_EVERY == 0:
            self.purge(now)
        return verdicts

    def peek(self, limits: Sequence[Limit], now: dt.datetime) -> list[Verdict]:
        keyed = [(self._keys.of(limit), limit) for limit in limits]
        with self._pool.connection() as conn:
            found = conn.execute(
                "SELECT key, hits, resets_at FROM limit_counters"
                " WHERE key = ANY(%s) AND resets_at > %s",
                ([key for key, _ in keyed], now),
            ).fetchall()
        rows = {str(key): (int(hits), resets_at) for key, hits, resets_at in found}
        return [Verdict(limit, *rows.get(key, (0, now))) for key, limit in keyed]

    def purge(self, now: dt.datetime) -> int:
        """Forget counters whose window has ended (they are the same as no row)."""
        with self._pool.connection() as conn:
            cursor = conn.execute("DELETE FROM limit_counters WHERE resets_at <= %s", (now,))
            return cursor.rowcount
