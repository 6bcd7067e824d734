"""Batch inference (the worker): the promoted model's lists for every listener, charts per
context and new-track lists, written into a fresh store snapshot and then published.

- ``inference``: the run, full or incremental, and its snapshot bookkeeping.
- ``lists``: what one run computes from a model, the plays, the track catalog and the
  profiles.
- ``charts``: the charts' model and its top tracks per context.
- ``promoted_model``: the promoted model as batch inference sees it (top-n with exclusions),
  any model of the contract in ``models.base``.

Imports ``recommender.models``, ``data``, ``storage``, ``errors`` and ``playback``.
"""
