"""argon2id password hashing."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type

MIN_PASSWORD_LENGTH = 8
# argon2 costs memory and time per byte too; an unbounded password is a DoS lever.
MAX_PASSWORD_LENGTH = 1024


class Passwords:
    def __init__(self, *, memory_kib: int = 65536, time_cost: int = 3, parallelism: int = 4) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # Verified when the email is unknown, so a miss costs what a hit costs.
        self._dummy = self._hasher.hash("not-a-real-password-but-a-timing-shield")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        target = password_hash or self._dummy
        try:
            ok = await asyncio.to_thread(self._hasher.verify, target, password)
        except (VerificationError, InvalidHashError):
            return False
        return bool(ok) and password_hash is not None
