"""Composition root: settings, wiring of adapters, logging set-up and the CLI."""
