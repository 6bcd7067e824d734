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


# Said before "put" in "alexa could you put X on", or after the particle ("... on please").
_BEFORE_PUT = frozenset(("alexa", "ok", "okay", "hey", "please", "can", "could", "would",
                         "will", "you", "just", "now", "olly", "google", "siri"))  # fmt: skip
_AFTER_PARTICLE = frozenset(("please", "now", "alexa", "thanks"))


def particle_first(words: list[str]) -> list[str]:
    """Reads "put X on" as "put on X": an "on" said last belongs to the verb, so the request
    reads as the play request it is ("put taylor swift on please"), and no "on" is left to
    start a playlist's name ("put X on my workout playlist" is unchanged, and so is a title
    such as "play put your records on", where "put" does not start the request)."""
    end = len(words)
    while end and words[end - 1] in _AFTER_PARTICLE:
        end -= 1
    verb = next((i for i, w in enumerate(words[:end]) if w not in _BEFORE_PUT), end)
    if verb + 2 >= end or words[verb] != "put" or words[end - 1] != "on":
        return words
    if words[verb + 1 : end - 1] in (["it"], ["this"], ["that"], ["them"]):
        return words  # "put it on": no name to bring forward
    return [*words[: verb + 1], "on", *words[verb + 1 : end - 1], *words[end:]]
