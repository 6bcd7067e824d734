"""Batch inference (the worker): the promoted model's lists for every listener, charts per
context and new-track lists, written into a fresh store snapshot and then published.

- ``inference``: the run, full or incremental, and its snapshot bookkeeping.
- ``lists``: what one run computes from a model, the plays, the track catalog and the
  profiles.
- ``charts``: the charts' model and its top tracks per context.
- ``promoted_model``: the promoted model as batch inference sees it (top-n with exclusions),
  any model of the contract in ``models.base``.
- ``fold_in``: a listener's live history (from their profile) as rows of the model, for
  listeners the model never saw; the incremental run folds them in.
- ``live_lists``: the same for one listener at request time, for the router (never imported
  by ``serving``, which has no numpy: the wiring hands it over).

Imports ``recommender.models``, ``data``, ``storage``, ``errors`` and ``playback``.
"""
