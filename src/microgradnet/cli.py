"""The ``microgradnet`` command line, every subcommand in one place: ``demo``, ``example``, ``graph``, ``train``,
``evaluate``, ``export``, ``practice``, ``worksheet`` and ``grade``.

Every number printed comes from the engine (``trace``); this module only lays it out as the
slides do. Bad input of any kind ends in one ``microgradnet: error: ...`` line and exit code 2.
"""
from __future__ import annotations

import argparse
import io
import math
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NoReturn

from . import __version__
from .files import check_output, write_atomic

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .engine import Value
    from .examples import GraphExample, TrainingExample
    from .nn import MLP
    from .trace import Step
    from .variants import Source

DATASETS = ("moons", "circles", "xor", "spirals", "blobs")
EXIT_ERROR = 2


class CliError(Exception):
    """A problem with what the user asked for; shown as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but its errors are one line in the same form as every other error."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.split(" ", 1)[1] if " " in self.prog else ""
        hint = f" (see: microgradnet {command} --help)" if command else " (see: microgradnet --help)"
        if command == "graph" and "EXPR" in message:
            hint = " (an expression starting with '-' goes after '--': microgradnet graph --at x=1 -- '-x*x')"
        self.exit(EXIT_ERROR, f"microgradnet: error: {message}{hint}\n")


# --- argument types --------------------------------------------------------------------

def _int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
        return value

    return parse


_positive_int, _non_negative_int = _int_at_least(1), _int_at_least(0)


def _rate(text: str, allow_zero: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise argparse.ArgumentTypeError(f"expected a finite number {bound}, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    return _rate(text, allow_zero=False)


def _non_negative_float(text: str) -> float:
    return _rate(text, allow_zero=True)


DEFAULT_SCHEDULE = "linear:1.0,0.1"


def _lr_schedule(text: str) -> tuple[float, float]:
    """``"linear:1.0,0.1"`` as (1.0, 0.1): the learning rate at the first epoch and the one it falls to at the end."""
    kind, _, numbers = text.partition(":")
    pieces = numbers.split(",")
    try:
        start, end = (float(x) for x in pieces) if kind == "linear" and len(pieces) == 2 else (math.nan, math.nan)
    except ValueError:
        start = end = math.nan
    if not (math.isfinite(start) and math.isfinite(end) and start > 0 and end > 0):
        raise argparse.ArgumentTypeError(f"expected linear:START,END with two numbers > 0, like {DEFAULT_SCHEDULE}, "
                                         f"got {text!r}")
    return start, end


def _layer_sizes(text: str) -> list[int]:
    """``"16,16"`` as ``[16, 16]``; an empty string means no hidden layer."""
    sizes = []
    for piece in filter(None, (p.strip() for p in text.split(","))):
        if not (piece.isascii() and piece.isdigit()) or int(piece) < 1:  # "²".isdigit() is True, int("²") fails
            raise argparse.ArgumentTypeError(f"expected layer sizes like 16,16 (whole numbers >= 1), got {text!r}")
        sizes.append(int(piece))
    return sizes


# --- the parser ------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``microgradnet`` command and its subcommands."""
    from .losses import LOSSES
    from .nn import MLP_ACTIVATIONS
    from .ops import FUNCTIONS

    parser = _Parser(prog="microgradnet", description="Learn backpropagation, one node at a time.")
    parser.add_argument("--version", action="version", version=f"microgradnet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="the lecture's two worked examples step by step, their graphs, and a trained network",
        description="Steps through LECTURES rows 1 and 2 as the slides do, writes their graphs (SVG and PNG), "
        "trains the moons MLP and plots its decision boundary and loss curve.",
    )
    demo.add_argument("--out", default="microgradnet-demo", metavar="DIR",
                      help="directory for the files (default: ./microgradnet-demo)")
    demo.add_argument("--no-train", action="store_true", help="skip training the network")
    demo.add_argument("--epochs", type=_positive_int, default=100, metavar="N",
                      help="training epochs (default: 100)")
    demo.set_defaults(run=_demo)

    example = commands.add_parser(
        "example", help="one lecture example (--list shows them)",
        description="Print one lecture example as the slides do; optionally draw it.",
    )
    example.add_argument("name", nargs="?", metavar="NAME", help="the example, e.g. neuron (see --list)")
    example.add_argument("--list", action="store_true", help="list the examples")
    example.add_argument("--out", metavar="DIR", help="write the graph (or the plots) into DIR")
    example.add_argument("--frames", metavar="DIR", help="write one SVG per backward step into DIR")
    example.add_argument("--local-grads", action="store_true", help="write local gradients on the edges")
    _picture_arguments(example)
    example.add_argument("--html", metavar="FILE", help="write the backprop player: one offline HTML page")
    example.set_defaults(run=_example)

    graph = commands.add_parser(
        "graph", help="trace and draw an expression typed on the command line",
        description=f"Parse EXPR safely (numbers, names from --at, + - * / **, {' '.join(FUNCTIONS)}) and print "
        "its forward values, backward steps and gradient. "
        "An expression starting with '-' goes after '--': microgradnet graph --at x=1 -- '-x*x'.",
    )
    graph.add_argument("expr", metavar="EXPR", help="e.g. 'z*(x+y)' or '1/(1+exp(-(w0*x0+w1*x1+w2)))'")
    graph.add_argument("--at", default="", metavar="x=2,y=3", help="the value of each name")
    graph.add_argument("--out", metavar="FILE_STEM", help="write the graph as FILE_STEM.svg and FILE_STEM.png")
    graph.add_argument("--frames", metavar="DIR", help="write one SVG per backward step into DIR")
    graph.add_argument("--local-grads", action="store_true", help="write local gradients on the edges")
    _picture_arguments(graph)
    graph.add_argument("--html", metavar="FILE", help="write the backprop player: one offline HTML page")
    graph.set_defaults(run=_graph)

    train = commands.add_parser(
        "train", help="train an MLP on a 2-D data set",
        description="Train an MLP on a 2-D data set and print its training accuracy.",
    )
    train.add_argument("--data", choices=DATASETS, default="moons", help="data set (default: moons)")
    train.add_argument("--samples", type=_positive_int, metavar="N",
                       help="number of points (default: the data set's, 100; xor: its 4 corners)")
    train.add_argument("--hidden", type=_layer_sizes, metavar="16,16",
                       help="hidden layer sizes (default: 16,16; with --init, the saved model's)")
    train.add_argument("--activation", choices=MLP_ACTIVATIONS, metavar="NAME",
                       help=f"hidden activation: {', '.join(MLP_ACTIVATIONS)} "
                       "(default: relu; with --init, the saved model's)")
    train.add_argument("--epochs", type=_positive_int, default=100, metavar="N", help="(default: 100)")
    rate = train.add_mutually_exclusive_group()
    rate.add_argument("--lr", type=_positive_float, help="a constant SGD learning rate (default: --lr-schedule's)")
    rate.add_argument("--lr-schedule", type=_lr_schedule, default=DEFAULT_SCHEDULE, metavar="linear:START,END",
                      help=f"SGD learning rate from START at the first epoch down to END at the last "
                      f"(default: {DEFAULT_SCHEDULE}, the moons demo's)")
    losses = [name for name, loss in LOSSES.items() if name == loss.name]  # without the long aliases
    train.add_argument("--loss", choices=losses,
                       help="(default: picked from the data set: hinge for two classes, cross_entropy for more)")
    train.add_argument("--l2", type=_non_negative_float, default=0.0, help="weight of the L2 penalty (default: 0)")
    train.add_argument("--batch-size", type=_positive_int, metavar="N", help="minibatch size (default: full batch)")
    train.add_argument("--seed", type=_non_negative_int, default=0, metavar="S",
                       help="seed of the data, the weights and the batches (default: 0)")
    train.add_argument("--save", metavar="FILE", help="save the trained model as JSON")
    train.add_argument("--init", metavar="FILE",
                       help="continue training the model saved in FILE (its architecture and weights)")
    train.add_argument("--plot", metavar="FILE", help="plot the decision boundary (PNG)")
    train.add_argument("--history", metavar="FILE", help="plot the loss and accuracy per epoch (PNG)")
    train.add_argument("--animate", metavar="FILE",
                       help="write the decision boundary's evolution, about 50 frames, as FILE.gif "
                       "(or .mp4 when ffmpeg is installed)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument("--compile", nargs="?", choices=("batch", "rows"), const="batch", metavar="batch|rows",
                       help="record one sample's step once and replay it: over the whole batch with NumPy (batch, "
                       "the default; the same numbers to rounding) or row by row (rows; the same floats)")
    train.set_defaults(run=_train)

    _add_model_commands(commands, losses)

    practice = commands.add_parser(
        "practice", help="do a backward pass by hand, checked step by step",
        description="Asks for each gradient of a lecture example's (or an expression's) backward pass, "
        "reading answers from stdin: a number, h for a hint, q or an empty line to stop. "
        "With --answers FILE, grades a whole answers file instead (exit 0 if all correct, 1 otherwise).",
    )
    _graph_arguments(practice)
    practice.add_argument("--answers", metavar="FILE", help="grade this answers file (one 'ID: number' a line)")
    practice.add_argument("--tolerance", type=float, default=0.005, metavar="T",
                          help="accepted error; 0.005 accepts two decimals (default)")
    practice.set_defaults(run=_practice)

    sheet = commands.add_parser(
        "worksheet", help="write a worksheet: the graph with blank gradients, an answers sheet and the key",
        description="Writes NAME.pdf and NAME-key.pdf (the printable page and its key, see --paper), NAME.svg "
        "and NAME.png (the graph with the grad boxes blank; NAME.dot without Graphviz, and then no PDF), "
        "NAME-answers.txt (to fill in, for practice --answers) and NAME-key.md (the answer key).",
    )
    _graph_arguments(sheet)
    sheet.add_argument("--out", default=".", metavar="DIR", help="directory for the files (default: .)")
    sheet.add_argument("--name", metavar="NAME", help="file name stem (default: the example's name, or worksheet)")
    sheet.add_argument("--paper", choices=("a4", "letter"), default="a4",
                       help="the paper of the printable page NAME.pdf (one page: name and date line, numbered "
                       "boxes to write in) and its key NAME-key.pdf (default: a4)")
    sheet.add_argument("--digits", type=_digits, default=2, metavar="N", help="decimals on the page (default: 2)")
    sheet.add_argument("--variants", type=_positive_int, metavar="N",
                       help="N sheets with the same graph and different numbers, each with its own key")
    sheet.add_argument("--roster", metavar="FILE",
                       help="one sheet per student of FILE (one name or id per row), titled with the name")
    sheet.add_argument("--seed", type=_non_negative_int, default=0, metavar="S",
                       help="seed of the variants' numbers and of --random (default: 0)")
    from .quiz import FORMATS as QUIZ_FORMATS

    sheet.add_argument("--format", choices=("sheet", *QUIZ_FORMATS), default="sheet",
                       help="sheet: drawings, answers sheets and keys (default); moodle: a Moodle XML quiz; "
                       "gift: a GIFT quiz; one question per gradient, one question set per variant")
    _random_arguments(sheet)
    sheet.add_argument("--html", action="store_true",
                       help="also write NAME.html: the backprop player, opened in practice mode")
    sheet.set_defaults(run=_worksheet)
    for command in (practice, sheet):
        command.description = (f"{command.description} With --random, a fresh graph of --nodes op nodes over --ops, "
                               "a node used twice with --fanout.")
    practice.add_argument("--seed", type=_non_negative_int, default=0, metavar="S",
                          help="seed of --random (default: 0)")
    _random_arguments(practice)

    grade = commands.add_parser(
        "grade", help="grade a class's filled-in variant sheets: a CSV, a summary and the most-missed questions",
        description="Reads each answers sheet (the .txt files of a directory, or the files given), grades it "
        "against the key of the variant its 'sheet' lines name, writes one CSV row per sheet, prints a summary "
        "and plots the most-missed questions. A sheet that cannot be read is reported and the others are "
        "graded (exit 1 then, 0 when every sheet was graded).",
    )
    grade.add_argument("paths", nargs="+", metavar="DIR_OR_FILE", help="answers sheets, or directories of them")
    grade.add_argument("--csv", required=True, metavar="FILE", help="the grades, one row per sheet")
    grade.add_argument("--plot", metavar="FILE",
                       help="the most-missed questions (PNG; default: the CSV's name + -missed.png)")
    grade.add_argument("--reports", metavar="DIR", help="write each sheet's graded report into DIR")
    grade.add_argument("--tolerance", type=_positive_float, default=0.005, metavar="T",
                       help="accepted error; 0.005 accepts two decimals (default)")
    grade.set_defaults(run=_grade)
    return parser


