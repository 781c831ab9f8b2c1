"""Password hashing (argon2id) with costs from settings."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from prakerja.settings import PasswordHashing


class Passwords:
    """Hashes and checks passwords; checks unknown accounts at the same cost."""

    def __init__(self, costs: PasswordHashing) -> None:
        self._hasher = PasswordHasher(
            time_cost=costs.time_cost,
            memory_cost=costs.memory_cost_kib,
            parallelism=costs.parallelism,
        )
        self._decoy = self._hasher.hash("decoy password for unknown accounts")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when the password matches; an unknown account costs the same time."""
        try:
            return self._hasher.verify(password_hash or self._decoy, password) and (
                password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False
