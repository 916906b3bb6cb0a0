"""The estimators' booster parameters: the shared ones (``n_estimators``, ``learning_rate``, ...)
under each booster's own names, any booster keyword passed through (visible to ``get_params`` /
``set_params`` / ``clone``), class weighting refused, unknown keywords warned about."""
from __future__ import annotations

import warnings

from .. import _checks as check


class BoosterParameters:
    """Mixed into ``FocalClassifierBase`` (before ``BaseEstimator``); a booster subclass fills
    ``_shared_names``, ``_shared_aliases``, ``_class_weighting``, ``_estimator_only`` and
    ``_unknown_params``."""

    # -- parameters: the signature's plus any booster keyword given -----------------------------
    def _extra_params(self):
        names = set(self._get_param_names())
        return {k: v for k, v in vars(self).items()
                if k not in names and not k.startswith("_") and not k.endswith("_")}

    def get_params(self, deep=True):
        params = super().get_params(deep)
        params.update(self._extra_params())
        return params

    def set_params(self, **params):
        names = set(self._get_param_names())
        for key, value in params.items():
            if key in names or key in self._extra_params() or "__" not in key:
                check_keyword(key, ValueError)
                setattr(self, key, value)
            else:
                raise ValueError(f"Invalid parameter {key!r} for estimator {self!r}")
        return self

    _shared_names: dict = {}  # shared parameter -> the booster's name for it
    _estimator_only: tuple = ()  # keywords the estimator reads itself (e.g. importance_type)
    _package = None  # the booster's adapter: boostfocal.<_package>

    def _objective_and_metric(self, loss):
        """The adapter's objective and metric for ``loss``'s family (binary or multiclass)."""
        import importlib

        adapter = importlib.import_module(f"boostfocal.{self._package}")
        prefix = "" if loss.family == "binary" else "Multiclass"
        return (getattr(adapter, f"{prefix}FocalObjective").from_loss(loss),
                getattr(adapter, f"{prefix}FocalMetric").from_loss(loss))

    def booster_params(self):
        """Keywords for the booster: the shared parameters that are set, under the booster's own
        names, then every keyword passed through."""
        shared = self._checked_shared()
        params = {own: shared[name] for name, own in self._shared_names.items()
                  if shared[name] is not None}
        params.update(self._booster_extra())
        return params

    def _booster_extra(self):
        """The keywords passed through to the booster (all but ``_estimator_only``)."""
        return {k: v for k, v in self._extra_params().items() if k not in self._estimator_only}

    def _checked_shared(self):
        """The shared booster parameters, checked: integral floats become ints (tuners hand out
        100.0); a bool, a fraction, a non-positive count or rate raises naming the parameter."""
        rate = self.learning_rate
        return {
            "n_estimators": check.integer("n_estimators", self.n_estimators, low=1),
            "learning_rate": None if rate is None else
            check.real("learning_rate", rate, low=0.0, low_open=True),
            "max_depth": check.integer("max_depth", self.max_depth, allow_none=True),
            "random_state": check.integer("random_state", self.random_state, low=0,
                                            allow_none=True),
            "n_jobs": n_jobs(self.n_jobs),
            "early_stopping_rounds": check.integer(
                "early_stopping_rounds", self.early_stopping_rounds, low=1, allow_none=True),
        }

    def _n_rounds(self):
        """``n_estimators`` as the int the booster takes."""
        return self._checked_shared()["n_estimators"]

    _class_weighting = ("class_weight",)  # sklearn's name; each booster adds its own spellings
    _shared_aliases: dict = {}  # shared parameter -> booster keywords that set the same thing

    def _check_extra_params(self):
        """Refuse class weighting (no booster applies it to a custom objective) and warn about
        keywords the booster does not know (it would ignore them, silently at our verbosity)."""
        extra = self._booster_extra()
        for name, aliases in self._shared_aliases.items():
            clash = [a for a in aliases if a in extra]
            if clash and (name == "n_estimators" or getattr(self, name) is not None):
                raise ValueError(f"{clash[0]}={extra[clash[0]]!r} is the booster's name for "
                                 f"{name}, which is set too ({name}={getattr(self, name)!r}): "
                                 f"one would be ignored; set {name} only")
        weighting = [k for k in self._class_weighting if extra.get(k) is not None]
        if weighting:
            raise ValueError(f"{weighting[0]}={extra[weighting[0]]!r}: class weights are not "
                             "applied to a custom objective; use alpha=... or pos_weight=... "
                             "(the focal loss's class weights), or sample_weight")
        self._warn_unknown(self._unknown_params(extra))

    def _warn_unknown(self, keys):
        if keys:
            warnings.warn(f"{type(self).__name__}: parameter(s) {sorted(keys)} not known to the "
                          "booster, which ignores them: check the spelling", UserWarning,
                          stacklevel=4)

    def _unknown_params(self, params):
        """The keys of ``params`` the booster does not know (a subclass hook; none by default)."""
        return []

    # -- fit ----------------------------------------------------------------------------------


def check_keyword(key, error):
    """Booster keywords become attributes: a name starting or ending with "_" would overwrite
    a fitted attribute (``loss_``, ``classes_``) or internal state, so it is refused."""
    if key.startswith("_") or key.endswith("_"):
        raise error(f"invalid parameter {key!r}: names starting or ending with '_' are the "
                    "estimator's own (fitted attributes, internal state), not booster keywords")


def n_jobs(value):
    """None, -1 (all cores) or a positive thread count, as scikit-learn's n_jobs."""
    value = check.integer("n_jobs", value, allow_none=True)
    if value is not None and (value == 0 or value < -1):
        raise ValueError("n_jobs must be None, -1 (all cores) or a positive number of threads, "
                         f"got {value}")
    return value
