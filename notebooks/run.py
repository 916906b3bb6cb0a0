"""Execute notebooks top to bottom and store their outputs in the .ipynb, without Jupyter.

    python notebooks/run.py [--small] [NOTEBOOK.ipynb ...]     # default: every notebook here

Code cells run in order in one namespace (as a Jupyter kernel would). Each cell's printed text
becomes a "stream" output, the value of a final expression an "execute_result", and every figure
shown (``plt.show()``) or left open at the end of the cell a PNG "display_data" output (dpi 72,
so the files stay small). Execution counts are set; an exception stops the run and nothing is
written. ``--small`` sets BOOSTFOCAL_SMALL=1, which the notebooks read to shrink their data (the
test suite does so). Needs matplotlib and what the notebooks import; nothing from Jupyter.
"""
from __future__ import annotations

import argparse
import ast
import base64
import contextlib
import io
import json
import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
DPI = 72


def _source(cell):
    src = cell["source"]
    return src if isinstance(src, str) else "".join(src)


def _lines(text):
    """Text as the list of lines nbformat stores."""
    return text.splitlines(keepends=True)


def _figures(plt):
    """PNG display_data outputs of every open figure, which are then closed."""
    outputs = []
    for number in plt.get_fignums():
        fig = plt.figure(number)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
        width, height = fig.get_size_inches() * fig.dpi
        outputs.append({"output_type": "display_data", "metadata": {},
                        "data": {"image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
                                 "text/plain": [f"<Figure size {width:g}x{height:g} with "
                                                f"{len(fig.axes)} Axes>"]}})
    plt.close("all")
    return outputs


def execute(nb, name="notebook"):
    """Run the code cells of ``nb`` (a notebook dict) in order; fill in their outputs in place."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace = {"__name__": "__main__"}
    show = plt.show
    count = 0
    try:
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            count += 1
            outputs = []
            text = io.StringIO()

            def flush():
                if text.getvalue():
                    outputs.append({"output_type": "stream", "name": "stdout",
                                    "text": _lines(text.getvalue())})
                    text.seek(0)
                    text.truncate()

            def shown(*args, **kwargs):
                flush()
                outputs.extend(_figures(plt))

            plt.show = shown
            tree = ast.parse(_source(cell), f"{name}, cell {i}")
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            with contextlib.redirect_stdout(text):
                exec(compile(tree, f"{name}, cell {i}", "exec"), namespace)
                value = None if last is None else eval(
                    compile(ast.Expression(last.value), f"{name}, cell {i}", "eval"), namespace)
            flush()
            outputs.extend(_figures(plt))
            if value is not None:
                outputs.append({"output_type": "execute_result", "execution_count": count,
                                "metadata": {}, "data": {"text/plain": _lines(repr(value))}})
            cell["outputs"] = outputs
            cell["execution_count"] = count
    finally:
        plt.show = show
        plt.close("all")
    return nb


def run(path, out=None):
    """Execute the notebook at ``path`` and write it (with outputs) to ``out`` (default: path)."""
    path = pathlib.Path(path)
    nb = execute(json.loads(path.read_text()), path.name)
    pathlib.Path(out or path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return nb


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path,
                        help="notebooks to run (default: every .ipynb next to this script)")
    parser.add_argument("--small", action="store_true",
                        help="set BOOSTFOCAL_SMALL=1: the notebooks use small data")
    args = parser.parse_args(argv)
    if args.small:
        os.environ["BOOSTFOCAL_SMALL"] = "1"
    for path in args.notebooks or sorted(HERE.glob("*.ipynb")):
        run(path)
        print(f"{path.name}: {path.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
