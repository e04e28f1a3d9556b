#!/usr/bin/env python3
"""Side by side: flatmin's committee focusing BP against the peer rFBP 1.0.4 (train_main, built by
benches/rfbp_build.sh with its one-line maxdiff patch) on the same instances, one thread, CPU time of
each whole process (getrusage of the children), interleaved runs, medians.

Usage:
  benches/rfbp_compare.py --rfbp /path/to/train_main --k 3 --n 335 --alpha 0.2 \
      --instances 4 [--mode sweep|solve|both] [--repeats R] [--workdir DIR] [--side both|flatmin|rfbp]
  threshold scan (solve mode at alpha, alpha + STEP, ... until rFBP solves <= --scan-stop):
  benches/rfbp_compare.py --rfbp RFBP --k 3 --n 335 --alpha 0.4 --scan 0.05 --instances 5

* Instances: P = round(alpha·K·N) random ±1 patterns with random ±1 labels (Python's random module,
  seed = instance index), written in rFBP's text format (labels line, then P lines of N inputs,
  tab-separated); flatmin reads the same file (benches/committee.rs command mode), fully connected.
* Per sweep: (CPU of 52 sweeps − CPU of 2 sweeps)/50, the median of --repeats such pairs per side
  and instance (interleaved). rFBP: `-e 0 -i 52` (the first step, y = 1, never converges at ε = 0,
  so exactly 52 sweeps); flatmin: MODE=sweeps (plain damped sweeps).
* Solve: rFBP patched standard reinforcement `-p standard_reinforcement -s 101 -i 1000 -e 0.001 -d 0.5`
  (the Julia default protocol with damping 0.5) and as shipped (`-a accurate exact` only);
  flatmin: StandardReinforcement(0.01), damping 0.5, ≤ 10 sweeps per step, tol 1e-3, solution test
  after every sweep.
* --timeout: CPU seconds per solve (RLIMIT_CPU on the child); a run stopped there counts as not
  solved and is printed as "STOPPED at the CPU limit", distinct from a run that ends unsolved.
Nothing of rFBP is part of flatmin; the peer is built from its own source tree.

Measured 2026-11-29 on the project machine (AMD EPYC, 2 cores shared with other builds; one
thread per process; f64, AVX-512 level), with
  benches/rfbp_compare.py --rfbp RFBP --flatmin BIN --k K --n N --alpha A --instances I --mode M
(BIN = the committee bench executable, RFBP = benches/rfbp_build.sh output).
Per sweep, session 5 (the same numerics bound; fused multiply-adds and the restructured kernels
listed in core/src/bp/committee.rs "Speed"; load average 1.1; --instances 9 --repeats 3):
  per sweep, K=5 N=201 alpha=0.3 (P=302), 9 instances: rFBP 12.85 ms, flatmin 1.029 ms: 12.5x
      (instances 10.4x-14.2x)
  per sweep, K=3 N=335 alpha=0.3 (P=301), 9 instances: rFBP 13.97 ms, flatmin 0.790 ms: 17.7x
      (instances 15.2x-19.1x)
Solves, session 5 (flatmin side on the same instances; rFBP's binary and instances are those of
session 4, whose rFBP times are quoted):
  solve, K=3 N=335 alpha=0.45 (P=452), 5 instances: flatmin 5/5, median 0.82 s (0.73-0.88 s);
      rFBP (session 4) 5/5, median 112.7 s: 137x median per solve.
  solve, K=5 N=201 alpha=0.2 (P=201), 3 instances, CPU limit 120 s, both sides run again:
      flatmin 3/3, median 0.48 s; rFBP 1/3 (25.6 s; 2 ended unsolved at 25.1 s and 12.5 s):
      55.6x on the one both solved.
  threshold scan, flatmin side (--side flatmin --scan 0.05 --scan-max 0.5, 300 s CPU limit):
      K=3 N=335 alpha 0.40/0.45/0.50: 5/5 each, medians 0.65/0.83/1.14 s; K=5 N=201 alpha
      0.40/0.45/0.50: 5/5 each, medians 0.94/0.94/1.49 s. rFBP (session 3, below): K=3 4/5, 5/5,
      4/5; K=5 0/5 at 0.40.
Per sweep, session 4 (the committee's Gaussian hidden factor at a stated accuracy, see
core/src/bp/committee.rs "Numerics of the Gaussian hidden factor"; load average 6.2-6.8; three runs):
  per sweep, K=5 N=201 alpha=0.3 (P=302), 5 instances: rFBP 12.32 ms, flatmin 1.434 ms:  8.6x
      (runs 8.4x, 8.6x, 8.9x: flatmin 1.435 / 1.434 / 1.398 ms) (the 10x goal was not met then)
  per sweep, K=3 N=335 alpha=0.3 (P=301), 5 instances: rFBP 14.17 ms, flatmin 1.141 ms: 12.3x
      (runs 11.7x, 12.3x, 12.8x)
  the build before it (main at ca2f5a9), same load, same script: K=5 1.624 ms (7.6x), K=3
      1.312 ms (10.9x). At load 2.7 (one more run each): final K=5 1.401 ms vs 12.35 ms (8.8x),
      K=3 1.101 ms vs 13.85 ms (12.6x); before K=5 1.601 ms (7.6x), K=3 1.291 ms (10.9x).
Solves, session 4 (same build; flatmin's trajectories changed in their last bits):
  solve, K=3 N=335 alpha=0.45 (P=452), 5 instances, CPU limit 300 s, nice 19: rFBP 5/5, median
      112.7 s (88.5-175.0 s); flatmin 5/5, median 1.12 s; 106x median (79-175x) per solve.
  solve, K=5 N=201 alpha=0.2 (P=201), 3 instances, CPU limit 120 s: flatmin 3/3, median 0.67 s;
      rFBP 1/3 (2 ended unsolved at 25.2 s and 12.3 s); 38.7x on the one both solved.
  threshold scan, flatmin side only (--side flatmin --scan 0.05 --scan-max 0.5, 600 s limit,
      nice 19): K=3 N=335 alpha 0.40/0.45/0.50: 5/5 each, medians 0.96/1.15/1.39 s (session 3:
      5/5 each, 1.16/1.24/1.60 s); K=5 N=201 alpha 0.40/0.45/0.50: 5/5 each, medians
      1.10/1.33/1.80 s (session 3: 5/5 at 0.40, 1.32 s). rFBP's side is unchanged (session 3 below).
Per sweep, session 3 (commit aafeb42 and later, load average 11.3-11.5):
  per sweep, K=3 N=335 alpha=0.3 (P=301), 5 instances: rFBP 14.20 ms, flatmin 1.388 ms: 10.2x
  per sweep, K=5 N=201 alpha=0.3 (P=302), 5 instances: rFBP 12.26 ms, flatmin 1.674 ms:  7.3x
  (same run order, commit 30596e9, load 8.7: K=5 rFBP 12.24 ms, flatmin 1.783 ms, 6.9x.)
Per sweep, session 2 (commit 30596e9, load average 12-16):
  per sweep, K=3 N=335 alpha=0.3 (P=301), 5 instances: rFBP 14.63 ms, flatmin 1.418 ms: 10.3x
  per sweep, K=5 N=201 alpha=0.3 (P=302), 5 instances: rFBP 12.40 ms, flatmin 1.776 ms:  7.0x
Solves (session 2, commit 30596e9; the later commits give the same trajectories bit for bit: the
same steps and sweeps on the K=3 alpha=0.4 instances):
  solve, K=3 N=335 alpha=0.3, 5 instances (that run: a 300 s wall-clock limit per solve):
      flatmin 5/5 solved, median 0.87 s CPU; rFBP 2/5, median 30.7 s (2 stopped by the limit,
      1 ended unsolved); 35x on the 2 instances both solved.
  solve, K=3 N=335 alpha=0.35 (P=352), 5 instances, same limit: flatmin 5/5, median 0.93 s;
      rFBP 3/5, median 55.9 s (2 stopped by the limit); 60x median (24-102x) on the 3 both solved.
  solve, K=5 N=201 alpha=0.3 (P=302), 5 instances, same limit: flatmin 5/5, median 1.09 s;
      rFBP 0/5 (4 stopped by the limit, 1 ended unsolved).
  solve, K=5 N=201 alpha=0.2 (P=201), 3 instances, CPU limit 120 s: flatmin 3/3, median 0.84 s;
      rFBP 1/3 (2 ended unsolved at 26 s and 13 s); 31x on the one both solved.
  solve, K=3 N=335 alpha=0.4 (P=402), 5 instances, CPU limit 300 s: flatmin 5/5, median 1.10 s;
      rFBP 4/5, median 85.7 s (1 ended unsolved at 39 s); 76x median (34-105x) on the 4.
  Caveat: the 300 s wall-clock limit of the first runs (load 12-16 on 2 cores) stopped rFBP runs
  after far less CPU time, and the alpha=0.4 run shows rFBP solving at 47-112 s CPU: "stopped by
  the limit" there does not mean rFBP could not solve; the CPU limit replaces it now.
Threshold scan, session 3 (--scan 0.05 --instances 5 --timeout 600: a 600 s CPU limit per solve,
5x rFBP's slowest solve seen, 111 s; every rFBP failure below ended on its own, none at the limit;
nice 19 on the shared machine; flatmin side: the commit-30596e9 build, same trajectories as now):
  K=3 N=335 alpha=0.40 (P=402): rFBP 4/5, median 85.6 s CPU (failure ended at 40.4 s);
      flatmin 5/5, median 1.16 s; 75x median (40-104x) on the 4 both solved.
  K=5 N=201 alpha=0.40 (P=402): rFBP 0/5 (all ended unsolved, 39.7-98.4 s); flatmin 5/5,
      median 1.32 s. (rFBP's K=5 threshold lies below 0.2: 1/3 at 0.2, 0/5 at 0.3, above.)
  K=3 N=335 alpha=0.45 (P=452): rFBP 5/5, median 111.9 s; flatmin 5/5, median 1.24 s; 90x median
      (72-144x).
  K=3 N=335 alpha=0.50 (P=502): rFBP 4/5, median 126.3 s (failure ended at 31.7 s); flatmin 5/5,
      median 1.60 s; 84x median (40-136x). rFBP's K=3 threshold is above 0.5: the scan was
      stopped at the session's deadline before alpha=0.55.
"""
import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys


