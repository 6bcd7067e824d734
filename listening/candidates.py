"""How many candidates to ask the router for: the over-fetch rule, in one place.

The router's ids are not all playable: the catalog may lack some (a list older than the
catalog), and callers drop others (explicit tracks, excluded ones, duplicates). Asking for
twice what is wanted plus ten leaves spares for those; the router ranks at most
``MAX_CANDIDATES`` per request.
"""

from __future__ import annotations

MAX_CANDIDATES = 100


def candidates_for(wanted: int) -> int:
    """Recommendations to ask for so that ``wanted`` playable tracks remain (at least one)."""
    return max(1, min(MAX_CANDIDATES, 2 * wanted + 10))