def _digits(text: str) -> int:
    """An argparse type: decimals to show, a whole number from 0 to 10."""
    if not text.isdigit() or int(text) > 10:
        raise argparse.ArgumentTypeError(f"expected a whole number of decimals from 0 to 10, got {text!r}")
    return int(text)


def _picture_arguments(parser: argparse.ArgumentParser) -> None:
    """How a command draws its graph and frames: --style --digits --layout --fit --gif --pdf."""
    from .frames import FITS, LAYOUTS, STYLES

    parser.add_argument("--style", choices=STYLES, default="slide",
                        help="slide: gates as circles, each wire's value above it and its gradient below "
                        "(default); boxes: a box per value with its data and grad")
    parser.add_argument("--digits", type=_digits, default=2, metavar="N",
                        help="decimals of every number printed and drawn (default: 2, as the slides)")
    parser.add_argument("--layout", choices=LAYOUTS, help="left to right or top to bottom "
                        "(default: whichever shows the labels larger)")
    parser.add_argument("--fit", choices=list(FITS),
                        help="pad the pictures to a slide (16:9, 4:3) or a page (a4, letter)")
    parser.add_argument("--gif", action="store_true", help="with --frames: also write the steps as steps.gif")
    parser.add_argument("--pdf", action="store_true", help="with --frames: also write the steps as steps.pdf, "
                        "a page per step")


