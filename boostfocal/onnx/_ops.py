"""The graph builder and the symbolic values the focal formulas compute with in ONNX: ``Builder``
(nodes and constants with fresh names), ``Sym`` (a graph value with numpy's operators) and ``Ops``
(the array namespace ``_backends`` binds the formulas to)."""
from __future__ import annotations

import numpy as np


class Builder:
    """Collects ONNX nodes and constants with fresh names."""

    def __init__(self):
        self.nodes, self.inits, self._n = [], [], 0

    def name(self, hint):
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, value, dtype=np.float64):
        from onnx import numpy_helper

        out = self.name("c")
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), out))
        return out

    def op(self, op_type, *inputs, domain=None, **attrs):
        from onnx import helper

        out = self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], domain=domain, **attrs))
        return out

    def prune(self, outputs):
        """Drop the nodes and constants no output depends on (the bound formulas also form
        terms that the posterior does not use)."""
        needed, kept = set(outputs), []
        for node in reversed(self.nodes):
            if needed.intersection(node.output):
                kept.append(node)
                needed.update(node.input)
        self.nodes = kept[::-1]
        self.inits = [t for t in self.inits if t.name in needed]


class Sym:
    """A graph value (float64 unless a comparison made it bool, or an index int64) that the
    formulas of ``_math`` / ``_multiclass_math`` compute with, as they do with numpy arrays."""

    __array_ufunc__ = None  # numpy scalars (alpha[c]) defer to the reflected operators here
    __hash__ = object.__hash__

    def __init__(self, b, name):
        self.b, self.name = b, name

    def _op(self, op_type, *args):
        return Sym(self.b, self.b.op(op_type, *(value(self.b, a) for a in args)))

    def __add__(self, o): return self._op("Add", self, o)  # noqa: E704
    def __radd__(self, o): return self._op("Add", o, self)  # noqa: E704
    def __sub__(self, o): return self._op("Sub", self, o)  # noqa: E704
    def __rsub__(self, o): return self._op("Sub", o, self)  # noqa: E704
    def __mul__(self, o): return self._op("Mul", self, o)  # noqa: E704
    def __rmul__(self, o): return self._op("Mul", o, self)  # noqa: E704
    def __truediv__(self, o): return self._op("Div", self, o)  # noqa: E704
    def __rtruediv__(self, o): return self._op("Div", o, self)  # noqa: E704
    def __pow__(self, o): return self._op("Pow", self, o)  # noqa: E704
    def __neg__(self): return self._op("Neg", self)  # noqa: E704
    def __ge__(self, o): return self._op("GreaterOrEqual", self, o)  # noqa: E704
    def __gt__(self, o): return self._op("Greater", self, o)  # noqa: E704
    def __eq__(self, o): return self._op("Equal", self, o)  # noqa: E704


def value(b, x):
    """A graph name for a Sym or a Python / numpy number (int -> int64, else float64)."""
    if isinstance(x, Sym):
        return x.name
    if isinstance(x, (bool, np.bool_)):
        raise TypeError("a bool constant in a formula")
    return b.const(x, np.int64 if isinstance(x, (int, np.integer)) else np.float64)


class Ops:
    """The array namespace ``_backends`` binds the formulas to (``exp``, ``log1p``, ...), as
    ONNX operators on Sym values."""

    def __init__(self, b):
        self.b = b

    def _sym(self, op_type, *args, **attrs):
        return Sym(self.b, self.b.op(op_type, *(value(self.b, a) for a in args), **attrs))

    def exp(self, x):
        return self._sym("Exp", x)

    def abs(self, x):
        return self._sym("Abs", x)

    def maximum(self, x, y):
        return self._sym("Max", x, y)

    def power(self, x, g):
        return self._sym("Pow", x, g)

    def where(self, cond, x, y):
        return self._sym("Where", cond, x, y)

    def clip(self, x, lo, hi):
        return self._sym("Clip", x, lo, hi)

    def log1p(self, x):
        """log(1 + x) to full precision for x >= 0 (ONNX has no Log1p): log(u) x / (u - 1) with
        u = 1 + x, and x itself where u rounds to 1."""
        u = 1.0 + x
        d = u - 1.0
        at_one = d == 0.0
        return self.where(at_one, x, self._sym("Log", u) * x / self.where(at_one, 1.0, d))
