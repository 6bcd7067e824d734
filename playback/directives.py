"""AudioPlayer directives in Alexa's wire format, and the tokens that name a stream.

Pure functions returning the JSON shape Alexa documents; the skill turns them into ask-sdk
models. A token is ``t1.<nonce>.<track id>``: the track id is public catalog data, the nonce
makes every play unique (Alexa reports events per token), and nothing secret is encoded.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

PlayBehavior = Literal["REPLACE_ALL", "ENQUEUE", "REPLACE_ENQUEUED"]

_TOKEN_VERSION = "t1"
# Alexa's limit for AudioPlayer tokens.
MAX_TOKEN_CHARS = 1024


def new_token(track_id: str) -> str:
    """A fresh token for one play of ``track_id``."""
    if not track_id or len(track_id) > 256:
        raise ValueError("track_id must be 1 to 256 characters")
    return f"{_TOKEN_VERSION}.{secrets.token_hex(4)}.{track_id}"


def track_id_of(token: str | None) -> str | None:
    """The track id a token of ours names, or None for a missing or foreign token."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    parts = token.split(".", 2)
    if len(parts) != 3 or parts[0] != _TOKEN_VERSION or not parts[2]:
        return None
    return parts[2]


def play_directive(
    *,
    url: str,
    token: str,
    title: str,
    subtitle: str,
    offset_ms: int = 0,
    behavior: PlayBehavior = "REPLACE_ALL",
    expected_previous_token: str | None = None,
) -> dict[str, Any]:
    """An ``AudioPlayer.Play`` directive; ``subtitle`` is shown under the title (the artist).

    An ENQUEUE names the token it must follow (``expected_previous_token``): Alexa drops it
    when the device has moved on to another stream meanwhile, instead of playing it late.
    """
    if not url.startswith("https://") and not url.startswith("http://"):
        raise ValueError(f"stream url must be http(s), got {url!r}")
    if (behavior == "ENQUEUE") != (expected_previous_token is not None):
        raise ValueError("ENQUEUE needs expected_previous_token, and only ENQUEUE takes one")
    stream: dict[str, Any] = {"url": url, "token": token, "offsetInMilliseconds": max(0, offset_ms)}
    if expected_previous_token is not None:
        stream["expectedPreviousToken"] = expected_previous_token
    return {
        "type": "AudioPlayer.Play",
        "playBehavior": behavior,
        "audioItem": {"stream": stream, "metadata": {"title": title, "subtitle": subtitle}},
    }


def stop_directive() -> dict[str, Any]:
    """An ``AudioPlayer.Stop`` directive."""
    return {"type": "AudioPlayer.Stop"}