def _picture_options(args: argparse.Namespace) -> dict[str, object]:
    """The drawing options a command line gave, as ``frames.picture``/``frame_set`` keywords."""
    if (args.gif or args.pdf) and not args.frames:
        raise CliError("--gif and --pdf write the frames: give --frames DIR too")
    return {"style": args.style, "digits": args.digits, "layout": args.layout, "fit": args.fit}
def _random_arguments(parser: argparse.ArgumentParser) -> None:
    """``--random`` and its options: a fresh graph instead of an example or --expr."""
    from .exercises import DEFAULT_OPS, RANDOM_OPS

    parser.add_argument("--random", action="store_true", help="a random graph instead of an example or --expr")
    parser.add_argument("--ops", default=",".join(DEFAULT_OPS), metavar="OPS",
                        help=f"ops of --random, from {','.join(RANDOM_OPS)} (default: {','.join(DEFAULT_OPS)})")
    parser.add_argument("--nodes", type=_positive_int, default=6, metavar="N",
                        help="op nodes of --random (default: 6)")
    parser.add_argument("--fanout", action="store_true", help="--random uses a node twice (its gradients add)")


def _graph_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of a command on one graph (practice, worksheet): an example or --expr at --at, and --ask."""
    from .practice import ASK

    parser.add_argument("example", nargs="?", metavar="EXAMPLE", help="a lecture example, e.g. neuron")
    parser.add_argument("--expr", metavar="EXPR", help="an expression instead, e.g. 'z*(x+y)'")
    parser.add_argument("--at", default="", metavar="x=2,y=3", help="the value of each name in --expr")
    parser.add_argument("--ask", choices=ASK, default="downstream",
                        help="ask for downstream gradients (default) or local gradients")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for bad arguments or output that cannot be written)."""
    from .expr import ExpressionError

    if sys.stdout is None:  # started with stdout closed (cmd >&-): Python leaves sys.stdout None
        if sys.stderr is not None:
            print("microgradnet: error: standard output is closed; nothing to write the results to", file=sys.stderr)
        return EXIT_ERROR
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")  # a console without ∂ or δ shows "?" instead of failing
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        code = args.run(args)
        sys.stdout.flush()  # inside the try: a reader that went away is reported here, not at exit
    except BrokenPipeError:  # the reader went away (microgradnet demo | head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (CliError, ExpressionError, ValueError, OSError) as err:
        print(f"microgradnet: error: {_one_line(err)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("microgradnet: interrupted", file=sys.stderr)
        return 130
    return 0 if code is None else code


def _one_line(err: Exception) -> str:
    message = " ".join(str(err).split())
    if isinstance(err, OSError) and err.filename is not None:
        message = f"cannot write {err.filename}: {err.strerror or message}"
    elif isinstance(err, OSError) and err.strerror:  # write_atomic's message, without the "[Errno 28]" before it
        message = " ".join(err.strerror.split())
    return message


# --- commands --------------------------------------------------------------------------

def _demo(args: argparse.Namespace) -> None:
    from . import examples

    out = _output_dir(args.out, "--out")
    print(f"microgradnet demo: backpropagation as the lecture slides show it (LECTURES rows 1, 2 and 16);\n"
          f"the pictures go to {out}{os.sep}\n")
    written = Written()
    for name, picture in (("add-mul", False), ("neuron", True)):
        example = examples.EXAMPLES[name]
        built = _graph_example(name)
        print(_graph_text(name, example.title, example.row, built))
        # as `example` draws it, fitted to a projector
        slide: dict[str, Any] = {"style": "slide", "digits": 2, "layout": None, "fit": "16:9"}
        written.graph(built.root, out / name, **slide)
        if picture:
            written.graph(built.root, out / f"{name}-local-grads", local_grads=True, **slide)
    if not args.no_train:
        print(_heading("Row 16: a neural network at work (micrograd's moons demo)"))
        trained = examples.moons(epochs=args.epochs, progress=True)
        print("\n".join(trained.summary) + "\n")
        written.plots(trained, out / "moons")
    written.report()


def _example(args: argparse.Namespace) -> None:
    from .examples import EXAMPLES, GraphExample

    if args.list:
        if args.name or args.out is not None or args.frames is not None or args.local_grads or args.html is not None:
            raise CliError("example --list takes no NAME or other options")
        width = max(map(len, EXAMPLES))
        print("Lecture examples (microgradnet example NAME):")
        for name, (title, row, _) in EXAMPLES.items():
            print(f"  {name:<{width}}  row {row:>2}  {title}")
        return
    if not args.name:
        raise CliError("example: give an example NAME or --list")
    if args.name not in EXAMPLES:
        known = ", ".join(EXAMPLES)
        raise CliError(f"unknown example {args.name!r}; known: {known} (see: microgradnet example --list)")
    example = EXAMPLES[args.name]
    if example.trains and (args.frames is not None or args.local_grads or args.html is not None):
        raise CliError(f"--frames, --local-grads and --html draw graphs; {args.name!r} trains a network (use --out)")
    if args.local_grads and args.out is None and args.frames is None:
        raise CliError("--local-grads changes the drawing: give --out or --frames too")
    options = _picture_options(args)
    page = _html_file(args.html) if args.html is not None else None
    out = _output_dir(args.out, "--out") if args.out is not None else None
    frames = _output_dir(args.frames, "--frames") if args.frames is not None else None
    built = example.build()
    written = Written()
    if isinstance(built, GraphExample):
        print(_graph_text(args.name, example.title, example.row, built, args.digits))
        if out is not None:
            written.graph(built.root, out / args.name, local_grads=args.local_grads, copies=built.copies, **options)
        if frames is not None:
            written.frames(built.root, frames, local_grads=args.local_grads, gif=args.gif, pdf=args.pdf,
                           copies=built.copies, **options)
        if page is not None:
            written.page(built.root, page)
    else:
        print(_heading(f"Row {example.row}: {example.title}"))
        print("\n".join(built.summary))
        if out is not None:
            written.plots(built, out / args.name)
    written.report()


def _graph(args: argparse.Namespace) -> None:
    from .expr import parse_at
    from .naming import name_nodes
    from .trace import trace_backward

    if args.local_grads and args.out is None and args.frames is None:
        raise CliError("--local-grads changes the drawing: give --out or --frames too")
    options = _picture_options(args)
    root, leaves = parse_at(args.expr, args.at)  # before any directory is made: a typo writes nothing
    name_nodes(root)  # f, n1, n2, ... in reading order: the names practice and worksheet give them too
    page = _html_file(args.html) if args.html is not None else None
    out = _output_stem(args.out) if args.out is not None else None
    frames = _output_dir(args.frames, "--frames") if args.frames is not None else None
    print(_heading(f"{root.label or 'f'} = {args.expr.strip()}"))
    if leaves:
        print("at " + ", ".join(f"{name} = {leaf.data:g}" for name, leaf in leaves.items()))
    print()
    print(_forward_text(root, leaves, args.digits))
    steps = trace_backward(root, args.digits)
    print(_backward_text(steps))
    print(_gradient_text(root, leaves, digits=args.digits))
    written = Written()
    if out is not None:
        written.graph(root, out, local_grads=args.local_grads, **options)
    if frames is not None:
        written.frames(root, frames, local_grads=args.local_grads, gif=args.gif, pdf=args.pdf, **options)
    if page is not None:
        written.page(root, page)
    written.report()


def _train(args: argparse.Namespace) -> None:
    from .losses import LOSSES, default_loss
    from .plot import plot_decision_boundary, plot_history
    from .train import evaluate, fit, predict

    X, y = _dataset(args)
    classes = max(y) + 1
    loss = default_loss(classes) if args.loss is None else LOSSES[args.loss]
    if classes > 2 and not loss.per_class:
        per_class = ", ".join(name for name, other in LOSSES.items() if other.per_class)
        raise CliError(f"--data {args.data} has {classes} classes; --loss {args.loss} needs 2: use --loss {per_class}")
    nout = loss.outputs_needed(classes)
    for flag, path in (("--save", args.save), ("--plot", args.plot), ("--history", args.history),
                       ("--animate", args.animate)):
        if path is not None:  # checked before training, so a bad path or format does not waste the run
            _output_file(path, flag, plot=flag in ("--plot", "--history"))
    if args.animate:
        from .plot import check_animation_path

        check_animation_path(args.animate)
    targets = loss.class_targets(y)  # hinge, mse and mae take the two classes as -1/+1 (mse, mae: threshold 0)
    model = _initial_model(args, nout, classes)
    batches = "full batch" if args.batch_size is None else f"batches of {args.batch_size}"
    if args.lr is None:
        start, end = args.lr_schedule
        rate, schedule = f"SGD lr {start:g} -> {end:g}", lambda k: start + (end - start) * k / args.epochs
    else:
        rate, schedule = f"SGD lr {args.lr:g}", None
    print(f"Training {model!r}")
    print(f"on {args.data} ({len(X)} points, {classes} classes), {loss.name} loss"
          f"{f' + {args.l2:g}·L2' if args.l2 else ''}, {rate}, {args.epochs} epochs, {batches}")
    history = fit(model, X, targets, loss=loss.name, epochs=args.epochs, lr=args.lr, lr_schedule=schedule, l2=args.l2,
                  batch_size=args.batch_size, seed=args.seed, progress=not args.no_progress,
                  compile=False if args.compile is None else True if args.compile == "rows" else "batch",
                  live=max(1, args.epochs // 50) if args.animate else False)
    final_loss = evaluate(model, X, targets, loss=loss.name)["loss"]
    correct = sum(p == t for p, t in zip(predict(model, X), y))
    print(f"final loss {final_loss:.4f}, training accuracy {correct / len(X):.1%} ({correct}/{len(X)})")
    written = Written()
    if args.save is not None:
        model.save(args.save)
        written.files.append(Path(args.save))
    if args.plot is not None:
        written.plot(Path(args.plot), lambda ax: plot_decision_boundary(model, X, y, ax=ax))
    if args.history is not None:
        written.plot(Path(args.history), lambda ax: plot_history(history, ax=ax))
    if args.animate:
        from .plot import animate

        written.files.append(animate(history, X, y, args.animate))
    written.report()


# --- saved models: train --init, evaluate, export ------------------------------------------

def _add_model_commands(commands: argparse._SubParsersAction, losses: list[str]) -> None:
    """The subcommands that read a model file written by ``train --save``: evaluate and export."""
    evaluate = commands.add_parser(
        "evaluate", help="the loss and accuracy of a saved model on a 2-D data set",
        description="Load a model saved by train --save and print its loss and accuracy on a data set made "
        "as train makes it (the same --data, --samples and --seed give the same points).",
    )
    evaluate.add_argument("--model", required=True, metavar="FILE", help="the model file (train --save)")
    evaluate.add_argument("--data", choices=DATASETS, default="moons", help="data set (default: moons)")
    evaluate.add_argument("--samples", type=_positive_int, metavar="N",
                          help="number of points (default: the data set's, 100; xor: its 4 corners)")
    evaluate.add_argument("--seed", type=_non_negative_int, default=0, metavar="S",
                          help="seed of the data (default: 0)")
    evaluate.add_argument("--loss", choices=losses,
                          help="(default: hinge for a model with one output, cross_entropy for one per class)")
    evaluate.add_argument("--plot", metavar="FILE", help="plot the decision boundary (PNG)")
    evaluate.set_defaults(run=_evaluate)

    export = commands.add_parser(
        "export", help="write a saved model as a standalone PyTorch script",
        description="Write a Python script that rebuilds the network saved in FILE in PyTorch (float64) with its "
        "weights; run, it checks its outputs against microgradnet's. Needs torch: pip install 'microgradnet[torch]'.",
    )
    export.add_argument("model", metavar="FILE", help="the model file (train --save)")
    export.add_argument("--to", choices=("torch",), default="torch", help="the framework (default: torch)")
    export.add_argument("--out", required=True, metavar="SCRIPT", help="the script to write, e.g. model.py")
    export.set_defaults(run=_export)


def _dataset(args: argparse.Namespace) -> tuple[list[list[float]], list[int]]:
    """The points of ``--data`` with ``--samples`` and ``--seed``: train and evaluate make the same ones."""
    from . import data

    make = getattr(data, f"make_{args.data}")
    return make(seed=args.seed) if args.samples is None else make(n=args.samples, seed=args.seed)


def _load_model(path: str, option: str) -> MLP:
    """The MLP saved in ``path``; any bad file is one line with ``Module.load``'s message, naming the file."""
    from .nn import MLP

    try:
        return MLP.from_file(path)  # type: ignore[return-value]
    except FileNotFoundError:
        raise CliError(f"{option} {path}: no such model file") from None
    except OSError as err:
        raise CliError(f"{option} {path}: cannot read it: {err.strerror or err}") from None
    except (TypeError, ValueError) as err:
        raise CliError(f"{option}: {err}") from None


def _check_fits(model: MLP, option: str, path: str, data: str, outputs: int, needs: str) -> None:
    """A one-line error unless ``model`` reads the 2-D points of ``data`` and has ``outputs`` outputs."""
    if model.nin != 2:
        raise CliError(f"{option} {path}: the model takes {model.nin} inputs; --data {data} has 2")
    if model.nouts[-1] != outputs:
        has = f"{model.nouts[-1]} output{'s' if model.nouts[-1] > 1 else ''}"
        raise CliError(f"{option} {path}: the model has {has}; {needs} needs {outputs}")


def _initial_model(args: argparse.Namespace, nout: int, classes: int) -> MLP:
    """The model ``train`` starts from: new weights of --hidden and --activation, or the model of --init."""
    from .nn import MLP

    if args.init is None:
        hidden = [16, 16] if args.hidden is None else args.hidden
        return MLP(2, [*hidden, nout], activation=args.activation or "relu", seed=args.seed)
    model = _load_model(args.init, "--init")
    _check_fits(model, "--init", args.init, args.data, nout, f"--loss {args.loss or 'hinge'} on {classes} classes")
    for option, given, saved in (("--hidden", args.hidden, model.nouts[:-1]),
                                 ("--activation", args.activation, model.activation)):
        if given is not None and given != saved:
            shown = ",".join(map(str, given)) if isinstance(given, list) else given
            raise CliError(f"--init {args.init}: the saved model has {option[2:]} {saved!r}, not {option} {shown} "
                           f"(leave {option} out to continue the saved model)")
    print(f"Continuing the model saved in {args.init}")
    return model


def _evaluate(args: argparse.Namespace) -> None:
    from .losses import LOSSES
    from .plot import plot_decision_boundary
    from .train import evaluate, predict

    if args.plot is not None:  # "" too: an empty name is an error, not "no plot"
        _output_file(args.plot, "evaluate --plot", plot=True)
    model = _load_model(args.model, "--model")
    X, y = _dataset(args)
    classes = max(y) + 1
    one_output = model.nouts[-1] == 1
    if args.loss is None:
        loss = next(loss for loss in LOSSES.values() if loss.classification and loss.per_class != one_output)
    else:
        loss = LOSSES[args.loss]
    _check_fits(model, "--model", args.model, args.data, loss.outputs_needed(classes),
                f"--loss {loss.name} on --data {args.data} ({classes} classes)")
    final_loss = evaluate(model, X, loss.class_targets(y), loss=loss.name)["loss"]
    correct = sum(p == t for p, t in zip(predict(model, X), y))  # as train counts it
    print(f"Evaluating {model!r} from {args.model}")
    print(f"on {args.data} ({len(X)} points, {classes} classes, seed {args.seed}), {loss.name} loss")
    print(f"loss {final_loss:.4f}, accuracy {correct / len(X):.1%} ({correct}/{len(X)})")
    written = Written()
    if args.plot is not None:
        written.plot(Path(args.plot), lambda ax: plot_decision_boundary(model, X, y, ax=ax))
    written.report()


def _export(args: argparse.Namespace) -> None:
    check_output(args.out, "export --out")
    model = _load_model(args.model, "export")
    try:
        from .torch_bridge import export_script
    except ImportError:
        raise CliError("export --to torch needs PyTorch: pip install 'microgradnet[torch]'") from None
    write_atomic(args.out, export_script(model, source=args.model), "export --out")
    print(f"Exported {model!r} to a PyTorch script; run it to check it: python {args.out}")
    written = Written()
    written.files.append(Path(args.out))
    written.report()


def graph_from_args(args: argparse.Namespace) -> Value:
    """The graph a command line names: a lecture example, or ``--expr`` at ``--at``."""
    from .examples import EXAMPLES
    from .expr import parse_at
    from .naming import name_nodes

    graphs = [name for name, example in EXAMPLES.items() if not example.trains]
    if (args.example is None) == (args.expr is None):
        raise CliError(f"give a lecture example ({', '.join(graphs)}) or --expr, not both or neither")
    if args.expr is None:
        if args.example not in graphs:
            raise CliError(f"unknown graph example {args.example!r}; choose from {', '.join(graphs)}")
        return _graph_example(args.example).root
    root = parse_at(args.expr, args.at)[0]
    name_nodes(root)  # f, n1, n2, ...: the names the graph command, the pictures and the worksheet use too
    return root


def _graph_example(name: str) -> GraphExample:
    """The lecture example ``name`` built, when it is a graph rather than a training run."""
    from .examples import EXAMPLES, GraphExample

    built = EXAMPLES[name].build()
    if not isinstance(built, GraphExample):
        raise CliError(f"example {name!r} trains a network; it has no graph to trace")
    return built


def _source(args: argparse.Namespace) -> Source:
    """What a worksheet or practice command line names as a ``variants.Source``: an example, --expr or --random."""
    from .exercises import parse_ops, random_graph, spec
    from .variants import Source

    if args.random:
        if args.example is not None or args.expr is not None:
            raise CliError("--random makes its own graph: give no EXAMPLE or --expr with it")
        ops = parse_ops(args.ops)
        random_graph(ops, args.nodes, args.fanout, args.seed)  # the errors of these options, before anything else
        return Source("random", spec(ops, args.nodes, args.fanout, args.seed))
    graph_from_args(args)  # the same checks and messages as a single worksheet
    if args.expr is not None:
        return Source("expr", args.expr, args.at)
    return Source("example", args.example)


def _practice(args: argparse.Namespace) -> int:
    """``microgradnet practice``: an interactive session on stdin, or ``--answers FILE`` graded (exit 0/1)."""
    from .practice import check_answers, practice, read_line

    root = _source(args).build()[0] if args.random else graph_from_args(args)
    if args.answers is not None:
        return 0 if check_answers(root, args.answers, args.ask, args.tolerance).all_correct else 1
    practice(root, args.ask, args.tolerance, input=read_line, output=print)
    return 0


def _worksheet(args: argparse.Namespace) -> int:
    """``microgradnet worksheet``: write the worksheet files into ``--out`` and list them.

    With --variants, --roster or --random, every variant's numbers are made before anything is written.
    """
    from .player import save_html
    from .variants import Variant, read_roster, variants
    from .worksheet import sheet_labels, worksheet

    if args.variants is not None and args.roster is not None:
        raise CliError("give --variants N or --roster FILE, not both (a roster makes one sheet per name)")
    if args.html and (args.random or args.variants or args.roster or args.format != "sheet"):
        raise CliError("--html writes the page of one sheet: not with --variants, --roster, --random or --format")
    if not (args.random or args.variants or args.roster):
        root = graph_from_args(args)
        name = args.name or args.example or "worksheet"
        if args.format != "sheet":
            return _quiz(args, [(root, name, name)], _output_dir(args.out, "--out"), name)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            written = worksheet(root, args.out, name, ask=args.ask, paper=args.paper, digits=args.digits)
        if args.html:
            with sheet_labels(root):  # the page names the nodes as the sheet does
                written.append(save_html(root, Path(args.out) / f"{name}.html", mode="practice", ask=args.ask))
        _list_written(written, caught)
        return 0
    source = _source(args)
    if args.roster is not None:
        made = variants(source, read_roster(args.roster), args.seed, args.ask)
    elif args.variants is not None:
        made = variants(source, args.variants, args.seed, args.ask)
    else:  # --random alone: one sheet at the graph's own numbers, with sheet lines so that grade can read it
        _, leaves = source.build()
        made = [Variant(source, {label: leaf.data for label, leaf in leaves.items()}, "", ask=args.ask)]
    name = args.name or source.name
    out = _output_dir(args.out, "--out")  # only now: bad input has written nothing
    if args.format != "sheet":
        return _quiz(args, [(v.build()[0], v.title, v.stem(name)) for v in made], out, name)
    from .variants import write_worksheets

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = write_worksheets(made, out, name=name)
    _list_written(written, caught, f"{made[0].stem(name)} to {made[-1].stem(name)}" if len(made) > 1 else "")
    return 0


def _quiz(args: argparse.Namespace, sheets: list[tuple[Value, str, str]], out: Path, name: str) -> int:
    """``worksheet --format moodle|gift``: one quiz file with a question set per sheet."""
    from .files import write_atomic
    from .quiz import SUFFIX, QuizSheet, gift, moodle_xml

    write = moodle_xml if args.format == "moodle" else gift
    text = write([QuizSheet(*sheet) for sheet in sheets], args.ask)
    path = write_atomic(out / f"{name}{SUFFIX[args.format]}", text, f"worksheet --format {args.format}")
    questions = text.count('<question type="numerical">') if args.format == "moodle" else text.count("{#")
    print(f"Wrote {path}: {len(sheets)} question set{'s' * (len(sheets) > 1)}, {questions} numerical questions")
    return 0


def _list_written(written: list[Path], caught: list[warnings.WarningMessage], sheets: str = "") -> None:
    """List the files a worksheet command wrote (a class's, ``sheets`` "first to last", in short), then its warnings."""
    if sheets:
        print(f"Wrote {len(written)} files into {written[0].parent}: worksheets {sheets} (drawing, answers sheet "
              f"and key each) and the class list {written[-1].name}")
    else:
        print(f"Wrote {len(written)} files:")
        for path in written:
            print(f"  {path}")
    for warning in caught:
        print(f"microgradnet: {warning.message}", file=sys.stderr)


def _grade(args: argparse.Namespace) -> int:
    """``microgradnet grade``: grade the sheets, print the summary, write the CSV, the plot and the reports.

    Exit 0 when every sheet was graded, 1 when some could not be read (they are named in the summary).
    """
    from .files import check_output
    from .grading import grade, write_grades

    csv_path = Path(args.csv)
    plot = Path(args.plot) if args.plot else csv_path.with_name(f"{csv_path.stem}-missed.png")
    check_output(csv_path, "grade --csv")
    check_output(plot, "grade --plot")
    if args.reports is not None and Path(args.reports).exists() and not Path(args.reports).is_dir():
        raise CliError(f"grade --reports: {args.reports} is a file, expected a directory")
    grades = grade(args.paths, args.tolerance)
    print(grades.summary())
    reports = _output_dir(args.reports, "--reports") if args.reports is not None else None
    written = write_grades(grades, csv_path, plot if grades.graded else None, reports)
    print(f"Wrote {csv_path}" + (f", {plot}" if grades.graded else "")
          + (f" and {len(written) - 2} reports into {reports}" if reports is not None else ""))
    return 1 if grades.failed else 0


# --- text ------------------------------------------------------------------------------

def _heading(title: str) -> str:
    return f"{title}\n{'=' * len(title)}"


def _graph_text(name: str, title: str, row: int, example: GraphExample, digits: int = 2) -> str:
    """A graph example as the slides show it: formula, forward pass, backward steps, gradient, checks."""
    from .trace import trace_backward

    parts = [_heading(f"Row {row}: {title}  [microgradnet example {name}]"), example.formula]
    parts += _wrap(example.point.split(", "), "at ", "   ")
    parts.append("")
    parts.append(_forward_text(example.root, example.leaves, digits))
    parts.append(_backward_text(trace_backward(example.root, digits)))
    parts.append(_gradient_text(example.root, example.leaves, slide_rounding=digits == 2, digits=digits))
    if example.checks:
        parts.append(_checks_text(example))
    return "\n".join(parts)


def _wrap(items: list[str], first: str, indent: str = "  ", width: int = 100) -> list[str]:
    """``items`` joined by ", " into lines of at most ``width`` characters, never splitting an item."""
    lines, line, empty = [], first, True
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if not empty and len(line) + 1 + len(piece) > width:
            lines.append(line)
            line, empty = indent, True
        line += piece if empty else " " + piece
        empty = False
    return [*lines, line]


def _table(rows: list[list[str]], right: set[int], indent: str = "  ") -> list[str]:
    """Rows of cells as aligned columns; the columns in ``right`` (numbers) are right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def _forward_text(root: Value, named: dict[str, Value], digits: int = 2) -> str:
    """The leaves' values (the ``named`` ones first, in order), then each op as a table row."""
    from .trace import fmt, trace_forward

    steps = trace_forward(root, digits)
    ops = [s for s in steps if s.inputs]
    leaves = [v for v in named.values()] + [s.node for s in steps if not s.inputs and s.node not in named.values()]
    lines = ["Forward pass"]
    if leaves:
        lines += _wrap([f"{v.label or 'leaf'} = {fmt(v.data, digits)}" for v in leaves], "  ")
    rows = [[cells.node, cells.expression, "=", cells.value] for cells in (step.cells() for step in ops)]
    if rows:
        lines += _table(rows, right={1, 3})
    return "\n".join(lines) + "\n"


def _backward_text(steps: list[Step]) -> str:
    """The backward steps of op nodes as a table: node, upstream × local = downstream → inputs."""
    lines = ["Backward pass: upstream × local = downstream, from the output back"]
    rows = [["node", "upstream", "", "local", "", "downstream", "", "to"]]
    for step in steps:
        if step.inputs:
            c = step.cells()
            rows.append([c.node, c.upstream, "×", c.local, "=", c.downstream, "→", c.to])
    if len(rows) > 1:
        lines += _table(rows, right={1, 3, 5})
    else:
        lines.append("  nothing to propagate: the output is an input itself")
    return "\n".join(lines) + "\n"


def _gradient_text(root: Value, leaves: dict[str, Value], slide_rounding: bool = False, digits: int = 2) -> str:
    """Each named leaf's gradient; for small examples also as a vector, and at 1 decimal as slides round."""
    from .trace import fmt

    out = root.label or "f"
    if not leaves:
        return f"Gradient: {out} depends on no named input\n"
    rows = [[f"∂{out}/∂{name}", "=", fmt(leaf.grad, digits)] for name, leaf in leaves.items()]
    vector = ", ".join(fmt(leaf.grad, digits) for leaf in leaves.values())
    lines = [f"Gradient of {out} = {fmt(root.data, digits)}", *_table(rows, right={2})]
    if len(leaves) <= 6:  # the slides write the gradient as a vector for small examples
        lines.append(f"  ∇{out}({', '.join(leaves)}) = ({vector})")
        grads = [leaf.grad for leaf in leaves.values()]
        if slide_rounding and any(round(g, 1) != round(g, 2) for g in grads):
            lines.append(f"  to 1 decimal, as slides often round: ({', '.join(fmt(g, 1) for g in grads)})")
    return "\n".join(lines) + "\n"


def _checks_text(example: GraphExample) -> str:
    rows = [["derivative", "slide's formula", "by hand", "autodiff", ""]]
    for check in example.checks:
        agree = math.isclose(check.hand, check.autodiff, rel_tol=1e-9, abs_tol=1e-12)
        mark = "✓" if agree else "✗ differs"
        rows.append([check.name, check.formula, f"{check.hand:.4f}", f"{check.autodiff:.4f}", mark])
    return "\n".join(["The slide's hand derivation vs autodiff", *_table(rows, right={2, 3})]) + "\n"


# --- files -----------------------------------------------------------------------------

def _output_dir(path: str, flag: str) -> Path:
    """``path`` as a directory that exists and can be written to (made if missing), or an error naming ``flag``."""
    from .files import check_output_dir

    return check_output_dir(path, flag)


def _output_file(path: str, flag: str, plot: bool = False) -> Path:
    """``path`` as a file that can be written (its directory made if missing), or an error naming ``flag``.

    ``plot``: the suffix must also be an image format matplotlib writes (``--plot p.xyz`` fails here).
    """
    from .files import check_output

    try:  # the name itself first: "", "m.json/" and links fail before a directory is made
        check_output(path, flag)
    except FileNotFoundError:  # only its directory is missing: made next
        pass
    _output_dir(os.path.dirname(path) or ".", flag)
    if plot:
        suffix = Path(path).suffix[1:].lower()
        formats = _plot_formats()
        if suffix not in formats:
            raise CliError(f"{flag}: cannot write a plot as {path!r}: the name must end in one of "
                           f"{', '.join('.' + f for f in sorted(formats))}")
    return check_output(path, flag)


def _plot_formats() -> set[str]:
    """The file suffixes matplotlib can write (png, svg, pdf, ...)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return set(Figure().canvas.get_supported_filetypes())


def _html_file(path: str) -> Path:
    """``--html FILE`` checked before any work: its directory must exist and be writable (it is not made)."""
    from .files import check_output

    try:
        return check_output(path, "--html")
    except OSError as err:
        raise CliError(err.strerror or str(err)) from None


def _output_stem(path: str) -> Path:
    stem = _output_file(path, "--out")
    return stem.with_suffix("") if stem.suffix.lower() in (".svg", ".png", ".dot") else stem


class Written:
    """The files a command wrote, and whether Graphviz was missing (drawings fell back to .dot)."""

    def __init__(self) -> None:
        self.files: list[Path] = []
        self.missing_dot = False

    def _save(self, graph: object, stem: Path, formats: tuple[str, ...]) -> None:
        from .viz import save

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.files += save(graph, stem, formats=formats)
        self.missing_dot |= any(issubclass(w.category, RuntimeWarning) for w in caught)

    def graph(self, root: Value, stem: Path, local_grads: bool = False, **options: Any) -> None:
        """Draw ``root``'s graph with values and gradients as ``stem``.svg and .png (``frames.picture``'s options)."""
        from .frames import picture
        from .render import NoRenderer
        from .viz import draw_dot

        if options:  # without: the boxes drawing of draw_dot, 4 significant digits
            try:
                self.files += picture(root, show_local_grads=local_grads, **options).save(stem, ("svg", "png"))
                return
            except NoRenderer:  # no dot: the DOT source of the boxes drawing below, saying how to get pictures
                pass
        self._save(draw_dot(root, show_local_grads=local_grads), stem, ("svg", "png"))

    def frames(self, root: Value, directory: Path, local_grads: bool = False, gif: bool = False, pdf: bool = False,
               **options: Any) -> None:
        """One SVG per backward step (``step-01.svg``, ...), all on one layout; ``steps.gif``/``.pdf`` if asked."""
        from .files import remove_stale
        from .frames import frame_set, save_frames

        formats = ["svg", *(["gif"] if gif else []), *(["pdf"] if pdf else [])]
        written = save_frames(frame_set(root, show_local_grads=local_grads, **options), directory, formats)
        self.files += written
        # a reused directory: the frames of an earlier, longer run go (only step-NN.svg/.dot files)
        remove_stale(directory, "step-", (".svg", ".dot"), set(written))

    def plots(self, run: TrainingExample, stem: Path) -> None:
        """The decision boundary (``stem``-boundary.png) and, if trained by ``fit``, the loss curve."""
        from .plot import plot_decision_boundary, plot_history

        boundary = stem.with_name(f"{stem.name}-boundary.png")
        self.plot(boundary, lambda ax: plot_decision_boundary(run.model, run.X, run.y, ax=ax))
        history = run.history
        if history is not None:
            self.plot(stem.with_name(f"{stem.name}-loss.png"), lambda ax: plot_history(history, ax=ax))

    def page(self, root: Value, path: Path) -> None:
        """The backprop player of ``root``'s graph: one offline HTML page."""
        from .player import save_html

        self.files.append(save_html(root, path))

    def plot(self, path: Path, draw: Callable[[Axes], object]) -> None:
        """A matplotlib figure drawn by ``draw(ax)``, saved as a PNG at ``path`` (headless, 150 dpi)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4.5))
        try:
            draw(ax)
            fig.tight_layout()
            image = io.BytesIO()  # rendered in memory, then written whole (files.write_atomic)
            fig.savefig(image, dpi=150, format=path.suffix[1:].lower() or "png")
        finally:
            plt.close(fig)
        self.files.append(write_atomic(path, image.getvalue(), "plot"))

    def report(self) -> None:
        """List the files written; say how to get pictures if only DOT source could be written."""
        if not self.files:
            return
        print(f"Wrote {len(self.files)} file{'s' if len(self.files) > 1 else ''}:")
        for path in self.files:
            print(f"  {path}")
        if self.missing_dot:
            from .viz import INSTALL_HINT

            print(f"Graphviz's dot program was not found, so the graphs were written as .dot files; to get "
                  f"SVG and PNG, {INSTALL_HINT}", file=sys.stderr)

