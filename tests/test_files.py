"""write_atomic: whole files or nothing, never through a symlink, never over a non-regular file."""
from __future__ import annotations

import os

import pytest

from microgradnet import files
from microgradnet.files import OutputError, check_output, write_atomic


def test_writes_the_content_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "out.txt"
    assert write_atomic(target, "δ = 0.20") == target
    assert target.read_text(encoding="utf-8") == "δ = 0.20"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "out.txt"
    target.write_bytes(b"old")
    target.chmod(0o600)
    write_atomic(target, b"new")
    assert (target.stat().st_mode & 0o777, target.read_bytes()) == (0o600, b"new")


def test_refuses_to_write_through_a_symlink(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    link = tmp_path / "link.txt"
    link.symlink_to(victim)
    with pytest.raises(OutputError, match="link.txt' is a symbolic link"):
        write_atomic(link, "overwritten")
    assert victim.read_text() == "keep" and link.is_symlink()


def test_refuses_to_replace_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="not a regular file"):
        write_atomic(fifo, "x")
    assert not fifo.is_file() and os.listdir(tmp_path) == ["pipe"]


@pytest.mark.parametrize("name, message", [("", "the file name is empty"), ("sub/", "names a directory")])
def test_refuses_empty_and_directory_names(tmp_path, name, message):
    with pytest.raises(OutputError, match=message):
        check_output(name if not name else f"{tmp_path}/{name}")


def test_a_missing_directory_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no' of .* does not exist"):
        write_atomic(tmp_path / "no" / "f.txt", "x")


def test_a_failed_write_removes_its_temp_file_and_names_the_target(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with pytest.raises(OSError, match="could not write '.*out.png': No space left on device"):
        write_atomic(target, b"new picture")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["out.png"]


def test_a_temp_file_that_cannot_be_made_is_named_as_the_target(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".x.html.abc.microgradnet-tmp"))

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError, match=r"^\[Errno 13\] page: could not write '.*x\.html': Permission denied$") as err:
        files.write_atomic(tmp_path / "x.html", "<p>", "page")
    assert err.value.filename is None  # the temp file's name does not reach the user
