"""Seeded bijections on ``range(n)``: they hide a person's index in digits yet stay invertible.

This is what makes the population lazy: a NIK, phone number, email address or photo
reference carries a scrambled form of the person's index, so a lookup decodes it and
recomputes that one person instead of searching a table.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class AffinePermutation:
    """``x ↦ (a·x + b) mod n`` with ``gcd(a, n) = 1``: a permutation of ``range(n)``."""

    modulus: int
    multiplier: int
    offset: int
    inverse_multiplier: int

    @classmethod
    def seeded(cls, modulus: int, seed: int, salt: str) -> AffinePermutation:
        rng = random.Random(f"{seed}:{salt}")  # noqa: S311 (simulation)
        while True:
            multiplier = rng.randrange(modulus // 3 + 1, modulus)
            if math.gcd(multiplier, modulus) == 1:
                inverse = pow(multiplier, -1, modulus)
                return cls(modulus, multiplier, rng.randrange(modulus), inverse)

    def forward(self, value: int) -> int:
        return (value * self.multiplier + self.offset) % self.modulus

    def inverse(self, value: int) -> int:
        return ((value - self.offset) * self.inverse_multiplier) % self.modulus
