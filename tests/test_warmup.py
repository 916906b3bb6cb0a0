"""python -m boostfocal warmup: what it compiles, and its command line."""
import io
import os
import subprocess
import sys

import pytest

from boostfocal import _numba_core, warmup
from boostfocal.__main__ import main


def test_warmup_compiles_the_fit_kernels():
    """One booster, one gamma: a fit's kernels (objective and metric, both families) are built
    and the run reports each booster and family."""
    pytest.importorskip("lightgbm")
    out = io.StringIO()
    seconds = warmup.warmup((2.0,), ("expected",), out=out, boosters=["lightgbm"])
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == [
        "lightgbm binary gamma=2 hessian=expected", "lightgbm 3 classes gamma=2 hessian=expected"]
    assert lines[-1].startswith("warm-up done") and seconds > 0.0
    built = {(f.__name__, key) for f, key in _numba_core._LOOPS}
    assert ("_gradient_hessian_loop", (2.0, 1)) in built  # binary, gamma 2, "expected"
    assert ("_gradient_hessian_loop", ()) in built  # multi-class


def test_warmup_command_line_refuses_bad_options(capsys):
    with pytest.raises(SystemExit) as e:
        main(["warmup", "--hessian", "newton"])
    assert e.value.code == 2 and "invalid choice: 'newton'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["warmup", "--gamma", "two"])


FIRST_FIT = """
import numpy as np
from numba.core import event
import boostfocal
from boostfocal.warmup import _compiles

rng = np.random.default_rng(1)
X = rng.normal(size=(300, 4))
counter = _compiles()
with event.install_listener("numba:compile", counter):
    for y in ((X[:, 0] > 0.8).astype(int), np.digitize(X[:, 1], [-0.5, 0.5])):
        boostfocal.FocalLGBMClassifier(gamma=2.0, n_estimators=3).fit(X, y).predict_proba(X)
    z = X[:, 0].copy()
    boostfocal.FocalLoss(gamma=2.0).gradient_hessian((z > 0) * 1.0, z)
print("COMPILED", counter.n)
"""


def test_after_warmup_a_new_process_compiles_nothing(tmp_path):
    """The command's defaults cover the defaults users get (the estimators' "clipped" hessian
    and the loss objects' "expected"), with parallel processes: a fresh process fitting with
    defaults then loads every kernel from the cache. The same process on an empty cache does
    compile, so the count can fail."""
    pytest.importorskip("lightgbm")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    cold = subprocess.run([sys.executable, "-c", FIRST_FIT], env=dict(
        env, NUMBA_CACHE_DIR=str(tmp_path / "empty")), capture_output=True, text=True)
    assert cold.returncode == 0, cold.stderr
    assert int(cold.stdout.split()[-1]) >= 3
    run = subprocess.run([sys.executable, "-m", "boostfocal", "warmup", "--booster", "lightgbm",
                          "--jobs", "2"], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    # (a kernel dropped from numba's index by two processes writing it at once is recompiled by
    # the command's second pass: the count printed may rarely be above 0; the fresh process
    # below is the test)
    assert "3 units in 2 processes" in run.stdout and " recompiled" in run.stdout
    assert "lightgbm binary gamma=2 hessian=clipped" in run.stdout
    warm = subprocess.run([sys.executable, "-c", FIRST_FIT], env=env, capture_output=True,
                          text=True)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout.split()[-2:] == ["COMPILED", "0"]


def test_warmup_refuses_an_unknown_booster():
    with pytest.raises(ValueError, match="boosters must be among"):
        warmup.warmup(boosters=["sklearn"], out=io.StringIO())
