"""The reproducible draw that turns a wave's candidates into its participants.

Algorithm ``prakerja-draw/1``, all of it here so anyone can re-run it:

1. The candidate list is put in canonical order (by applicant id) and hashed: SHA-256 of
   one line ``<applicant id>,<province>,<priority rank or ->`` per candidate. The hash is
   recorded, so a re-run can prove it starts from the same list.
2. Each candidate's lottery ticket is SHA-256(seed ‖ applicant id bytes). A ticket does not
   depend on who else is in the list or on its order, so one person's draw can be checked
   alone.
3. Candidates are ranked by priority group (rank 1 first, no group last), then by ticket.
4. Walking that ranking, a candidate is selected while the wave's quota is not reached and
   the candidate's province (first two NIK digits) is below its cap, if it has one.

The selected list, in ranking order, is hashed the same way. The quota can never be
exceeded: selection stops at it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

ALGORITHM = "prakerja-draw/1"
_NO_GROUP = 1 << 30


@dataclass(frozen=True, order=True)
class Candidate:
    """One applicant in a closed wave, with what the draw needs to know and nothing more."""

    applicant_id: UUID
    province: str
    priority_rank: int | None = None

    @property
    def line(self) -> str:
        rank = "-" if self.priority_rank is None else str(self.priority_rank)
        return f"{self.applicant_id},{self.province},{rank}"


@dataclass(frozen=True)
class DrawResult:
    """The recorded inputs of a draw and what it selected."""

    algorithm: str
    seed: str
    quota: int
    province_quotas: dict[str, int]
    candidates: int
    candidates_sha256: str
    selected: tuple[UUID, ...]
    selected_sha256: str
    priority_selected: int


def canonical(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The order the hash is taken in: by applicant id, whatever order they arrived in."""
    return sorted(candidates, key=lambda c: str(c.applicant_id))


def candidates_digest(candidates: Iterable[Candidate]) -> str:
    digest = hashlib.sha256()
    for candidate in canonical(candidates):
        digest.update(candidate.line.encode() + b"\n")
    return digest.hexdigest()


def selected_digest(selected: Sequence[UUID]) -> str:
    digest = hashlib.sha256()
    for applicant_id in selected:
        digest.update(f"{applicant_id}\n".encode())
    return digest.hexdigest()


def ticket(seed: str, applicant_id: UUID) -> bytes:
    """A candidate's lottery ticket: lower goes first."""
    return hashlib.sha256(bytes.fromhex(seed) + applicant_id.bytes).digest()


def ranking_key(seed: str, candidate: Candidate) -> tuple[int, bytes]:
    rank = _NO_GROUP if candidate.priority_rank is None else candidate.priority_rank
    return rank, ticket(seed, candidate.applicant_id)


def draw(
    candidates: Iterable[Candidate],
    *,
    seed: str,
    quota: int,
    province_quotas: Mapping[str, int] | None = None,
) -> DrawResult:
    """Run the draw. Pure: the same candidates, seed and quotas always give the same result."""
    if quota < 0:
        raise ValueError("a quota cannot be negative")
    bytes.fromhex(seed)  # a seed is hex; fail before drawing with a bad one
    caps = dict(province_quotas or {})
    pool = canonical(candidates)
    if len({c.applicant_id for c in pool}) != len(pool):
        raise ValueError("an applicant appears twice among the candidates")
    taken: Counter[str] = Counter()
    selected: list[Candidate] = []
    for candidate in sorted(pool, key=lambda c: ranking_key(seed, c)):
        if len(selected) >= quota:
            break
        cap = caps.get(candidate.province)
        if cap is not None and taken[candidate.province] >= cap:
            continue
        taken[candidate.province] += 1
        selected.append(candidate)
    chosen = tuple(c.applicant_id for c in selected)
    return DrawResult(
        algorithm=ALGORITHM,
        seed=seed,
        quota=quota,
        province_quotas=caps,
        candidates=len(pool),
        candidates_sha256=candidates_digest(pool),
        selected=chosen,
        selected_sha256=selected_digest(chosen),
        priority_selected=sum(1 for c in selected if c.priority_rank is not None),
    )
