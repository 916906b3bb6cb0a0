"""Command line: python -m boostfocal demo (log-loss vs focal on every installed booster) and
python -m boostfocal check (gradient verification report).

Bad arguments end the program with one line naming the argument and its range, exit status 2
(argparse's convention): each option's ``type=`` checks its range.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from . import _spec
from ._cpus import usable_cpus
from ._report import check_report
from .compare import _cli as compare_cli
from .loss import FocalLoss

DEFAULT_PLOTS = "boostfocal-plots"
MIN_ROWS = 500  # the demo's stratified splits need a few positives (3%) in each part


class _Parser(argparse.ArgumentParser):
    """argparse with errors on one line (``prog: error: ...``), exit status 2, no usage block;
    subcommands' parsers are of this class too."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _integer(low, high=None):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < low or (high is not None and value > high):
            upper = f" and <= {high}" if high is not None else ""
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}{upper}, got {value}")
        return value
    return parse


def _number(text):
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None


def _loss_parameter(name):
    """A float that ``FocalLoss(name=value)`` accepts (its own range and message)."""
    def parse(text):
        value = _number(text)
        try:
            FocalLoss(**{name: value})
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return value
    return parse


def _tolerance(text):
    value = _number(text)
    if not (np.isfinite(value) and value > 0.0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value



def main(argv=None):
    from . import __version__

    parser = _Parser(
        prog="boostfocal", description="The focal loss as a training objective for XGBoost, "
        "LightGBM and CatBoost: a demo and a gradient check.",
        epilog="python -m boostfocal COMMAND --help describes each command's options.")
    parser.add_argument("--version", action="version", version=f"boostfocal {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chk = sub.add_parser(
        "check", help="verify gradients and hessians against finite differences",
        description="Hold the analytic gradient and exact hessian against central finite "
        "differences of the loss over gamma, class weights, labels and raw scores -40..40; "
        "print the worst relative error per case; exit 1 if any exceeds the tolerance.")
    chk.add_argument("--tol", type=_tolerance, default=1e-6,
                     help="largest relative error that passes (default 1e-6)")
    demo = sub.add_parser(
        "demo", help="log-loss vs focal loss on each installed booster",
        description="Train every installed booster on generated imbalanced data (3% positives, "
        "2% label noise, no download) with log-loss and with the focal loss, early-stopped on "
        "a validation split, and print test-set ranking and calibration metrics, fit time "
        "and the gradient check's verdict.")
    demo.add_argument("--rows", type=_integer(MIN_ROWS), default=30_000,
                      help="rows generated: train 52.5%%, validation 17.5%%, test 30%%; at "
                      f"least {MIN_ROWS} (default 30000)")
    demo.add_argument("--seed", type=_integer(0, 2**32 - 1), default=0,
                      help="seed of the data and the boosters (default 0)")
    demo.add_argument("--gamma", type=_loss_parameter("gamma"), default=2.0,
                      help="focal gamma (focusing), 0 to 100 (default 2)")
    demo.add_argument("--alpha", type=_loss_parameter("alpha"), default=None,
                      help="focal alpha in [0, 1], the positive class's weight (default: none)")
    demo.add_argument("--n-estimators", type=_integer(1), default=300,
                      help="most boosting rounds; early stopping after 30 without gain "
                      "(default 300)")
    demo.add_argument("--plots", metavar="DIR", nargs="?", const=DEFAULT_PLOTS, default=None,
                      help="write demo.png (precision-recall; reliability of the focal posterior "
                      f"and of the sigmoid) into DIR, or into ./{DEFAULT_PLOTS} without DIR "
                      "(needs matplotlib)")
    warm = sub.add_parser(
        "warmup", help="compile the kernels into numba's disk cache (e.g. in an image build)",
        description="Fit every installed booster for two rounds (binary and 3 classes) so that "
        "each kernel is compiled once and cached on disk; later processes load it at once.")
    warm.add_argument("--gamma", type=_loss_parameter("gamma"), action="append",
                      help="a gamma to compile for (repeatable; default 2)")
    warm.add_argument("--hessian", action="append", choices=("expected", "exact", "clipped"),
                      help="a hessian mode to compile for (repeatable; default: clipped, the "
                      "estimators' default, and expected, the loss objects' and objectives')")
    warm.add_argument("--booster", action="append", choices=[b.package for b in _spec.BOOSTERS],
                      help="warm only this booster's fits (repeatable; default: every installed "
                      "one)")
    warm.add_argument("--jobs", type=_integer(1), default=None,
                      help="fresh processes compiling at once (default: the usable CPUs; 1: "
                      "in this process, one kernel after another)")
    compare_cli.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "check":
        return 0 if check_report(args.tol) else 1
    if args.command == "warmup":
        from .warmup import HESSIANS, warmup

        return warmup(args.gamma or (2.0,), args.hessian or HESSIANS,
                      jobs=args.jobs or usable_cpus(), boosters=args.booster) and 0
    if args.command == "demo":
        from .demo import run

        rows = run(args.rows, args.seed, args.gamma, args.alpha, args.n_estimators, args.plots)
        return 0 if rows is not None else 1
    if args.command == "compare":
        return compare_cli.run(args)
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
