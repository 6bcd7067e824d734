"""Replaying a multi-turn Alexa session locally, as the ASK simulator would.

A dialog file (JSON, ``Dialog``) lists turns: the listener opens the skill, says something,
asks for an intent with slots, presses a button, or the device reports playback progress.
A simulated device keeps what Alexa's AudioPlayer would: the stream playing, the one
enqueued behind it, the offset. Each turn becomes the request envelope Alexa would send from
that state, goes through the skill, and the transcript says what Alexa would say and play.
A turn may state what it expects; a replay with an unmet expectation is not ``ok``.

``philomath dialog FILE`` runs ``replay_file``; examples ship in ``skill/dialogs/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ask_sdk_core.skill import CustomSkill
from pydantic import BaseModel, ConfigDict, Field, model_validator

from nlu.request_parser import RequestParser
from skill.alexa import envelopes
from skill.alexa.dispatch import handle_envelope

DIALOGS_DIR = Path(__file__).resolve().parent / "dialogs"
AudioEvent = Literal[
    "PlaybackStarted",
    "PlaybackNearlyFinished",
    "PlaybackFinished",
    "PlaybackStopped",
    "PlaybackFailed",
]
Button = Literal["Play", "Pause", "Next", "Previous"]
_ACTIONS = ("launch", "say", "intent", "event", "button", "session_ended")


class Expect(BaseModel):
    """What a turn's answer must do; unset fields are not checked."""

    model_config = ConfigDict(extra="forbid")

    says: str | None = Field(default=None, description="Speech contains this (any case).")
    silent: bool | None = None  # no speech at all
    plays: Literal["REPLACE_ALL", "ENQUEUE"] | None = None
    offset_ms: int | None = None  # of the played stream
    stops: bool | None = None
    nothing: bool | None = None  # an empty response: no speech, no directive


class Turn(BaseModel):
    """Exactly one action, plus ``offset_ms`` (how far into the stream the device is) and
    an optional ``expect``."""

    model_config = ConfigDict(extra="forbid")

    launch: bool | None = None
    say: str | None = Field(default=None, max_length=500)
    intent: str | None = None
    slots: dict[str, str] = Field(default_factory=dict)
    event: AudioEvent | None = None
    button: Button | None = None
    session_ended: bool | None = None
    offset_ms: int | None = Field(default=None, ge=0)
    expect: Expect | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Turn:
        chosen = [name for name in _ACTIONS if getattr(self, name) not in (None, False)]
        if len(chosen) != 1:
            raise ValueError(f"a turn needs exactly one of {', '.join(_ACTIONS)}")
        if self.slots and self.intent is None:
            raise ValueError("slots go with an intent")
        return self

    @property
    def action(self) -> str:
        return next(name for name in _ACTIONS if getattr(self, name) not in (None, False))


