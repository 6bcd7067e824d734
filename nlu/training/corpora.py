"""The vendored real corpora (``nlu/training/corpora``, see ATTRIBUTION.txt) mapped to
Philomath's intents and slots.

- Snips 2017: PlayMusic is ``play_music``; AddToPlaylist is ``out_of_scope:playlist_edit`` (the
  skill edits no playlists), its names still teach the tagger. Entities: artist, album, track,
  playlist, genre, sort and service as they are, ``year`` is ``era``, ``music_item`` is
  ``item_type``, AddToPlaylist's ``entity_name`` (the song or album added) is ``entity``;
  ``playlist_owner`` ("my") is no slot.
- SLURP: the music intents map to ours (``SLURP_INTENTS``); podcasts, audiobooks, volume and
  every other scenario are out of scope with their reason. ``artist_name``, ``song_name``,
  ``music_genre``, ``playlist_name`` and ``app_name`` (a service) are slots; radio names,
  descriptors and settings are not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Literal

from nlu.training.examples import LabeledUtterance, from_segments

CORPORA_DIR = Path(__file__).resolve().parent / "corpora"
RealCorpus = Literal["snips", "slurp"]

_SNIPS_ENTITIES: dict[str, str | None] = {
    "artist": "artist", "album": "album", "track": "track", "playlist": "playlist",
    "genre": "genre", "sort": "sort", "service": "service", "year": "era",
    "music_item": "item_type", "entity_name": "entity", "playlist_owner": None,
}  # fmt: skip
_SLURP_ENTITIES: dict[str, str] = {
    "artist_name": "artist", "song_name": "track", "music_genre": "genre",
    "playlist_name": "playlist", "app_name": "service",
}  # fmt: skip
# SLURP's music intents, by our label (music_settings is split by its words: _setting).
SLURP_INTENTS: dict[str, str] = {
    "play_music": "play_music", "play_radio": "play_music", "music_likeness": "like",
    "music_dislikeness": "dislike", "music_query": "whats_playing",
    "play_podcasts": "out_of_scope:podcast", "play_audiobook": "out_of_scope:audiobook",
    "audio_volume_up": "out_of_scope:volume", "audio_volume_down": "out_of_scope:volume",
    "audio_volume_mute": "out_of_scope:volume", "audio_volume_other": "out_of_scope:volume",
}  # fmt: skip
SETTING_INTENTS = frozenset(("shuffle_on", "shuffle_off", "loop_on", "loop_off", "repeat"))
# The SLURP intents issue 11 scores as music requests, and the ones that must not start music.
SLURP_MUSIC = ("play_music", "play_radio", "music_likeness", "music_dislikeness", "music_query",
               "music_settings")  # fmt: skip
SLURP_NOT_MUSIC = ("play_podcasts", "play_audiobook", "audio_volume_up", "audio_volume_down",
                   "audio_volume_mute", "audio_volume_other")  # fmt: skip
_ANNOTATION = re.compile(r"\[\s*([\w-]+)\s*:\s*([^\]]*?)\s*\]")
_OFF = frozenset(("off", "disable", "stop", "no", "don't", "cancel", "deactivate"))


def load_corpus(name: RealCorpus) -> list[LabeledUtterance]:
    """Every utterance of one corpus, mapped (see the module docstring)."""
    return list(_snips() if name == "snips" else _slurp())


@cache
def _cached(name: RealCorpus) -> tuple[LabeledUtterance, ...]:
    return tuple(load_corpus(name))


def real_corpora() -> list[LabeledUtterance]:
    """Both corpora, Snips first."""
    return [*_cached("snips"), *_cached("slurp")]


def slurp_intent(row: dict[str, str]) -> str:
    """The row's intent as scenario_action (a few devel rows give the action alone)."""
    intent = row["intent"]
    return (
        intent if intent.startswith(f"{row['scenario']}_") else f"{row['scenario']}_{row['action']}"
    )


def _snips() -> Iterator[LabeledUtterance]:
    for source, intent in (
        ("PlayMusic", "play_music"),
        ("AddToPlaylist", "out_of_scope:playlist_edit"),
    ):
        rows = json.loads((CORPORA_DIR / f"snips2017_train_{source}.json").read_text("utf-8"))
        for row in rows[source]:
            segments = [(s["text"], _SNIPS_ENTITIES[s["entity"]] if "entity" in s else None)
                        for s in row["data"]]  # fmt: skip
            yield from_segments(segments, intent, "snips", source)


def _slurp() -> Iterator[LabeledUtterance]:
    with (CORPORA_DIR / "slurp_devel.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            source = slurp_intent(row)
            segments = list(_slurp_segments(row["sentence_annotation"]))
            words = " ".join(text for text, _ in segments).lower().split()
            label = _setting(words) if source == "music_settings" else SLURP_INTENTS.get(source)
            yield from_segments(segments, label or "out_of_scope:other", "slurp", source)


def _slurp_segments(annotation: str) -> Iterator[tuple[str, str | None]]:
    position = 0
    for match in _ANNOTATION.finditer(annotation):
        yield annotation[position : match.start()], None
        yield f" {match.group(2)} ", _SLURP_ENTITIES.get(match.group(1))
        position = match.end()
    yield annotation[position:], None


def _setting(words: list[str]) -> str:
    """A music_settings request as our setting intent: shuffle or loop, on or off."""
    off = any(w in _OFF for w in words)
    if any(w.startswith("shuffl") for w in words):
        return "shuffle_off" if off else "shuffle_on"
    if "repeat" in words and not off and not any(w in ("on", "loop") for w in words):
        return "repeat"
    return "loop_off" if off else "loop_on"
