"""How ``playback.vocabulary.MOOD_REGIONS`` sorts real tracks: the share of each genre's
tracks that falls in each mood, from Spotify audio features (read-only, never copied into
the project).

    python bench/nlu_moods.py [../shared/data/spotify-tracks-genre-sample/equally_sampled_songs.csv]

Prints the share per mood overall and per genre, then the checks the regions must pass:
every mood is most common in genres that fit it and rare in those that don't. Exit status 1
when a check fails.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

from playback.vocabulary import MOODS, mood_of_features

DEFAULT = (
    Path(__file__).resolve().parents[2]
    / "shared/data/spotify-tracks-genre-sample"
    / ("equally_sampled_songs.csv")
)
FEATURES = ("energy", "valence", "acousticness", "danceability", "tempo")
# (mood, genres where it should be common, genres where it should be rare)
CHECKS = (
    ("relaxing", {"Classical", "Opera", "Soundtrack"}, {"Electronic", "Dance", "Ska", "Rap"}),
    ("energetic", {"Ska", "Electronic", "Anime"}, {"Classical", "Opera", "Soundtrack"}),
    ("happy", {"Reggae", "Reggaeton", "Ska"}, {"Classical", "Opera", "Soundtrack"}),
    ("sad", {"World", "A Capella", "R&B"}, {"Reggaeton", "Ska", "Reggae"}),
    ("party", {"Reggaeton", "Hip-Hop", "Rap"}, {"Classical", "Opera", "Folk"}),
    ("romantic", {"Movie", "R&B", "A Capella"}, {"Electronic", "Reggaeton", "Ska"}),
    ("angry", {"Alternative", "Electronic", "Comedy"}, {"Folk", "Soul", "R&B", "Opera"}),
    ("focus", {"Folk", "A Capella", "Movie"}, {"Reggaeton", "Ska", "Electronic"}),
)


def shares(path: Path) -> tuple[dict[str, Counter[str]], Counter[str]]:
    by_genre: dict[str, Counter[str]] = {}
    sizes: Counter[str] = Counter()
    with path.open(newline="", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            genre = row["genre"].replace("’", "'")
            features = {name: float(row[name]) for name in FEATURES}
            sizes[genre] += 1
            by_genre.setdefault(genre, Counter()).update(mood_of_features(**features))
    return by_genre, sizes


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT
    by_genre, sizes = shares(path)
    total = sum(sizes.values())
    overall = sum(by_genre.values(), Counter())
    print(f"{total} tracks, {len(sizes)} genres: {path.name}")
    print("all".ljust(17) + " ".join(f"{overall[m] / total:9.2f}" for m in MOODS))
    print("genre".ljust(17) + " ".join(f"{m:>9}" for m in MOODS))
    for genre in sorted(sizes):
        row = " ".join(f"{by_genre[genre][m] / sizes[genre]:9.2f}" for m in MOODS)
        print(genre[:16].ljust(17) + row)
    failed = 0
    for mood, common, rare in CHECKS:
        high = min(by_genre[g][mood] / sizes[g] for g in common)
        low = max(by_genre[g][mood] / sizes[g] for g in rare)
        ok = high > 2 * low and high > overall[mood] / total
        failed += not ok
        print(
            f"check {mood:<9} lowest fitting genre {high:.2f} > 2 x highest unfitting "
            f"{low:.2f} and > overall {overall[mood] / total:.2f}: {'ok' if ok else 'FAIL'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
