"""Hosted-mode fixtures: cheap password hashing, so tests that log in stay quick."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from peerreport.hosted import accounts

#: The hasher a server uses, as the module made it (before any test swapped it).
PRODUCTION_HASHER = accounts.HASHER
#: argon2id still, with the smallest cost argon2 allows (production keeps the defaults).
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "HASHER", CHEAP_HASHER)
