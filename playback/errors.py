"""Errors raised by playback ports and adapters.

    PlaybackError
    ├── CatalogUnavailable   the catalog backend cannot be reached or failed
    ├── TrackNotFound        a track id is not in the catalog
    ├── StreamUnavailable    the event stream cannot be reached or failed
    └── QueueUnavailable     the device-queue store cannot be reached or failed

Adapters translate vendor exceptions into these with ``raise ... from exc``.
"""


class PlaybackError(Exception):
    """Base class of every playback error."""


class CatalogUnavailable(PlaybackError):
    """The track catalog backend cannot be reached or failed."""


class TrackNotFound(PlaybackError):
    """A requested track id is not in the catalog."""


class StreamUnavailable(PlaybackError):
    """The event stream cannot be reached or failed."""


class QueueUnavailable(PlaybackError):
    """The device-queue store cannot be reached or failed (or holds an unreadable queue)."""
