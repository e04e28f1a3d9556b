"""flatmin.theory against `flatmin theory … --json`."""

import os

import numpy as np
import pytest

import flatmin
from conftest import HARDENED, cli_error, cli_json, cli_run, columnar, normalize, same

FP_EXTRA = ("alpha", "kappa_ref", "kappa", "d_star", "phi_star")


@pytest.mark.parametrize("alpha,kappa", [(0.5, 0.0), (0.3, 0.3), (0.7, -0.2), (0.1, 1.0)])
def test_rs(alpha, kappa):
    py = flatmin.theory.rs(alpha, kappa)
    same(py, normalize(cli_json("theory", "rs", "--alpha", alpha, "--kappa=%s" % kappa)))
    assert set(py) == {"alpha", "kappa", "s", "q", "qhat", "d", "iterations", "residual"}


@pytest.mark.parametrize("alpha", [0.3, 0.6, 0.8])
def test_kappa_max(alpha):
    v = flatmin.theory.kappa_max(alpha)
    assert isinstance(v, float)
    assert v == cli_json("theory", "kappa-max", "--alpha", alpha)["kappa_max"]


@pytest.mark.parametrize("kappa", [0.0, 0.5, -0.3])
def test_alpha_c(kappa):
    v = flatmin.theory.alpha_c(kappa)
    assert v == cli_json("theory", "alpha-c", "--kappa=%s" % kappa)["alpha_c"]
    if kappa == 0.0:
        assert abs(v - 0.8330786) < 1e-6  # Krauth–Mézard


def test_fp_scalar_and_array():
    cli_one = normalize(cli_json("theory", "fp", "--alpha", 0.5, "--kappa-ref", 0.3, "--d", 0.1))
    if isinstance(cli_one, list):  # before the CLI's conventions: a list of one point
        cli_one = cli_one[0]
    py = flatmin.theory.fp(0.5, 0.3, d=0.1)
    same(py, cli_one, extra=FP_EXTRA)
    assert py["s_fp_reason"] is None
    assert isinstance(py["s_fp"], float)

    ds = 0.001 + (0.3 - 0.001) * np.arange(12) / 11  # the CLI's grid, to the last bit
    py = flatmin.theory.fp(0.5, kappa_ref=0.3, kappa=0.0, d=ds)
    cli = columnar(normalize(cli_json("theory", "fp", "--alpha", 0.5, "--kappa-ref", 0.3,
                                      "--d-range", "0.001:0.3:12")))
    same(py, cli, extra=FP_EXTRA)
    assert isinstance(py["s_fp"], np.ndarray) and py["s_fp"].dtype == np.float64
    np.testing.assert_array_equal(py["d"], ds)
    assert py["s_fp_reason"] == [None] * 12
    # The maximum of the curve: d* is the typical distance, φ(d*) the RS entropy (THEORY §S3).
    assert abs(py["phi_star"] - flatmin.theory.rs(0.5, 0.0)["s"]) < 1e-6
    # A list works like an array.
    same(flatmin.theory.fp(0.5, 0.3, d=list(ds)), cli, extra=FP_EXTRA)


def test_phases_with_reference():
    py = flatmin.theory.phases(0.6, kappa_ref=0.3)
    same(py, normalize(cli_json("theory", "phases", "--alpha", 0.6, "--kappa-ref", 0.3)))


@pytest.mark.skipif(not os.environ.get("FLATMIN_SLOW"), reason="slow (~15 s CPU); FLATMIN_SLOW=1")
def test_thresholds_one_alpha_coarse():
    py = flatmin.theory.thresholds([0.55], tol=0.02, no_alpha=True)
    cli = normalize(cli_json("theory", "thresholds", "--alphas", 0.55, "--tol", 0.02,
                             "--no-alpha"))
    same(py, cli)
    assert py["alpha"] == [0.55] and len(py["kappa_max"]) == 1


@pytest.mark.parametrize("act", ["sign", "relu"])
def test_committee(act):
    same(flatmin.theory.committee_rs(act, 0.5, 0.1),
         normalize(cli_json("theory", "committee", "rs", "--act", act, "--alpha", 0.5,
                            "--kappa", 0.1)))
    k = flatmin.theory.committee_kappa_max(act, 1.0)
    assert k == cli_json("theory", "committee", "kappa-max", "--act", act,
                         "--alpha", 1.0)["kappa_max"]
    ds = np.linspace(0.01, 0.2, 5)
    py = flatmin.theory.committee_fp(act, 0.5, 0.2, d=ds)
    cli = columnar(normalize(cli_json("theory", "committee", "fp", "--act", act, "--alpha", 0.5,
                                      "--kappa-ref", 0.2, "--d-range", "0.01:0.2:5")))
    same(py, cli)


