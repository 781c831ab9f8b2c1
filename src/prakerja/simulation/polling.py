"""How a simulated applicant waits for the service's background work."""

from __future__ import annotations

from collections.abc import Iterator


class Polling:
    """How a journey waits for something the service does in the background.

    Each kind of wait (the email, the NIK check, ...) learns how long it typically
    takes: the first look comes at 80% of that, then at growing intervals. A loaded
    pipeline then costs one or two status reads per wait, not one every half second.
    """

    def __init__(
        self, first_s: float = 0.5, ceiling_s: float = 5.0, give_up_s: float = 900.0
    ) -> None:
        self.first_s = first_s
        self.ceiling_s = ceiling_s
        self.give_up_s = give_up_s
        self._typical: dict[str, float] = {}

    def delays(self, kind: str) -> Iterator[float]:
        typical = self._typical.get(kind)
        delay = self.first_s if typical is None else max(0.2, 0.8 * typical)
        step = max(0.2, 0.15 * (typical or self.first_s))
        waited = 0.0
        while waited < self.give_up_s:
            yield delay
            waited += delay
            delay, step = min(self.ceiling_s, step), step * 1.6

    def observe(self, kind: str, seconds: float) -> None:
        """How long a wait of this kind took (from its start to the look that saw it)."""
        typical = self._typical.get(kind)
        self._typical[kind] = seconds if typical is None else 0.9 * typical + 0.1 * seconds

    def typical(self) -> dict[str, float]:
        return {kind: round(value, 2) for kind, value in sorted(self._typical.items())}