class Dialog(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    user: str = Field(default="usr-0000001", min_length=1)
    device: str = Field(default=envelopes.DEFAULT_DEVICE_ID, min_length=1)
    supports_audio: bool = True
    turns: list[Turn] = Field(min_length=1)


def load_dialog(path: Path) -> Dialog:
    """Raises ``pydantic.ValidationError`` (a ValueError) for a file that is not a dialog."""
    return Dialog.model_validate_json(path.read_text(encoding="utf-8"))


@dataclass
class _Stream:
    token: str
    title: str


@dataclass
class Device:
    """What Alexa's AudioPlayer holds on the simulated device."""

    current: _Stream | None = None
    enqueued: _Stream | None = None
    offset_ms: int = 0
    activity: str = "IDLE"

    def apply(self, response: dict[str, Any]) -> list[str]:
        """Carry out the response's directives; a line for each."""
        lines = []
        for directive in response.get("directives") or []:
            kind = directive.get("type")
            if kind == "AudioPlayer.Stop":
                self.activity = "STOPPED"
                lines.append("Alexa stops the music.")
            elif kind == "AudioPlayer.Play":
                lines.append(self._play(directive))
            else:
                lines.append(f"Directive: {kind}")
        return lines

    def _play(self, directive: dict[str, Any]) -> str:
        stream = directive["audioItem"]["stream"]
        meta = directive["audioItem"].get("metadata") or {}
        played = _Stream(stream["token"], f"{meta.get('title')} - {meta.get('subtitle')}")
        if directive["playBehavior"] == "ENQUEUE":
            if self.current is None or stream.get("expectedPreviousToken") != self.current.token:
                return f"Alexa ignores the enqueued {played.title}: it follows another stream."
            self.enqueued = played
            return f"Alexa enqueues: {played.title}  [{played.token}]"
        self.current, self.enqueued = played, None
        self.offset_ms, self.activity = int(stream.get("offsetInMilliseconds") or 0), "PLAYING"
        start = f" from {self.offset_ms / 1000:.0f} s" if self.offset_ms else ""
        return f"Alexa plays: {played.title}{start}  [{played.token}]"

    def reported(self, event: AudioEvent, offset_ms: int) -> None:
        """The device's own state change that goes with reporting ``event``."""
        self.offset_ms = offset_ms
        if event == "PlaybackStopped":
            self.activity = "STOPPED"
        elif event == "PlaybackFinished":
            self.current, self.enqueued = self.enqueued, None
            self.offset_ms = 0
            self.activity = "PLAYING" if self.current is not None else "FINISHED"


@dataclass
class Transcript:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def render(self) -> str:
        summary = "all expectations met" if self.ok else f"{len(self.failures)} unmet"
        return "\n".join([*self.lines, "", f"{summary}."])


def replay(dialog: Dialog, skill: CustomSkill, parser: RequestParser) -> Transcript:
    """Run every turn of ``dialog`` through ``skill``; what Alexa would say and play."""
    device = Device()
    transcript = Transcript()
    if dialog.description:
        transcript.lines.append(f"# {dialog.description}")
    for number, turn in enumerate(dialog.turns, start=1):
        envelope, heading = _request(turn, dialog, device, parser)
        transcript.lines.append(f"[{number}] {heading}")
        response: dict[str, Any] = handle_envelope(skill, envelope)["response"]
        if turn.event is not None:  # the device moves on whatever the answer
            device.reported(turn.event, envelope["request"]["offsetInMilliseconds"])
        said = _speech(response)
        lines = ([f"    Alexa says: {said}"] if said else []) + [
            f"    {line}" for line in device.apply(response)
        ]
        transcript.lines.extend(lines or ["    (nothing)"])
        if turn.expect is not None:
            for failure in _unmet(turn.expect, response, said):
                transcript.failures.append(f"turn {number}: {failure}")
                transcript.lines.append(f"    UNMET: {failure}")
    return transcript


def replay_file(
    path: Path, skill: CustomSkill, parser: RequestParser, *, user: str | None = None
) -> Transcript:
    """``replay`` of a dialog file; ``user`` replaces the file's listener."""
    dialog = load_dialog(path)
    if user is not None:
        dialog = dialog.model_copy(update={"user": user})
    return replay(dialog, skill, parser)


def _request(
    turn: Turn, dialog: Dialog, device: Device, parser: RequestParser
) -> tuple[dict[str, Any], str]:
    """The envelope Alexa sends for ``turn`` from the device's state, and a heading."""
    user, device_id, audio = dialog.user, dialog.device, dialog.supports_audio
    token = device.current.token if device.current is not None else None
    offset = turn.offset_ms if turn.offset_ms is not None else device.offset_ms
    if turn.event is not None:
        if token is None:
            raise ValueError(f"{turn.event}: nothing is playing on the simulated device")
        env = envelopes.audio_player_request(turn.event, token, offset, user, device_id)
        return env, f"device reports {turn.event} at {offset / 1000:.0f} s"
    if turn.button is not None:
        env = envelopes.playback_controller_request(turn.button, user, device_id)
        heading = f"listener presses {turn.button}"
    elif turn.launch:
        env, heading = envelopes.launch_request(user, device_id, supports_audio=audio), "open"
    elif turn.say is not None:
        env = envelopes.utterance_request(turn.say, parser, user, device_id, audio)
        heading = f'listener: "{turn.say}"'
    elif turn.intent is not None:
        env = envelopes.intent_request(turn.intent, turn.slots, user, device_id, audio)
        heading = f"listener: {turn.intent} {turn.slots or ''}".rstrip()
    else:
        env = envelopes.session_ended_request(user, device_id)
        heading = "session ends"
    return envelopes.with_player(env, token, offset, device.activity), heading


def _speech(response: dict[str, Any]) -> str:
    speech = response.get("outputSpeech") or {}
    text = str(speech.get("ssml") or speech.get("text") or "")
    return text.removeprefix("<speak>").removesuffix("</speak>")


def _unmet(expect: Expect, response: dict[str, Any], said: str) -> list[str]:
    directives = response.get("directives") or []
    plays = [d for d in directives if d.get("type") == "AudioPlayer.Play"]
    failures = []
    if expect.says is not None and expect.says.lower() not in said.lower():
        failures.append(f"expected speech containing {expect.says!r}, got {said!r}")
    if expect.silent and said:
        failures.append(f"expected no speech, got {said!r}")
    if expect.plays is not None and [d["playBehavior"] for d in plays] != [expect.plays]:
        failures.append(f"expected one {expect.plays} Play directive, got {directives}")
    if expect.offset_ms is not None and not any(
        d["audioItem"]["stream"]["offsetInMilliseconds"] == expect.offset_ms for d in plays
    ):
        failures.append(f"expected a stream from {expect.offset_ms} ms")
    if expect.stops and not any(d.get("type") == "AudioPlayer.Stop" for d in directives):
        failures.append("expected a Stop directive")
    if expect.nothing and response:
        failures.append(f"expected an empty response, got {response}")
    return failures
