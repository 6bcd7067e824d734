"""GET /media/{track_id}: the embedded demo's audio behind signed, expiring URLs. The bytes
are checked to be a well-formed MP3 stream of the expected length, frame by frame."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from playback.demo_audio import NOTE_S, NOTES, SAMPLE_RATE, track_mp3, tune_pcm
from tests.integration.api_client import KNOWN_TOKEN, assert_problem, bearer

# MPEG-2 layer III bit rates (kbps) by index, and sample rates (Hz) by index.
_BITRATES = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_RATES = (22_050, 24_000, 16_000)


def mp3_seconds(data: bytes) -> float:
    """Walk every frame header of an MPEG-2 layer III stream; its duration in seconds.
    Fails on anything that is not a frame where a frame should start."""
    position, frames = 0, 0
    while position < len(data):
        header = int.from_bytes(data[position : position + 4], "big")
        assert header >> 21 == 0x7FF, f"no frame sync at byte {position}"
        assert (header >> 19) & 0b11 == 0b10, "not MPEG-2"
        assert (header >> 17) & 0b11 == 0b01, "not layer III"
        bitrate = _BITRATES[(header >> 12) & 0xF] * 1000
        rate = _RATES[(header >> 10) & 0b11]
        assert rate == SAMPLE_RATE and bitrate > 0
        position += 72 * bitrate // rate + ((header >> 9) & 1)
        frames += 1
    assert position == len(data), "the last frame is cut short"
    return frames * 576 / SAMPLE_RATE


def stream_url(client: TestClient) -> str:
    body = client.get("/v1/users/me/recommendations", headers=bearer(KNOWN_TOKEN)).json()
    parts = urlsplit(body["items"][0]["stream_url"])
    return f"/media/{parts.path.rsplit('/', 1)[1]}?{parts.query}"


def test_a_signed_url_serves_a_valid_mp3_of_the_track(client: TestClient) -> None:
    response = client.get(stream_url(client))
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["accept-ranges"] == "bytes"
    assert NOTES * NOTE_S <= mp3_seconds(response.content) <= NOTES * NOTE_S + 0.2
    assert response.content == client.get(stream_url(client)).content  # deterministic


def test_tracks_get_different_tunes() -> None:
    assert tune_pcm("t-1") != tune_pcm("t-2")
    assert track_mp3("t-1") != track_mp3("t-2")


def test_a_byte_range_is_served_partially(client: TestClient) -> None:
    url = stream_url(client)
    whole = client.get(url).content
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == whole[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
    tail = client.get(url, headers={"Range": "bytes=-10"})
    assert tail.content == whole[-10:]
    assert_problem(client.get(url, headers={"Range": f"bytes={len(whole)}-"}), 416)
    assert_problem(client.get(url, headers={"Range": "pages=1-2"}), 416)


def test_head_answers_without_a_body(client: TestClient) -> None:
    response = client.head(stream_url(client))
    assert response.status_code == 200 and response.content == b""


@pytest.mark.parametrize(
    "mangle",
    [
        lambda url: url.replace("sig=", "sig=0"),
        lambda url: url.replace("exp=", "exp=1"),
        lambda url: url.replace("/media/t-", "/media/x-"),
        lambda url: url.split("?")[0] + "?exp=1&sig=00",
    ],
)
def test_unsigned_tampered_or_expired_urls_are_refused(client: TestClient, mangle: object) -> None:
    assert_problem(client.get(mangle(stream_url(client))), 403)  # type: ignore[operator]


def test_missing_parameters_are_422(client: TestClient) -> None:
    assert_problem(client.get("/media/t-pop-1"), 422)
