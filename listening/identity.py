"""Who is listening: an Alexa caller resolved to a Philomath listener id, the store of the
mappings, and the use case every front door calls.

A voice request carries Alexa's ids, never one of ours: the account's ``userId``, a
``personId`` when Alexa recognized the speaker, and an ``accessToken`` when the listener
linked their Philomath account. ``ListenerResolver.resolve`` turns them into the listener id
every store is keyed by:

- linked: the token, checked by the same verifier as the REST API's bearer tokens, names the
  listener, so the skill and the app see one listener (``AccountLinkInvalid`` when the token is
  forged, expired or otherwise refused: the listener must link again);
- unlinked: the ``IdentityStore`` maps (account, person) to a listener id minted on first
  sight (``lsn-`` and 32 random hex digits), the same one ever after, a recognized person
  getting a listener of their own. The store keys mappings by hashes of Alexa's ids, so it
  holds none of them.

Mappings never change once minted, so the resolver keeps them in process for ``cache_ttl_s``
(a turn then costs no read); the TTL bounds how long another process may serve a mapping
that an erasure removed. ``forget`` removes a listener's mappings (erasure, see
``listening.erasure``).

Errors: ``IdentityUnavailable`` (the store or the token's issuer cannot be reached) and
``AccountLinkInvalid`` (the token is refused).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from listening.player import user_ref

logger = logging.getLogger(__name__)

LISTENER_PREFIX = "lsn-"
NO_PERSON = "-"  # the person key of the account's own mapping (no recognized speaker)


class IdentityUnavailable(Exception):
    """The identity store, or the issuer of access tokens, cannot answer now."""


class AccountLinkInvalid(Exception):
    """The request's access token is refused (forged, expired, for another audience...):
    the listener must link their account again. The message says why, never the token."""


@dataclass(frozen=True, slots=True)
class AlexaCaller:
    """Alexa's ids of who speaks: the account, the recognized person, their access token
    (the person's when Alexa recognized one and gave one, else the account's)."""

    user_id: str
    person_id: str | None = None
    access_token: str | None = None

    def __post_init__(self) -> None:
        if not self.user_id:
            raise ValueError("an Alexa caller needs a user id")


@dataclass(frozen=True, slots=True)
class Listener:
    """The Philomath listener a request speaks for; ``linked`` when an access token named
    them."""

    id: str
    linked: bool = False


def account_key(user_id: str) -> str:
    """How stores key an Alexa account: a hash, so they hold no Alexa id."""
    return hashlib.sha256(f"alexa-user\x00{user_id}".encode()).hexdigest()


def person_key(person_id: str | None) -> str:
    if not person_id:
        return NO_PERSON
    return hashlib.sha256(f"alexa-person\x00{person_id}".encode()).hexdigest()


def new_listener_id() -> str:
    return f"{LISTENER_PREFIX}{secrets.token_hex(16)}"


class IdentityStore(Protocol):
    """Mappings (account key, person key) -> listener id; keys as ``account_key`` and
    ``person_key`` make them. Adapters: ``SqliteIdentityStore`` (embedded default),
    ``DynamoDBIdentityStore``, ``MemoryIdentityStore``. Every method may raise
    ``IdentityUnavailable``."""

    def ensure_schema(self) -> None:
        """Create the table if missing (idempotent)."""

    def listener(self, account: str, person: str) -> str | None:
        """The listener mapped to (account, person), or None: one indexed read."""

    def claim(self, account: str, person: str, listener: str) -> str:
        """Map (account, person) to ``listener`` unless already mapped; the listener it
        maps to afterwards (another one when a concurrent first request won)."""

    def listeners_of(self, account: str) -> list[str]:
        """Every listener mapped under ``account`` (the account's own and its persons')."""

    def forget(self, user_id: str) -> int:
        """Remove every mapping to listener ``user_id``; returns how many."""

    def close(self) -> None:
        """Release connections."""


# A token verifier: the listener an access token names; raises ``AccountLinkInvalid`` for a
# refused token and ``IdentityUnavailable`` when it cannot be checked now.
TokenVerifier = Callable[[str], str]


class ListenerResolver:
    """Alexa caller -> listener, once per request, at the front door."""

    def __init__(
        self,
        store: IdentityStore,
        verify_token: TokenVerifier | None = None,
        *,
        cache_ttl_s: float = 60.0,
        cache_size: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._identity = store
        self._verify = verify_token
        self._ttl_s, self._size, self._clock = cache_ttl_s, cache_size, clock
        self._cache: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def resolve(self, caller: AlexaCaller) -> Listener:
        """The caller's listener: the linked one when the request carries an access token
        (``AccountLinkInvalid`` when refused, with no fallback to the unlinked listener,
        whose data the linked listener must not see), else the one minted for the account
        or the recognized person."""
        if caller.access_token:
            return Listener(self.linked_listener(caller.access_token), linked=True)
        key = (account_key(caller.user_id), person_key(caller.person_id))
        listener = self._cached(key)
        if listener is None:
            listener = self._identity.listener(*key)
            if listener is None:
                listener = self._identity.claim(*key, new_listener_id())
                logger.info("new listener", extra={"user": user_ref(listener)})
            self._remember(key, listener)
        return Listener(listener)

    def linked_listener(self, token: str) -> str:
        if self._verify is None:
            raise AccountLinkInvalid("account linking is not configured")
        return self._verify(token)

    def account_listeners(self, caller: AlexaCaller) -> list[str]:
        """Every listener this Alexa account speaks as: the minted ones (the account's and
        its persons'), and the linked one when a token that verifies comes with it. Mints
        nothing."""
        listeners = self._identity.listeners_of(account_key(caller.user_id))
        if caller.access_token:
            try:
                listeners.append(self.linked_listener(caller.access_token))
            except AccountLinkInvalid:
                logger.info("a refused access token: only the unlinked listeners are named")
        return list(dict.fromkeys(listeners))

    def forget(self, user_id: str) -> int:
        """Remove the listener's mappings here and in the store; returns how many."""
        with self._lock:
            for key in [k for k, (listener, _) in self._cache.items() if listener == user_id]:
                del self._cache[key]
        return self._identity.forget(user_id)

    def _cached(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            found = self._cache.get(key)
            if found is None:
                return None
            if found[1] <= self._clock():
                del self._cache[key]
                return None
            self._cache.move_to_end(key)
            return found[0]

    def _remember(self, key: tuple[str, str], listener: str) -> None:
        with self._lock:
            self._cache[key] = (listener, self._clock() + self._ttl_s)
            self._cache.move_to_end(key)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
