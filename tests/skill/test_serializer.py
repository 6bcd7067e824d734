"""The faster envelope serializer reads every golden envelope exactly as ask-sdk's own does."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model.request_envelope import RequestEnvelope

from skill.alexa.serializer import EnvelopeSerializer
from tests.skill.golden import ENVELOPES, envelope_text

NAMES = sorted(path.stem for path in ENVELOPES.glob("*.json"))


@pytest.mark.parametrize("name", NAMES)
def test_reads_each_golden_envelope_as_the_sdk_does(name: str) -> None:
    text = envelope_text(name)
    try:
        theirs = DefaultSerializer().deserialize(text, RequestEnvelope)
    except Exception as refusal:  # the malformed ones: refused alike
        with pytest.raises(type(refusal)):
            EnvelopeSerializer().deserialize(text, RequestEnvelope)
        return
    ours = EnvelopeSerializer().deserialize(text, RequestEnvelope)
    assert ours == theirs
    assert DefaultSerializer().serialize(ours) == DefaultSerializer().serialize(theirs)
    assert EnvelopeSerializer().serialize(theirs) == DefaultSerializer().serialize(theirs)


@pytest.mark.parametrize(
    "stamp", ["2026-12-06T07:25:18Z", "2026-12-06T07:25:18.123+01:00", "Dec 6 2026 07:25"]
)
def test_timestamps_parse_as_the_sdk_parses_them(stamp: str) -> None:
    method = "_DefaultSerializer__deserialize_datetime"  # the private method, as mangled
    ours, theirs = getattr(EnvelopeSerializer(), method), getattr(DefaultSerializer(), method)
    assert ours(stamp, datetime) == theirs(stamp, datetime)
    assert ours(stamp, date) == theirs(stamp, datetime).date()


@pytest.mark.parametrize("name", [n for n in NAMES if "malformed" not in n])
def test_from_object_builds_what_deserialize_builds_from_text(name: str) -> None:
    text = envelope_text(name)
    try:
        from_text = EnvelopeSerializer().deserialize(text, RequestEnvelope)
    except Exception:  # noqa: BLE001  # refused envelopes are the test above's
        return
    assert EnvelopeSerializer().from_object(json.loads(text), RequestEnvelope) == from_text
