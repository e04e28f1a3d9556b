//! The Cortex-M programs of `firmware/` (issue 6), checked against the host library.
//!
//! Each program is built for the Cortex-M3 (`thumbv7m-none-eabi`, QEMU `lm3s6965evb`) and the
//! Cortex-M4F (`thumbv7em-none-eabihf`, QEMU `mps2-an386`), run under `qemu-system-arm` with a timeout
//! and `-icount shift=0` (deterministic), and its defmt frames are decoded with the ELF's own defmt
//! table. The program logs one `key value` pair per frame; the test asserts the exit code and compares
//! the values with what `flatmin-core` computes on x86-64 from the same seed: instance bits, integer
//! results and solutions must be identical on the three machines.
//!
//! Needs the thumb targets and `qemu-system-arm`: `scripts/firmware-deps` installs both (idempotent).
//! When either is missing the tests fail and say so; they never pass silently.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use flatmin_core::bits::{words_for, PatternBuf, SpinBuf};
use flatmin_core::instance::{gauge, generate_random, num_patterns, Instance};

const INSTALL_HINT: &str =
    "run `scripts/firmware-deps` from the repository root (installs the thumb \
     targets with rustup and qemu-system-arm with apt-get)";
/// Wall-clock limit of one QEMU run. The slowest program (on the M3: 1.5·10⁹ instructions of
/// soft-float f32, `solve_rbp`) takes about 20 s on an idle core; the margin is for a loaded machine.
const QEMU_TIMEOUT: Duration = Duration::from_secs(300);

/// An emulated machine and the target its programs are built for.
#[derive(Clone, Copy, Debug)]
struct Machine {
    target: &'static str,
    qemu_machine: &'static str,
    cpu: &'static str,
}

const M3: Machine = Machine {
    target: "thumbv7m-none-eabi",
    qemu_machine: "lm3s6965evb",
    cpu: "cortex-m3",
};
const M4F: Machine = Machine {
    target: "thumbv7em-none-eabihf",
    qemu_machine: "mps2-an386",
    cpu: "cortex-m4",
};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn firmware_target_dir() -> PathBuf {
    root().join("firmware").join("target")
}

/// Builds every program for both targets once (one cargo invocation), or returns why it could not.
fn build_all() -> &'static Result<(), String> {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let qemu = Command::new("qemu-system-arm").arg("--version").output();
        if !matches!(&qemu, Ok(o) if o.status.success()) {
            return Err(format!("qemu-system-arm is not installed: {INSTALL_HINT}"));
        }
        let installed = Command::new("rustup")
            .args(["target", "list", "--installed"])
            .output();
        if let Ok(out) = installed {
            let list = String::from_utf8_lossy(&out.stdout);
            for t in [M3.target, M4F.target] {
                if !list.lines().any(|l| l.trim() == t) {
                    return Err(format!(
                        "the Rust target {t} is not installed: {INSTALL_HINT}"
                    ));
                }
            }
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(root())
            .args([
                "build",
                "--release",
                "--bins",
                "--manifest-path",
                "firmware/Cargo.toml",
            ])
            .args(["--target", M3.target, "--target", M4F.target])
            .arg("--target-dir")
            .arg(firmware_target_dir())
            // The outer `cargo test` must not leak its flags into a thumb build.
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET")
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "building the firmware failed ({INSTALL_HINT} if a target is missing):\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(())
    })
}

/// What a program run produced.
#[derive(Debug)]
struct Run {
    machine: Machine,
    exit_code: i32,
    /// `key → value` of every frame, in the text the decoder renders.
    values: BTreeMap<String, String>,
    /// Every decoded frame, for failure messages.
    log: Vec<String>,
}

