"""Generate the site's derived pages at build time (run by mkdocs-gen-files, never by hand).

Nothing here is retyped: the navigation lists the notebooks found in notebooks/, the lecture
examples of ``examples.EXAMPLES``, one API page per module of the package, and the CLI reference
is each subcommand's own argparse help.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import mkdocs_gen_files

from microgradnet import examples
from microgradnet.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "microgradnet"
NOT_API = {"__init__", "__main__", "cli"}  # the CLI has its own page; __init__ only re-exports


def notebooks() -> list[Path]:
    """The stored lecture notebooks, in teaching order (their file names start with the number)."""
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def modules() -> list[str]:
    """The package's modules that get an API page."""
    return sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in NOT_API)


def graph_examples() -> dict[str, examples.Example]:
    """The lecture examples that are one graph (the training examples live in the notebooks)."""
    return {name: ex for name, ex in examples.EXAMPLES.items() if not ex.trains}


def title(path: Path) -> str:
    """"01 chain rule" from 01_chain_rule.ipynb."""
    number, _, rest = path.stem.partition("_")
    return f"{number} {rest.replace('_', ' ')}"


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser's subcommands by name, in the order the CLI defines them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_page() -> str:
    """The command-line reference: the top-level help and each subcommand's help, as argparse prints them."""
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal width: fix it so the page is reproducible
    parser = build_parser()
    parts = ["# Command line\n", "Generated from the `microgradnet` argument parser; `microgradnet COMMAND -h` "
             "prints the same text.\n", f"```text\n{parser.format_help()}```\n"]
    for name, sub in subcommands(parser).items():
        parts.append(f"## `microgradnet {name}`\n\n```text\n{sub.format_help()}```\n")
    return "\n".join(parts)


def example_page(name: str, example: examples.Example) -> tuple[str, str]:
    """One lecture example: its player (a page of its own, embedded) and its forward and backward trace.

    Returns the Markdown page and the player's HTML. The player is built before the traces are run,
    so its numbers are those of one fresh pass, as ``microgradnet example NAME --html`` writes them.
    """
    from microgradnet import trace_backward, trace_forward
    from microgradnet.player import player_html

    root = example.build().root
    player = player_html(root)
    forward = "\n".join(str(step) for step in trace_forward(root))
    backward = "\n".join(str(step) for step in trace_backward(root))
    lines = [f"# {example.title}\n", f"Row {example.row} of the lecture examples; on the command line: "
             f"`microgradnet example {name}` (add `--html FILE` to write this player).\n",
             "## Step through it\n",
             "Use the buttons or the ← → keys; *Hide gradients* asks the class before revealing, *Practice* "
             f"lets you type each gradient. [Open the player on its own page]({name}-player.html).\n",
             f'<iframe class="mgn-player" src="{name}-player.html" title="backprop player: {name}" '
             'style="width:100%;height:760px;border:1px solid #ccc"></iframe>\n',
             "## Forward pass\n", f"```text\n{forward}\n```\n",
             "## Backward pass: upstream × local = downstream\n", f"```text\n{backward}\n```\n"]
    return "\n".join(lines), player


def summary() -> str:
    """The site's navigation (literate-nav)."""
    lines = ["* [Home](index.md)", "* [Getting started](getting-started.md)", "* [A tour](guide.md)",
             "* Lecture notebooks"]
    lines += [f"    * [{title(p)}](notebooks/{p.name})" for p in notebooks()]
    lines += ["* Lecture examples"]
    lines += [f"    * [{ex.title}](examples/{name}.md)" for name, ex in graph_examples().items()]
    lines += ["* [Command line](cli.md)", "* API reference"]
    lines += [f"    * [{m}](api/{m}.md)" for m in modules()]
    lines += ["* [Changelog](changelog.md)"]
    return "\n".join(lines) + "\n"


def main() -> None:
    for path in notebooks():
        with mkdocs_gen_files.open(f"notebooks/{path.name}", "wb") as f:
            f.write(path.read_bytes())
    for name, example in graph_examples().items():
        page, player = example_page(name, example)
        with mkdocs_gen_files.open(f"examples/{name}.md", "w") as f:
            f.write(page)
        with mkdocs_gen_files.open(f"examples/{name}-player.html", "w") as f:
            f.write(player)
    for module in modules():
        with mkdocs_gen_files.open(f"api/{module}.md", "w") as f:
            f.write(f"# `microgradnet.{module}`\n\n::: microgradnet.{module}\n")
    with mkdocs_gen_files.open("cli.md", "w") as f:
        f.write(cli_page())
    with mkdocs_gen_files.open("changelog.md", "w") as f:
        f.write((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    with mkdocs_gen_files.open("SUMMARY.md", "w") as f:
        f.write(summary())


main()
