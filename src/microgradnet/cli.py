"""The ``microgradnet`` command line."""
from __future__ import annotations

import argparse
from typing import Sequence

from . import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="microgradnet", description="Learn backpropagation, one node at a time.")
    parser.add_argument("--version", action="version", version=f"microgradnet {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for bad arguments)."""
    args = build_parser().parse_args(argv)
    if args.command is None:
        build_parser().print_help()
    return 0
