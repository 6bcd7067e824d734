"""Errors of the composition root (``philomath.wiring`` re-exports them)."""

from __future__ import annotations


class ConfigurationError(ValueError):
    """A setting the wiring cannot build (a backend URL with an unknown scheme, a secret that
    cannot be read...); the message names the variable and never repeats the value, which
    may hold a password."""
