"""Stream URLs and AudioPlayer directives in Alexa's wire format (pure)."""

from __future__ import annotations

import pytest

from playback.directives import new_token, play_directive, stop_directive, track_id_of
from playback.stream_urls import InsecureStreamUrl, StreamUrls


@pytest.mark.parametrize(
    "base",
    ["https://media.example/tracks", "https://media.example/tracks/", "http://127.0.0.1:9000",
     "http://localhost:8000/media", "http://[::1]:8000"],
)  # fmt: skip
def test_https_and_loopback_bases_are_accepted(base: str) -> None:
    url = StreamUrls(base).url_for("t-1")
    assert url == base.rstrip("/") + "/t-1"


@pytest.mark.parametrize(
    "base",
    ["http://media.example/tracks", "ftp://media.example", "media.example/tracks", "https://",
     "https://media.example/tracks?sig=1", "http://10.0.0.5/tracks"],
)  # fmt: skip
def test_other_bases_are_refused_with_a_clear_error(base: str) -> None:
    with pytest.raises(InsecureStreamUrl):
        StreamUrls(base)


def test_refusal_names_the_rule() -> None:
    with pytest.raises(InsecureStreamUrl, match="must use https"):
        StreamUrls("http://media.example")


def test_track_ids_stay_one_path_segment() -> None:
    urls = StreamUrls("https://media.example/tracks")
    assert urls.url_for("a/b c?d") == "https://media.example/tracks/a%2Fb%20c%3Fd"
    with pytest.raises(ValueError):
        urls.url_for("")


def test_tokens_are_short_unique_and_name_their_track() -> None:
    tokens = {new_token("t-1.with.dots") for _ in range(200)}
    assert len(tokens) == 200
    assert all(track_id_of(t) == "t-1.with.dots" for t in tokens)
    assert all(len(t) < 40 for t in tokens)


@pytest.mark.parametrize("token", [None, "", "t1", "t1.abc", "t1.abc.", "x1.abc.t-1", "t" * 2000])
def test_foreign_tokens_name_no_track(token: str | None) -> None:
    assert track_id_of(token) is None


def test_play_directive_shape() -> None:
    directive = play_directive(
        url="https://media.example/t-1", token="t1.00.t-1", title="Song", subtitle="Band",
        offset_ms=-5,
    )  # fmt: skip
    assert directive == {
        "type": "AudioPlayer.Play",
        "playBehavior": "REPLACE_ALL",
        "audioItem": {
            "stream": {"url": "https://media.example/t-1", "token": "t1.00.t-1",
                       "offsetInMilliseconds": 0},
            "metadata": {"title": "Song", "subtitle": "Band"},
        },
    }  # fmt: skip
    assert stop_directive() == {"type": "AudioPlayer.Stop"}