impl Run {
    fn get(&self, key: &str) -> &str {
        self.values.get(key).unwrap_or_else(|| {
            panic!(
                "{:?}: no `{key}` in the program's output:\n{}",
                self.machine,
                self.log.join("\n")
            )
        })
    }
    fn int(&self, key: &str) -> i64 {
        let v = self.get(key);
        v.parse()
            .unwrap_or_else(|_| panic!("{key}: `{v}` is not an integer"))
    }
    fn float(&self, key: &str) -> f64 {
        let v = self.get(key);
        v.parse()
            .unwrap_or_else(|_| panic!("{key}: `{v}` is not a number"))
    }
    fn ints(&self, key: &str) -> Vec<i128> {
        let v = self.get(key);
        let inner = v.trim().strip_prefix('[').and_then(|s| s.strip_suffix(']'));
        let inner = inner.unwrap_or_else(|| panic!("{key}: `{v}` is not a list"));
        inner
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse()
                    .unwrap_or_else(|_| panic!("{key}: `{s}` is not an integer"))
            })
            .collect()
    }
    fn words(&self, key: &str) -> Vec<u64> {
        self.ints(key).into_iter().map(|x| x as u64).collect()
    }
    /// Prints the budget measures (visible with `--nocapture`).
    fn report(&self, program: &str) {
        eprintln!(
            "{program} on {} ({}): {} instructions ({} ticks, cal {}), stack peak {} B, static RAM {} B",
            self.machine.qemu_machine,
            self.machine.target,
            self.get("instructions"),
            self.get("ticks"),
            self.get("calibration_ticks"),
            self.get("stack_peak"),
            self.get("ram_static")
        );
    }
}

