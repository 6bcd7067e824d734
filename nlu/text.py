"""Text normalisation shared by every parser and by the gazetteer builder.

Catalog names and listeners' words go through the same ``clean_words`` so that a gazetteer
pattern and an utterance meet token for token ("AC/DC", "P!nk", "Beyoncé"). The lookup form
of a genre, mood or activity phrase, ``phrase_key``, is the catalog vocabulary's
(``playback.vocabulary``): the ETL reads tags with the same one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from playback.vocabulary import phrase_key

# A spoken request is a sentence; anything longer is not one and is not worth scanning.
MAX_TEXT_CHARS = 500

_EDGE_PUNCTUATION = ".,!?;:\"'()[]{}<>«»“”‘’`*~_"


def clean_words(text: str) -> list[str]:
    """Lower-case words of ``text`` with control characters, emoji and symbols removed and
    punctuation stripped from word edges (inner punctuation such as "p!nk" stays)."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    # Only letters, digits, punctuation and spaces can be part of a spoken word.
    kept = "".join(c if unicodedata.category(c)[0] in "LMNP" else " " for c in text)
    words = []
    for raw in kept.lower().split():
        word = "and" if raw == "&" else raw.strip(_EDGE_PUNCTUATION)
        if any(c.isalnum() for c in word):
            words.append(word)
    return words


def fold(text: str) -> str:
    """``text`` in lower case without accents: "Beyoncé" -> "beyonce"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_key(text: str) -> str:
    """The matching form of a name: its clean words as ``phrase_key`` spells them, accents
    folded ("Beyoncé" and "beyonce" meet; so do "AC/DC" and "ac dc")."""
    return " ".join(clean_words(fold(phrase_key(" ".join(clean_words(text))))))


def strip_phrases(words: list[str], phrases: Iterable[str], *, suffix: bool = False) -> bool:
    """Remove the first of ``phrases`` found at the start (or end) of ``words``, in place.
    ``phrases`` must be ordered longest first when one is a prefix of another."""
    for phrase in phrases:
        parts = phrase.split()
        n = len(parts)
        if suffix and words[-n:] == parts and len(words) > n:
            del words[-n:]
            return True
        if not suffix and words[:n] == parts:
            del words[:n]
            return True
    return False
