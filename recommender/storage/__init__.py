"""Storage ports and their adapters, one module per technology per port.

- ``recommendations``: precomputed lists and versioned snapshots, the ``RecommendationStore``
  port; adapters ``sqlite_recommendations`` (embedded default), ``dynamodb_recommendations``.
- ``profiles``: listener profiles and feedback state, the ``ProfileStore`` port; adapters
  ``sqlite_profiles``, ``dynamodb_profiles``; ``profile_json`` is their shared stored form.
- ``cache``: bytes by key with a TTL, the ``Cache`` port; adapters ``memory_cache`` (embedded
  default), ``redis_cache``.
- ``list_codec`` and ``dynamodb_table``: what several adapters share.

Imports only ``recommender.errors`` and ``playback``; vendor SDKs appear only in adapters, and
their errors are translated at the boundary (``raise StoreUnavailable(...) from exc``).
"""
