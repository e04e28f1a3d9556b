"""Shared helpers: the `flatmin` binary, its JSON, and the comparison of Python results with it.

The Python API returns the CLI's JSON under the output conventions (snake_case keys, a range of
points as an object of arrays, a missing value as null plus "<key>_reason"). `normalize` maps the
CLI's JSON onto those conventions (a no-op once the CLI itself follows them), so the tests compare
values, key by key, with exact equality: both sides run the same Rust code.
"""

import json
import math
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
FIXTURE_FILES = sorted(FIXTURES.glob("*.txt"))


def flatmin_bin() -> Path:
    """The CLI binary: $FLATMIN_BIN, else target/release/flatmin, else target/debug/flatmin."""
    env = os.environ.get("FLATMIN_BIN")
    candidates = [Path(env)] if env else []
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    candidates += [target / "release" / "flatmin", target / "debug" / "flatmin"]
    for c in candidates:
        if c.is_file():
            return c
    raise RuntimeError(
        "the flatmin binary is missing: run `cargo build --release` (scripts/python-tests does)"
    )


def cli_run(*args):
    """Runs `flatmin ARGS…`; returns (exit code, stdout, stderr)."""
    p = subprocess.run(
        [str(flatmin_bin()), "--quiet", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return p.returncode, p.stdout, p.stderr


def cli_json(*args):
    """`flatmin ARGS… --json`, parsed."""
    code, out, err = cli_run(*args, "--json")
    assert code == 0, f"flatmin {' '.join(map(str, args))} failed ({code}): {err}"
    return json.loads(out)


def cli_error(*args):
    """The one-line error message of a rejected command (without the 'flatmin: error: ' prefix)."""
    code, _, err = cli_run(*args)
    assert code == 2, f"expected exit code 2, got {code}: {err}"
    line = err.strip().splitlines()[-1]
    return re.sub(r"^flatmin: error: ", "", line)


def snake(key: str) -> str:
    """The snake_case form of a key, as the bindings make it (maxE_d → max_e_d, S → s)."""
    out, prev_lower = [], False
    for c in key:
        if c.isascii() and c.isupper():
            if prev_lower:
                out.append("_")
            out.append(c.lower())
            prev_lower = False
        else:
            out.append(c)
            prev_lower = c.islower() or c.isdigit()
    return "".join(out)


def normalize(v):
    """The CLI's JSON under the output conventions: snake_case keys; {"none": why} and an "error"
    next to a null "s_fp" become null + "<key>_reason"."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            k = snake(k)
            if isinstance(x, dict) and set(x) == {"none"}:
                out[k] = None
                out[f"{k}_reason"] = x["none"]
            elif k == "error" and "s_fp" in v:
                out["s_fp_reason"] = x
            else:
                out[k] = normalize(x)
        return out
    if isinstance(v, list):
        return [normalize(x) for x in v]
    return v


def columnar(rows):
    """A list of point objects as one object of lists (the conventions' form of a range)."""
    if isinstance(rows, dict):
        return rows
    keys = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    return {k: [r.get(k) for r in rows] for k in keys}


def _hardened():
    """Whether the CLI already prints the output conventions' keys (lowercase sizes)."""
    try:
        v = cli_json("instance", "stats", FIXTURES / "N21_a30_k030.txt", "--ref", 1)
    except Exception:  # noqa: BLE001 - a missing binary is reported by the tests themselves
        return True
    return "n" in v


HARDENED = _hardened()


def same(py, cli, path="", ignore=(), extra=()):
    """Asserts that a Python result equals the CLI's (normalized) JSON: every CLI key present with
    an equal value (arrays exactly, null ↔ None/NaN). The only keys Python may have beyond the
    CLI's are '*_reason' (a null's reason) and, while the CLI predates the conventions (HARDENED
    false), the keys `extra` it adds to the JSON."""
    if isinstance(cli, dict):
        assert isinstance(py, dict), f"{path}: expected a dict, got {type(py)}"
        for k, v in cli.items():
            if k in ignore:
                continue
            assert k in py, f"{path}: key {k!r} missing from the Python result {sorted(py)}"
            same(py[k], v, f"{path}.{k}", ignore)
        allowed = () if HARDENED else extra
        bad = [k for k in py if k not in cli and not k.endswith("_reason") and k not in allowed]
        assert not bad, f"{path}: keys not in the CLI's JSON: {bad}"
        return
    if isinstance(cli, list):
        if isinstance(py, np.ndarray):
            want = np.array([np.nan if x is None else x for x in _flat(cli)], dtype=float)
            got = py.astype(float).ravel()
            assert got.shape == want.shape, f"{path}: shape {py.shape} vs {len(cli)}"
            np.testing.assert_array_equal(got, want, err_msg=path)
        elif isinstance(py, str):
            # A ±1 string on the CLI side is an int8 array in Python (handled by the caller).
            raise AssertionError(f"{path}: string vs list")
        else:
            assert isinstance(py, list) and len(py) == len(cli), f"{path}: {py!r} vs {cli!r}"
            for i, (a, b) in enumerate(zip(py, cli)):
                same(a, b, f"{path}[{i}]", ignore)
        return
    if cli is None:
        assert py is None or (isinstance(py, float) and math.isnan(py)), f"{path}: {py!r}"
        return
    if isinstance(cli, str) and set(cli) <= {"+", "-"} and isinstance(py, np.ndarray):
        assert py.dtype == np.int8, f"{path}: dtype {py.dtype}"
        np.testing.assert_array_equal(py, spins(cli), err_msg=path)
        return
    assert py == cli, f"{path}: Python {py!r} != CLI {cli!r}"


def _flat(x):
    for e in x:
        if isinstance(e, list):
            yield from _flat(e)
        else:
            yield e


def spins(s: str) -> np.ndarray:
    """A '+'/'-' string as an int8 array of ±1."""
    return np.array([-1 if c == "-" else 1 for c in s], dtype=np.int8)


@pytest.fixture(params=FIXTURE_FILES, ids=lambda p: p.stem)
def fixture_file(request):
    return request.param
