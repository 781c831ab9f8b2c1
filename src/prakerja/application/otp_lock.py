"""The lock on guessing one-time codes, across codes and accounts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from prakerja.metrics import families as metrics
from prakerja.security.counters import Limit, LimitExceeded, Verdict, longest_wait


@dataclass(frozen=True)
class OtpLock:
    """How many code guesses an applicant, and a phone number, get before both lock.

    Each code already allows a few wrong guesses, but a new code resets that count, so
    on its own it would let a guesser go on for ever. These counters span codes and
    accounts: a few guesses, then a lock for a while, and a daily ceiling. They are
    counted before the code is compared, so parallel guesses cannot overtake the lock.
    """

    attempts: int = 5
    lock_for: dt.timedelta = dt.timedelta(minutes=15)
    daily_attempts: int = 15

    def limits(self, applicant_id: UUID, phone: str) -> list[Limit]:
        day = dt.timedelta(days=1)
        return [
            Limit("otp-guess", f"applicant:{applicant_id}", self.attempts, self.lock_for),
            Limit("otp-guess", f"phone:{phone}", self.attempts, self.lock_for),
            Limit("otp-guess-day", f"applicant:{applicant_id}", self.daily_attempts, day),
            Limit("otp-guess-day", f"phone:{phone}", self.daily_attempts, day),
        ]


def refuse_if_locked(refused: list[Verdict], now: dt.datetime) -> None:
    last = longest_wait(refused)
    if last is not None:
        wait = last.retry_after(now)
        metrics.otp_locked(last.limit.name)
        raise LimitExceeded(
            f"Too many codes were tried; try again in {max(1, wait // 60)} minute(s).",
            code="otp_locked",
            retry_after=wait,
            limit=last.limit.name,
        )
