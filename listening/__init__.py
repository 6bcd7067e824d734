"""What a listener can do, whichever front door they use: the use cases the Alexa handlers,
the REST API and the CLI all call.

- ``player``: a ParsedRequest to a track to play (every request, artist and track requests
  included, goes through the router), replay and describe a track, recommendations with
  catalog metadata.
- ``device_queue``: a listener's queue on a device: loading and saving it with an optimistic
  version check (``ListenerState``), play, next, back, resume, refill (``DevicePlayback``).
- ``events``: recording play events through the disk spool, never dropping one.
- ``candidates``: the over-fetch rule (how many recommendations to ask for per wanted track).
- ``use_cases``: ``Listening``, the three above together, as front doors receive them.

Imports ``nlu`` (ParsedRequest), ``recommender.serving``, ``recommender.storage``,
``recommender.errors`` and ``playback``; never ``skill`` or ``philomath``, and no web or
Alexa SDK: front doors translate their requests into these calls.
"""

from listening.use_cases import Listening

__all__ = ["Listening"]
