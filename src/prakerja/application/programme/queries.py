"""The programme's queries: waves, their rosters and priority lists, and the draw's record."""

from __future__ import annotations

from prakerja.application.programme.records import DrawRecord, DrawVerification
from prakerja.application.programme.store import ProgrammeStore
from prakerja.domain.errors import NotFound, TransitionNotAllowed
from prakerja.domain.rules import SELECTION
from prakerja.domain.selection import draw, ranking_key, selected_digest
from prakerja.domain.wave import (
    CATALOGUE_ID,
    PriorityListing,
    Wave,
    WaveCatalogue,
    WaveRoster,
    priority_listing_id,
    wave_id,
)


class ProgrammeQueries(ProgrammeStore):
    """Reads of waves and the draw, straight from the aggregates (no read model)."""

    def wave(self, number: int) -> Wave:
        wave = self._find(wave_id(number), Wave, self._waves)
        if wave is None:
            raise NotFound(f"No wave {number}.", code="wave_not_found")
        return wave

    def waves(self) -> list[Wave]:
        catalogue = self._find(CATALOGUE_ID, WaveCatalogue, self._waves)
        numbers = sorted(catalogue.waves) if catalogue is not None else []
        return [self.wave(number) for number in numbers]

    def rosters(self, wave: Wave) -> list[WaveRoster]:
        return [self._get(rid, WaveRoster, self._waves) for rid in wave.roster_ids()]

    def priority_rank(self, wave: Wave, nik: str) -> int | None:
        """The best rank of the wave's priority groups this NIK is listed on, if any."""
        listing = self._find(priority_listing_id(self._secret, wave.id, nik), PriorityListing)
        return listing.rank(wave.priority_groups) if listing is not None else None

    def joined(self, wave: Wave) -> int:
        return sum(len(roster.entries) for roster in self.rosters(wave))

    def draw_record(self, number: int) -> DrawRecord:
        """The recorded inputs of the draw (candidates, seed, quotas) and its selection."""
        wave = self.wave(number)
        if wave.draw is None:
            raise TransitionNotAllowed(f"Wave {number} has not been drawn.", code="not_drawn")
        rosters = self.rosters(wave)
        candidates = sorted(
            (c for roster in rosters for c in roster.candidates()),
            key=lambda c: str(c.applicant_id),
        )
        by_id = {c.applicant_id: c for c in candidates}
        seed = str(wave.draw["seed"])
        selected = sorted(
            (applicant_id for roster in rosters for applicant_id in roster.selected),
            key=lambda applicant_id: ranking_key(seed, by_id[applicant_id]),
        )
        recorded = {**wave.draw, "rule": SELECTION.ref}
        return DrawRecord(
            number, recorded, wave.quota, dict(wave.province_quotas), candidates, selected
        )

    def verify_draw(self, number: int) -> DrawVerification:
        """Re-run the draw from the recorded inputs and compare with what was recorded."""
        record = self.draw_record(number)
        result = draw(
            record.candidates,
            seed=str(record.recorded["seed"]),
            quota=record.quota,
            province_quotas=record.province_quotas,
        )
        matches = (
            result.candidates_sha256 == record.recorded["candidates_sha256"]
            and result.selected_sha256 == record.recorded["selected_sha256"]
            and list(result.selected) == record.selected
            and selected_digest(record.selected) == record.recorded["selected_sha256"]
        )
        return DrawVerification(number, matches, record.recorded, result)
