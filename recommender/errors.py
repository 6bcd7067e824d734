"""Errors raised by recommender ports and adapters.

    RecommenderError
    ├── StoreUnavailable          the recommendation store cannot be reached or failed
    ├── ProfileStoreUnavailable   the profile store cannot be reached or failed
    ├── CacheUnavailable          the cache cannot be reached or failed
    ├── PosteriorStoreUnavailable the bandit's posterior store cannot be reached or failed
    ├── ArchiveUnavailable        the listen archive cannot be written or read
    └── DataError                 a feed or data set cannot be read or fails its checks

Adapters translate vendor exceptions into these with ``raise ... from exc``; the router
catches the *Unavailable errors and degrades instead of failing.
"""


class RecommenderError(Exception):
    """Base class of every recommender error."""


class StoreUnavailable(RecommenderError):
    """The recommendation store cannot be reached or failed."""


class ProfileStoreUnavailable(RecommenderError):
    """The profile store cannot be reached or failed."""


class CacheUnavailable(RecommenderError):
    """The cache cannot be reached or failed."""


class PosteriorStoreUnavailable(RecommenderError):
    """The bandit's posterior store cannot be reached or failed."""


class ArchiveUnavailable(RecommenderError):
    """The listen archive (live plays for training) cannot be written or read."""


class DataError(RecommenderError):
    """A feed or data set cannot be read, or fails its quality checks."""
