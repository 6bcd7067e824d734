"""Batch inference (the worker): the promoted model's lists for every listener, charts per
context and new-track lists, written into a fresh store snapshot and then published.

- ``inference``: the run, full or incremental, and its snapshot bookkeeping.
- ``lists``: what one run computes from a model, the plays, the catalog and the profiles.
- ``promoted_model``: the promoted model as batch inference sees it (top-n with exclusions).

Imports ``recommender.models``, ``data``, ``storage``, ``errors`` and ``playback``.
"""
