"""Data integration: the teams' feeds in, unified tables and model inputs out.

- ``etl/``: the two teams' raw feeds into the unified schema, written once in Ibis and run on
  DuckDB (default) or Spark, with quality rules and a quarantine (``run.run_etl``).
- ``generator/``: the deterministic generator of both teams' feeds in their own formats, and
  the hidden world behind them (``feeds.generate_feeds``; only evaluation reads the truth).
- ``datasets/``: loaders of public data sets (Last.fm HetRec 2011, Spotify tables) and the
  mapping of their free-text tags onto the catalog's vocabulary.
- ``interactions``, ``content_features``, ``sparse``: the models' inputs (play matrices, item
  vectors) and the matrix helpers they share; ``moodtags``: the vocabulary's mood regions
  as numpy masks; ``digests``: whether data changed.

Imports ``recommender.storage`` (domain records), ``recommender.errors`` and ``playback``
(the catalog and its vocabulary); nothing here imports numpy-free serving code or models.
Importing this package loads nothing: import the module you need.
"""
