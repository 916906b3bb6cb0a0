"""python -m boostfocal warmup: what it compiles, and its command line."""
import io

import pytest

from boostfocal import _numba_core, warmup
from boostfocal.__main__ import main


def test_warmup_compiles_the_fit_kernels(monkeypatch):
    """One booster, one gamma: a fit's kernels (objective and metric, both families) are built
    and the run reports each booster and family."""
    pytest.importorskip("lightgbm")
    monkeypatch.setattr(warmup, "BOOSTERS", (("lightgbm", "FocalLGBMClassifier"),))
    out = io.StringIO()
    seconds = warmup.warmup((2.0,), ("expected",), out=out)
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
