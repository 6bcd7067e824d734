"""Front doors: the Alexa skill (ask-sdk-core handlers), the HTTP app and the music player
they share."""
