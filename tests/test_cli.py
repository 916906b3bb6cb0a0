"""python -m boostfocal: bad arguments end with one line and exit status 2, --version, and the
demo's progress bar only on a terminal."""
import io
import subprocess
import sys

import pytest

import boostfocal
from boostfocal.demo import run


def cli(*args):
    return subprocess.run([sys.executable, "-m", "boostfocal", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args, message", [
    (["demo", "--gamma", "-1"],
     "argument --gamma: gamma must be a finite number in [0.0, 100.0], got -1.0"),
    (["demo", "--gamma", "nan"],
     "argument --gamma: gamma must be a finite number in [0.0, 100.0], got nan"),
    (["demo", "--gamma", "two"], "argument --gamma: must be a number, got 'two'"),
    (["demo", "--alpha", "1.5"],
     "argument --alpha: alpha must be a finite number in [0.0, 1.0], got 1.5"),
    (["demo", "--rows", "50"], "argument --rows: must be an integer >= 500, got 50"),
    (["demo", "--rows", "1e4"], "argument --rows: must be an integer, got '1e4'"),
    (["demo", "--n-estimators", "0"], "argument --n-estimators: must be an integer >= 1, got 0"),
    (["demo", "--seed", "-3"],
     "argument --seed: must be an integer >= 0 and <= 4294967295, got -3"),
    (["check", "--tol", "0"], "argument --tol: must be a finite number > 0, got 0"),
    (["check", "--tol", "inf"], "argument --tol: must be a finite number > 0, got inf"),
    (["demo", "--nope"], "unrecognized arguments: --nope"),
])
def test_bad_arguments_exit_2_with_one_line(args, message):
    out = cli(*args)
    assert out.returncode == 2 and out.stdout == ""
    prog = "boostfocal" if args[1] == "--nope" else f"boostfocal {args[0]}"
    assert out.stderr == f"{prog}: error: {message} (see {prog} --help)\n"


def test_missing_or_unknown_command():
    out = cli()
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert out.stderr.startswith("boostfocal: error: the following arguments are required: COMMAND")
    out = cli("train")
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "argument COMMAND: invalid choice: 'train'" in out.stderr


def test_version():
    out = cli("--version")
    assert out.returncode == 0 and out.stdout == f"boostfocal {boostfocal.__version__}\n"


def test_valid_edge_values_are_accepted():
    out = cli("check", "--tol", "1e-3")
    assert out.returncode == 0 and "PASS" in out.stdout


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_frames_only_on_a_terminal():
    log, tty, out = io.StringIO(), Terminal(), io.StringIO()
    run(rows=600, n_estimators=2, out=out, err=log)  # default: progress only if err is a tty
    assert log.getvalue() == "" and "\r" not in out.getvalue()
    run(rows=600, n_estimators=2, out=io.StringIO(), err=tty)
    frames = tty.getvalue()
    assert frames.count("\r") >= 7 and frames.endswith("done" + " " * 36 + "\n")