def test_sbp():
    for kappa in [0.5, 1.0]:
        v = flatmin.theory.sbp_alpha_1m(kappa)
        assert v == cli_json("theory", "sbp", "alpha-1m", "--kappa", kappa)["alpha_1m"]
    py = flatmin.theory.sbp_pairs(0.5, 1.0, 0.2)
    same(py, normalize(cli_json("theory", "sbp", "pairs", "--alpha", 0.5, "--kappa", 1.0,
                                "--d", 0.2)), extra=("alpha", "kappa"))
    ds = np.array([0.05, 0.2, 0.4])
    arr = flatmin.theory.sbp_pairs(0.5, 1.0, ds)
    for i, d in enumerate(ds):
        one = cli_json("theory", "sbp", "pairs", "--alpha", 0.5, "--kappa", 1.0, "--d", d)
        assert arr["sigma2"][i] == one["sigma2"] and arr["d"][i] == one["d"]


def test_bad_input_raises_value_error_with_cli_message():
    with pytest.raises(ValueError) as e:
        flatmin.theory.rs(-1.0, 0.0)
    assert str(e.value).startswith("--alpha -1: ")
    if HARDENED:  # the CLI's message before the conventions was another text
        assert str(e.value) == cli_error("theory", "rs", "--alpha=-1")
    with pytest.raises(ValueError) as e:
        flatmin.theory.fp(0.5, 0.3, d=1.5)
    assert str(e.value) == cli_error("theory", "fp", "--alpha", 0.5, "--kappa-ref", 0.3,
                                     "--d", 1.5)
    with pytest.raises(ValueError):
        flatmin.theory.kappa_max(float("nan"))
    with pytest.raises(ValueError):
        flatmin.theory.committee_rs("tanh", 0.5)
    with pytest.raises(ValueError):
        flatmin.theory.fp(0.5, 0.3, d=np.zeros((2, 2)) + 0.1)
    with pytest.raises(TypeError):
        flatmin.theory.fp(0.5, 0.3, d="far")


def test_outside_the_physical_region_warns():
    with pytest.warns(RuntimeWarning, match="above alpha_c"):
        py = flatmin.theory.rs(1.0, 0.0)
    assert py["s"] < 0 and "above alpha_c" in py["warning"]
    cli = normalize(cli_json("theory", "rs", "--alpha", 1.0))
    same(py, cli, extra=("warning",))


def test_beyond_capacity_is_null_with_a_reason():
    # At and beyond alpha_GD no RS saddle exists: None plus a reason, as the CLI (exit 0).
    py = flatmin.theory.rs(5.0, 0.0)
    assert py["s"] is None and "alpha_GD(kappa) = 1.273240" in py["s_reason"]
    same(py, cli_json("theory", "rs", "--alpha", 5.0))
    py = flatmin.theory.fp(1.5, 0.0, d=np.array([0.05, 0.1]))
    assert np.isnan(py["s_fp"]).all() and py["d_star"] is None and "d_star_reason" in py
    same(py, cli_json("theory", "fp", "--alpha", 1.5, "--kappa-ref", 0, "--d-range", "0.05:0.1:2"))
    py = flatmin.theory.committee_rs("relu", 50.0)
    same(py, cli_json("theory", "committee", "rs", "--act", "relu", "--alpha", 50))
    py = flatmin.theory.phases(0.5, kappa_ref=3.0)
    assert py["phase"] is None
    same(py, cli_json("theory", "phases", "--alpha", 0.5, "--kappa-ref", 3))
    # kappa_max beyond alpha_GD(0) is computed now; outside its range a ValueError (exit 2).
    assert flatmin.theory.kappa_max(5.0) == cli_json("theory", "kappa-max",
                                                     "--alpha", 5)["kappa_max"]
    with pytest.raises(ValueError) as e:
        flatmin.theory.kappa_max(0.001)
    assert str(e.value) == cli_error("theory", "kappa-max", "--alpha", 0.001)
    with pytest.raises(ValueError) as e:
        flatmin.theory.alpha_c(-10.0)
    assert str(e.value) == cli_error("theory", "alpha-c", "--kappa=-10")


def test_one_element_array_stays_an_array():
    py = flatmin.theory.fp(0.5, 0.3, d=np.array([0.1]))
    assert isinstance(py["s_fp"], np.ndarray) and py["s_fp"].shape == (1,)
    assert py["s_fp"][0] == flatmin.theory.fp(0.5, 0.3, d=0.1)["s_fp"]
    assert isinstance(flatmin.theory.fp(0.5, 0.3, d=np.float64(0.1))["s_fp"], float)


