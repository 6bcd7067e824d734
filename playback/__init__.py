"""Playback: catalog metadata and its vocabulary (genres, moods), stream URLs, AudioPlayer
directives, play events and their stream."""
