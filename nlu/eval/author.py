"""How the evaluation sets were written: hand-written utterances and listener-style templates,
filled from the evaluation catalog (``catalog.jsonl``) and a list of artists it lacks.

``python -m nlu.eval.author`` rewrites ``dev.jsonl`` and ``test.jsonl``. The two sets use
different templates and phrasings; rules and prototypes were tuned on ``dev`` only, and
``test`` was scored once they were frozen. Nothing here is read by the parser.

Labels follow ``ParsedRequest``: canonical values (catalog spellings for catalog names and
genres, the words as said for names the catalog lacks); an activity with an implied mood
carries that mood; ``item_type`` is set when the listener names a kind ("the album X",
"X radio", "songs like X").
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
Example = dict[str, Any]


def ex(text: str, intent: str = "play_music", tag: str = "", **slots: str) -> Example:
    return {"text": text, "intent": intent, "slots": slots, "tag": tag}


# Artists the evaluation catalog does not hold: their names must come through as said.
UNKNOWN_ARTISTS = (
    "tame impala", "khruangbin", "phoebe bridgers", "glass animals", "fleet foxes", "hozier",
    "lorde", "mitski", "arctic monkeys", "vampire weekend", "sufjan stevens", "frank ocean",
    "dua lipa", "harry styles", "olivia rodrigo", "post malone", "imagine dragons",
    "florence and the machine", "the lumineers", "lana del rey", "kacey musgraves",
    "leon bridges", "snarky puppy", "bonobo", "caribou", "alt j", "the xx", "japanese breakfast",
)  # fmt: skip

# fmt: off
CONTROLS_TEST: dict[str, tuple[str, ...]] = {
    "pause": ("pause", "pause the song", "alexa pause", "pause it please", "please pause",
              "hold on", "pause the track", "could you pause the music",
              "can you pause this", "pause for a second", "paws"),
    "stop": ("stop", "stop the song", "alexa stop", "stop playing music", "turn the music off",
             "shut it off", "cancel", "that's enough music", "stop it now", "please stop",
             "quit"),
    "resume": ("resume", "resume the song", "unpause", "continue the music", "keep playing",
               "resume playback", "carry on playing", "continue please",
               "alexa resume the music", "go on"),
    "next": ("next", "next song please", "skip", "skip this track", "skip it", "next track",
             "play the next track", "go to the next one", "skip this one", "skip song",
             "alexa next", "another song please", "play a different song"),
    "previous": ("previous", "previous track", "go back", "back one song",
                 "play the previous track", "last track", "go back to the last song",
                 "previous song please", "go back one"),
    "shuffle_on": ("shuffle", "turn shuffle on", "shuffle please", "put it on shuffle",
                   "shuffle the songs", "turn on shuffle mode", "shuffle mode on"),
    "shuffle_off": ("stop shuffling", "shuffle off", "turn shuffle off", "no more shuffle",
                    "turn off shuffle mode", "disable shuffle"),
    "loop_on": ("loop", "loop this track", "put this song on loop", "turn on loop",
                "loop on", "loop the song", "loop this one"),
    "loop_off": ("loop off", "turn off the loop", "stop looping this", "turn loop off",
                 "stop the loop", "no more looping"),
    "repeat": ("repeat", "repeat the song", "play that again", "play it one more time",
               "play the song again", "replay", "replay the song", "again please"),
    "start_over": ("start over", "restart the track", "start the song over",
                   "play it from the beginning", "from the beginning please",
                   "restart", "go back to the beginning"),
    "like": ("i like this", "i like this track", "i love this track", "thumbs up",
             "i love it", "like this track", "great track", "i really like this song",
             "this song is great"),
    "dislike": ("thumbs down", "i hate this track", "never play this song again",
                "don't play this song again", "i don't like this track", "dislike this song",
                "i can't stand this", "this song is terrible", "not a fan of this song"),
    "whats_playing": ("what's playing", "what song is playing", "who sings this song",
                      "what is this song called", "who is this artist", "what's this track",
                      "who's singing this", "what song is this", "name of this song",
                      "what's the name of this track", "who sang this song",
                      "which song is this"),
    "help": ("help", "help please", "what can i ask you", "what can you do",
             "how do i use this skill", "i need some help", "what commands can i use",
             "what can i say"),
}

CONTROLS_DEV: dict[str, tuple[str, ...]] = {
    "pause": ("pause playback", "pause the tune", "wait a moment"),
    "stop": ("stop the music please", "end the music", "turn it off please"),
    "resume": ("resume the track", "continue the song", "keep the music going"),
    "next": ("skip ahead", "next tune", "skip to the next one"),
    "previous": ("previous tune", "go back a track", "the song before"),
    "shuffle_on": ("shuffle my songs", "enable shuffle mode", "turn on shuffling"),
    "shuffle_off": ("turn off shuffling", "shuffle mode off", "stop the shuffle"),
    "loop_on": ("loop the track", "loop it", "keep looping this"),
    "loop_off": ("disable looping", "turn the loop off", "stop looping"),
    "repeat": ("repeat the track", "play this one again", "once more"),
    "start_over": ("restart the tune", "start it over", "from the top please"),
    "like": ("i like this tune", "love this track", "this is a great track"),
    "dislike": ("i dislike this", "i hate it", "never play this track again"),
    "whats_playing": ("what's this tune", "who is singing", "what's the song called"),
    "help": ("i need help please", "what are my options", "how does this work"),
}

MOOD_WORDS_TEST = (("relaxing", "relaxing"), ("calm", "relaxing"), ("chill", "relaxing"),
                   ("mellow", "relaxing"), ("upbeat", "energetic"), ("energetic", "energetic"),
                   ("happy", "happy"), ("cheerful", "happy"), ("sad", "sad"),
                   ("melancholy", "sad"), ("romantic", "romantic"), ("angry", "angry"),
                   ("uplifting", "happy"), ("soothing", "relaxing"), ("gloomy", "sad"),
                   ("aggressive", "angry"), ("feel good", "happy"), ("peaceful", "relaxing"))
MOOD_WORDS_DEV = (("calming", "relaxing"), ("joyful", "happy"), ("intense", "energetic"),
                  ("melancholic", "sad"), ("laid back", "relaxing"))
MOOD_TEMPLATES_TEST = ("play something {w}", "play some {w} music", "i want {w} songs",
                       "{w} music please", "put on something {w}", "can you play {w} music",
                       "alexa play some {w} songs", "i'd like to hear something {w}",
                       "play me {w} tunes", "some {w} music")
MOOD_TEMPLATES_DEV = ("give me something {w}", "{w} tunes", "play a {w} song")

# Descriptions with no mood word: the embedding path's work.
DESCRIPTIONS_TEST = (
    ("play something to calm my nerves", "relaxing"),
    ("music for winding down before bed", "relaxing"),
    ("play something for a quiet evening at home", "relaxing"),
    ("songs for a lazy afternoon in the hammock", "relaxing"),
    ("play music that will cheer me up", "happy"),
    ("something bright and sunny please", "happy"),
    ("songs that put a smile on my face", "happy"),
    ("play something for when i'm heartbroken", "sad"),
    ("music for a gray lonely day", "sad"),
    ("my dog died play something", "sad"),
    ("play songs to get me fired up", "energetic"),
    ("something with a fast beat to wake me up", "energetic"),
    ("play music to dance all night", "party"),
    ("music for a friday night with friends", "party"),
    ("play something for a candlelight dinner with my wife", "romantic"),
    ("songs for a first date", "romantic"),
    ("something to help me concentrate on my work", "focus"),
    ("music that helps me think", "focus"),
    ("i'm really mad play something loud", "angry"),
    ("songs to vent my rage", "angry"),
    ("play something soft and quiet", "relaxing"),
    ("music for staring out the window on a rainy day", "relaxing"),
    ("something to lift my spirits", "happy"),
    ("i'm feeling blue today", "sad"),
)
DESCRIPTIONS_DEV = (
    ("music to unwind with", "relaxing"),
    ("something to make me feel better", "happy"),
    ("songs for a rainy sunday", "relaxing"),
    ("i'm sad play something", "sad"),
    ("music to keep me pumped", "energetic"),
    ("tunes for a wild night out", "party"),
    ("songs for my valentine", "romantic"),
    ("something that lets me get stuff done", "focus"),
)

ACTIVITIES_TEST = (
    ("play music for studying", {"activity": "study", "mood": "focus"}),
    ("songs for my workout", {"activity": "workout", "mood": "energetic"}),
    ("play something for the gym", {"activity": "workout", "mood": "energetic"}),
    ("music for running", {"activity": "running", "mood": "energetic"}),
    ("play some jogging music", {"activity": "running", "mood": "energetic"}),
    ("music to help me sleep", {"activity": "sleep", "mood": "relaxing"}),
    ("play sleeping music", {"activity": "sleep", "mood": "relaxing"}),
    ("play some cooking music", {"activity": "cooking"}),
    ("music for driving", {"activity": "driving"}),
    ("songs for a road trip", {"activity": "driving"}),
    ("play music for reading", {"activity": "reading", "mood": "focus"}),
    ("play something for yoga", {"activity": "meditation", "mood": "relaxing"}),
    ("music for my dinner party", {"activity": "dinner"}),
    ("play party music", {"activity": "party", "mood": "party"}),
    ("songs to clean the house to", {"activity": "cleaning"}),
    ("play music for working", {"activity": "work", "mood": "focus"}),
    ("play some chill music for studying", {"activity": "study", "mood": "relaxing"}),
    ("upbeat songs for my run", {"activity": "running", "mood": "energetic"}),
    ("play meditation music", {"activity": "meditation", "mood": "relaxing"}),
    ("music for my commute", {"activity": "driving"}),
)
ACTIVITIES_DEV = (
    ("music for homework", {"activity": "study", "mood": "focus"}),
    ("play exercise music", {"activity": "workout", "mood": "energetic"}),
    ("songs for bedtime", {"activity": "sleep", "mood": "relaxing"}),
    ("music for baking", {"activity": "cooking"}),
)

GENRES_SAID_TEST = (("jazz", "jazz"), ("rock", "rock"), ("hip hop", "hip-hop"),
                    ("hip-hop", "hip-hop"), ("rap", "hip-hop"), ("classical music", "classical"),
                    ("country", "country"), ("r and b", "r&b"), ("R&B", "r&b"), ("pop", "pop"),
                    ("k-pop", "k-pop"), ("kpop", "k-pop"), ("lofi", "lo-fi"), ("lo-fi", "lo-fi"),
                    ("reggae", "reggae"), ("blues", "blues"), ("heavy metal", "metal"),
                    ("punk rock", "punk"), ("folk", "folk"), ("soul", "soul"),
                    ("edm", "electronic"),
                    ("electronic", "electronic"), ("latin", "latin"), ("ambient", "ambient"),
                    ("indie", "indie"), ("dance music", "dance"), ("techno", "electronic"))
GENRES_SAID_DEV = (("jazz", "jazz"), ("rnb", "r&b"), ("metal", "metal"), ("hiphop", "hip-hop"),
                   ("lo fi", "lo-fi"), ("orchestral", "classical"))
GENRE_TEMPLATES_TEST = ("play {g}", "play some {g}", "put on some {g}", "i want to hear {g}",
                        "{g} please", "alexa play {g}", "can you play some {g} for me",
                        "play {g} songs", "i feel like listening to {g}", "some {g} music please")
GENRE_TEMPLATES_DEV = ("play me some {g}", "{g} music", "let's hear some {g}")

# Transcription-style slips: what a speech recogniser or a hurried typist produces.
SLIPS_TEST = (
    ("play some jaz", {"genre": "jazz"}), ("play clasical music", {"genre": "classical"}),
    ("play some hip hopp", {"genre": "hip-hop"}), ("play regae", {"genre": "reggae"}),
    ("play some relaxin music", {"mood": "relaxing"}),
    ("play something energetik", {"mood": "energetic"}),
    ("play radiohed", {"artist": "Radiohead"}), ("play nora jones", {"artist": "Norah Jones"}),
    ("play ed sharon", {"artist": "Ed Sheeran"}), ("play maroon five", {"artist": "Maroon 5"}),
    ("play beyonce", {"artist": "Beyoncé"}), ("play ac dc", {"artist": "AC/DC"}),
    ("play cold play", {"artist": "Coldplay"}),
    ("play britney spears", {"artist": "Britney Spears"}),
    ("play brittany spears", {"artist": "Britney Spears"}), ("play eminim", {"artist": "Eminem"}),
    ("play kendrik lamar", {"artist": "Kendrick Lamar"}),
    ("play the weekend", {"artist": "The Weeknd"}),
    ("play billy eilish", {"artist": "Billie Eilish"}), ("play metalica", {"artist": "Metallica"}),
    ("play bob marly", {"artist": "Bob Marley"}), ("play dolly parten", {"artist": "Dolly Parton"}),
    ("play the stones", {"artist": "The Rolling Stones"}),
    ("play rolling stones", {"artist": "The Rolling Stones"}),
    ("play dave brubeck", {"artist": "The Dave Brubeck Quartet"}),
    ("play daft punk", {"artist": "Daft Punk"}), ("play debussy", {"artist": "Claude Debussy"}),
    ("play bruno mars", {"artist": "Bruno Mars"}), ("play black pink", {"artist": "Blackpink"}),
    ("play killers", {"artist": "The Killers"}), ("play the ramones", {"artist": "Ramones"}),
    ("play bb king", {"artist": "B.B. King"}), ("play jonny cash", {"artist": "Johnny Cash"}),
    ("play arethra franklin", {"artist": "Aretha Franklin"}),
)
SLIPS_DEV = (
    ("play some rok", {"genre": "rock"}), ("play qween", {"artist": "Queen"}),
    ("play adel", {"artist": "Adele"}), ("play tailor swift", {"artist": "Taylor Swift"}),
    ("play nirvanna", {"artist": "Nirvana"}), ("play avici", {"artist": "Avicii"}),
)

ARTIST_TEMPLATES_TEST = ("play {a}", "play some {a}", "play songs by {a}", "put on {a}",
                         "i want to listen to {a}", "play music by {a}", "play something by {a}",
                         "{a} please", "alexa play {a}", "can you play {a} for me",
                         "play {a} songs", "let me hear some {a}")
ARTIST_TEMPLATES_DEV = ("play me {a}", "songs by {a}", "i wanna hear {a}")
RADIO_TEMPLATES_TEST = ("play {a} radio", "{a} radio", "play songs like {a}",
                        "play music similar to {a}", "play something like {a}",
                        "start a {a} radio station")
RADIO_TEMPLATES_DEV = ("music like {a}", "{a} station")

TITLES_TEST = (
    ("play paranoid android by radiohead", {"track": "Paranoid Android", "artist": "Radiohead"}),
    ("play karma police", {"track": "Karma Police"}),
    ("play hello by adele", {"track": "Hello", "artist": "Adele"}),
    ("play rolling in the deep", {"track": "Rolling in the Deep"}),
    ("play the song shape of you", {"track": "Shape of You", "item_type": "song"}),
    ("play work by rihanna", {"track": "Work", "artist": "Rihanna"}),
    ("play umbrella by rihanna", {"track": "Umbrella", "artist": "Rihanna"}),
    ("play bohemian rhapsody", {"track": "Bohemian Rhapsody"}),
    ("play don't stop me now by queen", {"track": "Don't Stop Me Now", "artist": "Queen"}),
    ("play shake it off by taylor swift", {"track": "Shake It Off", "artist": "Taylor Swift"}),
    ("play lose yourself by eminem", {"track": "Lose Yourself", "artist": "Eminem"}),
    ("play take five", {"track": "Take Five"}),
    ("play clair de lune", {"track": "Clair de Lune"}),
    ("play jolene by dolly parton", {"track": "Jolene", "artist": "Dolly Parton"}),
    ("play the song jolene", {"track": "Jolene", "item_type": "song"}),
    ("play get lucky", {"track": "Get Lucky"}),
    ("play enter sandman", {"track": "Enter Sandman"}),
    ("play smells like teen spirit", {"track": "Smells Like Teen Spirit"}),
    ("play despacito", {"track": "Despacito"}),
    ("play blinding lights by the weeknd", {"track": "Blinding Lights", "artist": "The Weeknd"}),
    ("play mr brightside", {"track": "Mr. Brightside"}),
    ("play the song toxic by britney spears",
     {"track": "Toxic", "artist": "Britney Spears", "item_type": "song"}),
    ("play uptown funk", {"track": "Uptown Funk"}),
    ("play fix you by coldplay", {"track": "Fix You", "artist": "Coldplay"}),
    ("play yellow by coldplay", {"track": "Yellow", "artist": "Coldplay"}),
    ("play the album ok computer", {"album": "OK Computer", "item_type": "album"}),
    ("play the album nevermind by nirvana",
     {"album": "Nevermind", "artist": "Nirvana", "item_type": "album"}),
    ("play the album kind of blue", {"album": "Kind of Blue", "item_type": "album"}),
    ("play the lemonade album", {"album": "Lemonade", "item_type": "album"}),
    ("play the album folklore by taylor swift",
     {"album": "Folklore", "artist": "Taylor Swift", "item_type": "album"}),
    ("play the album random access memories",
     {"album": "Random Access Memories", "item_type": "album"}),
    ("play my road trip playlist", {"playlist": "road trip", "item_type": "playlist"}),
    ("play my favorites playlist", {"playlist": "favorites", "item_type": "playlist"}),
    ("play the playlist sunday morning", {"playlist": "sunday morning", "item_type": "playlist"}),
    ("play the song skinny love", {"track": "Skinny Love", "item_type": "song"}),
    ("play motion sickness by phoebe bridgers",
     {"track": "motion sickness", "artist": "phoebe bridgers"}),
    ("play the less i know the better by tame impala",
     {"track": "the less i know the better", "artist": "tame impala"}),
    ("play the song levitating by dua lipa",
     {"track": "levitating", "artist": "dua lipa", "item_type": "song"}),
    ("play the album currents by tame impala",
     {"album": "currents", "artist": "tame impala", "item_type": "album"}),
    ("play take me to church by hozier",
     {"track": "take me to church", "artist": "hozier"}),
    ("play hello adele", {"track": "Hello", "artist": "Adele"}),
    ("play radiohead creep", {"artist": "Radiohead", "track": "Creep"}),
    ("play eminem's new album", {"artist": "Eminem", "sort": "new", "item_type": "album"}),
    ("play adele's greatest hits", {"artist": "Adele", "sort": "popular"}),
    ("play the latest album by coldplay",
     {"artist": "Coldplay", "sort": "new", "item_type": "album"}),
)
TITLES_DEV = (
    ("play creep by radiohead", {"track": "Creep", "artist": "Radiohead"}),
    ("play halo by beyonce", {"track": "Halo", "artist": "Beyoncé"}),
    ("play the song respect", {"track": "Respect", "item_type": "song"}),
    ("play the album divide", {"album": "Divide", "item_type": "album"}),
    ("play my workout mix playlist", {"playlist": "workout mix", "item_type": "playlist"}),
    ("play riptide", {"track": "Riptide"}),
)

COMBOS_TEST: tuple[tuple[str, dict[str, str]], ...] = (
    ("play relaxing jazz", {"mood": "relaxing", "genre": "jazz"}),
    ("play some upbeat pop", {"mood": "energetic", "genre": "pop"}),
    ("play sad country songs", {"mood": "sad", "genre": "country"}),
    ("play 80s rock", {"era": "1980s", "genre": "rock"}),
    ("play hip hop from the nineties", {"genre": "hip-hop", "era": "1990s"}),
    ("play popular k-pop", {"sort": "popular", "genre": "k-pop"}),
    ("play the top hits", {"sort": "popular"}),
    ("play the latest pop hits", {"sort": "new", "genre": "pop"}),
    ("play new music", {"sort": "new"}),
    ("play what's trending right now", {"sort": "trending"}),
    ("play trending hip hop", {"sort": "trending", "genre": "hip-hop"}),
    ("play music from the 70s", {"era": "1970s"}),
    ("play songs from 1999", {"era": "1999"}),
    ("play 2010s pop", {"era": "2010s", "genre": "pop"}),
    ("play chill lofi beats", {"mood": "relaxing", "genre": "lo-fi"}),
    ("play happy songs by taylor swift", {"mood": "happy", "artist": "Taylor Swift"}),
    ("play relaxing songs by norah jones", {"mood": "relaxing", "artist": "Norah Jones"}),
    ("play calm classical music for studying",
     {"mood": "relaxing", "genre": "classical", "activity": "study"}),
    ("play energetic rock for my workout",
     {"mood": "energetic", "genre": "rock", "activity": "workout"}),
    ("play romantic r and b", {"mood": "romantic", "genre": "r&b"}),
    ("play the best jazz of the sixties", {"sort": "popular", "genre": "jazz", "era": "1960s"}),
    ("play angry metal", {"mood": "angry", "genre": "metal"}),
    ("play some mellow indie", {"mood": "relaxing", "genre": "indie"}),
    ("play happy reggae", {"mood": "happy", "genre": "reggae"}),
    ("play the most popular songs", {"sort": "popular"}),
    ("play jazz radio", {"genre": "jazz", "item_type": "radio"}),
    ("play something", {}), ("play some music", {}), ("play music", {}),
    ("play anything", {}), ("alexa play some tunes", {}), ("play me a song", {}),
    ("surprise me", {}), ("play", {}),
)
COMBOS_DEV: tuple[tuple[str, dict[str, str]], ...] = (
    ("play chill hip hop", {"mood": "relaxing", "genre": "hip-hop"}),
    ("play 90s pop", {"era": "1990s", "genre": "pop"}),
    ("play popular rock songs", {"sort": "popular", "genre": "rock"}),
    ("play new releases", {"sort": "new"}),
    ("play some tunes", {}),
)

OUT_OF_DOMAIN_TEST = (
    "what's the weather like today", "will it rain tomorrow", "set a timer for 10 minutes",
    "set an alarm for 6 am", "wake me up at seven", "turn off the bedroom lights",
    "turn on the living room lamp", "what time is it in tokyo", "call dad",
    "order more coffee pods", "add eggs to my grocery list", "how tall is the eiffel tower",
    "tell me a funny joke", "what's on my schedule today", "read me the headlines",
    "how many grams in a pound", "turn the thermostat down", "is the front door locked",
    "what was the score of the lakers game", "text my sister i'm running late",
    "what is the capital of australia", "find a restaurant nearby", "how do you spell rhythm",
    "remind me to call the dentist", "how long is my commute", "give me a recipe for pancakes",
    "who is the president of france", "translate thank you into german", "what's 15 times 12",
    "start the robot vacuum", "where can i buy batteries", "how far away is mars",
    "what's your favorite color", "good night alexa", "how are you today",
    "what's the date today", "open the blinds", "book me a flight to boston",
    "turn on the tv", "set the oven to 350", "play a game", "play the news", "play a podcast",
    "turn on the lights", "what movies are showing tonight", "flip a coin", "roll a dice",
    "what's the stock price of apple", "track my package", "how do i make a paper airplane",
    "pon música relajante", "spiel etwas musik", "joue de la musique",
)
OUT_OF_DOMAIN_DEV = (
    "what's the forecast", "set a reminder for noon", "switch off the fan",
    "who wrote hamlet", "buy toothpaste", "how's the traffic",
)

NOISE_TEST = ("", "   ", "🎵🎶", "asdf jkl", "uhh", "\x00\x07", "zzzz qqqq", ".....", "hmm hmm",
              "blah blah blah")
NOISE_DEV = ("qwerty", "😀", "um")
# fmt: on


def build(split: str, rng: random.Random) -> Iterator[Example]:
    test = split == "test"
    controls = CONTROLS_TEST if test else CONTROLS_DEV
    for intent, phrases in controls.items():
        for phrase in phrases:
            yield ex(phrase, intent, "control")
    moods = MOOD_WORDS_TEST if test else MOOD_WORDS_DEV
    templates = MOOD_TEMPLATES_TEST if test else MOOD_TEMPLATES_DEV
    for word, mood in moods:
        for template in rng.sample(templates, 3):
            yield ex(template.format(w=word), tag="mood", mood=mood)
    for text, mood in DESCRIPTIONS_TEST if test else DESCRIPTIONS_DEV:
        yield ex(text, tag="description", mood=mood)
    for text, slots in ACTIVITIES_TEST if test else ACTIVITIES_DEV:
        yield ex(text, tag="activity", **slots)
    genres = GENRES_SAID_TEST if test else GENRES_SAID_DEV
    templates = GENRE_TEMPLATES_TEST if test else GENRE_TEMPLATES_DEV
    for said, genre in genres:
        for template in rng.sample(templates, 2):
            yield ex(template.format(g=said), tag="genre", genre=genre)
    for text, slots in SLIPS_TEST if test else SLIPS_DEV:
        yield ex(text, tag="slip", **slots)
    yield from _artists(split, rng)
    for text, slots in TITLES_TEST if test else TITLES_DEV:
        yield ex(text, tag="title", **slots)
    for text, slots in COMBOS_TEST if test else COMBOS_DEV:
        yield ex(text, tag="combo", **slots)
    for text in OUT_OF_DOMAIN_TEST if test else OUT_OF_DOMAIN_DEV:
        yield ex(text, "fallback", "out_of_domain")
    for text in NOISE_TEST if test else NOISE_DEV:
        yield ex(text, "fallback", "noise")


def _artists(split: str, rng: random.Random) -> Iterator[Example]:
    catalog = sorted({row["artist_name"] for row in _catalog()})
    # Dev and test see different halves of both artist lists.
    rng_split = random.Random(7)
    known = rng_split.sample(catalog, len(catalog))
    unknown = rng_split.sample(UNKNOWN_ARTISTS, len(UNKNOWN_ARTISTS))
    test = split == "test"
    known = known[: len(known) * 3 // 4] if test else known[len(known) * 3 // 4 :]
    unknown = unknown[: len(unknown) * 3 // 4] if test else unknown[len(unknown) * 3 // 4 :]
    templates = ARTIST_TEMPLATES_TEST if test else ARTIST_TEMPLATES_DEV
    radio = RADIO_TEMPLATES_TEST if test else RADIO_TEMPLATES_DEV
    for name in known:
        for template in rng.sample(templates, 2):
            yield ex(template.format(a=name.lower()), tag="artist", artist=name)
        yield ex(rng.choice(radio).format(a=name.lower()), tag="radio", artist=name,
                 item_type="radio")  # fmt: skip
    for name in unknown:
        for template in rng.sample(templates, 2):
            yield ex(template.format(a=name), tag="unknown_artist", artist=name)
        yield ex(rng.choice(radio).format(a=name), tag="radio", artist=name, item_type="radio")


def _catalog() -> list[dict[str, Any]]:
    lines = (HERE / "catalog.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def main() -> None:
    for split, seed in (("dev", 11), ("test", 23)):
        examples = list(build(split, random.Random(seed)))
        with (HERE / f"{split}.jsonl").open("w", encoding="utf-8") as out:
            for example in examples:
                out.write(json.dumps(example, ensure_ascii=False) + "\n")
        print(split, len(examples))


if __name__ == "__main__":
    main()
