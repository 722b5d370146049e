"""Writing the user's files safely: every output goes through ``write_atomic``.

A write goes to a hidden temp file in the target's directory (``.NAME.<random>.microgradnet-tmp``),
is flushed to disk, then renamed over the target, so a reader sees the old file or the new one,
never half of one. The target must be absent or a regular file: a symlink, FIFO, device or
directory is refused, not written through or replaced. On any failure the temp file is removed
and the error names the target. A stale temp file (from a killed process) is recognised by that
suffix and can be deleted.
"""
from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Union

PathLike = Union[str, "os.PathLike[str]"]
TEMP_SUFFIX = ".microgradnet-tmp"


class OutputError(ValueError):
    """An output path that cannot be written: empty, not a regular file, or in a missing directory."""


def check_output(path: PathLike, where: str = "output") -> Path:
    """``path`` as a Path once it is writable by ``write_atomic``; otherwise an OutputError naming it.

    Called before the work starts, so a bad path fails in a second, not after training.
    """
    text = os.fspath(path)
    if not text:
        raise OutputError(f"{where}: the file name is empty")
    target = Path(text)
    if text.endswith(("/", os.sep)):
        raise OutputError(f"{where}: {text!r} names a directory, expected a file name")
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise OutputError(f"{where}: {text!r} is a symbolic link; refusing to write through it")
        if stat.S_ISDIR(info.st_mode):
            raise OutputError(f"{where}: {text!r} is a directory, expected a file name")
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(
                f"{where}: {text!r} is not a regular file (a device, FIFO or socket); refusing to replace it"
            )
    parent = target.parent
    if not parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"{where}: directory {str(parent)!r} of {text!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{where}: directory {str(parent)!r} of {text!r} is not writable")
    return target


def write_atomic(path: PathLike, content: bytes | str, where: str = "output") -> Path:
    """Write ``content`` (str as UTF-8) to ``path`` atomically; return the path written.

    Refuses what ``check_output`` refuses. An existing file keeps its permissions.
    """
    target = check_output(path, where)
    data = content.encode("utf-8") if isinstance(content, str) else content
    mode = _file_mode(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError):  # the same kind of error, naming the file the user asked for
            message = f"{where}: could not write {str(target)!r}: {e.strerror or e}"
            raise (type(e)(e.errno, message) if e.errno else type(e)(message)) from None
        raise
    return target


def _file_mode(path: Path) -> int:
    """The permissions to give a written file: an existing file's own, else 0o666 less the umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
