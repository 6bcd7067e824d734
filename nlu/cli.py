"""``philomath nlu parse``: text in, ParsedRequest JSON out.

``main_parse(["play something relaxing"])`` prints one ParsedRequest; ``--jsonl`` reads one
utterance per line on stdin and writes one JSON object per line, in order, from a single
process and parser (the model loads at most once). A line that is JSON with a "text" field is
read as that text. The composition root passes its own parser; run standalone, ``--gazetteer``
names a directory built by ``build_gazetteer``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from nlu.evaluate import TextParser


def main_parse(
    argv: Sequence[str] | None = None,
    *,
    parser: TextParser | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Exit status 0, or 2 for bad arguments (argparse's)."""
    args = _arguments().parse_args(argv)
    out = stdout or sys.stdout
    if args.jsonl == (args.text is not None):
        print("give either TEXT or --jsonl", file=sys.stderr)
        return 2
    if parser is None:
        from nlu.parser import load_parser

        genres = [g for g in (args.genres or "").split(",") if g.strip()]
        parser = load_parser(args.gazetteer, genres=genres, embeddings=not args.no_embeddings)
    if args.text is not None:
        out.write(_dump(parser, args.text, indent=2) + "\n")
        return 0
    for line in stdin or sys.stdin:
        out.write(_dump(parser, _text_of(line.rstrip("\n"))) + "\n")
        out.flush()
    return 0


def _dump(parser: TextParser, text: str, indent: int | None = None) -> str:
    parsed = parser.parse(text)
    return json.dumps(parsed.model_dump(mode="json"), ensure_ascii=False, indent=indent)


def _text_of(line: str) -> str:
    if line.startswith("{"):
        try:
            value = json.loads(line)
        except ValueError:
            return line
        text = value.get("text") if isinstance(value, dict) else None
        if isinstance(text, str):
            return text
    return line


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="philomath nlu parse", description=__doc__)
    parser.add_argument("text", nargs="?", help="the utterance (omit with --jsonl)")
    parser.add_argument("--jsonl", action="store_true", help="utterances on stdin, one a line")
    parser.add_argument("--gazetteer", type=Path, help="directory from build_gazetteer")
    parser.add_argument("--genres", help="comma-separated catalog genres (without a gazetteer)")
    parser.add_argument("--no-embeddings", action="store_true", help="rules and gazetteer only")
    return parser


if __name__ == "__main__":
    raise SystemExit(main_parse())
