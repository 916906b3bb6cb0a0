"""Rebind a formula module's functions to a set of primitives.

``_math`` and ``_multiclass_math`` call primitives (exp, log1p, maximum, where, power, ...) they
never define. ``bind`` gives their functions a namespace in which those names are numpy or CuPy
ufuncs (``_backends``), scalar numba functions (``_numba_kernels``, ``_multiclass_kernels``) or
any other target's scalar functions, so each family's math stays in one file. This module imports
nothing of boostfocal, so every backend can use it without an import cycle.
"""
import types

# The functions of _math / _multiclass_math a binding exposes.
FUNCS = ("smooth", "unsmooth", "core", "loss", "branch_gradients", "eta", "posterior",
         "gradient_hessian")
MULTICLASS_FUNCS = ("label", "softmax", "class_terms", "loss", "terms", "_column",
                    "gradient_hessian", "gradient_full_hessian", "posterior")


def bind(primitives, wrap=lambda f: f, module=None, names=FUNCS):
    """A namespace holding every function ``names`` of ``module`` (``_math`` by default, or
    ``_multiclass_math`` with ``names=MULTICLASS_FUNCS``) rebound to ``primitives``, each
    passed through ``wrap`` (e.g. a compiler's decorator)."""
    if module is None:
        from . import _math as module
    ns = dict(vars(module))
    ns.update(primitives)
    for name in names:
        f = getattr(module, name)
        ns[name] = wrap(types.FunctionType(f.__code__, ns, name, f.__defaults__, f.__closure__))
    return types.SimpleNamespace(**{name: ns[name] for name in names})
