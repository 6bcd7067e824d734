"""Errors of the Alexa front door.

    SkillError
    ├── InvalidEnvelope      the body is not an Alexa request envelope we can dispatch
    │   └── EnvelopeTooDeep  it nests deeper than any envelope (MAX_JSON_DEPTH)
    └── VerificationFailed   the request signature or timestamp did not verify

The HTTP layer answers both with 400, as Alexa's webservice requirements ask.
"""


class SkillError(Exception):
    """Base class of every error of the Alexa front door."""


class InvalidEnvelope(SkillError):
    """The body is not an Alexa request envelope (wrong shape, unknown request type)."""


class EnvelopeTooDeep(InvalidEnvelope):
    """The body nests objects or arrays deeper than any Alexa envelope does."""


class VerificationFailed(SkillError):
    """The request did not come from Alexa (bad signature, certificate or timestamp)."""
