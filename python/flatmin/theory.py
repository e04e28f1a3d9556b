"""Replica theory (THEORY §S2–S6): RS entropy, Franz–Parisi local entropy, phases and thresholds
of the binary perceptron, the tree committee machine, the symmetric binary perceptron.

Each function mirrors ``flatmin theory … --json``:

* ``rs(alpha, kappa=0.0)`` → dict ``{"alpha", "kappa", "s", "q", "qhat", "d", "iterations",
  "residual"}``
* ``kappa_max(alpha)``, ``alpha_c(kappa=0.0)`` → float
* ``fp(alpha, kappa_ref, kappa=0.0, d=…)`` → dict with ``"s_fp"``; an array ``d`` gives arrays
* ``phases(alpha, kappa=0.0, kappa_ref=None, tol=5e-4)``, ``thresholds(alphas, …)`` → dict
* ``committee_rs(act, alpha, kappa=0.0)`` → dict; ``committee_kappa_max(act, alpha)`` → float;
  ``committee_fp(act, alpha, kappa_ref, kappa=0.0, d=…)`` → dict (``act`` is "sign" or "relu")
* ``sbp_alpha_1m(kappa)``, ``sbp_alpha_pair(kappa, d)`` → float; ``sbp_pairs(alpha, kappa, d)`` →
  dict ``{"alpha", "kappa", "d", "sigma2"}``; ``sbp_alpha_gap(kappa)`` → dict; ``sbp_tuples(y,
  alpha, kappa, d)`` → dict with ``"sigma_y"``
"""

from ._flatmin import theory as _theory

rs = _theory.rs
kappa_max = _theory.kappa_max
alpha_c = _theory.alpha_c
fp = _theory.fp
phases = _theory.phases
fp_1rsb = _theory.fp_1rsb
thresholds = _theory.thresholds
committee_rs = _theory.committee_rs
committee_kappa_max = _theory.committee_kappa_max
committee_fp = _theory.committee_fp
sbp_alpha_1m = _theory.sbp_alpha_1m
sbp_pairs = _theory.sbp_pairs
sbp_alpha_pair = _theory.sbp_alpha_pair
sbp_alpha_gap = _theory.sbp_alpha_gap
sbp_tuples = _theory.sbp_tuples

__all__ = [
    "rs",
    "kappa_max",
    "alpha_c",
    "fp",
    "phases",
    "fp_1rsb",
    "thresholds",
    "committee_rs",
    "committee_kappa_max",
    "committee_fp",
    "sbp_alpha_1m",
    "sbp_pairs",
    "sbp_alpha_pair",
    "sbp_alpha_gap",
    "sbp_tuples",
]