def cpu_of(cmd, env=None, timeout=None):
    """Runs `cmd`, returns (CPU seconds of the child, result). `timeout`: a CPU-time limit in
    seconds (RLIMIT_CPU: the child gets SIGXCPU), so that a loaded machine does not cut runs short;
    a wall-clock limit of 20× guards against a hung child."""
    def limit():
        if timeout:
            s = int(timeout) + 1
            resource.setrlimit(resource.RLIMIT_CPU, (s, s + 5))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, preexec_fn=limit,
                       timeout=20 * timeout if timeout else None)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, r


def flatmin_json(r, mode):
    """The JSON line the committee bench executable prints in command mode; exits with a clear
    message when `--flatmin` is another program (the `flatmin` CLI, say) or the run failed."""
    for line in reversed(r.stdout.strip().splitlines()):
        try:
            v = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(v, dict) and v.get("mode") == mode:
            return v
    err = r.stderr.strip().splitlines()[-1:] or ["no output"]
    sys.exit(f"--flatmin {r.args[0]}: not the committee bench executable's {mode!r} output "
             f"(exit {r.returncode}: {err[0]}); pass `cargo bench --bench committee --no-run`'s "
             "executable or leave --flatmin out")


def write_instance(path, n, p, seed):
    rng = random.Random(seed)
    labels = [rng.choice((-1, 1)) for _ in range(p)]
    with open(path, "w") as f:
        f.write("\t".join(str(x) for x in labels) + "\n")
        for _ in range(p):
            f.write("\t".join(str(rng.choice((-1, 1))) for _ in range(n)) + "\n")


