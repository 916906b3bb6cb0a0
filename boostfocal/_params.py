"""Checks of booster parameters (counts, rounds, class numbers) shared by the adapters and
estimators: a bad value becomes a ValueError/TypeError naming the parameter, before any booster
sees it (LightGBM, given a value it rejects, used to take the process down with it)."""
from __future__ import annotations

import numbers

import numpy as np


def integer(name, value, *, low=None, allow_none=False):
    """``value`` as an int: ints and integral floats (tuners hand out 100.0) pass, bools and
    fractional, non-finite or non-numeric values raise, as do values below ``low``."""
    if value is None and allow_none:
        return None
    bad_type = isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)
    if bad_type:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if not (np.isfinite(value) and float(value) == int(value)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return value


def integer_like(name, value):
    """An integer booster parameter that may also come as a string ("2", "2.0"), as the
    boosters parse them; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"{name} must be an integer, got {value!r}") from None
        return integer(name, number)
    return integer(name, value)


def number_like(name, value):
    """A real booster parameter that may also come as a string; None stays None."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def flag_like(value):
    """A boolean booster parameter as the boosters read it (True, 1, "true", "+" ...)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "+", "yes", "t")
    return bool(value)
