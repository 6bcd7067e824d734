"""Prototype sentences for the embedding classifier, written for this project.

Each label is the set of its prototypes: a request is given the label of its nearest
prototypes (cosine similarity of MiniLM sentence embeddings). Moods describe situations and
feelings rather than repeat ``MOOD_SYNONYMS`` (the rules already know those words); intents
give the classifier the shapes of requests the control phrases do not list, and
``out_of_domain`` what a speaker is asked besides music.

Keep these apart from ``nlu/eval``: a test checks that no evaluation utterance is a prototype.
"""

from __future__ import annotations

# fmt: off
MOOD_PROTOTYPES: dict[str, tuple[str, ...]] = {
    "relaxing": (
        "something to unwind after a long day", "music for a slow lazy sunday morning",
        "soft music for a rainy afternoon", "help me calm down", "something gentle and quiet",
        "music to take the stress away", "easy listening by the fireplace",
        "songs to lie on the couch to", "something soft for a cup of tea",
        "music to breathe and slow down", "quiet sounds to drift off", "a cozy evening in",
    ),
    "energetic": (
        "something to get my heart pumping", "music to wake me up and get moving",
        "fast loud songs to push me harder", "get me hyped", "songs with lots of energy",
        "music that makes me want to run faster", "something powerful and driving",
        "songs to get me going in the morning", "loud fast music to power through",
        "adrenaline rush music",
    ),
    "happy": (
        "something to put me in a good mood", "songs that make me smile",
        "sunny feel good music", "music for a bright summer day", "something cheerful and fun",
        "songs to brighten my day", "happy go lucky tunes", "music that sounds like sunshine",
        "positive vibes only", "songs that make me want to sing along",
    ),
    "sad": (
        "i am feeling down", "songs for when your heart is broken", "music to cry to",
        "something for a lonely night", "i miss someone", "songs about losing someone",
        "i had a terrible day", "something slow and sorrowful", "songs for feeling lonely",
        "music for a breakup", "i feel empty",
    ),
    "focus": (
        "music that helps me concentrate", "something to keep me on task",
        "background music for deep work", "songs without lyrics for reading",
        "help me get through this essay", "music for coding", "something to think to",
        "music that won't distract me", "instrumental music to work to",
        "keep my mind sharp while i write",
    ),
    "party": (
        "songs to get the party started", "music for friends coming over tonight",
        "something everyone can dance to", "club bangers", "music for a big celebration",
        "songs for a saturday night out", "get everybody on the dance floor",
        "music for a birthday bash", "pregame music", "a night out with the crew",
    ),
    "romantic": (
        "something for a candlelit dinner", "songs for my girlfriend",
        "music for a special evening with my partner", "love songs for two",
        "something sweet and tender", "songs for our anniversary", "slow dance music",
        "music to set the mood for a date", "songs about being in love",
        "something intimate for a night in together",
    ),
    "angry": (
        "i am so mad right now", "music to let out my frustration", "something furious",
        "songs to scream along to", "music for when i am pissed off", "heavy and aggressive",
        "something that matches my fury", "let me blow off some steam",
    ),
}

ACTIVITY_PROTOTYPES: dict[str, tuple[str, ...]] = {
    "study": ("music while i do my homework", "songs for revising for a test",
              "something for the library", "music for learning"),
    "workout": ("music for lifting weights", "songs for my spin class", "cardio playlist",
                "music for a hard training session"),
    "running": ("music for a jog in the park", "songs for a long run",
                "something to keep my pace up", "music for a marathon"),
    "sleep": ("music to help me fall asleep", "something to sleep to", "lullabies for bed",
              "help me drift off tonight"),
    "cooking": ("music for making dinner", "songs while i cook", "kitchen music",
                "something to bake to"),
    "driving": ("music for a long drive", "songs for the car", "highway music",
                "tunes for the road"),
    "reading": ("music to read a book to", "quiet music for reading a novel"),
    "work": ("music for the office", "songs to get through the work day",
             "something to play at my desk"),
    "dinner": ("music for a dinner party", "background music for eating with friends"),
    "cleaning": ("music to clean the house to", "songs for doing the chores",
                 "something for tidying up"),
    "meditation": ("music for meditating", "something for yoga", "mindfulness music"),
    "gaming": ("music for playing video games", "songs while i game"),
    "morning": ("music to wake up to", "something for breakfast", "start my day right"),
}

INTENT_PROTOTYPES: dict[str, tuple[str, ...]] = {
    "play_music": (
        "play a bit of music", "put something on", "i want to listen to something",
        "start the music", "let's hear some songs", "can i get some tunes",
        "play a tune for me", "music please", "i need some music", "throw on a record",
        "something i would like", "surprise me with a song", "play something good",
        "play my favorites", "i'm in the mood for music",
    ),
    "pause": ("hold the music for a moment", "give me a second, pause", "freeze the song",
              "pause the playback now"),
    "stop": ("switch the music off", "i'm done listening", "kill the music", "finish the music",
             "no more music"),
    "resume": ("start the song back up", "unfreeze the music", "play where you left off",
               "back to the music"),
    "next": ("go to the following song", "i don't want this one, next", "skip ahead a track",
             "the next one please", "move to another song"),
    "previous": ("go back one track", "the song before this one", "play the earlier song",
                 "rewind to the last track"),
    "shuffle_on": ("play my songs in random order", "randomize the order",
                   "mix up the playlist"),
    "shuffle_off": ("play the songs in order", "stop the random order",
                    "no more random order"),
    "loop_on": ("play this song over and over", "keep this one going on repeat",
                "loop this track over"),
    "loop_off": ("stop playing it over and over", "no more repeat", "end the loop"),
    "repeat": ("play that one more time", "i want to hear that song again",
               "once more from the top"),
    "start_over": ("play this song from the start", "start the track over",
                   "go back to the start of the song"),
    "like": ("i really like this track", "this is a good one", "save this as a favorite",
             "more songs like this one", "i enjoy this song"),
    "dislike": ("i can't stand this song", "don't ever play this one", "this one is awful",
                "take this song off", "i never want to hear this again"),
    "whats_playing": ("what is the name of this track", "who is singing right now",
                      "which band is this", "tell me the song title", "what track is on"),
    "help": ("what are you able to do", "how do i use you", "give me some instructions",
             "what commands are there"),
    "out_of_domain": (
        "what is the weather tomorrow", "set an alarm for seven", "set a timer",
        "turn on the kitchen lights", "what time is it", "call my mom", "order a pizza",
        "add milk to my shopping list", "how tall is mount everest", "tell me a joke",
        "what's on my calendar", "read me the news", "how many ounces in a cup",
        "turn up the heat", "lock the front door", "who won the game last night",
        "send a text to john", "what's the capital of france", "book a table for two",
        "how do you spell necessary", "remind me to take out the trash",
        "what's the traffic like", "find a recipe for lasagna", "how old is the president",
        "translate hello into spanish", "what is two plus two", "open the garage",
        "start the vacuum", "buy paper towels", "where is the nearest gas station",
        "how far is the moon", "what movies are playing", "good morning how are you",
        "i love you alexa", "what's your name", "are you a robot",
    ),
}
# fmt: on