def flatmin_binary(root):
    out = subprocess.run(
        ["cargo", "bench", "--bench", "committee", "--no-run", "--message-format=json"],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout
    for line in out.splitlines():
        try:
            m = json.loads(line)
        except json.JSONDecodeError:
            continue
        if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "committee" \
                and m.get("executable"):
            return m["executable"]
    sys.exit("could not find the committee bench executable")


def rfbp_cmd(binary, path, k, extra):
    return [binary, "-f", path, "-k", str(k), "-m", "0", "-r", "1", "-a", "accurate", "exact"] + extra


def rfbp_errors(stdout):
    errs = re.findall(r"E=(\d+)", stdout)
    return int(errs[-1]) if errs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rfbp", required=True)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--n", type=int, default=335)
    ap.add_argument("--alpha", type=float, default=0.2)
    ap.add_argument("--instances", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3,
                    help="per-sweep mode: runs per side and instance (interleaved; their median)")
    ap.add_argument("--mode", default="both", choices=["sweep", "solve", "both"])
    ap.add_argument("--workdir", default="/tmp/flatmin_rfbp_compare")
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="CPU seconds per solve (RLIMIT_CPU); a stopped run counts as not solved")
    ap.add_argument("--shipped", action="store_true", help="also run rFBP as shipped")
    ap.add_argument("--flatmin", help="the committee bench executable (default: built by cargo)")
    ap.add_argument("--side", default="both", choices=["both", "flatmin", "rfbp"],
                    help="solve mode: run only one side (e.g. flatmin again with a new build)")
    ap.add_argument("--scan", metavar="STEP", type=float,
                    help="threshold scan (solve mode): alpha from --alpha upwards in steps of STEP "
                         "until rFBP solves at most --scan-stop of the --instances")
    ap.add_argument("--scan-stop", type=int, default=1)
    ap.add_argument("--scan-max", type=float, default=1.0, help="last alpha of a scan")
    a = ap.parse_args()
    if a.scan:
        scan(a)
        return
    run(a)


