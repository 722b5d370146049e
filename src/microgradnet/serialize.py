"""Model files: a Module's state as JSON, checked in full before any parameter changes.

A state is ``{"format": "microgradnet.nn", "version": 1, "architecture": {...}, "seed": int | None,
"parameters": [float, ...]}``. ``json`` writes floats with ``repr``, so they round-trip exactly;
non-finite parameters are written as ``NaN`` / ``Infinity``, which ``json`` reads back. No pickle.
"""
from __future__ import annotations

import errno
import json
import os
from numbers import Real
from typing import Any, Union

from .files import write_atomic

FORMAT = "microgradnet.nn"
VERSION = 1
KEYS = ("format", "version", "architecture", "seed", "parameters")

PathLike = Union[str, "os.PathLike[str]"]


def make_state(architecture: dict[str, Any], parameters: list[float], seed: int | None) -> dict[str, Any]:
    """The JSON-able state of a model: format, version, architecture, seed and parameter values."""
    return {"format": FORMAT, "version": VERSION, "architecture": architecture, "seed": seed, "parameters": parameters}


def check_header(state: Any, source: str) -> dict[str, Any]:
    """The state's architecture, after checking it is a dict with every key, our format and our version."""
    if not isinstance(state, dict):
        raise TypeError(f"{source}: expected a model state (a dict), got {type(state).__name__}")
    missing = [key for key in KEYS if key not in state]
    if missing:
        raise ValueError(f"{source}: not a model state, missing {', '.join(map(repr, missing))}")
    if state["format"] != FORMAT:
        raise ValueError(f"{source}: format {state['format']!r} is not a microgradnet model (expected {FORMAT!r})")
    version = state["version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise TypeError(f"{source}: format version must be an int, got {type(version).__name__} {version!r}")
    if version != VERSION:
        raise ValueError(
            f"{source}: format version {version} is not supported (this microgradnet reads version {VERSION})"
        )
    architecture = state["architecture"]
    if not isinstance(architecture, dict) or not isinstance(architecture.get("type"), str):
        raise TypeError(f"{source}: architecture must be a dict with a 'type' name, got {architecture!r}")
    seed = state["seed"]
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise TypeError(f"{source}: seed must be an int or null, got {type(seed).__name__} {seed!r}")
    return architecture


def check_state(state: Any, architecture: dict[str, Any], count: int, source: str) -> list[float]:
    """The parameter values of ``state`` as floats, once every part matches a model of ``architecture``
    with ``count`` parameters; otherwise a TypeError or ValueError saying which part is wrong."""
    found = check_header(state, source)
    if found != architecture:
        keys = [k for k in {**architecture, **found} if found.get(k) != architecture.get(k)]
        diffs = "; ".join(f"{k}: file has {found.get(k)!r}, model has {architecture.get(k)!r}" for k in keys)
        raise ValueError(f"{source}: architecture mismatch ({diffs})")
    values = state["parameters"]
    if not isinstance(values, list):
        raise TypeError(f"{source}: parameters must be a list of numbers, got {type(values).__name__}")
    if len(values) != count:
        raise ValueError(f"{source}: expected {count} parameters, got {len(values)}")
    floats = []
    for i, v in enumerate(values):
        if not isinstance(v, Real) or isinstance(v, bool):
            raise TypeError(f"{source}: parameter {i} must be a number, got {type(v).__name__} {v!r}")
        try:
            floats.append(float(v))
        except OverflowError:  # a JSON integer beyond float range (1e400 written as a float reads as inf)
            raise ValueError(f"{source}: parameter {i} is an integer too large for a float") from None
    return floats


def write_json(path: PathLike, obj: Any) -> None:
    """Write ``obj`` as JSON atomically (``files.write_atomic``): an existing file at ``path`` is
    left untouched on any failure, and a symlink or non-regular file there is refused."""
    write_atomic(path, json.dumps(obj, indent=1), "save")


def read_json(path: PathLike) -> Any:
    """The JSON value in the file at ``path``; FileNotFoundError naming the path if there is none,
    ValueError if the file is not UTF-8 JSON (empty, truncated, binary)."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "no such model file", name) from None
    except UnicodeDecodeError as e:
        raise ValueError(f"{name!r} is not a model file: not UTF-8 text ({e.reason} at byte {e.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{name!r} is not valid JSON (truncated or not a model file): {e}") from None
