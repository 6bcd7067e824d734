"""Online serving: the router that answers a recommendation request within the budget.

- ``router``: path choice (personalized, popular, cold start, artist), fallback chain,
  snapshot refresh.
- ``ranking``: pure filtering and ranking of candidates, and the reason the skill speaks.
- ``named``: the artist path's candidates (the tracks a request names) and what fits it.
- ``list_reader``: stampede-safe read-through of lists and profiles (cache, then store).
- ``facets``: what the router knows about candidate tracks, read from the catalog and kept.
- ``breaker``: leave a failed backend alone for a while.

Imports ``recommender.storage``, ``recommender.errors`` and ``playback`` only, and never numpy:
a serving install has only the ``serving`` extra.
"""
