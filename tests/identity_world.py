"""The test world (``tests.fakes``) with identity in front: the skill resolves listeners
through a SQLite identity store and an API authenticator, SkillDisabled and
``DELETE /v1/users/me`` forget them, and the router caches in a cache the test can see."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ask_sdk_core.skill import CustomSkill
from fastapi import FastAPI

from listening import Listening
from listening.device_queue import DevicePlayback
from listening.erasure import CachedLists, DeferredErasure, Erasure
from listening.identity import ListenerResolver, account_key, person_key
from listening.player import MusicPlayer
from listening.sqlite_identity import SqliteIdentityStore
from philomath.security import token_verifier
from recommender.serving.router import Router
from recommender.storage.local_listen_archive import LocalListenArchive
from recommender.storage.memory_cache import InProcessCache
from skill.alexa import build_skill
from skill.api.security.auth import Authenticator
from skill.http_app import create_app
from tests.fakes import World


class SeenKeysCache(InProcessCache):
    """The in-process cache, remembering every key ever set, so a test can ask which
    live entries name a listener."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        self.seen.add(key)
        super().set(key, value, ttl_s)

    def live_keys_naming(self, needle: str) -> list[str]:
        """Keys naming ``needle`` whose entry holds data (a cached miss is empty: it says
        only that nothing was found, and expires within the router's ``miss_ttl_s``)."""
        return sorted(k for k in self.seen if needle in k and self.get(k))


@dataclass
class IdentityWorld:
    world: World
    identity: SqliteIdentityStore
    resolver: ListenerResolver
    erasure: Erasure
    cache: SeenKeysCache
    archive: LocalListenArchive  # live plays for training, under ``<directory>/listens``
    listening: Listening
    skill: CustomSkill
    app: FastAPI

    def minted(self, alexa_user: str, person: str | None = None) -> str | None:
        """The listener the store maps an Alexa account (or a person of it) to."""
        return self.identity.listener(account_key(alexa_user), person_key(person))

    def close(self) -> None:
        self.identity.close()


def build_identity_world(
    world: World, authenticator: Authenticator, directory: Path
) -> IdentityWorld:
    identity = SqliteIdentityStore(directory / "identity.db")
    identity.ensure_schema()
    cache = SeenKeysCache()
    router = Router(world.store, world.profiles, cache, catalog=world.catalog)
    routines = world.listening.routines
    assert routines is not None
    player = MusicPlayer(world.catalog, router, world.stream_urls, routines)
    listening = Listening(
        player, DevicePlayback(player, world.queues), world.recorder, routines=routines
    )
    resolver = ListenerResolver(identity, token_verifier(authenticator))
    archive = LocalListenArchive(directory / "listens")
    erasure = Erasure(
        [
            ("profiles", world.profiles),
            ("lists", CachedLists(world.store, cache)),
            ("queues", world.queues),
            ("routines", routines),
            ("listen archive", DeferredErasure(archive)),  # as wiring lists them
            ("identity", resolver),
        ]
    )
    skill = build_skill(
        listening, world.parser, metrics=world.metrics, resolver=resolver, erasure=erasure
    )
    app = create_app(listening, world.parser, skill, authenticator=authenticator, erasure=erasure)
    return IdentityWorld(world, identity, resolver, erasure, cache, archive, listening, skill, app)
