"""The feedback loop: play, skip, like and dislike events into profiles and counters.

- ``consumer``: reads the event stream and applies each event exactly once.
- ``profile_update``: what an event does to a profile and to the popularity counters (pure).

Imports ``recommender.storage``, ``recommender.errors`` and ``playback`` only.
"""
