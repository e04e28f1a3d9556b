"""Type stubs of the extension module flatmin._flatmin (re-exported by ``flatmin``)."""

import os
from types import ModuleType
from typing import Any, Dict, List, Optional, Union

import numpy as np
import numpy.typing as npt

__version__: str
theory: ModuleType

PathLike = Union[str, "os.PathLike[str]"]
Spins = npt.NDArray[np.int8]
RefArg = Union[int, Spins]

class Instance:
    """A binary-perceptron instance: P patterns in {±1}^N, labels, margin κ, references; or a
    committee machine of k hidden units (fully connected or tree)."""

    def __init__(
        self,
        patterns: npt.NDArray[np.int8],
        labels: Optional[Spins] = None,
        kappa: float = 0.0,
        refs: Optional[npt.NDArray[np.int8]] = None,
        k: int = 1,
        tree: bool = False,
    ) -> None: ...
    @staticmethod
    def read(path: PathLike) -> "Instance": ...
    @staticmethod
    def random(
        n: int,
        alpha: float,
        seed: int = 0,
        kappa: float = 0.0,
        teacher: bool = False,
        k: int = 1,
        tree: bool = False,
    ) -> "Instance": ...
    def write(self, path: PathLike, force: bool = False) -> None: ...
    def to_text(self) -> str: ...
    @property
    def n(self) -> int: ...
    @property
    def p(self) -> int: ...
    @property
    def alpha(self) -> float: ...
    @property
    def kappa(self) -> float: ...
    @property
    def k(self) -> int: ...
    @property
    def tree(self) -> bool: ...
    @property
    def patterns(self) -> npt.NDArray[np.int8]: ...
    @property
    def gauged_patterns(self) -> npt.NDArray[np.int8]: ...
    @property
    def labels(self) -> Spins: ...
    @property
    def refs(self) -> npt.NDArray[np.int8]: ...
    @property
    def comments(self) -> List[str]: ...
    def __eq__(self, other: object) -> bool: ...

def stats(
    instance: Instance, ref: Optional[RefArg] = None, kappa: Optional[float] = None
) -> Dict[str, Any]: ...
def stabilities(instance: Instance, w: Spins) -> npt.NDArray[np.int32]: ...
def bp(
    instance: Instance,
    ref: Optional[RefArg] = None,
    lam: float = 0.0,
    factor: Optional[str] = None,
    kappa: Optional[float] = None,
    seed: int = 0,
    tol: float = 1e-10,
    max_sweeps: int = 500,
    damping: float = 0.0,
) -> Dict[str, Any]: ...
def local_entropy(
    instance: Instance,
    ref: RefArg,
    lambdas: Optional[List[float]] = None,
    factor: Optional[str] = None,
    kappa: Optional[float] = None,
    seed: int = 0,
    tol: float = 1e-10,
    max_sweeps: int = 500,
    damping: float = 0.0,
) -> Dict[str, Any]: ...
def solve(
    instance: Instance,
    algo: str = "fbp",
    seed: int = 0,
    kappa: Optional[float] = None,
    protocol: str = "paper",
    step_sweeps: int = 10,
    full_protocol: bool = False,
    fallback: str = "reinforcement",
    sweep_check: bool = True,
    runaway_steps: int = 4,
    dr: float = 1e-3,
    max_sweeps: int = 10_000,
    ps: float = 0.3,
    cpr_ps: Optional[float] = None,
    sa_sweeps: int = 10_000,
) -> Dict[str, Any]: ...
def enumerate(
    instance: Instance,
    ref: Optional[RefArg] = None,
    kappa: Optional[float] = None,
    random_ref: bool = False,
    seed: int = 0,
) -> Dict[str, Any]: ...
def flatness(
    instance: Instance,
    ref: Optional[RefArg] = None,
    radius: Optional[int] = None,
    exact_max_n: int = 30,
    random_ref: bool = False,
    seed: int = 0,
) -> Dict[str, Any]: ...
def local_energy(
    instance: Instance,
    ref: Optional[RefArg] = None,
    p_max: float = 0.5,
    p_steps: int = 51,
    samples: int = 1000,
    exact: bool = False,
    fixed: bool = False,
    random_ref: bool = False,
    seed: int = 0,
) -> Dict[str, Any]: ...
def figure(
    name: str, out: PathLike = "figures", quick: bool = False, seed: int = 0
) -> Dict[str, Any]: ...
