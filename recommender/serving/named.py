"""The artist path's candidates: the catalog tracks a request names, and which fit it best.

A request names music when it names an artist ("songs by Norah Vale") or a track the parser
resolved to a catalog id ("play Blue Smoke"). Its candidates are that artist's catalog
tracks, newest first, the named track leading; ``asked_for`` says which of them fit the rest
of the request (the title, the album, the mood or genre said with the artist), and ranking
puts those first. Names are compared in the catalog vocabulary's ``phrase_key`` form.
"""

from __future__ import annotations

from dataclasses import dataclass

from playback.catalog import Artist, Track, TrackCatalog
from playback.vocabulary import phrase_key

# The ranking behind every artist-path answer (its ``model_version``): catalog tracks of the
# artist ranked by the listener's profile and session, what they named first.
ARTIST_RANKING = "artist-ranking.v1"
ARTIST_TRACKS = 50  # candidates per artist request, at least


@dataclass(frozen=True, slots=True)
class Named:
    """What a request names in the catalog: names as the listener said them, ids where the
    parser resolved them to catalog entities."""

    artist: str | None = None
    artist_id: str | None = None
    title: str | None = None
    track_id: str | None = None
    album: str | None = None

    @property
    def spoken(self) -> str:
        """The name to say back ("Sorry, I couldn't find any music by ...")."""
        return self.artist or self.title or self.album or "that"


def named_tracks(catalog: TrackCatalog, named: Named, limit: int) -> list[Track]:
    """The named track (when the catalog has it), then its artist's or the named artist's
    tracks, newest first; empty when the catalog knows neither. Raises ``CatalogUnavailable``."""
    lead = catalog.get_tracks([named.track_id]).get(named.track_id) if named.track_id else None
    artist_id = lead.artist_id if lead is not None else named.artist_id
    tracks = catalog.tracks_by_artist(artist_id, limit) if artist_id else []
    if not tracks and named.artist:  # no id, or an id that is not the catalog's
        artist = find_artist(catalog, named.artist)
        tracks = catalog.tracks_by_artist(artist.artist_id, limit) if artist else []
    ordered = ([lead] if lead is not None else []) + tracks
    return list({track.track_id: track for track in ordered}.values())


def find_artist(catalog: TrackCatalog, name: str) -> Artist | None:
    """The catalog's best match for a spoken artist name; a typed "&" reaches us as "and"."""
    artists = catalog.find_artists(name, limit=1)
    if not artists and " and " in name:
        artists = catalog.find_artists(name.replace(" and ", " & "), limit=1)
    return artists[0] if artists else None


def asked_for(track: Track, named: Named, mood: str | None, genre: str | None) -> bool:
    """Whether an artist's track is the one named or fits the rest of the request (title,
    album, genre and mood all as said; nothing said beyond the artist: no track fits)."""
    if named.track_id is not None and track.track_id == named.track_id:
        return True
    checks = ((named.title, track.title), (named.album, track.album_title), (genre, track.genre))
    wanted = [(said, have) for said, have in checks if said is not None]
    if not wanted and mood is None:
        return False
    if mood is not None and mood not in track.moods:
        return False
    return all(have is not None and phrase_key(said) == phrase_key(have) for said, have in wanted)
