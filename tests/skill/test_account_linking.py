"""Golden envelopes through a skill with identity in front: an unlinked account and a
recognized person get listeners of their own, minted once; a linked account is the listener
its token names, the same one the REST API sees; a forged or expired token gets the
LinkAccount card and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from listening.identity import LISTENER_PREFIX
from playback.queue import queue_key
from skill.alexa import handle_envelope
from skill.alexa.account import LINK_SPEECH
from skill.api.security.auth import TokenAuthenticator
from skill.api.security.jwks import JwksCache
from skill.api.security.jwt_auth import JwtAuthenticator
from tests.fakes import KNOWN_USER, World
from tests.identity_world import IdentityWorld, build_identity_world
from tests.integration.api_client import bearer
from tests.oidc_issuer import AUDIENCE, ISSUER, FakeIssuer
from tests.skill.golden import DEVICE, USER, load_envelope, only_play, ssml

LINKED_TOKEN = "golden-linked-access-token"  # what linked_play_mood.json carries
PERSON = "amzn1.ask.person.GOLDENADA7EUF4RNORLHSZDNU7KR7W75A2GRGQBT5OB3XA4JD2RKLB"


@pytest.fixture
def linked(world: World, tmp_path: Path) -> Iterator[IdentityWorld]:
    built = build_identity_world(world, TokenAuthenticator({LINKED_TOKEN: KNOWN_USER}), tmp_path)
    yield built
    built.close()


def run(skill_world: IdentityWorld, envelope: Any) -> dict[str, Any]:
    answer = handle_envelope(skill_world.skill, envelope)
    response: dict[str, Any] = answer["response"]
    return response


def with_token(name: str, token: str) -> Any:
    envelope = load_envelope(name)
    envelope["context"]["System"]["user"]["accessToken"] = token
    if "session" in envelope:
        envelope["session"]["user"]["accessToken"] = token
    return envelope


def test_an_unlinked_account_plays_as_a_listener_minted_once(linked: IdentityWorld) -> None:
    only_play(run(linked, load_envelope("play_music_mood_resolved")))
    listener = linked.minted(USER)
    assert listener is not None and listener.startswith(LISTENER_PREFIX)
    # Every store is keyed by the minted listener, never by Alexa's user id.
    assert linked.world.queue_of(listener, DEVICE) is not None
    assert linked.world.queue_of(USER, DEVICE) is None

    run(linked, load_envelope("audio_started"))
    assert [e.user_id for e in linked.world.published()] == [listener]
    only_play(run(linked, load_envelope("play_music_mood_resolved")))
    assert linked.minted(USER) == listener


def test_a_recognized_person_plays_as_a_listener_of_their_own(linked: IdentityWorld) -> None:
    only_play(run(linked, load_envelope("play_music_mood_resolved")))
    only_play(run(linked, load_envelope("person_play_mood")))
    account, person = linked.minted(USER), linked.minted(USER, PERSON)
    assert account is not None and person is not None and account != person
    assert linked.world.queue_of(person, DEVICE) is not None


def test_a_linked_account_is_the_listener_the_rest_api_sees(linked: IdentityWorld) -> None:
    stream = only_play(run(linked, load_envelope("linked_play_mood")))
    assert linked.world.queue_of(KNOWN_USER, DEVICE) is not None
    assert linked.minted(USER) is None  # nothing minted for a linked account

    # The app, with the same token, sees the queue the voice request started.
    with TestClient(linked.app) as client:
        answer = client.get(f"/v1/users/me/devices/{DEVICE}/queue", headers=bearer(LINKED_TOKEN))
    assert answer.status_code == 200, answer.text
    assert answer.json()["now_playing"]["track_id"] in stream["url"]


def assert_link_card_only(linked: IdentityWorld, response: dict[str, Any]) -> None:
    assert response["card"] == {"type": "LinkAccount"}
    assert ssml(response) == LINK_SPEECH
    assert response["shouldEndSession"] is True
    assert "directives" not in response  # no music
    assert linked.world.published() == []  # no event
    assert linked.minted(USER) is None  # no fallback to an unlinked listener
    assert linked.world.queue_of(KNOWN_USER, DEVICE) is None


def test_a_forged_token_gets_the_link_account_card_and_nothing_else(
    linked: IdentityWorld,
) -> None:
    response = run(linked, with_token("linked_play_mood", "forged-token"))
    assert_link_card_only(linked, response)


@pytest.fixture
def jwt_linked(world: World, tmp_path: Path) -> Iterator[tuple[IdentityWorld, FakeIssuer]]:
    issuer = FakeIssuer()
    keys = JwksCache(issuer.fetch, min_refetch_s=60)
    authenticator = JwtAuthenticator(keys, issuer=ISSUER, audience=AUDIENCE)
    built = build_identity_world(world, authenticator, tmp_path)
    yield built, issuer
    built.close()


def test_a_valid_jwt_links_and_an_expired_or_forged_one_is_refused(
    jwt_linked: tuple[IdentityWorld, FakeIssuer],
) -> None:
    linked, issuer = jwt_linked
    expired = issuer.token(sub=KNOWN_USER, lifetime_s=-3600)
    assert_link_card_only(linked, run(linked, with_token("linked_play_mood", expired)))
    forged = issuer.token(sub=KNOWN_USER, key=ec.generate_private_key(ec.SECP256R1()))
    assert_link_card_only(linked, run(linked, with_token("linked_play_mood", forged)))

    good = issuer.token(sub=KNOWN_USER)
    only_play(run(linked, with_token("linked_play_mood", good)))
    assert linked.world.queue_of(KNOWN_USER, DEVICE) is not None


def test_an_audio_event_with_a_refused_token_is_answered_silently(
    linked: IdentityWorld,
) -> None:
    envelope = with_token("audio_started", "forged-token")
    response = run(linked, envelope)
    assert response == {}
    assert linked.world.published() == []


def test_skill_disabled_mints_nobody_and_forgets_the_accounts_listeners(
    linked: IdentityWorld,
) -> None:
    run(linked, load_envelope("skill_disabled"))  # a stranger's: nothing to forget
    assert linked.minted(USER) is None

    only_play(run(linked, load_envelope("play_music_mood_resolved")))
    only_play(run(linked, load_envelope("person_play_mood")))
    listeners = [linked.minted(USER), linked.minted(USER, PERSON)]
    assert run(linked, load_envelope("skill_disabled")) == {}
    assert linked.minted(USER) is None and linked.minted(USER, PERSON) is None
    for listener in listeners:
        assert listener is not None
        assert linked.world.queues.load(queue_key(listener, DEVICE)) is None


def test_an_unreachable_identity_store_gets_a_polite_answer_and_plays_nothing(
    world: World, tmp_path: Path
) -> None:
    broken = build_identity_world(world, TokenAuthenticator({}), tmp_path)
    broken.identity.close()  # it reopens on next use: on a file that is no database now
    for path in tmp_path.glob("identity.db*"):
        path.unlink()
    (tmp_path / "identity.db").write_bytes(b"this is not a SQLite database\n" * 200)
    response = run(broken, load_envelope("play_music_mood_resolved"))
    assert "went wrong" in ssml(response)
    assert "directives" not in response
    assert world.published() == []
    broken.close()


def test_a_recognized_persons_own_token_speaks_for_them(linked: IdentityWorld) -> None:
    envelope = with_token("person_play_mood", "the-account-holders-token-refused-here")
    envelope["context"]["System"]["person"]["accessToken"] = LINKED_TOKEN
    only_play(run(linked, envelope))
    assert linked.world.queue_of(KNOWN_USER, DEVICE) is not None
    assert linked.minted(USER, PERSON) is None
