"""The draw: priority first, then the seeded lottery; quotas never exceeded; reproducible."""

from __future__ import annotations

import random
from uuid import UUID

import pytest

from prakerja.domain.selection import (
    ALGORITHM,
    Candidate,
    candidates_digest,
    draw,
    selected_digest,
)

SEED = "ab" * 32


def candidates(
    count: int, priority: int = 0, provinces: tuple[str, ...] = ("32",)
) -> list[Candidate]:
    rng = random.Random(7)
    return [
        Candidate(
            UUID(int=rng.getrandbits(128)),
            provinces[i % len(provinces)],
            1 if i < priority else None,
        )
        for i in range(count)
    ]


def test_priority_candidates_come_first_then_the_lottery() -> None:
    pool = candidates(1_000, priority=30)
    result = draw(pool, seed=SEED, quota=100)
    assert len(result.selected) == 100
    priority = {c.applicant_id for c in pool if c.priority_rank is not None}
    assert set(result.selected[:30]) == priority
    assert result.priority_selected == 30
    assert result.algorithm == ALGORITHM


def test_the_same_inputs_give_the_same_list_whatever_their_order() -> None:
    pool = candidates(500, priority=10)
    first = draw(pool, seed=SEED, quota=50)
    shuffled = list(pool)
    random.Random(1).shuffle(shuffled)
    again = draw(shuffled, seed=SEED, quota=50)
    assert again == first
    assert first.candidates_sha256 == candidates_digest(shuffled)
    assert first.selected_sha256 == selected_digest(first.selected)


def test_another_seed_gives_another_list() -> None:
    pool = candidates(500)
    assert draw(pool, seed=SEED, quota=50).selected != draw(pool, seed="cd" * 32, quota=50).selected


def test_quota_and_province_caps_are_never_exceeded() -> None:
    pool = candidates(300, priority=100, provinces=("32", "33", "94"))
    result = draw(pool, seed=SEED, quota=100, province_quotas={"32": 10, "94": 5})
    chosen = [c for c in pool if c.applicant_id in set(result.selected)]
    assert len(chosen) == 100
    assert draw(pool, seed=SEED, quota=200, province_quotas={"32": 10, "94": 5}).selected[100:]
    assert (
        len(draw(pool, seed=SEED, quota=200, province_quotas={"32": 10, "94": 5}).selected) == 115
    )
    assert sum(c.province == "32" for c in chosen) == 10
    assert sum(c.province == "94" for c in chosen) == 5


def test_fewer_candidates_than_the_quota_are_all_selected() -> None:
    pool = candidates(7)
    selected = draw(pool, seed=SEED, quota=10).selected
    assert len(selected) == 7
    assert set(selected) == {c.applicant_id for c in pool}


def test_lower_ranks_are_taken_before_higher_ones() -> None:
    pool = [
        Candidate(UUID(int=1), "32", 2),
        Candidate(UUID(int=2), "32", 1),
        Candidate(UUID(int=3), "32", None),
    ]
    assert draw(pool, seed=SEED, quota=2).selected == (UUID(int=2), UUID(int=1))


def test_an_applicant_twice_in_the_list_is_refused() -> None:
    twice = [Candidate(UUID(int=1), "32"), Candidate(UUID(int=1), "33")]
    with pytest.raises(ValueError, match="twice"):
        draw(twice, seed=SEED, quota=1)


def test_a_candidate_list_changed_by_one_entry_changes_its_hash() -> None:
    pool = candidates(50)
    changed = [*pool[:-1], Candidate(pool[-1].applicant_id, "33")]
    assert candidates_digest(pool) != candidates_digest(changed)
