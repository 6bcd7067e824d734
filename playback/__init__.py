"""Playback: catalog metadata, stream URLs, AudioPlayer directives, play events and their stream."""
