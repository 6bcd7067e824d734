"""The Alexa front door: ask-sdk-core handlers, the skill builder and envelope dispatch."""

from skill.alexa.dispatch import build_skill, handle_envelope
from skill.alexa.errors import EnvelopeTooDeep, InvalidEnvelope, SkillError, VerificationFailed

__all__ = [
    "EnvelopeTooDeep",
    "InvalidEnvelope",
    "SkillError",
    "VerificationFailed",
    "build_skill",
    "handle_envelope",
]
