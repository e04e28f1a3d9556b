"""Committee machines (issue 15) from Python: the CLI's `--k K [--tree]` instances, statistics and
fbp/rbp solves, compared with the binary's files and JSON; the CLI's messages for bad arguments."""

import numpy as np
import pytest

import flatmin
from conftest import cli_error, cli_json, cli_run, same


def gen_cli(tmp_path, name, *args):
    """`flatmin instance gen ARGS… -o tmp_path/name`; returns the path."""
    path = tmp_path / name
    code, _, err = cli_run("instance", "gen", *args, "-o", path)
    assert code == 0, err
    return path


@pytest.mark.parametrize(
    "n, k, tree, alpha, teacher, seed",
    [(21, 5, False, 0.1, False, 0), (45, 3, True, 0.3, True, 9), (33, 3, False, 0.2, True, 4)],
)
def test_random_committee_is_the_cli_file(tmp_path, n, k, tree, alpha, teacher, seed):
    args = ["--n", n, "--k", k, "--alpha", alpha, "--seed", seed]
    args += ["--tree"] * tree + ["--teacher"] * teacher
    path = gen_cli(tmp_path, "c.txt", *args)
    inst = flatmin.Instance.random(n, alpha, seed=seed, teacher=teacher, k=k, tree=tree)
    assert inst.to_text() == path.read_text()
    read = flatmin.Instance.read(path)
    assert read == inst
    assert (inst.k, inst.tree, inst.n) == (k, tree, n)
    weights = n if tree else k * n
    assert inst.p == int(alpha * weights + 0.5)
    assert inst.alpha == inst.p / weights
    n_in = n // k if tree else n
    assert inst.refs.shape == ((k, n_in) if teacher else (0, n_in))
    assert f"k={k}" in repr(inst)
    # k = 1 is the perceptron file
    assert flatmin.Instance.random(n, alpha, seed=seed, k=1) == flatmin.Instance.random(
        n, alpha, seed=seed
    )


def test_committee_arguments_have_the_cli_messages():
    for kwargs, cli in [
        ({"k": 4}, ["--k", 4]),
        ({"k": 0}, ["--k", 0]),
        ({"k": 3, "tree": True}, ["--k", 3, "--tree"]),
        ({"k": 3, "kappa": 0.5}, ["--k", 3, "--kappa", 0.5]),
    ]:
        with pytest.raises(ValueError) as e:
            flatmin.Instance.random(20, 0.3, **kwargs)
        assert str(e.value) == cli_error("instance", "gen", "--n", 20, "--alpha", 0.3, *cli,
                                         "-o", "-")
    with pytest.raises(ValueError) as e:
        flatmin.Instance.random(21, 0.001, k=3)
    assert str(e.value) == cli_error("instance", "gen", "--n", 21, "--alpha", 0.001, "--k", 3,
                                     "-o", "-")


@pytest.mark.parametrize("algo", ["fbp", "rbp"])
def test_committee_solve_equals_the_cli(tmp_path, algo):
    # The peer's own test case: N = 21, K = 5, alpha = 0.1.
    path = gen_cli(tmp_path, "c.txt", "--n", 21, "--k", 5, "--alpha", 0.1, "--seed", 3)
    inst = flatmin.Instance.read(path)
    py = flatmin.solve(inst, algo=algo, seed=2)
    cli = cli_json("solve", path, "--algo", algo, "--seed", 2)
    assert py["k"] == 5 and py["tree"] is False
    assert isinstance(py["weights"], list) and len(py["weights"]) == 5
    assert all(isinstance(w, str) and len(w) == 21 and set(w) <= {"+", "-"}
               for w in py["weights"])
    assert py["solved"] and py["errors"] == 0
    same(py, cli, ignore=("seconds",))
    # The solution reproduces every label by an independent forward pass here.
    w = np.array([[1 if c == "+" else -1 for c in row] for row in py["weights"]])
    votes = np.sign(np.sign(inst.patterns @ w.T + 0.5).sum(axis=1))
    np.testing.assert_array_equal(votes, inst.labels)


def test_committee_tree_solve_and_perceptron_only_functions(tmp_path):
    inst = flatmin.Instance.random(45, 0.3, seed=9, k=3, tree=True, teacher=True)
    path = tmp_path / "t.txt"
    inst.write(path)
    py = flatmin.solve(inst, algo="fbp", seed=1)
    same(py, cli_json("solve", path, "--algo", "fbp", "--seed", 1), ignore=("seconds",))
    assert py["tree"] is True and len(py["weights"]) == 3 and len(py["weights"][0]) == 15
    # Algorithms without a committee version, and perceptron-only functions: the CLI's message.
    with pytest.raises(ValueError) as e:
        flatmin.solve(inst, algo="sbpi")
    assert str(e.value) == cli_error("solve", path, "--algo", "sbpi")
    for f in (lambda: flatmin.bp(inst), lambda: flatmin.enumerate(inst),
              lambda: flatmin.stabilities(inst, np.ones(45, dtype=np.int8))):
        with pytest.raises(ValueError) as e:
            f()
        assert str(e.value) == cli_error("bp", path)


def test_committee_stats_equal_the_cli(tmp_path):
    inst = flatmin.Instance.random(33, 0.2, seed=4, k=3, teacher=True)
    path = tmp_path / "c.txt"
    inst.write(path)
    py = flatmin.stats(inst)
    cli = cli_json("instance", "stats", path)
    same(py, cli)
    assert py["k"] == 3 and py["teacher"] is True and py["errors"] == 0
    np.testing.assert_array_equal(py["teacher_overlap"], [1.0, 1.0, 1.0])
    assert py["agreement"] == 1.0
    # Given weights: the teacher with one hidden unit negated.
    w = inst.refs.copy()
    w[0] *= -1
    rows = ",".join("".join("+" if x > 0 else "-" for x in row) for row in w)
    same(flatmin.stats(inst, ref=w), cli_json("instance", "stats", path, "--weights", rows))
    # No reference: the instance's fields, errors null with a reason.
    random = flatmin.Instance.random(21, 0.1, seed=0, k=5)
    s = flatmin.stats(random)
    assert s["errors"] is None and "errors_reason" in s
    assert s["labels_plus"] == int((np.asarray(random.labels) > 0).sum())
    with pytest.raises(ValueError) as e:
        flatmin.stats(inst, ref=2)
    assert str(e.value) == cli_error("instance", "stats", path, "--ref", 2)
    with pytest.raises(ValueError) as e:
        flatmin.stats(inst, kappa=0.5)
    assert str(e.value) == cli_error("instance", "stats", path, "--kappa", 0.5)


def test_committee_from_arrays():
    inst = flatmin.Instance.random(15, 0.2, seed=2, k=3, tree=True, teacher=True)
    built = flatmin.Instance(inst.patterns, inst.labels, refs=inst.refs, k=3, tree=True)
    assert (built.k, built.tree, built.p) == (3, True, inst.p)
    np.testing.assert_array_equal(built.refs, inst.refs)
    assert flatmin.stats(built)["errors"] == 0
    with pytest.raises(ValueError, match="K = 3 rows per reference"):
        flatmin.Instance(inst.patterns, inst.labels, refs=inst.refs[:2], k=3, tree=True)
    with pytest.raises(ValueError, match="--k 2"):
        flatmin.Instance(inst.patterns, inst.labels, k=2)
