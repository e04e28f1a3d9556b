"""flatmin: the geometry of solutions of binary neural networks, from Python.

Wide flat minima of the binary perceptron (Baldassi, Lauditi, Malatesta, Perugini, Zecchina,
PRL 127, 278301, 2021), the tree committee machine and the symmetric binary perceptron, at the
speed of the Rust core. Every function mirrors a ``flatmin`` command and returns the dict of its
``--json`` output (same snake_case keys), with lists of numbers as numpy arrays and ±1
configurations as int8 arrays. A value that does not exist is ``None`` (NaN inside an array) with
a sibling ``"<key>_reason"``. Bad input raises ``ValueError`` (``FileNotFoundError`` for a missing
file, ``TypeError`` for a wrong dtype) with the command line's message; a run that fails to
converge raises ``RuntimeError``. Long calls release the GIL, so threads run them in parallel.

Replica theory (``flatmin.theory``)::

    >>> import flatmin
    >>> flatmin.theory.alpha_c(0.0)                      # Krauth–Mézard capacity, 0.8330786…
    >>> flatmin.theory.rs(0.5, 0.0)["s"]                 # RS entropy per weight
    >>> import numpy as np
    >>> fp = flatmin.theory.fp(0.5, kappa_ref=0.3, d=np.linspace(0.005, 0.3, 30))
    >>> fp["d"], fp["s_fp"]                              # Franz–Parisi local entropy curve

Instances, BP, solvers, enumeration::

    >>> inst = flatmin.Instance.random(1001, 0.5, seed=7)          # = flatmin instance gen
    >>> sol = flatmin.solve(inst, algo="fbp", seed=0)               # focusing BP
    >>> flatmin.stabilities(inst, sol["weights"]).min() >= 0
    >>> prof = flatmin.local_entropy(inst, sol["weights"])          # BP local-entropy profile
    >>> small = flatmin.Instance.read("tests/fixtures/N21_a30_k030.txt")
    >>> flatmin.enumerate(small, ref=1)["counts_by_distance"]       # exact, all 2^21 configs

Functions: ``stats``, ``stabilities``, ``bp``, ``local_entropy``, ``solve``, ``enumerate``,
``flatness``, ``local_energy``, ``figure``; class ``Instance``; module ``theory``.
"""

from ._flatmin import (
    Instance,
    __version__,
    bp,
    enumerate,
    figure,
    flatness,
    local_energy,
    local_entropy,
    solve,
    stabilities,
    stats,
)
from . import theory

__all__ = [
    "Instance",
    "__version__",
    "bp",
    "enumerate",
    "figure",
    "flatness",
    "local_energy",
    "local_entropy",
    "solve",
    "stabilities",
    "stats",
    "theory",
]
