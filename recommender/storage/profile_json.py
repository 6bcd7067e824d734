"""The persisted JSON form of a ``UserProfile``, shared by every profile store adapter.

A pydantic envelope with a ``schema_version`` so a later change of ``UserProfile`` can still
read what is stored. Tuples come back as tuples, affinities as a dict of floats with their
exact values (JSON floats are written as the shortest repr that reads back identically).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from recommender.storage.profiles import UserProfile


class StoredProfile(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = 1
    profile: UserProfile


def dump_profile(profile: UserProfile) -> str:
    return StoredProfile(profile=profile).model_dump_json()


def load_profile(text: str | bytes) -> UserProfile:
    """The profile, or ``ValueError`` when the text is not a stored profile of this version."""
    try:
        return StoredProfile.model_validate_json(text).profile
    except ValidationError as exc:
        raise ValueError(f"not a stored profile: {exc}") from exc
