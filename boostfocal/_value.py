"""``ValueObject``: the immutable, comparable, hashable, picklable behaviour that ``FocalLoss`` and
``MulticlassFocalLoss`` share. A subclass lists its constructor arguments in ``_PARAMS`` (in
signature order; ``_spec`` tables) and stores every attribute with ``object.__setattr__`` in its
``_init`` (the ``__init__`` is generated from its ``_spec`` table)."""


class ValueObject:
    __slots__ = ()
    _PARAMS: tuple = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; use replace({name}=...) for "
                             "a new one")

    def get_params(self):
        """The constructor arguments, as a dict."""
        return {name: getattr(self, name) for name in self._PARAMS}

    def replace(self, **changes):
        """A copy with some parameters changed."""
        return type(self)(**{**self.get_params(), **changes})

    def __reduce__(self):
        return type(self), tuple(getattr(self, name) for name in self._PARAMS)

    def __eq__(self, other):
        return type(other) is type(self) and other.get_params() == self.get_params()

    def __hash__(self):
        return hash(tuple(self.get_params().items()))

    def __repr__(self):
        defaults = type(self).__init__.__defaults__
        shown = [f"{k}={v!r}" for (k, v), d in zip(self.get_params().items(), defaults)
                 if v != d or k == "gamma"]
        return f"{type(self).__name__}({', '.join(shown)})"
