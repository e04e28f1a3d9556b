"""flatmin.Instance, stats and stabilities against `flatmin instance gen|stats`."""

import numpy as np
import pytest

import flatmin
from conftest import FIXTURES, cli_error, cli_json, cli_run, normalize, same


def test_read_attributes(fixture_file):
    inst = flatmin.Instance.read(fixture_file)
    header = next(l for l in fixture_file.read_text().splitlines() if not l.startswith("#"))
    n, p, kappa = header.split()
    assert (inst.n, inst.p, inst.kappa) == (int(n), int(p), float(kappa))
    assert inst.patterns.shape == (inst.p, inst.n) and inst.patterns.dtype == np.int8
    assert inst.labels.shape == (inst.p,) and inst.labels.dtype == np.int8
    assert inst.refs.dtype == np.int8 and inst.refs.shape[1] == inst.n
    assert set(np.unique(inst.patterns)) <= {-1, 1}
    np.testing.assert_array_equal(inst.gauged_patterns, inst.patterns * inst.labels[:, None])
    assert abs(inst.alpha - inst.p / inst.n) < 1e-15


def test_stats_against_cli(fixture_file):
    inst = flatmin.Instance.read(fixture_file)
    for k in range(1, inst.refs.shape[0] + 1):
        py = flatmin.stats(inst, ref=k)
        same(py, normalize(cli_json("instance", "stats", fixture_file, "--ref", k)))
        # stabilities() of the same configuration gives the same integers.
        np.testing.assert_array_equal(flatmin.stabilities(inst, inst.refs[k - 1]),
                                      py["stabilities"])
        py = flatmin.stats(inst, ref=k, kappa=0.1)
        same(py, normalize(cli_json("instance", "stats", fixture_file, "--ref", k,
                                    "--kappa", 0.1)))


def test_stats_of_given_weights(fixture_file):
    inst = flatmin.Instance.read(fixture_file)
    w = np.where(np.arange(inst.n) % 3 == 0, -1, 1).astype(np.int8)
    text = "".join("-" if x < 0 else "+" for x in w)
    py = flatmin.stats(inst, ref=w)
    same(py, normalize(cli_json("instance", "stats", fixture_file, "--weights", text)))
    assert py["ref"] is None


def test_stabilities_definition():
    inst = flatmin.Instance.random(101, 0.4, seed=3)
    rng = np.random.default_rng(0)
    w = rng.choice(np.array([-1, 1], dtype=np.int8), size=inst.n)
    s = flatmin.stabilities(inst, w)
    assert s.dtype == np.int32 and s.shape == (inst.p,)
    np.testing.assert_array_equal(s, inst.gauged_patterns.astype(np.int64) @ w.astype(np.int64))


@pytest.mark.parametrize("teacher", [False, True])
def test_random_is_instance_gen(tmp_path, teacher):
    path = tmp_path / "cli.txt"
    args = ["instance", "gen", "--n", 65, "--alpha", 0.6, "--seed", 11, "--kappa", 0.25,
            "-o", path] + (["--teacher"] if teacher else [])
    code, _, err = cli_run(*args)
    assert code == 0, err
    cli = flatmin.Instance.read(path)
    py = flatmin.Instance.random(65, 0.6, 11, kappa=0.25, teacher=teacher)
    assert py == cli
    out = tmp_path / "py.txt"
    py.write(out)
    assert out.read_text() == path.read_text()
    assert py.refs.shape[0] == (1 if teacher else 0)


def test_round_trips(tmp_path, fixture_file):
    inst = flatmin.Instance.read(fixture_file)
    out = tmp_path / "copy.txt"
    inst.write(out)
    again = flatmin.Instance.read(out)
    assert again == inst
    np.testing.assert_array_equal(again.patterns, inst.patterns)
    np.testing.assert_array_equal(again.refs, inst.refs)
    built = flatmin.Instance(inst.patterns, inst.labels, inst.kappa, inst.refs)
    assert built == inst
    np.testing.assert_array_equal(built.gauged_patterns, inst.gauged_patterns)


def test_errors(tmp_path):
    inst = flatmin.Instance.read(FIXTURES / "N21_a30_k030.txt")
    # dtype
    with pytest.raises(TypeError, match="int8"):
        flatmin.stabilities(inst, np.ones(inst.n))
    with pytest.raises(TypeError, match="int8"):
        flatmin.Instance(np.ones((3, 5)))
    # shape
    with pytest.raises(ValueError, match="expected 21 entries"):
        flatmin.stabilities(inst, np.ones(20, dtype=np.int8))
    with pytest.raises(TypeError):
        flatmin.stabilities(inst, np.ones((1, 21), dtype=np.int8))
    with pytest.raises(ValueError, match="labels"):
        flatmin.Instance(np.ones((3, 5), dtype=np.int8), np.ones(4, dtype=np.int8))
    # values
    with pytest.raises(ValueError, match=r"\+1 or -1"):
        flatmin.stabilities(inst, np.zeros(inst.n, dtype=np.int8))
    # a missing reference: the CLI's message
    with pytest.raises(ValueError) as e:
        flatmin.stats(inst, ref=9)
    assert str(e.value) == cli_error("instance", "stats", FIXTURES / "N21_a30_k030.txt",
                                     "--ref", 9)
    # a missing file: FileNotFoundError with the CLI's message
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError) as e:
        flatmin.Instance.read(missing)
    assert str(e.value) == cli_error("instance", "stats", missing)
    # a malformed file: ValueError naming file and line, as the CLI
    bad = tmp_path / "bad.txt"
    bad.write_text("3 1 0\n+-x\n+\n")
    with pytest.raises(ValueError) as e:
        flatmin.Instance.read(bad)
    assert str(e.value) == cli_error("instance", "stats", bad)
    assert str(e.value).startswith(f"{bad}:2:")
    with pytest.raises(ValueError):
        flatmin.Instance.random(0, 0.5)
    with pytest.raises(ValueError):
        flatmin.Instance.random(10, -0.5)


def test_version():
    code, out, _ = cli_run("--version")
    assert code == 0
    assert out.split()[-1] == flatmin.__version__


def test_write_never_replaces_a_foreign_file(tmp_path):
    inst = flatmin.Instance.random(21, 0.5, seed=1)
    foreign = tmp_path / "notes.txt"
    foreign.write_text("my notes\n")
    with pytest.raises(ValueError, match="not written by flatmin"):
        inst.write(foreign)
    assert foreign.read_text() == "my notes\n"
    inst.write(foreign, force=True)
    assert flatmin.Instance.read(foreign) == inst
    inst.write(foreign)  # now flatmin's own file: replaced without force
    built = flatmin.Instance(inst.patterns, inst.labels)
    mine = tmp_path / "built.txt"
    built.write(mine)
    built.write(mine)
    with pytest.raises(ValueError, match="directory"):
        inst.write(tmp_path)
