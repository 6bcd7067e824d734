"""Recommender: everything between the teams' feeds and a ranked list of track ids.

The folders are the roles, bottom layer first; each may import only the layers named after it
(checked by ``tests/unit/test_import_rules.py``), and none imports ``skill``, ``listening``,
``nlu`` or ``philomath``:

- ``storage/``     ports (recommendation lists, profiles, cache) and one adapter module per
  technology (SQLite, DynamoDB, Redis, memory). Imports: ``errors``, ``playback``.
- ``data/``        team feeds in, unified tables out: generator, loaders, ETL, content
  features. Imports: ``storage``, ``errors``, ``playback``.
- ``models/``      the model contract, every model, the model zoo and the model registry.
  Imports: ``data``, ``storage``, ``errors``.
- ``evaluation/``  metrics, splits, protocols, reports. Imports: ``models``, ``data``.
- ``batch/``       batch inference of the promoted model into a store snapshot (the worker).
  Imports: ``models``, ``data``, ``storage``, ``errors``, ``playback``.
- ``offline/``     the pipeline, training, tuning (the master). Imports every layer above
  except ``serving`` and ``feedback``.
- ``distributed/`` the offline steps on Apache Spark (ETL, ALS, batch lists) for data beyond
  one machine. Imports: ``batch``, ``models``, ``data``, ``storage``, ``errors``.
- ``serving/``     the online router: paths, ranking, list reads, breakers. Imports:
  ``storage``, ``errors``, ``playback``; never numpy (the serving install lacks it).
- ``feedback/``    the event consumer: play events into profiles and counters. Imports:
  ``storage``, ``errors``, ``playback``.
- ``experiments/`` A/B experiments: declarations, salted-hash assignment, exposures,
  sequential analysis and reports. Imports: ``evaluation`` (plots), ``errors``, ``playback``;
  ``assignment`` and ``config`` stay numpy-free for the serving path.
- ``errors.py``    the package's error hierarchy.
"""