def test_sbp_thresholds_and_tuples():
    v = flatmin.theory.sbp_alpha_pair(1.0, 0.2)
    assert v == cli_json("theory", "sbp", "alpha-pair", "--kappa", 1.0, "--d", 0.2)["alpha_pair"]
    same(flatmin.theory.sbp_alpha_gap(1.0),
         normalize(cli_json("theory", "sbp", "alpha-gap", "--kappa", 1.0)))
    same(flatmin.theory.sbp_tuples(3, 0.5, 1.0, 0.2),
         normalize(cli_json("theory", "sbp", "tuples", "--y", 3, "--alpha", 0.5, "--kappa", 1.0,
                            "--d", 0.2)),
         extra=("y", "alpha", "kappa", "d"))
    with pytest.raises(ValueError):
        flatmin.theory.sbp_tuples(0, 0.5, 1.0, 0.2)


def test_sbp_kappa_guard_matches_cli():
    """κ above 7 is refused by every sbp_* function with the CLI's message (issue 12 audit)."""
    cli = cli_error("theory", "sbp", "alpha-1m", "--kappa", 8)
    for call in (
        lambda: flatmin.theory.sbp_alpha_1m(8.0),
        lambda: flatmin.theory.sbp_pairs(0.01, 8.0, 0.1),
        lambda: flatmin.theory.sbp_alpha_pair(8.0, 0.1),
        lambda: flatmin.theory.sbp_alpha_gap(8.0),
        lambda: flatmin.theory.sbp_tuples(3, 0.01, 8.0, 0.1),
    ):
        with pytest.raises(ValueError) as e:
            call()
        assert str(e.value) == cli
    assert flatmin.theory.sbp_alpha_1m(7.0) == cli_json("theory", "sbp", "alpha-1m", "--kappa", 7)[
        "alpha_1m"]


def test_fp_1rsb_one_short_start():
    py = flatmin.theory.fp_1rsb(0.5, 0.3, 0.1, m=[0.5], delta=[0.1], max_iter=3)
    cli = normalize(cli_json("theory", "fp-1rsb", "--alpha", 0.5, "--kappa-ref", 0.3, "--d", 0.1,
                             "--m", 0.5, "--delta", 0.1, "--max-iter", 3))
    same(py, cli)
    assert len(py["starts"]) == 1 and isinstance(py["non_rs_found"], bool)


def test_fp_outside_the_physical_region_warns_like_the_cli():
    # phi(d*) < 0 above alpha_c: the CLI's "warning" key (output conventions §4), also raised.
    # phi(d*) is the RS entropy s(alpha = 0.9, kappa = 0) = -0.0757757 (`flatmin theory rs --alpha 0.9`).
    with pytest.warns(RuntimeWarning, match=r"phi\(d\*\) = -0\.075776 < 0"):
        py = flatmin.theory.fp(0.9, 0.0, d=0.05)
    assert py["phi_star"] < 0 and "outside the physical region" in py["warning"]
    same(py, cli_json("theory", "fp", "--alpha", 0.9, "--kappa-ref", 0, "--d", 0.05))


def test_committee_fp_checks_the_grid_limit_like_fp():
    for call in (flatmin.theory.fp, lambda *a, d: flatmin.theory.committee_fp("sign", *a, d=d)):
        with pytest.raises(ValueError, match="the count must be between 1 and 2000, got 2001"):
            call(0.5, 0.2, d=np.linspace(0.01, 0.2, 2001))


def test_phases_and_thresholds_check_like_the_cli():
    """Tolerances and the density list are checked by the CLI's own checks (one message)."""
    with pytest.raises(ValueError) as e:
        flatmin.theory.phases(0.5, tol=float("inf"))
    assert str(e.value) == cli_error("theory", "phases", "--alpha", 0.5, "--tol", "inf")
    with pytest.raises(ValueError) as e:
        flatmin.theory.thresholds([0.5], alpha_tol=0.0)
    assert str(e.value) == cli_error("theory", "thresholds", "--alphas", 0.5, "--alpha-tol", 0)
    many = [0.5] * 101
    with pytest.raises(ValueError) as e:
        flatmin.theory.thresholds(many, no_alpha=True)
    assert str(e.value) == cli_error("theory", "thresholds", "--alphas",
                                     ",".join(map(str, many)), "--no-alpha")
