from __future__ import annotations

import itertools

import pytest

from prakerja.simulation.polling import Polling


def test_first_look_before_anything_is_known() -> None:
    delays = list(itertools.islice(Polling(first_s=0.5).delays("email"), 4))
    assert delays[0] == 0.5
    assert all(d > 0 for d in delays)


def test_waits_learn_the_typical_latency_of_their_kind() -> None:
    polling = Polling()
    for _ in range(50):
        polling.observe("identity", 10.0)
    first, second = itertools.islice(polling.delays("identity"), 2)
    assert first == pytest.approx(8.0, rel=0.05)  # 80% of the typical wait
    assert second < first  # then closer looks
    assert next(polling.delays("email")) == 0.5  # other kinds are unaffected


def test_gives_up_after_the_limit() -> None:
    delays = list(Polling(first_s=1.0, ceiling_s=1.0, give_up_s=5.0).delays("x"))
    assert sum(delays) >= 5.0
    assert sum(delays[:-1]) < 5.0  # stops at the first look past the limit
