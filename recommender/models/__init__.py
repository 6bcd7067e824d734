"""Recommendation models: one contract, every model, the model zoo and the model registry.

- ``base``: the contract every model follows (after implicit's ``recommender_base``): ``fit``
  on a users x items ``scipy.sparse.csr_matrix``, batch ``recommend(user_ids, user_items, n,
  filter_already_liked, filter_items=, items=) -> (ids, scores)``, ``save``/``load`` with a
  ``meta.json``, a versioned name (``ease.v1``). ``ScoringModel`` implements it around a
  model's scores.
- The models: ``popularity`` (the popularity family: most popular, trending, the charts'
  play-count model ``popularity.v1``, popularity within the listener's genres and moods),
  ``content``, ``itemknn``, ``ials``, ``ease``, ``rp3beta``, ``blend`` (blend, hybrid);
  ``weighting`` and ``neighbours`` are their shared parts, ``head`` what changes for a large
  catalog (its popular head, candidate items).
- ``zoo``: every model class by versioned name, and ``load_model`` for any saved model.
- ``registry``: the model registry of trained artifacts (manifests, promotion, rollback).
  Not the track catalog, which is ``playback.catalog``.

Imports ``recommender.data``, ``recommender.storage`` and ``recommender.errors`` only
(``tests/unit/test_import_rules.py``); no module imports one that imports it back
(``tests/unit/test_import_cycles.py``). This file imports nothing: importing one module of
the package (the registry, say) loads only what that module needs.
"""
