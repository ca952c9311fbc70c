"""The base of every rule-file model: unknown keys are errors, values are frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A rule-file table: `extra="forbid"`, so a misspelt key never silently does nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