def scan(a):
    """Threshold scan: solve mode at alpha, alpha + STEP, … until rFBP solves ≤ --scan-stop."""
    a.mode = "solve"
    alpha = a.alpha
    while alpha <= a.scan_max + 1e-9:
        a.alpha = round(alpha, 6)
        solve = run(a)
        print(f"SCAN alpha={a.alpha}: " + ", ".join(
            f"{who} {sum(1 for o, _ in r if o)}/{len(r)}" for who, r in solve.items() if r), flush=True)
        if solve["rfbp"] and sum(1 for o, _ in solve["rfbp"] if o) <= a.scan_stop:
            break
        alpha += a.scan


def run(a):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    fm = a.flatmin or flatmin_binary(root)
    os.makedirs(a.workdir, exist_ok=True)
    p = round(a.alpha * a.k * a.n)
    print(f"K={a.k} N={a.n} weights={a.k * a.n} P={p} alpha={p / (a.k * a.n):.4f}", flush=True)
    per_sweep = {"rfbp": [], "flatmin": []}
    solve = {"rfbp": [], "rfbp_shipped": [], "flatmin": []}
    for s in range(a.instances):
        path = os.path.join(a.workdir, f"K{a.k}_N{a.n}_P{p}_s{s}.txt")
        write_instance(path, a.n, p, s)
        env = dict(os.environ, FLATMIN_COMMITTEE_FILE=path, K=str(a.k), DAMPING="0.5",
                   SEED=str(s + 1))
        if a.mode in ("sweep", "both"):
            reps = {"rfbp": [], "flatmin": []}
            for rep in range(a.repeats):
                order = ["rfbp", "flatmin"] if (s + rep) % 2 == 0 else ["flatmin", "rfbp"]
                for who in order:
                    t = {}
                    for it in (2, 52):
                        if who == "rfbp":
                            cpu, _ = cpu_of(rfbp_cmd(a.rfbp, path, a.k,
                                                     ["-p", "standard_reinforcement", "-s", "1", "-i",
                                                      str(it), "-e", "0", "-d", "0.5"]))
                        else:
                            cpu, r = cpu_of([fm], env=dict(env, MODE="sweeps", SWEEPS=str(it)))
                            flatmin_json(r, "sweeps")
                        t[it] = cpu
                    reps[who].append((t[52] - t[2]) / 50)
            res = {who: statistics.median(v) for who, v in reps.items()}
            for who in res:
                per_sweep[who].append(res[who])
            print(f"instance {s}: per sweep rfbp {res['rfbp'] * 1e3:.2f} ms, flatmin "
                  f"{res['flatmin'] * 1e3:.3f} ms, ratio {res['rfbp'] / res['flatmin']:.1f}", flush=True)
        if a.mode in ("solve", "both"):
            line = f"instance {s}: solve"
            runs = [("flatmin", None), ("rfbp", ["-p", "standard_reinforcement", "-s", "101", "-i", "1000",
                                                 "-e", "0.001", "-d", "0.5", "-g", "0.01"])]
            if a.shipped:
                runs.append(("rfbp_shipped", []))
            if a.side != "both":
                runs = [r for r in runs if r[0].startswith(a.side)]
            if s % 2 == 1:
                runs.reverse()
            for who, extra in runs:
                limited = False
                try:
                    if who == "flatmin":
                        cpu, r = cpu_of([fm], env=dict(env, MODE="solve"), timeout=a.timeout)
                        # Stopped at the CPU limit (a signal): not solved; otherwise its JSON line.
                        ok = r.returncode >= 0 and flatmin_json(r, "solve")["solved"]
                    else:
                        cpu, r = cpu_of(rfbp_cmd(a.rfbp, path, a.k, extra), timeout=a.timeout)
                        ok = rfbp_errors(r.stdout) == 0
                    limited = r.returncode < 0 and not ok
                except subprocess.TimeoutExpired:
                    cpu, ok, limited = a.timeout, False, True
                solve[who].append((ok, cpu))
                verdict = "solved" if ok else ("STOPPED at the CPU limit" if limited else "FAILED")
                line += f" | {who}: {verdict} {cpu:.2f} s"
            print(line, flush=True)
    if per_sweep["rfbp"]:
        r, f = statistics.median(per_sweep["rfbp"]), statistics.median(per_sweep["flatmin"])
        print(f"MEDIAN per sweep: rfbp {r * 1e3:.2f} ms, flatmin {f * 1e3:.3f} ms, ratio {r / f:.1f}")
    for who, runs in solve.items():
        if runs:
            ok = [c for (o, c) in runs if o]
            med = statistics.median(ok) if ok else float("nan")
            print(f"SOLVE {who}: {len(ok)}/{len(runs)} solved, median CPU of solved {med:.2f} s, "
                  f"of all runs {statistics.median(c for (_, c) in runs):.2f} s")
    # Per-solve ratio on the instances both solved (same instance, same run).
    both = [r[1] / f[1] for r, f in zip(solve["rfbp"], solve["flatmin"]) if r[0] and f[0]]
    if both:
        print(f"SOLVE ratio rfbp/flatmin CPU on {len(both)} instances both solved: median "
              f"{statistics.median(both):.1f} (min {min(both):.1f}, max {max(both):.1f})")
    return solve


if __name__ == "__main__":
    main()
