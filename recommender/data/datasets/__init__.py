"""Loaders of public data sets into the project's shapes.

- ``lastfm``: Last.fm HetRec 2011 (``hetrec2011-lastfm-2k``) for the evaluation protocol.
- ``spotify``: the Spotify artist and track tables, into the unified schema.
- ``tag_vocabulary``: free-text tags mapped onto the catalog's genres and moods.
"""
