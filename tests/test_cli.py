"""The command line, run as a user runs it: ``python -m microgradnet ...`` in a fresh directory."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from microgradnet import __version__
from microgradnet.examples import EXAMPLES
from microgradnet.nn import MLP
from microgradnet.train import predict

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")


# a machine without any Graphviz: no dot on PATH (set by run's path=) and no graphviz-pure (the render extra)
WITHOUT_GRAPHVIZ_PURE = ("import sys, microgradnet.render as render; render._graphviz_pure = lambda: None; "
                         "from microgradnet.cli import main; sys.exit(main(sys.argv[1:]))")


def run(cwd: Path, *args: str, path: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "microgradnet"]
    if path is not None:
        env["PATH"] = path
        command = [sys.executable, "-c", WITHOUT_GRAPHVIZ_PURE]
    return subprocess.run(
        [*command, *args], cwd=cwd, env=env, capture_output=True,
        encoding="utf-8", timeout=timeout,
    )


def listed_files(stdout: str, cwd: Path) -> list[Path]:
    """The paths under the closing "Wrote N files:" line."""
    head, _, tail = stdout.rpartition("Wrote ")
    assert head or tail, stdout
    lines = tail.splitlines()
    count = int(lines[0].split()[0])
    files = [cwd / line.strip() for line in lines[1:1 + count]]
    assert len(files) == count
    return files


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("microgradnet: error: ")
    for word in words:
        assert word in lines[0]


@needs_dot
def test_demo_prints_rows_1_and_2_and_writes_graphs_and_plots(tmp_path):
    result = run(tmp_path, "demo", "--epochs", "5")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for number in ["-10.00", "5.00", "-0.53", "0.37", "1.37", "0.73", "-0.20", "0.20", "0.40", "-0.60"]:
        assert number in out
    assert "∇f(x, y, z) = (-2.00, -2.00, 5.00)" in out
    assert "to 1 decimal, as slides often round: (0.4, -0.6, -0.2, -0.4, 0.2)" in out
    assert "f (1/x)" in out and "upstream × local = downstream" in out
    files = listed_files(out, tmp_path)
    names = sorted(f.name for f in files)
    assert names == sorted([
        "add-mul.svg", "add-mul.png", "neuron.svg", "neuron.png", "neuron-local-grads.svg",
        "neuron-local-grads.png", "moons-boundary.png", "moons-loss.png",
    ])
    assert all(f.parent == tmp_path / "microgradnet-demo" for f in files)
    for f in files:
        content = f.read_bytes()
        assert content.startswith(b"\x89PNG") if f.suffix == ".png" else b"<svg" in content
    # the local gradient of 1/x, -1/1.37² = -0.53 at the slide's rounding, is written on its wire too
    plain = (tmp_path / "microgradnet-demo" / "neuron.svg").read_text()
    with_local = (tmp_path / "microgradnet-demo" / "neuron-local-grads.svg").read_text()
    assert with_local.count("-0.53") == plain.count("-0.53") + 1
    assert "fit" in result.stderr  # the tqdm progress bar
    assert "Traceback" not in result.stderr


def test_demo_without_graphviz_writes_dot_files_and_says_how_to_install(tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    result = run(tmp_path, "demo", "--no-train", "--out", "pictures", path=str(empty))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    files = listed_files(result.stdout, tmp_path)
    assert sorted(f.name for f in files) == ["add-mul.dot", "neuron-local-grads.dot", "neuron.dot"]
    assert all(f.read_text().startswith("digraph") for f in files)
    assert "install Graphviz" in result.stderr and "apt-get install graphviz" in result.stderr
    assert "-10.00" in result.stdout


def test_example_list_shows_every_example_with_its_lecture_row(tmp_path):
    result = run(tmp_path, "example", "--list")
    assert result.returncode == 0
    for name, example in EXAMPLES.items():
        (line,) = [line for line in result.stdout.splitlines() if line.split()[:1] == [name]]
        assert f"row {example.row:>2}" in line and example.title in line


@pytest.mark.parametrize(
    "name, expected",
    [
        ("add-mul", ["-10.00", "∂f/∂q", "q (+)", "∇f(x, y, z) = (-2.00, -2.00, 5.00)"]),
        ("neuron", ["-0.53", "-0.20", "(-0.20, 0.40)", "(-0.40, -0.60)", "1 / 1.37"]),
        ("copy-node", ["∂f/∂x  =  7.00", "q + x (path through q, plus the direct path)"]),
        ("shared-params", ["∂z7/∂u", "∂z7/∂w13 + ∂z7/∂w24 + ∂z7/∂w36 + ∂z7/∂w57"]),
        ("seven-unit", ["E (max)", "δ7 = ∂E/∂z7", "I(-z7·t > 0)·(-t)", "-1.0000", "δ3 = ∂E/∂a3"]),
        ("delta-rule", ["δ1 = ∂L/∂a1", "(1 - z1²)·w2_1·δ", "ŷ (dot)", "L (*0.5)"]),
    ],
)
def test_each_graph_example_prints_its_numbers_and_every_check_agrees(tmp_path, name, expected):
    result = run(tmp_path, "example", name)
    assert result.returncode == 0, result.stderr
    for text in expected:
        assert text in result.stdout
    checks = EXAMPLES[name].build().checks
    assert result.stdout.count("✓") == len(checks)
    assert "✗" not in result.stdout
    assert f"Row {EXAMPLES[name].row}:" in result.stdout


@needs_dot
def test_example_out_and_frames_write_the_graph_and_one_svg_per_backward_step(tmp_path):
    result = run(tmp_path, "example", "neuron", "--out", "out", "--frames", "frames", "--local-grads")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "neuron.svg").read_text().count("<svg") == 1
    assert (tmp_path / "out" / "neuron.png").read_bytes().startswith(b"\x89PNG")
    frames = sorted((tmp_path / "frames").iterdir())
    # one frame per node: 5 leaves and 8 gates
    assert [f.name for f in frames] == [f"step-{i:02d}.svg" for i in range(1, 14)]
    assert "backward step 1/13" in frames[0].read_text()
    assert set(listed_files(result.stdout, tmp_path)) == {tmp_path / "out" / "neuron.svg",
                                                          tmp_path / "out" / "neuron.png", *frames}


def test_training_examples_print_their_results_and_plot(tmp_path):
    result = run(tmp_path, "example", "xor", "--out", "plots")
    assert result.returncode == 0, result.stderr
    assert "outputs [0.00, 1.00, 1.00, 0.00]" in result.stdout
    assert "b = 0.50 -> outputs [0.50, 0.50, 0.50, 0.50]" in result.stdout
    assert "accuracy 100%" in result.stdout
    for name in ("xor-boundary.png", "xor-loss.png"):
        assert (tmp_path / "plots" / name).read_bytes().startswith(b"\x89PNG")
    result = run(tmp_path, "example", "perceptron")
    assert result.returncode == 0, result.stderr
    assert "SGD (lr = 1) on max(0, -z·t) gives the same weights: yes" in result.stdout


def test_graph_prints_forward_backward_and_gradient(tmp_path):
    result = run(tmp_path, "graph", "z*(x+y)", "--at", "x=2,y=3,z=-2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "f = z*(x+y)" in out and "at x = 2, y = 3, z = -2" in out
    assert "(-2.00) * 5.00  =  -10.00" in out
    assert "∂f/∂x  =  -2.00" in out and "∂f/∂z  =   5.00" in out
    assert "Wrote" not in out


def test_graph_gradient_of_the_neuron_typed_on_the_command_line(tmp_path):
    result = run(tmp_path, "graph", "1/(1+exp(-(w0*x0+w1*x1+w2)))", "--at", "x0=-1,x1=-2,w0=2,w1=-3,w2=-3")
    assert result.returncode == 0, result.stderr
    assert "(0.39, -0.59, -0.20, -0.39, 0.20)" in result.stdout
    assert "f (1/x)" in result.stdout and "+1" in result.stdout


def test_graph_expression_starting_with_minus_after_double_dash(tmp_path):
    result = run(tmp_path, "graph", "--at", "x=3", "--", "-x*x")
    assert result.returncode == 0, result.stderr
    assert "∂f/∂x  =  -6.00" in result.stdout


def test_graph_of_a_bare_input_and_of_an_unused_name(tmp_path):
    result = run(tmp_path, "graph", "x", "--at", "x=2")
    assert result.returncode == 0, result.stderr
    assert "nothing to propagate" in result.stdout and "∂x/∂x  =  1.00" in result.stdout
    result = run(tmp_path, "graph", "x*x", "--at", "x=3,w=1")
    assert result.returncode == 0, result.stderr
    assert "∂f/∂x  =  6.00" in result.stdout and "∂f/∂w  =  0.00" in result.stdout


@needs_dot
def test_graph_out_and_frames(tmp_path):
    result = run(tmp_path, "graph", "x*x + y", "--at", "x=3,y=1", "--out", "drawings/g.svg", "--frames", "fr",
                 "--local-grads")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "drawings" / "g.svg").read_text().count("<svg") == 1
    assert (tmp_path / "drawings" / "g.png").stat().st_size > 0
    frames = sorted(p.name for p in (tmp_path / "fr").iterdir())
    assert frames == ["step-01.svg", "step-02.svg", "step-03.svg", "step-04.svg"]  # x, y, x*x, x*x + y
    assert "∂f/∂x  =  6.00" in result.stdout


def test_train_saves_and_plots_and_reports_the_accuracy_it_reached(tmp_path):
    result = run(tmp_path, "train", "--data", "moons", "--hidden", "16,16", "--epochs", "40", "--lr", "0.1",
                 "--loss", "hinge", "--save", "model.json", "--plot", "boundary.png", "--history", "loss.png",
                 "--no-progress")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # --no-progress: no bar
    (line,) = [line for line in result.stdout.splitlines() if "training accuracy" in line]
    correct = int(line.rsplit("(", 1)[1].split("/")[0])
    model = MLP.from_file(tmp_path / "model.json")
    from microgradnet.data import make_moons

    X, y = make_moons(seed=0)
    assert sum(p == t for p, t in zip(predict(model, X), y)) == correct
    assert correct >= 80
    assert json.loads((tmp_path / "model.json").read_text())["architecture"]["nouts"] == [16, 16, 1]
    for name in ("boundary.png", "loss.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")


def test_train_cross_entropy_on_three_blobs(tmp_path):
    result = run(tmp_path, "train", "--data", "blobs", "--loss", "cross_entropy", "--hidden", "8",
                 "--epochs", "30", "--batch-size", "20", "--seed", "1", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "3 classes" in result.stdout and "[8 relu, 3 linear]" in result.stdout
    accuracy = float(result.stdout.split("training accuracy ")[1].split("%")[0])
    assert accuracy >= 90


def test_practice_and_worksheet_are_commands_too(tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run([sys.executable, "-m", "microgradnet", "practice", "add-mul"], cwd=tmp_path, env=env,
                            input="5\nq\n", capture_output=True, encoding="utf-8", timeout=60)
    assert result.returncode == 0, result.stderr
    assert "1/1 correct" in result.stdout  # the first downstream gradient, f = z·q to z, is 1 × q = 5
    result = run(tmp_path, "worksheet", "neuron", "--out", "sheet")
    assert result.returncode == 0, result.stderr
    assert all(f.exists() and f.stat().st_size for f in listed_files(result.stdout, tmp_path))
    assert_one_line_error(run(tmp_path, "practice", "nope"), "unknown graph example 'nope'")


def test_version_and_help(tmp_path):
    result = run(tmp_path, "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"microgradnet {__version__}"
    result = run(tmp_path)
    assert result.returncode == 0 and "demo" in result.stdout and "graph" in result.stdout


def test_console_script_is_the_same_command(tmp_path):
    script = Path(sys.executable).with_name("microgradnet")
    if not script.exists():
        pytest.skip("the microgradnet console script is not installed next to this Python")
    result = subprocess.run([str(script), "example", "--list"], cwd=tmp_path, capture_output=True, encoding="utf-8")
    assert result.returncode == 0 and result.stdout == run(tmp_path, "example", "--list").stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["example", "nope"], ["unknown example 'nope'", "add-mul"]),
        (["example"], ["NAME or --list"]),
        (["example", "--list", "neuron"], ["--list"]),
        (["example", "moons", "--frames", "fr"], ["'moons' trains a network"]),
        (["example", "neuron", "--local-grads"], ["--local-grads", "--out or --frames"]),
        (["graph", "x +", "--at", "x=1"], ["cannot read the expression"]),
        (["graph", "x +", "--at", "x=1", "--out", "new/g", "--frames", "fr"], ["cannot read the expression"]),
        (["graph", "y*2", "--at", "x=1"], ["unknown name 'y'"]),
        (["graph", "__import__('os').system('echo hacked')", "--at", "x=1"], ["__import__", "not allowed"]),
        (["graph", "x.__class__", "--at", "x=1"], ["attribute access"]),
        (["graph", "x", "--at", "x=abc"], ["x: expected a number"]),
        (["graph", "x", "--at", "x"], ["expected name=value"]),
        (["graph", "log(x)", "--at", "x=-1"], ["log of -1.0"]),
        (["graph", "1/x", "--at", "x=0"], ["division by zero"]),
        (["graph", "x", "--at", "x=1", "--local-grads"], ["--out or --frames"]),
        (["graph"], ["EXPR"]),
        (["graph", "-x*x", "--at", "x=1"], ["EXPR", "goes after '--'"]),
        (["demo", "--epochs", "0"], ["--epochs", ">= 1"]),
        (["demo", "--epochs", "ten"], ["--epochs"]),
        (["demo", "--out", "a-file"], ["a-file", "not a directory"]),
        (["demo", "--out", "a-file/sub"], ["a-file/sub"]),
        (["example", "neuron", "--out", "a-file"], ["a-file"]),
        (["example", "neuron", "--frames", "a-file/frames"], ["a-file/frames"]),
        (["graph", "x", "--at", "x=1", "--out", "a-file/g"], ["a-file"]),
        (["train", "--data", "nope"], ["--data", "nope"]),
        (["train", "--hidden", "16,x"], ["--hidden"]),
        (["train", "--lr", "-0.1"], ["--lr", "> 0"]),
        (["train", "--lr", "inf"], ["--lr"]),
        (["train", "--loss", "bogus"], ["--loss"]),
        (["train", "--batch-size", "0"], ["--batch-size"]),
        (["train", "--activation", "nope"], ["--activation"]),
        (["train", "--data", "blobs", "--loss", "hinge", "--epochs", "1"], ["3 classes", "cross_entropy"]),
        (["train", "--data", "blobs", "--loss", "mse", "--save", "new/model.json", "--plot", "plots/b.png"],
         ["3 classes"]),
        (["train", "--samples", "1", "--history", "plots/h.png"], ["make_moons: n must be an int >= 2"]),
        (["train", "--save", "a-file/model.json"], ["a-file"]),
        (["train", "--animate", "b.avi"], ["b.avi", "expected a file ending in .gif or .mp4"]),
        (["train", "--animate", "a-file/b.gif"], ["a-file"]),
        (["train", "--lr-schedule", "linear:1,x"], ["--lr-schedule", "linear:START,END"]),
        (["train", "--lr", "0.1", "--lr-schedule", "linear:1,0.1"], ["not allowed with argument --lr"]),
        (["train", "--plot", "."], ["directory"]),
        (["bogus"], ["invalid choice: 'bogus'"]),
        (["--nope"], ["--nope"]),
    ],
)
def test_bad_arguments_give_one_line_and_exit_code_2(tmp_path, args, words):
    (tmp_path / "a-file").write_text("not a directory")
    result = run(tmp_path, *args)
    assert_one_line_error(result, *words)
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # nothing written before the error


def test_output_closed_by_the_reader_is_not_a_traceback(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `microgradnet example seven-unit | head -1` once head has exited
    try:
        result = subprocess.run([sys.executable, "-m", "microgradnet", "example", "seven-unit"], cwd=tmp_path,
                                stdout=write_end, stderr=subprocess.PIPE, encoding="utf-8", timeout=60)
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 1


def test_train_compile_replays_the_recorded_step_with_the_same_result(tmp_path):
    args = ("train", "--data", "moons", "--hidden", "8", "--epochs", "15", "--lr", "0.3", "--no-progress")
    dynamic, compiled = run(tmp_path, *args), run(tmp_path, *args, "--compile")
    assert dynamic.returncode == 0 and compiled.returncode == 0, compiled.stderr
    assert compiled.stdout == dynamic.stdout
    assert "training accuracy" in compiled.stdout


# --- the user's files (issue 15, findings 5, 6, 13) ----------------------------------------

@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--save", ""], "--save: the file name is empty"),
        (["train", "--save", "m.json/"], "--save: 'm.json/' names a directory, expected a file name"),
        (["train", "--plot", "p.xyz"], "--plot: cannot write a plot as 'p.xyz': the name must end in one of"),
        (["graph", "x*2", "--at", "x=1", "--out", ""], "--out: the file name is empty"),
        (["graph", "x*2", "--at", "x=1", "--frames", ""], "--frames: the directory name is empty"),
    ],
)
def test_bad_output_names_fail_before_any_work(tmp_path, monkeypatch, capsys, args, message):
    from microgradnet.cli import main

    monkeypatch.chdir(tmp_path)
    assert main([*args, "--no-progress"] if args[0] == "train" else args) == 2
    out, err = capsys.readouterr()
    assert message in err and "Training" not in out and "upstream" not in out
    assert os.listdir(tmp_path) == []


def test_train_save_refuses_a_fifo_and_a_symlink_and_leaves_them(tmp_path, monkeypatch, capsys):
    from microgradnet.cli import main

    monkeypatch.chdir(tmp_path)
    os.mkfifo("pipe")
    (tmp_path / "victim.json").write_text("keep")
    os.symlink("victim.json", "link.json")
    assert main(["train", "--no-progress", "--epochs", "1", "--save", "pipe"]) == 2
    assert "'pipe' is not a regular file" in capsys.readouterr().err
    assert main(["train", "--no-progress", "--epochs", "1", "--save", "link.json"]) == 2
    assert "'link.json' is a symbolic link" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["link.json", "pipe", "victim.json"]
    assert (tmp_path / "victim.json").read_text() == "keep" and Path("pipe").is_fifo()


@needs_dot
def test_a_reused_frames_directory_keeps_only_this_runs_frames(tmp_path, monkeypatch, capsys):
    from microgradnet.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["graph", "z*(x+y)+x*x", "--at", "x=1,y=2,z=3", "--frames", "fr"]) == 0
    assert len(os.listdir("fr")) == 7  # 7 nodes, 7 backward steps
    (tmp_path / "fr" / "notes.txt").write_text("mine")
    assert main(["graph", "x*y", "--at", "x=1,y=2", "--frames", "fr"]) == 0
    assert sorted(os.listdir("fr")) == ["notes.txt", "step-01.svg", "step-02.svg", "step-03.svg"]


def test_a_plot_on_a_full_disk_leaves_nothing_and_names_the_file(tmp_path, monkeypatch, capsys):
    import errno

    from microgradnet import files
    from microgradnet.cli import main

    monkeypatch.chdir(tmp_path)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    assert main(["train", "--no-progress", "--epochs", "1", "--plot", "b.png"]) == 2
    assert capsys.readouterr().err == "microgradnet: error: plot: could not write 'b.png': No space left on device\n"
    assert os.listdir(tmp_path) == []


# --- command-line oddities (issue 15, finding 11) ------------------------------------------

def test_a_closed_stdout_is_one_line_on_stderr(tmp_path):
    result = subprocess.run([sys.executable, "-m", "microgradnet", "example", "--list"], cwd=tmp_path,
                            capture_output=False, stderr=subprocess.PIPE, encoding="utf-8", timeout=60,
                            preexec_fn=lambda: os.close(1))
    assert (result.returncode, result.stderr) == (2, "microgradnet: error: standard output is closed; "
                                                     "nothing to write the results to\n")


def test_hidden_sizes_must_be_ascii_digits(capsys):
    from microgradnet.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["train", "--hidden", "²"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "expected layer sizes like 16,16" in err and "_layer_sizes" not in err


def test_oversized_training_is_refused_in_a_second(capsys):
    from microgradnet.cli import main

    assert main(["train", "--hidden", "100000,100000", "--no-progress"]) == 2
    assert "10,000,500,001 parameters is more than the 1,000,000" in capsys.readouterr().err
    assert main(["train", "--samples", "100000000", "--no-progress"]) == 2
    assert "make_moons: n must be an int <= 1,000,000" in capsys.readouterr().err


# --- --html: the backprop player -----------------------------------------------------------

def test_html_writes_the_player(tmp_path):
    result = run(tmp_path, "example", "neuron", "--html", "neuron.html")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "neuron.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in page and "backward step 13/13:  w2: receives 0.20 (leaf)" in page
    assert len(page.encode("utf-8")) < 300_000 and "neuron.html" in result.stdout
    result = run(tmp_path, "graph", "z*(x+y)", "--at", "x=2,y=3,z=-2", "--html", "f.html")
    assert result.returncode == 0, result.stderr
    assert "backward step 1/5:  f (*): upstream 1.00 × local (5.00, -2.00)" in (tmp_path / "f.html").read_text("utf-8")
    result = run(tmp_path, "worksheet", "add-mul", "--out", "sheet", "--html")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "sheet" / "add-mul.html").read_text(encoding="utf-8")
    assert '"mode":"practice"' in page and "sheet/add-mul.html" in result.stdout.replace(os.sep, "/")


@pytest.mark.parametrize("args, words", [
    (["example", "neuron", "--html", "missing/neuron.html"], ["--html", "directory 'missing'", "does not exist"]),
    (["graph", "x*x", "--at", "x=1", "--html", "missing/x.html"], ["does not exist"]),
    (["example", "neuron", "--html", "a-dir"], ["--html", "'a-dir' is a directory"]),
    (["example", "moons", "--html", "m.html"], ["--html draw graphs", "trains a network"]),
])
def test_html_bad_target_is_one_line_and_exit_2(tmp_path, args, words):
    (tmp_path / "a-dir").mkdir()
    result = run(tmp_path, *args)
    assert_one_line_error(result, *words)
    assert result.stdout == "" and sorted(p.name for p in tmp_path.iterdir()) == ["a-dir"]


def test_html_into_an_unwritable_directory(tmp_path, monkeypatch, capsys):
    from microgradnet.cli import main

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    real_access = os.access
    # root may write anywhere whatever the mode bits say; ask the OS as an ordinary user would be answered
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    try:
        assert main(["example", "neuron", "--html", str(locked / "n.html")]) == 2
    finally:
        locked.chmod(0o755)
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "is not writable" in err
    assert list(locked.iterdir()) == []


def test_the_readmes_train_command_reaches_97_percent(tmp_path):
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if line.startswith("microgradnet train "))
    args = command.split()[1:]
    result = run(tmp_path, *args, "--no-progress", timeout=120)
    assert result.returncode == 0, result.stderr
    from microgradnet.data import make_moons

    X, y = make_moons(seed=0)
    model = MLP.from_file(tmp_path / args[args.index("--save") + 1])
    accuracy = sum(p == t for p, t in zip(predict(model, X), y)) / len(y)
    assert accuracy >= 0.97


def test_train_picks_cross_entropy_for_three_classes_and_animates(tmp_path):
    from PIL import Image

    result = run(tmp_path, "train", "--data", "blobs", "--epochs", "10", "--compile", "--no-progress",
                 "--animate", "b.gif", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "cross_entropy loss" in result.stdout
    with Image.open(tmp_path / "b.gif") as gif:
        assert gif.n_frames == 11  # a snapshot before training and after each of the 10 epochs (10 // 50 -> every 1)


# --- saved models: evaluate and train --init -----------------------------------------------

def accuracy_count(stdout: str) -> int:
    """The N of the closing 'accuracy ...% (N/M)' line of train or evaluate."""
    (line,) = [line for line in stdout.splitlines() if "accuracy" in line and "/" in line]
    return int(line.rsplit("(", 1)[1].split("/")[0])


def test_evaluate_reproduces_the_loss_and_accuracy_train_reported(tmp_path):
    data = ("--data", "circles", "--samples", "60", "--seed", "3")
    trained = run(tmp_path, "train", *data, "--hidden", "8", "--epochs", "25", "--lr", "0.2", "--loss", "mse",
                  "--save", "model.json", "--no-progress")
    assert trained.returncode == 0, trained.stderr
    evaluated = run(tmp_path, "evaluate", "--model", "model.json", *data, "--loss", "mse", "--plot", "boundary.png")
    assert evaluated.returncode == 0, evaluated.stderr
    assert accuracy_count(evaluated.stdout) == accuracy_count(trained.stdout) > 30
    final_loss = trained.stdout.split("final loss ")[1].split(",")[0]
    assert f"loss {final_loss}, accuracy" in evaluated.stdout
    assert (tmp_path / "boundary.png").read_bytes().startswith(b"\x89PNG")
    other_seed = run(tmp_path, "evaluate", "--model", "model.json", "--data", "circles", "--samples", "60")
    assert other_seed.returncode == 0 and "seed 0" in other_seed.stdout  # other points, counted the same way


def test_evaluate_picks_cross_entropy_for_a_model_with_one_output_per_class(tmp_path):
    data = ("--data", "blobs", "--seed", "1")
    trained = run(tmp_path, "train", *data, "--loss", "cross_entropy", "--hidden", "8", "--epochs", "10",
                  "--save", "m.json", "--no-progress")
    evaluated = run(tmp_path, "evaluate", "--model", "m.json", *data)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "cross_entropy loss" in evaluated.stdout
    assert accuracy_count(evaluated.stdout) == accuracy_count(trained.stdout)


def test_train_init_continues_where_the_saved_model_stopped(tmp_path):
    # full-batch SGD at a constant rate keeps no state between steps: 12 epochs, saved, then 8 more are 20 epochs
    common = ("train", "--hidden", "6", "--lr", "0.1", "--no-progress")
    assert run(tmp_path, *common, "--epochs", "12", "--save", "first.json").returncode == 0
    continued = run(tmp_path, *common[:1], "--init", "first.json", *common[3:], "--epochs", "8", "--save", "then.json")
    assert continued.returncode == 0, continued.stderr
    assert "Continuing the model saved in first.json" in continued.stdout
    assert run(tmp_path, *common, "--epochs", "20", "--save", "straight.json").returncode == 0
    then = MLP.from_file(tmp_path / "then.json").state_dict()
    assert then == MLP.from_file(tmp_path / "straight.json").state_dict()
    assert then != MLP.from_file(tmp_path / "first.json").state_dict()


def bad_model_files(directory: Path) -> None:
    """Model files that are wrong in each way Module.load refuses, and models that do not fit moons + hinge."""
    from microgradnet import Perceptron

    (directory / "list.json").write_text("[1, 2]")
    (directory / "truncated.json").write_text('{"format": "microgradnet.nn", "vers')
    (directory / "binary.json").write_bytes(b"\xff\xfe\x00")
    MLP(2, [4, 1], seed=0).save(directory / "good.json")
    state = json.loads((directory / "good.json").read_text())
    for name, change in (("version2.json", {"version": 2}), ("short.json", {"parameters": state["parameters"][:-1]}),
                         ("text.json", {"parameters": ["x", *state["parameters"][1:]]}),
                         ("other.json", {"format": "keras"})):
        (directory / name).write_text(json.dumps({**state, **change}))
    Perceptron(2).save(directory / "perceptron.json")
    MLP(3, [4, 1], seed=0).save(directory / "three-inputs.json")
    MLP(2, [4, 3], seed=0).save(directory / "three-outputs.json")
    (directory / "good.json").unlink()


@pytest.mark.parametrize(("name", "words"), [
    ("missing.json", ["missing.json: no such model file"]),
    ("list.json", ["'list.json'", "expected a model state (a dict), got list"]),
    ("truncated.json", ["'truncated.json' is not valid JSON"]),
    ("binary.json", ["'binary.json' is not a model file: not UTF-8"]),
    ("version2.json", ["format version 2 is not supported"]),
    ("short.json", ["expected 17 parameters, got 16"]),  # 4 x (2 weights + bias) + 4 weights + bias
    ("text.json", ["parameter 0 must be a number, got str 'x'"]),
    ("other.json", ["format 'keras' is not a microgradnet model"]),
    ("perceptron.json", ["holds a Perceptron, not a MLP"]),
    ("three-inputs.json", ["three-inputs.json: the model takes 3 inputs; --data moons has 2"]),
    ("three-outputs.json", ["three-outputs.json: the model has 3 outputs;", "needs 1"]),
])
@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_a_bad_model_file_is_one_line_exit_2_and_nothing_written(tmp_path, command, name, words):
    bad_model_files(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    if command == "train":
        result = run(tmp_path, "train", "--init", name, "--loss", "hinge", "--save", "out.json", "--plot", "b.png")
    else:
        result = run(tmp_path, "evaluate", "--model", name, "--loss", "hinge", "--plot", "b.png")
    assert_one_line_error(result, *words)
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize(("args", "words"), [
    (["--hidden", "16"], ["the saved model has hidden [4], not --hidden 16"]),
    (["--activation", "tanh"], ["the saved model has activation 'relu', not --activation tanh"]),
    (["--data", "blobs", "--loss", "cross_entropy"], ["the model has 1 output;", "on 3 classes needs 3"]),
])
def test_train_init_refuses_options_that_contradict_the_saved_model(tmp_path, args, words):
    MLP(2, [4, 1], seed=0).save(tmp_path / "m.json")
    result = run(tmp_path, "train", "--init", "m.json", *args, "--save", "out.json")
    assert_one_line_error(result, *words)
    assert not (tmp_path / "out.json").exists()
