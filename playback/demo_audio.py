"""Real audio for the embedded demo: a short tune per track, as MP3.

Alexa's AudioPlayer plays MP3 and AAC (not WAV), so the local ``/media`` route must serve one
of them. The tune is made from the track id (same id, same bytes): a few notes of a pentatonic
scale as 16-bit mono PCM, encoded with LAME through ``lameenc`` (the only MP3 or AAC encoder
installable from PyPI without system libraries; it is imported only when audio is made).
"""

from __future__ import annotations

import functools
import hashlib
import math
import struct

SAMPLE_RATE = 22_050
BIT_RATE_KBPS = 48
NOTE_S = 0.5
NOTES = 12  # six seconds of audio
_PENTATONIC_HZ = (261.63, 293.66, 329.63, 392.00, 440.00, 523.25, 587.33, 659.25)
_FADE_S = 0.02  # ramps at note edges, so notes do not click
_AMPLITUDE = 9_000


class AudioUnavailable(RuntimeError):
    """The MP3 encoder (``lameenc``) is not installed."""


def tune_pcm(track_id: str, *, notes: int = NOTES) -> bytes:
    """Deterministic 16-bit little-endian mono PCM at ``SAMPLE_RATE`` for ``track_id``."""
    seed = hashlib.sha256(track_id.encode()).digest()
    per_note = int(SAMPLE_RATE * NOTE_S)
    fade = int(SAMPLE_RATE * _FADE_S)
    samples: list[int] = []
    for i in range(notes):
        freq = _PENTATONIC_HZ[seed[i % len(seed)] % len(_PENTATONIC_HZ)]
        step = 2 * math.pi * freq / SAMPLE_RATE
        for n in range(per_note):
            ramp = min(1.0, n / fade, (per_note - n) / fade)
            samples.append(int(_AMPLITUDE * ramp * math.sin(step * n)))
    return struct.pack(f"<{len(samples)}h", *samples)


def encode_mp3(pcm: bytes) -> bytes:
    """MP3 (MPEG-2 layer III, constant bit rate) of mono PCM at ``SAMPLE_RATE``."""
    try:
        import lameenc
    except ImportError as exc:
        raise AudioUnavailable("install lameenc to serve demo audio") from exc
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(BIT_RATE_KBPS)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(5)
    return bytes(encoder.encode(pcm) + encoder.flush())


@functools.lru_cache(maxsize=64)
def track_mp3(track_id: str) -> bytes:
    """The demo MP3 of a track (about 36 KB), cached: encoding takes a few milliseconds."""
    return encode_mp3(tune_pcm(track_id))
