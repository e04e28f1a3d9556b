"""BP, local entropy, the solvers, enumeration, flatness and local energy against the CLI."""

from pathlib import Path

import numpy as np
import pytest

import flatmin
from conftest import FIXTURES, cli_error, cli_json, columnar, normalize, same

SMALL = FIXTURES / "N21_a30_k030.txt"


@pytest.mark.parametrize("factor", ["gauss", "exact"])
@pytest.mark.parametrize("lam", [0.0, 0.5])
def test_bp(fixture_file, factor, lam):
    inst = flatmin.Instance.read(fixture_file)
    args = ["bp", fixture_file, "--factor", factor, "--lambda", lam, "--seed", 3]
    kw = {}
    if inst.refs.shape[0] > 0:
        args += ["--ref", 1]
        kw["ref"] = 1
    elif lam > 0:
        pytest.skip("no reference in this fixture")
    py = flatmin.bp(inst, lam=lam, factor=factor, seed=3, **kw)
    same(py, normalize(cli_json(*args)))
    assert py["m"].dtype == np.float64 and py["m"].shape == (inst.n,)


def test_bp_without_reference_has_reasons():
    inst = flatmin.Instance.read(SMALL)
    py = flatmin.bp(inst)
    same(py, normalize(cli_json("bp", SMALL)))
    if py["q"] is None:
        assert "reference" in py["q_reason"]
    with pytest.raises(ValueError) as e:
        flatmin.bp(inst, lam=0.5)
    assert str(e.value) == cli_error("bp", SMALL, "--lambda", 0.5)
    with pytest.raises(ValueError):
        flatmin.bp(inst, factor="bogus")


def test_bp_with_array_reference_equals_line_reference():
    inst = flatmin.Instance.read(SMALL)
    a = flatmin.bp(inst, ref=2, lam=0.3)
    b = flatmin.bp(inst, ref=inst.refs[1], lam=0.3)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_local_entropy():
    inst = flatmin.Instance.read(SMALL)
    py = flatmin.local_entropy(inst, 1, lambdas=[2.0, 1.0, 0.5, 0.0], seed=1)
    cli = columnar(normalize(cli_json("local-entropy", SMALL, "--ref", 1,
                                      "--lambdas", "2,1,0.5,0", "--seed", 1)))
    same(py, cli)
    default = flatmin.local_entropy(inst, 1)
    assert len(default["lambda"]) == 19


@pytest.mark.parametrize("algo", ["fbp", "rbp", "sbpi", "cpr", "sa", "hebb"])
def test_solve(algo):
    inst = flatmin.Instance.read(SMALL)
    py = flatmin.solve(inst, algo=algo, seed=5, sa_sweeps=200)
    cli = normalize(cli_json("solve", SMALL, "--algo", algo, "--seed", 5, "--sa-sweeps", 200))
    same(py, cli, ignore=("seconds",), extra=("algo", "n", "p", "kappa", "seed"))
    assert py["algo"] == algo and (py["n"], py["p"], py["seed"]) == (inst.n, inst.p, 5)
    assert py["weights"].dtype == np.int8 and py["weights"].shape == (inst.n,)
    if py["solved"]:
        s = flatmin.stabilities(inst, py["weights"])
        assert s.min() >= flatmin.stats(inst, ref=py["weights"])["t"]


def test_solve_bad_algo():
    inst = flatmin.Instance.read(SMALL)
    with pytest.raises(ValueError) as e:
        flatmin.solve(inst, algo="magic")
    # The CLI's message is clap's ("invalid value 'magic' for '--algo <ALGO>'; [possible values:
    # …]"), which names a flag Python does not have; both name the value and every choice.
    cli = cli_error("solve", SMALL, "--algo", "magic")
    for msg in (str(e.value), cli):
        assert "'magic'" in msg, msg
        for algo in ("fbp", "rbp", "sbpi", "cpr", "sa", "hebb"):
            assert algo in msg, msg


def test_enumerate(fixture_file):
    inst = flatmin.Instance.read(fixture_file)
    args = ["enumerate", fixture_file]
    kw = {}
    if inst.refs.shape[0] > 0:
        args += ["--ref", inst.refs.shape[0]]
        kw["ref"] = inst.refs.shape[0]
    py = flatmin.enumerate(inst, **kw)
    same(py, normalize(cli_json(*args)))
    n, p = inst.n, inst.p
    assert py["hist_err"].shape == (n + 1, p + 1) and py["hist_err"].dtype == np.int64
    assert py["hist_smin"].shape == (n + 1, 2 * n + 1)
    assert py["counts_by_distance"].dtype == np.int64
    assert py["hist_err"].sum() == 2 ** n
    assert py["reference"].dtype == np.int8


def test_enumerate_random_reference_and_kappa():
    inst = flatmin.Instance.read(SMALL)
    py = flatmin.enumerate(inst, random_ref=True, seed=4, kappa=0.1)
    same(py, normalize(cli_json("enumerate", SMALL, "--random-ref", "--seed", 4,
                                "--kappa", 0.1)))
    big = flatmin.Instance.random(41, 0.3, seed=1)
    with pytest.raises(ValueError, match="limit is N = 40"):
        flatmin.enumerate(big)


def test_flatness(fixture_file):
    inst = flatmin.Instance.read(fixture_file)
    py = flatmin.flatness(inst, ref=1, radius=5)
    same(py, normalize(cli_json("flatness", fixture_file, "--ref", 1, "--radius", 5)))
    small = flatmin.flatness(inst, ref=1, exact_max_n=10)
    same(small, normalize(cli_json("flatness", fixture_file, "--ref", 1, "--exact-max-n", 10)))
    assert small["f"] is None and "exact-max-n" in small["f_reason"]


@pytest.mark.parametrize("mode", ["exact", "mc", "fixed"])
def test_local_energy(mode):
    inst = flatmin.Instance.read(SMALL)
    kw = {"exact": mode == "exact", "fixed": mode == "fixed"}
    flags = {"exact": ["--exact"], "mc": [], "fixed": ["--fixed"]}[mode]
    py = flatmin.local_energy(inst, ref=1, p_max=0.3, p_steps=7, samples=300, seed=2, **kw)
    cli = normalize(cli_json("local-energy", SMALL, "--ref", 1, "--p-max", 0.3, "--p-steps", 7,
                             "--samples", 300, "--seed", 2, *flags))
    same(py, cli)
    assert py["error"][0] == 0.0  # p = 0: the reference itself is a solution


def test_figure_list():
    figs = flatmin.figure("list")
    assert "3" in figs and "profile" in figs
    with pytest.raises(ValueError, match="unknown figure"):
        flatmin.figure("no-such-figure")


def test_figure_quick(tmp_path):
    py = flatmin.figure("2", out=tmp_path / "py", quick=True)
    cli = normalize(cli_json("figure", "2", "--quick", "-o", tmp_path / "cli"))
    cli = cli[0] if isinstance(cli, list) else cli
    same(py, cli, ignore=("dir", "seconds"))
    out = Path(py["dir"])
    assert out.parent == tmp_path / "py"
    assert (out / "meta.json").is_file() and (out / "data.csv").is_file()
