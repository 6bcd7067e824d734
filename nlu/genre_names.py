"""Genre names beyond the catalog's vocabulary: what listeners may call a genre.

Listeners name genres no catalog lists ("freak folk", "booty bass", "contemporary christian").
Training fills its genre templates with these, so that the model learns where a genre sits in
a request from many names, not a dozen; serving confirms a genre the model tagged against them
(``is_genre``), so that an unknown band said like a genre ("play some arctic monkeys") stays a
name. The list is the ID3 tag genres every tag editor knows (ID3v1 and the Winamp extensions)
and common genres of today's streaming catalogs, written out here; nothing is read from a data
set.
"""

from __future__ import annotations

from playback.vocabulary import phrase_key

# fmt: off
ID3_GENRES = (
    "blues", "classic rock", "country", "dance", "disco", "funk", "grunge", "hip-hop", "jazz",
    "metal", "new age", "oldies", "pop", "r&b", "rap", "reggae", "rock", "techno",
    "industrial", "alternative", "ska", "death metal", "pranks", "soundtrack", "euro-techno",
    "ambient", "trip-hop", "vocal", "jazz funk", "fusion", "trance", "classical",
    "instrumental", "acid", "house", "game", "sound clip", "gospel", "noise", "alternrock",
    "bass", "soul", "punk", "space", "meditative", "instrumental pop", "instrumental rock",
    "ethnic", "gothic", "darkwave", "techno-industrial", "electronic", "pop-folk", "eurodance",
    "dream", "southern rock", "comedy", "cult", "gangsta", "top 40", "christian rap",
    "pop funk", "jungle", "native american", "native us", "cabaret", "new wave",
    "psychedelic", "rave", "showtunes", "trailer", "lo-fi", "tribal", "acid punk",
    "acid jazz", "polka", "retro", "musical", "rock & roll", "hard rock", "folk", "folk-rock",
    "national folk", "swing", "fast fusion", "bebop", "latin", "revival", "celtic",
    "bluegrass", "avantgarde", "gothic rock", "progressive rock", "psychedelic rock",
    "symphonic rock", "slow rock", "big band", "chorus", "easy listening", "acoustic",
    "humour", "speech", "chanson", "opera", "chamber music", "sonata", "symphony",
    "booty bass", "primus", "satire", "slow jam", "club", "tango", "samba", "folklore",
    "ballad", "power ballad", "rhythmic soul", "freestyle", "duet", "punk rock", "drum solo",
    "a cappella", "euro-house", "dance hall", "goa", "drum & bass", "club-house", "hardcore",
    "terror", "indie", "britpop", "polsk punk", "beat", "christian gangsta rap",
    "heavy metal", "black metal", "crossover", "contemporary christian", "christian rock",
    "merengue", "salsa", "thrash metal", "anime", "jpop", "synthpop", "abstract", "art rock",
    "baroque", "bhangra", "big beat", "breakbeat", "chillout", "downtempo", "dub", "ebm",
    "eclectic", "electro", "electroclash", "emo", "experimental", "garage", "global", "idm",
    "illbient", "industro-goth", "jam band", "krautrock", "leftfield", "lounge", "math rock",
    "new romantic", "nu-breakz", "post-punk", "post-rock", "psytrance", "shoegaze",
    "space rock", "trop rock", "world music", "neoclassical", "neue deutsche welle",
    "indie rock", "g-funk", "dubstep", "garage rock", "psybient",
)
TODAYS_GENRES = (
    "k-pop", "afrobeats", "lo-fi hip hop", "trap", "drill", "uk drill", "reggaeton", "bachata",
    "cumbia", "edm", "grime", "uk garage", "neo soul", "hyperpop", "synthwave", "vaporwave",
    "city pop", "bossa nova", "flamenco", "fado", "mariachi", "zydeco", "americana",
    "alt country", "outlaw country", "honky tonk", "doo wop", "motown", "northern soul",
    "afro house", "deep house", "tech house", "minimal techno", "hardstyle", "gabber",
    "happy hardcore", "dancehall", "roots reggae", "ska punk", "pop punk", "metalcore",
    "deathcore", "nu metal", "doom metal", "stoner rock", "sludge metal", "power metal",
    "glam rock", "hair metal", "arena rock", "yacht rock", "soft rock", "adult contemporary",
    "christian pop", "worship", "spirituals", "barbershop", "choral", "gregorian chant",
    "minimalism", "film score", "video game music", "chiptune", "j-rock", "c-pop",
    "cantopop", "mandopop", "bollywood", "qawwali", "carnatic", "afrobeat", "highlife",
    "soukous", "rai", "klezmer", "tejano", "norteño", "banda", "corridos", "ranchera",
    "son cubano", "forró", "baile funk", "kizomba", "zouk", "calypso", "soca", "sea shanties",
    "old-time", "cajun", "delta blues", "chicago blues", "electric blues", "jump blues",
    "boogie-woogie", "ragtime", "dixieland", "hard bop", "cool jazz", "free jazz",
    "smooth jazz", "jazz fusion", "latin jazz", "exotica", "chillwave", "dark ambient",
    "drone", "noise rock", "dream pop", "indie folk", "folk punk", "anti-folk",
    "singer-songwriter", "madchester", "synth-pop", "industrial metal", "drum and bass",
    "liquid funk", "footwork", "jersey club", "bounce", "crunk", "hyphy", "boom bap",
    "conscious hip hop", "gangsta rap", "west coast hip hop", "east coast hip hop",
    "southern hip hop", "cloud rap", "emo rap", "afroswing", "contemporary r&b",
    "quiet storm", "new jack swing", "p-funk", "nu disco", "italo disco", "eurobeat",
    "schlager", "french pop", "latin pop", "tropical house", "progressive house",
    "melodic techno", "bluegrass gospel", "hardcore punk", "post-hardcore", "screamo",
    "grindcore", "symphonic metal", "folk metal", "viking metal", "gothic metal",
    "progressive metal", "blues rock", "southern gospel", "traditional country",
    "country pop", "bro country", "red dirt", "western swing", "surf rock", "rockabilly",
    "psychobilly", "garage punk", "riot grrrl", "twee pop", "jangle pop", "baroque pop",
    "chamber pop", "art pop", "electropop", "dance pop", "teen pop", "bubblegum pop",
)
# fmt: on
OPEN_GENRES: tuple[str, ...] = tuple(dict.fromkeys((*ID3_GENRES, *TODAYS_GENRES)))

# The last word of most genre names says it is one ("freak folk", "christian gangsta rap").
GENRE_HEADS = frozenset(("rock", "pop", "metal", "punk", "jazz", "folk", "rap", "soul",
                         "blues", "house", "techno", "wave", "hop", "core", "funk", "disco",
                         "country", "gospel", "reggae", "trance", "step", "bass", "beat",
                         "swing", "fusion", "ambient", "electronic", "classical", "indie",
                         "dance", "opera", "grunge"))  # fmt: skip
_KEYS = frozenset(phrase_key(genre) for genre in OPEN_GENRES)


def is_genre(phrase: str) -> bool:
    """Whether listeners call ``phrase`` a genre: a name of the list, or a phrase ending in a
    genre word."""
    key = phrase_key(phrase)
    return key in _KEYS or key.replace(" ", "") in _KEYS or key.rsplit(" ", 1)[-1] in GENRE_HEADS
