"""The embedded data set: a deterministic generator of the two teams' raw feeds.

- ``feeds``: ``generate_feeds``, the whole set with its manifest.
- ``taste``: the hidden world (genres, listeners' true tastes, the skip model); evaluation
  alone reads its truth.
- ``catalog_feed``, ``profile_feed``, ``listen_feed``: each team's feed in its own format;
  ``feed_io``: byte-stable writing shared by them.
"""