/// Builds (once), runs `program` on `machine` under QEMU and decodes its frames.
fn run(program: &str, machine: Machine) -> Run {
    if let Err(e) = build_all() {
        panic!("{e}");
    }
    let elf = firmware_target_dir()
        .join(machine.target)
        .join("release")
        .join(program);
    let elf_bytes = std::fs::read(&elf).unwrap_or_else(|e| panic!("{}: {e}", elf.display()));
    let table = defmt_decoder::Table::parse(&elf_bytes)
        .unwrap_or_else(|e| panic!("{}: bad defmt table: {e}", elf.display()))
        .unwrap_or_else(|| {
            panic!(
                "{}: no defmt table (linked without -Tdefmt.x?)",
                elf.display()
            )
        });

    let mut child = Command::new("qemu-system-arm")
        .args([
            "-cpu",
            machine.cpu,
            "-machine",
            machine.qemu_machine,
            "-nographic",
        ])
        .args([
            "-semihosting-config",
            "enable=on,target=native",
            "-icount",
            "shift=0",
        ])
        .arg("-kernel")
        .arg(&elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start qemu-system-arm ({INSTALL_HINT}): {e}"));
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).map(|_| bytes)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > QEMU_TIMEOUT {
            child.kill().ok();
            child.wait().ok();
            panic!("{program} on {machine:?}: no exit after {QEMU_TIMEOUT:?} (hung?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let bytes = reader.join().unwrap().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .ok();

    let mut decoder = table.new_stream_decoder();
    decoder.received(&bytes);
    let (mut values, mut log) = (BTreeMap::new(), Vec::new());
    loop {
        match decoder.decode() {
            Ok(frame) => {
                let text = frame.display_message().to_string();
                let (key, value) = text.split_once(' ').unwrap_or((&text, ""));
                let previous = values.insert(key.to_string(), value.to_string());
                assert!(previous.is_none(), "{program}: key `{key}` logged twice");
                log.push(text);
            }
            Err(defmt_decoder::DecodeError::UnexpectedEof) => break,
            Err(defmt_decoder::DecodeError::Malformed) => {
                panic!(
                    "{program} on {machine:?}: malformed defmt frame after:\n{}",
                    log.join("\n")
                )
            }
        }
    }
    let exit_code = status.code().unwrap_or(-1);
    assert!(
        !log.is_empty() || exit_code != 0,
        "{program} on {machine:?}: exit 0 without a single frame (empty image?); stderr: {stderr}"
    );
    Run {
        machine,
        exit_code,
        values,
        log,
    }
}

fn assert_exit(run: &Run, program: &str, code: i32) {
    assert_eq!(
        run.exit_code,
        code,
        "{program} on {:?}: exit code; its log:\n{}",
        run.machine,
        run.log.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// solve
// ---------------------------------------------------------------------------------------------

/// The logged instance and solution against the host: same gauged pattern bits, and the firmware's w
/// has 0 errors on the host's instance (host kernel), with the logged margin. Returns the instance
/// buffer and the logged w.
fn check_solution<const WORDS: usize>(run: &Run, n: usize) -> (PatternBuf<WORDS>, Vec<u64>) {
    let p = num_patterns(0.5, n).unwrap();
    let mut xi = PatternBuf::<WORDS>::new(n, p).unwrap();
    let mut labels = [0u64; 1];
    generate_random(7, &mut xi.as_patterns_mut(), &mut labels).unwrap();
    gauge(&mut xi.as_patterns_mut(), &labels).unwrap();
    let inst = Instance::new(xi.as_patterns(), 0.0).unwrap();
    assert_eq!(
        run.words("xi"),
        inst.patterns.words(),
        "gauged pattern bits differ from the host"
    );
    let w_fw = run.words("w");
    let mut stabs = vec![0i32; p];
    let spins = flatmin_core::bits::Spins::new(n, &w_fw).unwrap();
    assert_eq!(
        inst.errors(&spins, &mut stabs).unwrap(),
        0,
        "the firmware's w is not a solution"
    );
    assert_eq!(run.int("errors"), 0);
    assert_eq!(
        run.int("min_stability"),
        i64::from(*stabs.iter().min().unwrap())
    );
    assert_eq!(
        run.float("margin"),
        flatmin_core::stability::margin(&stabs, n)
    );
    assert_eq!(run.get("solved"), "true");
    (xi, w_fw)
}

fn check_solve(machine: Machine) {
    use flatmin_core::solvers::sbpi::{sbpi, SbpiParams};
    // firmware/src/bin/solve.rs: random instance N = 127, α = 0.5 (P = 64), seed 7; SBPI, seed 1.
    const N: usize = 127;
    const P: usize = 64;
    let run = run("solve", machine);
    run.report("solve");
    assert_exit(&run, "solve", 0);
    let (xi, w_fw) = check_solution::<{ P * 2 }>(&run, N);

    // Same SBPI run on x86-64: the same sweeps, presentations and solution bits.
    let inst = Instance::new(xi.as_patterns(), 0.0).unwrap();
    let mut w = SpinBuf::<{ words_for(N) }>::new(N).unwrap();
    let (mut hidden, mut perm, mut stabs) = ([0i8; N], [0u32; P], [0i32; P]);
    let out = sbpi(
        &inst,
        &SbpiParams::default(),
        1,
        &mut w.as_spins_mut(),
        &mut hidden,
        &mut perm,
        &mut stabs,
    )
    .unwrap();
    assert!(out.solved, "host SBPI did not solve");
    assert_eq!(run.int("sweeps"), out.sweeps as i64);
    assert_eq!(run.int("steps"), out.steps as i64);
    assert_eq!(
        w_fw,
        w.as_spins().words(),
        "solution bits differ from the host's run"
    );
    assert_budget(&run);
}

fn check_solve_rbp(machine: Machine) {
    use flatmin_core::bp::{focusing_bp, BpWorkspace, FactorKind, FbpParams};
    // firmware/src/bin/solve_rbp.rs: random instance N = 101, α = 0.5 (P = 51), seed 7; RBP (dr = 0.01)
    // in f32, seed 1.
    const N: usize = 101;
    let run = run("solve_rbp", machine);
    run.report("solve_rbp");
    assert_exit(&run, "solve_rbp", 0);
    let (xi, w_fw) = check_solution::<{ 51 * 2 }>(&run, N);

    // Same f32 reinforced BP on x86-64: the same steps, sweeps and solution bits.
    let inst = Instance::new(xi.as_patterns(), 0.0).unwrap();
    let p = inst.p();
    let mut reals = vec![0f32; BpWorkspace::<f32>::required_reals(N, p, FactorKind::Gaussian)];
    let mut perm = vec![0u32; BpWorkspace::<f32>::required_perm(N, p)];
    let mut ws =
        BpWorkspace::<f32>::new(N, p, FactorKind::Gaussian, &mut reals, &mut perm).unwrap();
    let mut w = SpinBuf::<{ words_for(N) }>::new(N).unwrap();
    let mut stabs = vec![0i32; p];
    let out = focusing_bp(
        &inst,
        &mut ws,
        &FbpParams::<f32>::rbp(0.01),
        1,
        &mut w.as_spins_mut(),
        &mut stabs,
    )
    .unwrap();
    assert!(out.solved, "host RBP did not solve");
    assert_eq!(run.int("steps"), out.steps as i64);
    assert_eq!(run.int("sweeps"), out.sweeps as i64);
    assert_eq!(
        w_fw,
        w.as_spins().words(),
        "solution bits differ from the host's f32 run"
    );
    assert_budget(&run);
}

/// Static RAM + peak stack within the 32 KiB budget, with paint left (no overflow into the statics).
fn assert_budget(run: &Run) {
    let (stack, statics) = (run.int("stack_peak"), run.int("ram_static"));
    if run.machine.target == M4F.target {
        assert!(
            stack + statics < 32 * 1024,
            "RAM budget: stack {stack} + static {statics} B ≥ 32 KiB"
        );
    }
}

#[test]
fn solve_cortex_m3() {
    check_solve(M3);
}

#[test]
fn solve_cortex_m4f() {
    check_solve(M4F);
}

#[test]
fn solve_rbp_cortex_m3() {
    check_solve_rbp(M3);
}

#[test]
fn solve_rbp_cortex_m4f() {
    check_solve_rbp(M4F);
}

// ---------------------------------------------------------------------------------------------
// count
// ---------------------------------------------------------------------------------------------

fn check_count(machine: Machine) {
    use flatmin_core::enumerate::*;
    use flatmin_core::instance::generate_teacher;
    // The instance of firmware/src/bin/count.rs: teacher–student, N = 19, α = 0.5, seed 11.
    const N: usize = 19;
    const P: usize = 10;
    let run = run("count", machine);
    run.report("count");
    assert_exit(&run, "count", 0);

    let mut teacher = SpinBuf::<1>::new(N).unwrap();
    let mut xi = PatternBuf::<P>::new(N, P).unwrap();
    let mut labels = [0u64; 1];
    assert_eq!(num_patterns(0.5, N), Ok(P));
    generate_teacher(
        11,
        &mut teacher.as_spins_mut(),
        &mut xi.as_patterns_mut(),
        &mut labels,
    )
    .unwrap();
    gauge(&mut xi.as_patterns_mut(), &labels).unwrap();
    assert_eq!(
        run.words("xi"),
        xi.as_patterns().words(),
        "gauged pattern bits differ from the host"
    );
    assert_eq!(run.int("teacher") as u64, teacher.as_spins().words()[0]);

    // The host enumerates the same cube (with a different low-bit split than the firmware's 8: the
    // counts are exact integers and must not depend on it).
    let mut scratch = vec![0u8; scratch_len(N, P, 4)];
    let e = Enumerator::new(&xi.as_patterns(), &teacher.as_spins(), 4, &mut scratch).unwrap();
    let mut hist_err = vec![0u64; hist_err_len(N, P)];
    let mut hist_smin = vec![0u64; hist_smin_len(N)];
    e.accumulate(Chunk::ALL, &mut hist_err, &mut hist_smin)
        .unwrap();
    assert_eq!(run.words("hist_err"), hist_err);
    assert_eq!(run.words("hist_smin"), hist_smin);
    let mut counts = vec![0u64; N + 1];
    counts_by_distance(&hist_smin, N, 0, &mut counts).unwrap();
    let total = total_solutions(&hist_smin, N, 0).unwrap();
    assert_eq!(run.words("counts"), counts);
    assert_eq!(run.int("total") as u64, total);
    // The configuration a seed picks is the k-th in enumeration order, and that order depends on the
    // low-bit split: draw it with the firmware's split (8).
    let mut scratch8 = vec![0u8; scratch_len(N, P, 8)];
    let e8 = Enumerator::new(&xi.as_patterns(), &teacher.as_spins(), 8, &mut scratch8).unwrap();
    let drawn = random_solution(&e8, 0, total, 5).unwrap().unwrap();
    assert_eq!(run.int("random_solution") as u64, drawn);
    // ... and it is a κ = 0 solution (checked with the stability kernel, not the enumerator).
    let w = [drawn];
    let inst = Instance::new(xi.as_patterns(), 0.0).unwrap();
    let mut stabs = [0i32; P];
    assert_eq!(
        inst.errors(&flatmin_core::bits::Spins::new(N, &w).unwrap(), &mut stabs)
            .unwrap(),
        0
    );
    // Independent of the enumerator: every one of the 2^19 configurations is counted once (§e check).
    assert_eq!(hist_err.iter().sum::<u64>(), 1 << N);
}

#[test]
fn count_cortex_m3() {
    check_count(M3);
}

#[test]
fn count_cortex_m4f() {
    check_count(M4F);
}

// ---------------------------------------------------------------------------------------------
// theory
// ---------------------------------------------------------------------------------------------

fn check_theory(machine: Machine) {
    use flatmin_core::theory::rs::{solve, RsQuadrature};
    let run = run("theory", machine);
    run.report("theory");
    assert_exit(&run, "theory", 0);
    let quad = RsQuadrature::new();
    let host64 = solve::<f64>(&quad, 0.5, 0.0).unwrap();
    let host32 = solve::<f32>(&quad, 0.5, 0.0).unwrap();
    let (s, q) = (run.float("s"), run.float("q"));
    // ALGORITHMS §i: s_RS(α = 0.5, κ = 0) = 0.3144, q = 0.322 (the digits given).
    assert!((s - 0.3144).abs() < 1e-4, "s = {s}, table 0.3144");
    assert!((q - 0.322).abs() < 1e-3, "q = {q}, table 0.322");
    // f32 on the Cortex-M against f64 on the host: f32 accuracy of a Brent root (xtol 2e-7) and
    // 64-point quadratures, a few ulps of s amplified by the saddle: 2e-6.
    assert!(
        (s - host64.s).abs() < 2e-6,
        "s: firmware f32 {s} vs host f64 {}",
        host64.s
    );
    assert!(
        (q - host64.q).abs() < 2e-6,
        "q: firmware f32 {q} vs host f64 {}",
        host64.q
    );
    // Same f32 arithmetic (IEEE, libm in software, no FMA contraction) on x86-64, M3 (soft float) and
    // M4F (FPU): the same bits.
    assert_eq!(s as f32, host32.s, "s: firmware f32 vs host f32");
    assert_eq!(q as f32, host32.q, "q: firmware f32 vs host f32");
    assert_eq!(run.int("evaluations"), i64::from(host32.iterations));
}

#[test]
fn theory_cortex_m3() {
    check_theory(M3);
}

#[test]
fn theory_cortex_m4f() {
    check_theory(M4F);
}

// ---------------------------------------------------------------------------------------------
// failure path and portability
// ---------------------------------------------------------------------------------------------

/// A panicking program exits with 101 (not 0, not a hang) and its message reaches the host.
fn check_fault(machine: Machine) {
    let run = run("fault", machine);
    assert_exit(&run, "fault", 101);
    assert_eq!(run.int("before"), 3);
    assert!(!run.values.contains_key("unreachable"));
    assert!(
        run.log
            .iter()
            .any(|l| l.contains("index 3 is out of range on purpose")),
        "the panic message is not in the log:\n{}",
        run.log.join("\n")
    );
    assert!(
        run.values.contains_key("panic"),
        "no HardFault frame:\n{}",
        run.log.join("\n")
    );
}

#[test]
fn fault_cortex_m3() {
    check_fault(M3);
}

#[test]
fn fault_cortex_m4f() {
    check_fault(M4F);
}

/// flatmin-core builds for the smallest Cortex-M (thumbv6m: no atomic compare-and-swap), with and
/// without defmt.
#[test]
fn core_builds_for_thumbv6m() {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    let has_v6m = matches!(&installed, Ok(o) if String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == "thumbv6m-none-eabi"));
    assert!(
        has_v6m,
        "the Rust target thumbv6m-none-eabi is not installed: {INSTALL_HINT}"
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for features in [&[][..], &["--features", "defmt"][..]] {
        let out = Command::new(&cargo)
            .current_dir(root())
            .args([
                "build",
                "-p",
                "flatmin-core",
                "--target",
                "thumbv6m-none-eabi",
            ])
            .args(features)
            .arg("--target-dir")
            .arg(firmware_target_dir().join("core-thumbv6m"))
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET")
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .expect("cannot run cargo");
        assert!(
            out.status.success(),
            "flatmin-core {features:?} does not build for thumbv6m-none-eabi:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// bnn: a binary network trained by flatmin, run on the Cortex-M
// ---------------------------------------------------------------------------------------------

/// The network of `bnn`: BinaryNet training (host/src/deep/train.rs) of 784-32-1 on the first
/// `BNN_TRAIN_P` Fashion-MNIST training images, parity task, seed `BNN_SEED`, `BNN_EPOCHS` epochs.
const BNN_ARCH: [usize; 3] = [784, 32, 1];
const BNN_TRAIN_P: usize = 2000;
const BNN_SEED: u64 = 1;
const BNN_EPOCHS: usize = 20;
/// The first `BNN_BATCH` Fashion-MNIST test images (parity labels) are the batch.
const BNN_BATCH: usize = 32;

/// What the generator wrote into the firmware's data file, and the host's evaluation of it.
struct BnnData {
    /// The generated Rust file (`include!`d by firmware/src/bin/bnn.rs through `FLATMIN_BNN_DATA`).
    path: PathBuf,
    labels: Vec<i32>,
    /// `flatmin_core::network` on x86-64, the whole batch at once.
    predictions: Vec<i32>,
    errors: u32,
}

fn rust_words(words: &[u64]) -> String {
    let items: Vec<String> = words.iter().map(|w| format!("{w:#x}")).collect();
    items
        .chunks(6)
        .map(|c| format!("    {},\n", c.join(", ")))
        .collect()
}

/// The generator: trains the network (seeded, deterministic), packs it and the test images, evaluates
/// them with `flatmin_core::network` and writes the data file of `bnn` (rewritten only when its
/// content changes, so an unchanged network does not rebuild the firmware).
fn bnn_data() -> &'static BnnData {
    use flatmin_core::bits::Patterns;
    use flatmin_core::network::{Network, PixelPlanes};
    use flatmin_host::deep::{data, net, train};
    static DATA: OnceLock<BnnData> = OnceLock::new();
    DATA.get_or_init(|| {
        let task = data::Task::FashionParity;
        let load = |split, p| {
            data::load(task, split, Some(p), None).unwrap_or_else(|e| {
                panic!("bnn needs Fashion-MNIST (`scripts/data-deps` installs it): {e}")
            })
        };
        let train_set = load(data::Split::Train, BNN_TRAIN_P);
        let test_set = load(data::Split::Test, BNN_BATCH);
        assert_eq!(test_set.len(), BNN_BATCH);
        let params = train::TrainParams {
            epochs: BNN_EPOCHS,
            seed: BNN_SEED,
            ..Default::default()
        };
        let trained = train::train(&BNN_ARCH, &train_set, &params, |_| {}).unwrap();
        // Deterministic generator: the same seed trains the same bits again.
        let again = train::train(&BNN_ARCH, &train_set, &params, |_| {}).unwrap();
        assert_eq!(again.weights, trained.weights, "training is not reproducible");
        let packed = trained.pack();

        // Host evaluation: the core's packed network on the whole batch ...
        let layers: Vec<Patterns<'_>> = BNN_ARCH
            .windows(2)
            .zip(&packed.words)
            .map(|(s, w)| Patterns::new(s[0], s[1], w).unwrap())
            .collect();
        let network = Network::new(&layers).unwrap();
        let n = BNN_ARCH[0];
        let mut planes = vec![0u64; PixelPlanes::len_for(n, BNN_BATCH)];
        let planes = PixelPlanes::pack(&test_set.pixels, n, &mut planes).unwrap();
        let mut ints = vec![0i32; network.int_scratch_len(BNN_BATCH)];
        let mut bits = vec![0u64; network.bit_scratch_len(BNN_BATCH)];
        let mut predictions = vec![0i32; BNN_BATCH];
        let errors = network
            .count_errors(
                &planes,
                &test_set.labels,
                &mut ints,
                &mut bits,
                &mut predictions,
            )
            .unwrap();
        // ... which agrees with the plain integer forward pass of the host library.
        assert_eq!(predictions, net::predict_reference(&trained, &test_set));

        // The firmware classifies one image at a time: each image packed on its own (P = 1).
        let mut images = Vec::new();
        for px in test_set.pixels.chunks_exact(n) {
            let mut one = vec![0u64; PixelPlanes::len_for(n, 1)];
            PixelPlanes::pack(px, n, &mut one).unwrap();
            images.extend_from_slice(&one);
        }
        let list = |v: &[i32]| {
            v.iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut src = format!(
            "// Generated by tests/firmware.rs (bnn_data): do not edit. Network {} trained by flatmin \
             on Fashion-MNIST parity, {BNN_TRAIN_P} training images, seed {BNN_SEED}, {BNN_EPOCHS} \
             epochs; batch = test images 0..{BNN_BATCH}.\n",
            net::arch_string(&BNN_ARCH)
        );
        src += &format!("const ARCH: [usize; {}] = {BNN_ARCH:?};\n", BNN_ARCH.len());
        src += &format!("static WEIGHTS: [&[u64]; {}] = [\n", packed.words.len());
        for w in &packed.words {
            src += &format!("  &[\n{}  ],\n", rust_words(w));
        }
        src += "];\n";
        src += &format!("const BATCH: usize = {BNN_BATCH};\n");
        src += &format!(
            "static IMAGES: [u64; {}] = [\n{}];\n",
            images.len(),
            rust_words(&images)
        );
        src += &format!(
            "static LABELS: [i32; {BNN_BATCH}] = [{}];\n",
            list(&test_set.labels)
        );
        src += &format!(
            "static EXPECTED: [i32; {BNN_BATCH}] = [{}];\n",
            list(&predictions)
        );
        src += &format!("const INT_SCRATCH: usize = {};\n", network.int_scratch_len(1));
        src += &format!("const BIT_SCRATCH: usize = {};\n", network.bit_scratch_len(1));

        let dir = firmware_target_dir().join("bnn");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bnn_data.rs");
        if std::fs::read_to_string(&path).ok().as_deref() != Some(src.as_str()) {
            std::fs::write(&path, &src).unwrap();
        }
        BnnData {
            path,
            labels: test_set.labels,
            predictions,
            errors,
        }
    })
}

/// Builds `bnn` for both targets from the generated data (once).
fn build_bnn() -> &'static Result<(), String> {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    BUILT.get_or_init(|| {
        build_all().clone()?;
        let data = bnn_data();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(root())
            .args(["build", "--release", "--bin", "bnn", "--features", "bnn"])
            .args(["--manifest-path", "firmware/Cargo.toml"])
            .args(["--target", M3.target, "--target", M4F.target])
            .arg("--target-dir")
            .arg(firmware_target_dir())
            .env("FLATMIN_BNN_DATA", &data.path)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET")
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "building bnn failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(())
    })
}

fn check_bnn(machine: Machine) {
    if let Err(e) = build_bnn() {
        panic!("{e}");
    }
    let data = bnn_data();
    let run = run("bnn", machine);
    run.report("bnn");
    eprintln!(
        "bnn on {}: {} instructions per inference ({} images; each: {})",
        machine.qemu_machine,
        run.get("instructions_per_inference"),
        BNN_BATCH,
        run.get("inference_instructions")
    );
    assert_exit(&run, "bnn", 0);
    assert_eq!(
        run.ints("arch"),
        BNN_ARCH.iter().map(|&x| x as i128).collect::<Vec<_>>()
    );
    assert_eq!(run.int("batch"), BNN_BATCH as i64);
    let fw: Vec<i32> = run.ints("predictions").iter().map(|&x| x as i32).collect();
    assert_eq!(fw, data.predictions, "predictions differ from the host's");
    assert_eq!(run.int("errors"), i64::from(data.errors));
    let wrong = fw.iter().zip(&data.labels).filter(|(a, b)| a != b).count();
    assert_eq!(wrong as u32, data.errors);
    // A trained network, not a constant: both classes are predicted, most of them right.
    assert!(
        fw.contains(&1) && fw.contains(&-1),
        "one class only: {fw:?}"
    );
    assert!(
        data.errors < BNN_BATCH as u32 / 4,
        "{} errors of {BNN_BATCH}",
        data.errors
    );
    let per_image = run.ints("inference_instructions");
    assert_eq!(per_image.len(), BNN_BATCH);
    assert!(per_image.iter().all(|&i| i > 0));
    assert!(run.int("instructions_per_inference") > 0);
    assert_budget(&run);
}

#[test]
fn bnn_cortex_m3() {
    check_bnn(M3);
}

#[test]
fn bnn_cortex_m4f() {
    check_bnn(M4F);
}
