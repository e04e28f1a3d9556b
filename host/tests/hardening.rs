//! Bad input, output conventions and pinned outputs of the `flatmin` binary, run as a user would
//! (issue "Hardening"; README "Output conventions"). Each test names the item it guards.

use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::{args, bad_input_strict as bad_input, entries, ok, ok_json_checked as ok_json};

fn tmp(name: &str) -> PathBuf {
    common::tmp_dir("hard", name)
}

/// `instance gen --n 21 --alpha 0.4 --teacher -o t.txt` in `dir`.
fn teacher_instance(dir: &Path) {
    ok(
        &[
            "instance",
            "gen",
            "--n",
            "21",
            "--alpha",
            "0.4",
            "--teacher",
            "-o",
            "t.txt",
        ],
        dir,
    );
}

/// FNV-1a 64 of a byte string.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Item 1: every user-given size is checked against its documented limit before any work.
#[test]
fn sizes_are_checked_before_work() {
    let dir = tmp("sizes");
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "theory",
                "committee",
                "fp",
                "--act",
                "sign",
                "--alpha",
                "0.5",
                "--kappa-ref",
                "0",
                "--d-range",
                "0.001:0.3:1000000000",
            ],
            "between 1 and 2000",
        ),
        (
            &[
                "theory",
                "fp",
                "--alpha",
                "0.5",
                "--kappa-ref",
                "0",
                "--d-range",
                "0.001:0.3:100000",
            ],
            "between 1 and 2000",
        ),
        (
            &[
                "theory",
                "sbp",
                "tuples",
                "--y",
                "1000000000",
                "--alpha",
                "0.3",
                "--kappa",
                "1",
                "--d",
                "0.2",
            ],
            "1..=10000",
        ),
        (
            &["--threads", "100000", "enumerate", "x.txt"],
            "between 1 and 1024",
        ),
        (
            &["--threads", "0", "enumerate", "x.txt"],
            "between 1 and 1024",
        ),
        (
            &["theory", "thresholds", "--alphas", &["0.5"; 101].join(",")],
            "1 to 100",
        ),
        (
            &[
                "instance",
                "gen",
                "--n",
                "100000000000",
                "--alpha",
                "0.5",
                "-o",
                "big.txt",
            ],
            "N must be in",
        ),
        (
            &[
                "instance", "gen", "--n", "16777216", "--alpha", "100", "-o", "big.txt",
            ],
            "exceeds 2^34",
        ),
        (
            &["solve", "--n", "100000000000", "--alpha", "0.5"],
            "N must be in",
        ),
        (
            &["local-energy", "x.txt", "--p-steps", "100000000"],
            "at most 10000",
        ),
        (
            &["local-energy", "x.txt", "--samples", "100000000000"],
            "between 1 and 10000000",
        ),
    ];
    std::fs::write(dir.join("x.txt"), "3 1 0\n+-+\n+\nR +++\n").unwrap();
    for (args, want) in cases {
        let line = bad_input(args, &dir);
        assert!(line.contains(want), "{args:?}: {line}");
    }
    assert_eq!(entries(&dir), ["x.txt"], "rejected runs wrote nothing");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Item 1: negative numbers are values where meaningful, rejected with a physics message (or a
/// clear one) where not, and clap's wrong `-- -5` advice never appears.
#[test]
fn negative_numbers() {
    let dir = tmp("negative");
    let v = ok_json(
        &[
            "theory", "rs", "--alpha", "0.5", "--kappa", "-0.5", "--json",
        ],
        &dir,
    );
    assert_eq!(v["kappa"], -0.5);
    assert!(v["s"].as_f64().unwrap() > 0.0);
    let v = ok_json(&["theory", "alpha-c", "--kappa", "-1", "--json"], &dir);
    assert!(v["alpha_c"].as_f64().unwrap() > 0.833);
    ok(
        &[
            "instance", "gen", "--n", "21", "--alpha", "0.5", "--kappa", "-0.2", "-o", "k.txt",
        ],
        &dir,
    );
    for (args, want) in [
        (
            &["theory", "rs", "--alpha", "-1"][..],
            "density α = P/N (patterns per weight) must be a finite number > 0",
        ),
        (&["theory", "kappa-max", "--alpha", "-1"], "density α = P/N"),
        (
            &[
                "instance", "gen", "--n", "21", "--alpha", "-1", "-o", "x.txt",
            ],
            "load α = P/N",
        ),
        (
            &[
                "instance", "gen", "--n", "21", "--alpha", "0.5", "--seed", "-1", "-o", "x.txt",
            ],
            "a seed is an integer in 0..=18446744073709551615",
        ),
        (
            &["solve", "--alpha", "0.5", "--seed", "-1"],
            "a seed is an integer",
        ),
        (&["theory", "sbp", "alpha-1m", "--kappa", "-5"], "kappa"),
    ] {
        let line = bad_input(args, &dir);
        assert!(line.contains(want), "{args:?}: {line}");
        assert!(
            !line.contains("'-- "),
            "{args:?}: wrong clap advice: {line}"
        );
    }
    // A misspelt flag keeps clap's useful suggestion, on the one line.
    let line = bad_input(&["theory", "rs", "--alpha", "0.5", "--kapa", "1"], &dir);
    assert!(line.contains("'--kappa'"), "{line}");
    assert_eq!(entries(&dir), ["k.txt"]);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Item 1: an unwritable output is one line naming the user's path, exit 2, and no temporary
/// file; `instance gen --alpha 0` writes nothing; a file flatmin did not write is never replaced
/// without --force.
#[test]
fn outputs_are_never_lost_or_partial() {
    let dir = tmp("outputs");
    let gen = |out: &str| {
        vec![
            "instance", "gen", "--n", "21", "--alpha", "0.5", "--seed", "1", "-o",
        ]
        .into_iter()
        .chain([out])
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let line = bad_input(&args(&gen("missing/x.txt")), &dir);
    assert!(line.contains("missing/x.txt"), "{line}");
    assert!(!line.contains(".tmp-"), "internal temp file named: {line}");
    std::fs::create_dir(dir.join("sub")).unwrap();
    let line = bad_input(&args(&gen("sub")), &dir);
    assert!(line.contains("sub: is a directory"), "{line}");
    // A P = 0 instance is an input no other command accepts: not written.
    for alpha in ["0", "0.01"] {
        let line = bad_input(
            &[
                "instance", "gen", "--n", "21", "--alpha", alpha, "-o", "zero.txt",
            ],
            &dir,
        );
        assert!(line.contains("α"), "{line}");
    }
    // A user's file is kept…
    std::fs::write(dir.join("mine.txt"), "my notes\n").unwrap();
    let line = bad_input(&args(&gen("mine.txt")), &dir);
    assert!(
        line.contains("mine.txt") && line.contains("--force"),
        "{line}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("mine.txt")).unwrap(),
        "my notes\n"
    );
    // …unless --force; a file flatmin wrote is replaced (the same command, rerun).
    let mut forced = gen("mine.txt");
    forced.push("--force".into());
    ok(&args(&forced), &dir);
    let first = std::fs::read(dir.join("mine.txt")).unwrap();
    assert!(first.starts_with(b"# flatmin random instance"));
    ok(&args(&gen("mine.txt")), &dir);
    assert_eq!(std::fs::read(dir.join("mine.txt")).unwrap(), first);
    assert_eq!(entries(&dir), ["mine.txt", "sub"]);
    assert!(entries(&dir.join("sub")).is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Item 2: a value outside the physical region is printed with a warning (JSON field and one
/// stderr line, text mode too), exit 0.
#[test]
fn rs_above_alpha_c_warns() {
    let dir = tmp("warn");
    let out = ok(&["theory", "rs", "--alpha", "0.9", "--json"], &dir);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["s"].as_f64().unwrap() < 0.0);
    let w = v["warning"].as_str().expect("a warning field");
    assert!(w.contains("above alpha_c") && w.contains("0.833"), "{w}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("flatmin: warning: "), "{err}");
    let out = ok(&["theory", "rs", "--alpha", "0.9"], &dir);
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("flatmin: warning: "));
    // Below α_c: no warning.
    let out = ok(&["theory", "rs", "--alpha", "0.5", "--json"], &dir);
    assert!(out.stderr.is_empty());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("warning").is_none());
    let v = ok_json(
        &[
            "theory",
            "committee",
            "rs",
            "--act",
            "sign",
            "--alpha",
            "3",
            "--json",
        ],
        &dir,
    );
    assert!(v["s"].as_f64().unwrap() >= 0.0 || v["warning"].is_string());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Item 3: scalar JSON for one point, columnar JSON for a grid, with the same keys; `null` plus a
/// `<key>_reason` for values that do not exist; `--json` never implicit.
#[test]
fn one_output_convention() {
    let dir = tmp("conventions");
    let one = ok_json(
        &[
            "theory",
            "fp",
            "--alpha",
            "0.5",
            "--kappa-ref",
            "0.3",
            "--d",
            "0.1",
            "--json",
        ],
        &dir,
    );
    assert!(one["d"].is_number() && one["s_fp"].is_number(), "{one}");
    let grid = ok_json(
        &[
            "theory",
            "fp",
            "--alpha",
            "0.5",
            "--kappa-ref",
            "0.3",
            "--d-range",
            "0.05:0.1:2",
            "--json",
        ],
        &dir,
    );
    assert_eq!(grid["d"].as_array().unwrap().len(), 2);
    assert_eq!(grid["s_fp"].as_array().unwrap().len(), 2);
    for k in one.as_object().unwrap().keys() {
        assert!(grid.get(k).is_some(), "key {k} missing from the grid form");
    }
    assert!((grid["s_fp"][1].as_f64().unwrap() - one["s_fp"].as_f64().unwrap()).abs() < 1e-9);
    let c1 = ok_json(
        &[
            "theory",
            "committee",
            "fp",
            "--act",
            "sign",
            "--alpha",
            "0.5",
            "--kappa-ref",
            "0",
            "--d",
            "0.1",
            "--json",
        ],
        &dir,
    );
    assert!(c1["s_fp"].is_number(), "{c1}");
    let cg = ok_json(
        &[
            "theory",
            "committee",
            "fp",
            "--act",
            "sign",
            "--alpha",
            "0.5",
            "--kappa-ref",
            "0",
            "--d-range",
            "0.05:0.1:2",
            "--json",
        ],
        &dir,
    );
    assert!(
        cg.is_object() && cg["s_fp"].as_array().unwrap().len() == 2,
        "{cg}"
    );
    // The committee's curve carries its parameters as `committee rs` and `fp` do, in both forms.
    for v in [&c1, &cg] {
        assert_eq!(v["act"], "sign", "{v}");
        assert_eq!(v["alpha"], 0.5, "{v}");
        assert_eq!(v["kappa_ref"], 0.0, "{v}");
        assert_eq!(v["kappa"], 0.0, "{v}");
    }
    for k in c1.as_object().unwrap().keys() {
        assert!(
            cg.get(k).is_some(),
            "key {k} missing from the committee grid form"
        );
    }
    // No JSON unless asked for.
    let text = ok(&["theory", "rs", "--alpha", "0.5"], &dir);
    assert!(!String::from_utf8_lossy(&text.stdout)
        .trim_start()
        .starts_with('{'));

    // instance/bp/solve/flatness keys are lowercase snake_case; no Rust Debug text.
    ok(
        &[
            "instance",
            "gen",
            "--n",
            "15",
            "--alpha",
            "0.4",
            "--teacher",
            "--seed",
            "3",
            "-o",
            "t.txt",
        ],
        &dir,
    );
    let mut docs = vec![
        ok_json(&["instance", "stats", "t.txt", "--json"], &dir),
        ok_json(&["bp", "t.txt", "--json"], &dir),
        ok_json(&["flatness", "t.txt", "--json"], &dir),
        ok_json(&["flatness", "t.txt", "--exact-max-n", "5", "--json"], &dir),
        ok_json(&["enumerate", "t.txt", "--json"], &dir),
        ok_json(
            &[
                "solve", "--n", "21", "--alpha", "0.3", "--algo", "sbpi", "--json",
            ],
            &dir,
        ),
    ];
    docs.push(one);
    for d in &docs {
        for (k, v) in d.as_object().unwrap() {
            assert!(
                k.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "key {k:?} is not snake_case in {d}"
            );
            if v.is_null() && !k.ends_with("_reason") {
                assert!(
                    d.get(format!("{k}_reason")).is_some_and(Value::is_string),
                    "null {k:?} without a reason in {d}"
                );
            }
        }
    }
    let bp = &docs[1];
    assert!(bp["q"].is_null() && bp["q_reason"].is_string());
    let flat = &docs[3];
    assert!(
        flat["f"].is_null() && flat["f_reason"].is_string(),
        "{flat}"
    );
    for args in [
        &["flatness", "t.txt"][..],
        &["flatness", "t.txt", "--exact-max-n", "5"],
    ] {
        let text = String::from_utf8(ok(args, &dir).stdout).unwrap();
        assert!(!text.contains("Some(") && !text.contains("None"), "{text}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Item 2: phases report thresholds that do not exist as null plus a reason (never
/// `{"none": …}`), and print text unless --json.
#[test]
fn phases_use_null_and_reason() {
    let dir = tmp("phases");
    // A coarse tolerance keeps the bisections short; the output shape is what is tested.
    let v = ok_json(
        &[
            "theory", "phases", "--alpha", "0.4", "--tol", "0.1", "--json",
        ],
        &dir,
    );
    for key in ["kappa_min", "kappa_le"] {
        let x = &v[key];
        assert!(!x.is_object(), "{key}: {x}");
        let reason = &v[format!("{key}_reason")];
        assert!(
            x.is_number() && reason.is_null() || x.is_null() && reason.is_string(),
            "{key}: {x} / {reason}"
        );
    }
    let text = String::from_utf8(
        ok(
            &["theory", "phases", "--alpha", "0.4", "--tol", "0.1"],
            &dir,
        )
        .stdout,
    )
    .unwrap();
    assert!(
        text.contains("kappa_max = ") && !text.trim_start().starts_with('{'),
        "{text}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Item 3: help texts say what things are, without the spec's internal tags.
#[test]
fn help_texts_have_no_internal_tags() {
    let dir = tmp("help");
    for cmd in [
        &["theory", "rs"][..],
        &["theory", "fp"],
        &["theory", "phases"],
        &["theory", "thresholds"],
        &["theory", "committee", "fp"],
        &["theory", "sbp", "tuples"],
        &["theory", "fp-1rsb"],
        &["instance", "gen"],
        &["instance", "stats"],
        &["bp"],
        &["solve"],
        &["enumerate"],
        &["local-energy"],
        &["flatness"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let text = String::from_utf8(ok(&args, &dir).stdout).unwrap();
        for bad in ["[SRC]", "the oracle", "the issue's", "[LIT", "[REC]"] {
            assert!(!text.contains(bad), "{cmd:?} --help mentions {bad:?}");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Item 5: pinned outputs of the binary. The literals were computed by running the current code
/// once; they pin behaviour (the instance stream, fBP and SBPI), so a change of any of them fails
/// here and must be a conscious decision.
#[test]
fn pinned_binary_outputs() {
    let dir = tmp("pinned");
    // Instance file: first pattern words through the library, digest of the file's bytes.
    let f = flatmin_host::io::InstanceFile::generate(101, 0.5, 0.0, true, 7).unwrap();
    assert_eq!(
        (f.patterns[0], f.patterns[1], f.labels[0], f.refs[0][0]),
        PIN_INSTANCE_WORDS
    );
    ok(
        &[
            "instance",
            "gen",
            "--n",
            "101",
            "--alpha",
            "0.5",
            "--teacher",
            "--seed",
            "7",
            "-o",
            "t.txt",
        ],
        &dir,
    );
    let bytes = std::fs::read(dir.join("t.txt")).unwrap();
    assert_eq!(bytes, f.to_text().into_bytes());
    assert_eq!(fnv1a(&bytes), PIN_INSTANCE_FNV);
    // fBP and SBPI on generated instances: sweeps and a digest of the weights string.
    for (algo, alpha, seed, want) in [("fbp", "0.6", "3", PIN_FBP), ("sbpi", "0.6", "4", PIN_SBPI)]
    {
        let v = ok_json(
            &[
                "solve", "--n", "301", "--alpha", alpha, "--seed", seed, "--algo", algo, "--json",
            ],
            &dir,
        );
        let got = (
            v["solved"].as_bool().unwrap(),
            v["sweeps"].as_u64().unwrap(),
            fnv1a(v["weights"].as_str().unwrap().as_bytes()),
        );
        assert_eq!(got, want, "{algo}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

const PIN_INSTANCE_WORDS: (u64, u64, u64, u64) = (
    13_236_943_193_235_544_178,
    44_612_190_524,
    938_099_729_884_231,
    1_021_219_803_524_665_661,
);
const PIN_INSTANCE_FNV: u64 = 14_366_495_867_440_103_370;
const PIN_FBP: (bool, u64, u64) = (true, 111, 12_378_413_316_968_284_158);
const PIN_SBPI: (bool, u64, u64) = (true, 27, 9_330_060_326_807_304_884);

/// The committed fuzz corpus (fuzz/corpus/, grown by `scripts/fuzz` with cargo-fuzz on nightly),
/// replayed on stable: every input of every target gives a value or an error, never a panic, and
/// the properties the fuzz targets assert hold.
#[test]
fn fuzz_corpus_replays() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut total = 0;
    for target in [
        "instance_parse",
        "grid_parse",
        "shard_parse",
        "spins_parse",
        "idx_read",
        "cifar_read",
        "npz_read",
    ] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(target))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{target}: empty corpus");
        for file in files {
            let data = std::fs::read(&file).unwrap();
            total += 1;
            if let Some(reader) = target.strip_suffix("_read") {
                replay_reader(reader, &data, &file);
                continue;
            }
            let Ok(text) = std::str::from_utf8(&data) else {
                continue;
            };
            match target {
                "instance_parse" => {
                    if let Ok(f) = flatmin_host::io::InstanceFile::parse(text, Path::new("x")) {
                        let again =
                            flatmin_host::io::InstanceFile::parse(&f.to_text(), Path::new("x"))
                                .unwrap();
                        assert_eq!(f, again, "{file:?}");
                    }
                }
                "grid_parse" => {
                    if let Ok(v) = flatmin_host::io::parse_grid("--d-range", text, 2000) {
                        assert!(!v.is_empty() && v.len() <= 2000, "{file:?}");
                        assert!(v.iter().all(|d| *d > 0.0 && *d < 1.0), "{file:?}");
                    }
                }
                "shard_parse" => {
                    let _ = text.parse::<flatmin_host::harness::shard::Shard>();
                }
                _ => {
                    let n = usize::from(data[0]);
                    if let Ok(w) = flatmin_host::io::parse_spins(&text[1..], n) {
                        assert_eq!(w.len(), n.div_ceil(64), "{file:?}");
                    }
                }
            }
        }
    }
    assert!(total >= 30, "{total} corpus files");
}

/// One input of the reader targets (fuzz/fuzz_targets/{idx,cifar,npz}_read.rs), same layout and
/// properties as the target.
fn replay_reader(reader: &str, data: &[u8], file: &Path) {
    use flatmin_host::deep::{data as dd, net::BinaryNet, npz};
    match reader {
        "idx" => {
            if data.len() < 3 {
                return;
            }
            let limit = (data[0] != 0).then_some(usize::from(data[0]));
            let split = usize::from(u16::from_be_bytes([data[1], data[2]])).min(data.len() - 3);
            let (img, lab) = data[3..].split_at(split);
            let (ip, lp) = (Path::new("images"), Path::new("labels"));
            let (Ok(img), Ok(lab)) = (
                dd::decode_maybe_gz(img.to_vec(), ip),
                dd::decode_maybe_gz(lab.to_vec(), lp),
            ) else {
                return;
            };
            if let Ok((images, labels)) = dd::parse_idx_pair(&img, &lab, limit, ip, lp) {
                assert!(images.n > 0, "{file:?}");
                assert_eq!(images.bytes.len(), labels.len() * images.n, "{file:?}");
                assert!(limit.is_none_or(|l| labels.len() <= l), "{file:?}");
            }
        }
        "cifar" => {
            let Some((&l, rest)) = data.split_first() else {
                return;
            };
            let limit = (l != 0).then_some(usize::from(l));
            let path = Path::new("data_batch_1.bin");
            let Ok(bytes) = dd::decode_maybe_gz(rest.to_vec(), path) else {
                return;
            };
            if let Ok((pixels, labels)) = dd::parse_cifar(&bytes, limit, path) {
                assert!(!labels.is_empty(), "{file:?}");
                assert_eq!(pixels.len(), labels.len() * dd::CIFAR_PIXELS, "{file:?}");
                assert!(limit.is_none_or(|l| labels.len() <= l), "{file:?}");
            }
        }
        _ => {
            let Ok(arrays) = npz::read_bytes(data, Path::new("net.npz")) else {
                return;
            };
            for (_, a) in &arrays {
                let (shape, len) = match a {
                    npz::Array::I8 { shape, data } => (shape, data.len()),
                    npz::Array::F32 { shape, data } => (shape, data.len()),
                };
                assert_eq!(shape.iter().product::<usize>(), len, "{file:?}");
            }
            let dir = tmp("npz-replay");
            std::fs::write(dir.join("in.npz"), data).unwrap();
            if let Ok(net) = BinaryNet::load_npz(&dir.join("in.npz")) {
                net.save_npz(&dir.join("out.npz")).unwrap();
                let back = BinaryNet::load_npz(&dir.join("out.npz")).unwrap();
                assert_eq!(
                    (back.arch, back.weights),
                    (net.arch, net.weights),
                    "{file:?}"
                );
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}

/// Writes the seed inputs of the reader fuzz targets (small valid files made by the tests' writers:
/// `common::idx`, gzip, `BinaryNet::save_npz`) into fuzz/corpus/{idx,cifar,npz}_read/seed-*.
/// Run once by hand: `cargo test -p flatmin-host --test hardening -- --ignored write_fuzz_seeds`.
#[test]
#[ignore]
fn write_fuzz_seeds() {
    use flatmin_host::deep::net::BinaryNet;
    use std::io::Write;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let gz = |b: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    };
    let put = |target: &str, name: &str, bytes: &[u8]| {
        std::fs::create_dir_all(root.join(target)).unwrap();
        std::fs::write(root.join(target).join(format!("seed-{name}")), bytes).unwrap();
    };
    // IDX: 3 images of 4×5 pixels and their labels, plain and gzipped, with and without a limit.
    let px: Vec<u8> = (0..60).map(|j| (j * 7) as u8).collect();
    let img = common::idx(0x803, &[3, 4, 5], &px);
    let lab = common::idx(0x801, &[3], &[3, 4, 9]);
    for (name, limit, i, l) in [
        ("plain", 0u8, img.clone(), lab.clone()),
        ("gz-limit2", 2, gz(&img), gz(&lab)),
    ] {
        let mut v = vec![limit];
        v.extend_from_slice(&(i.len() as u16).to_be_bytes());
        v.extend_from_slice(&i);
        v.extend_from_slice(&l);
        put("idx_read", name, &v);
    }
    // CIFAR-10: one record plain, three records gzipped.
    let rec = |label: u8| {
        let mut r = vec![label];
        r.extend((0..3072).map(|j| (j % 251) as u8));
        r
    };
    let mut v = vec![0u8];
    v.extend(rec(7));
    put("cifar_read", "plain", &v);
    let three: Vec<u8> = [1u8, 2, 3].iter().flat_map(|&c| rec(c)).collect();
    let mut v = vec![2u8];
    v.extend(gz(&three));
    put("cifar_read", "gz-limit2", &v);
    // Networks: 6-4-1 without latent weights, 5-3-2 with latent weights.
    let dir = tmp("fuzz-seeds");
    let net = BinaryNet::random(&[6, 4, 1], 1).unwrap();
    net.save_npz(&dir.join("a.npz")).unwrap();
    put(
        "npz_read",
        "net",
        &std::fs::read(dir.join("a.npz")).unwrap(),
    );
    let mut net = BinaryNet::random(&[5, 3, 2], 2).unwrap();
    net.latent = Some(
        net.weights
            .iter()
            .map(|w| w.iter().map(|&v| 0.25 * f32::from(v)).collect())
            .collect(),
    );
    net.save_npz(&dir.join("b.npz")).unwrap();
    put(
        "npz_read",
        "net-latent",
        &std::fs::read(dir.join("b.npz")).unwrap(),
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Conventions audit (session 2), item 1: every command takes negative numbers as values; where one
/// has no meaning it is rejected by the flag's own check (never clap's "unexpected argument '-1'"),
/// including the global --threads and the newer commands.
#[test]
fn negative_numbers_in_every_command() {
    let dir = tmp("negative-all");
    teacher_instance(&dir);
    let v = ok_json(
        &[
            "local-entropy",
            "t.txt",
            "--ref",
            "1",
            "--kappa",
            "-0.1",
            "--lambdas",
            "1,0",
            "--json",
        ],
        &dir,
    );
    assert_eq!(v["lambda"], serde_json::json!([1.0, 0.0]), "{v}");
    for (args, want) in [
        (
            &["--threads", "-1", "theory", "alpha-c"][..],
            "between 1 and 1024",
        ),
        (
            &["theory", "alpha-c", "--threads", "0"],
            "between 1 and 1024",
        ),
        (
            &["local-entropy", "t.txt", "--ref", "1", "--seed", "-1"],
            "a seed is an integer",
        ),
        (
            &["local-entropy", "t.txt", "--ref", "1", "--lambdas", "-1"],
            "finite values >= 0",
        ),
        (
            &[
                "profile", "--n", "21", "--alpha", "0.3", "--seed", "-1", "-o", "p",
            ],
            "a seed is an integer",
        ),
        (
            &["profile", "--n", "21", "--alpha", "-0.3", "-o", "p"],
            "--alpha",
        ),
        (
            &["theory", "thresholds", "--alphas", "-0.5"],
            "--alphas -0.5: the constraint density",
        ),
        (&["figure", "2", "--seed", "-1", "-o", "f"], "--seed"),
        (
            &[
                "deep",
                "train",
                "--task",
                "fashion-parity",
                "--p",
                "10",
                "--seed",
                "-1",
            ],
            "--seed",
        ),
        (&["bench", "kernels", "--seed", "-1"], "--seed"),
        (
            &[
                "capacity", "--algo", "hebb", "--n", "21", "--alphas", "-0.3", "-o", "c",
            ],
            "alphas",
        ),
    ] {
        let line = bad_input(args, &dir);
        assert!(line.contains(want), "{args:?}: {line}");
        assert!(
            !line.contains("unexpected argument"),
            "{args:?}: negative value not taken as a value: {line}"
        );
    }
    assert_eq!(entries(&dir), ["t.txt"]);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Conventions audit, item 6: a missing required argument is named on the one error line (clap lists
/// them on the lines after "not provided:").
#[test]
fn missing_arguments_are_named() {
    let dir = tmp("missing-args");
    let line = bad_input(&["theory", "rs"], &dir);
    assert!(line.ends_with("not provided: --alpha <ALPHA>"), "{line}");
    let line = bad_input(&["deep", "eval", "net.npz"], &dir);
    assert!(line.contains("--task <T>, --p <P>"), "{line}");
    // Something that exists but is a file is "not a directory", not "no such directory".
    std::fs::write(dir.join("f.txt"), "mine\n").unwrap();
    for cmd in ["report", "merge"] {
        let line = bad_input(&[cmd, "f.txt"], &dir);
        assert_eq!(line, "flatmin: error: f.txt: not a directory", "{cmd}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("f.txt")).unwrap(),
        "mine\n"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Conventions audit, item 2: `local-entropy --json` is a range of λ, so columns with lowercase keys
/// (it was a list of objects with the key "S").
#[test]
fn local_entropy_json_is_columnar() {
    let dir = tmp("le-json");
    teacher_instance(&dir);
    let v = ok_json(
        &[
            "local-entropy",
            "t.txt",
            "--ref",
            "1",
            "--lambdas",
            "2,0.5,0",
            "--json",
        ],
        &dir,
    );
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["converged", "d", "lambda", "s"], "{v}");
    assert_eq!(v["lambda"], serde_json::json!([2.0, 0.5, 0.0]));
    for k in ["d", "s", "converged"] {
        assert_eq!(v[k].as_array().unwrap().len(), 3, "{k}: {v}");
    }
    assert!(v["converged"]
        .as_array()
        .unwrap()
        .iter()
        .all(Value::is_boolean));
    // d grows as the field λ towards the reference weakens.
    let d: Vec<f64> = v["d"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert!(d[0] < d[1] && d[1] < d[2], "{d:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Conventions audit, item 8: `local-energy -o DIR` reruns with other parameters (the grid was not
/// recorded, so another --p-steps silently replaced the curve) are refused; --force replaces only
/// flatmin's files; a user's file beside them survives.
#[test]
fn local_energy_out_is_not_replaced_silently() {
    let dir = tmp("le-out");
    teacher_instance(&dir);
    std::fs::create_dir(dir.join("out")).unwrap();
    std::fs::write(dir.join("out/notes.txt"), "mine\n").unwrap();
    let run = |steps: &str, force: bool| {
        let mut a = vec![
            "local-energy",
            "t.txt",
            "--ref",
            "1",
            "--samples",
            "10",
            "--p-steps",
            steps,
            "-o",
            "out",
        ];
        if force {
            a.push("--force");
        }
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let csv = || std::fs::read_to_string(dir.join("out/local_energy/data.csv")).unwrap();
    ok(&args(&run("3", false)), &dir);
    assert_eq!(csv().lines().count(), 4);
    // The same command again: the same result.
    ok(&args(&run("3", false)), &dir);
    let line = bad_input(&args(&run("4", false)), &dir);
    assert!(
        line.contains("holds another result") && line.contains("--force"),
        "{line}"
    );
    assert_eq!(csv().lines().count(), 4, "refused run changed the output");
    ok(&args(&run("4", true)), &dir);
    assert_eq!(csv().lines().count(), 5);
    let meta: Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/local_energy/meta.json")).unwrap())
            .unwrap();
    assert_eq!(meta["params"]["p_steps"], 4);
    assert_eq!(meta["params"]["p_max"], 0.5);
    assert_eq!(entries(&dir.join("out")), ["local_energy", "notes.txt"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("out/notes.txt")).unwrap(),
        "mine\n"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Conventions audit, items 2 and 3: `profile --json` is a range of λ, so columns (it was a list of
/// objects); a mean over no sample is null with a reason, never a bare null.
#[test]
fn profile_json_is_columnar() {
    let dir = tmp("profile-json");
    let v = ok_json(
        &[
            "profile",
            "--n",
            "21",
            "--alpha",
            "0.3",
            "--samples",
            "2",
            "--lambdas",
            "1,0",
            "-o",
            "p",
            "--json",
            "-q",
        ],
        &dir,
    );
    assert_eq!(v["lambda"], serde_json::json!([1.0, 0.0]), "{v}");
    for k in ["d_mean", "d_std", "s_mean", "s_std", "samples"] {
        let col = v[k].as_array().unwrap_or_else(|| panic!("{k}: {v}"));
        assert_eq!(col.len(), 2, "{k}: {v}");
        for (i, x) in col.iter().enumerate() {
            assert!(
                !x.is_null() || v[format!("{k}_reason")][i].is_string(),
                "{k}[{i}] null without a reason: {v}"
            );
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Conventions audit, item 6: a malformed binary file (no lines) is named as `FILE: what`, without
/// the `:0` line number it used to carry.
#[test]
fn binary_file_errors_name_the_file_without_line_zero() {
    let dir = tmp("binary-errors");
    std::fs::write(dir.join("net.npz"), "not a zip archive\n").unwrap();
    let line = bad_input(&["deep", "overlap", "net.npz", "net.npz"], &dir);
    assert!(
        line.starts_with("flatmin: error: net.npz: not a readable .npz"),
        "{line}"
    );
    std::fs::create_dir(dir.join("data")).unwrap();
    std::fs::write(
        dir.join("data/train-images-idx3-ubyte"),
        common::idx(0x803, &[2, 28, 28], &[0; 10]),
    )
    .unwrap();
    std::fs::write(
        dir.join("data/train-labels-idx1-ubyte"),
        common::idx(0x801, &[2], &[1, 2]),
    )
    .unwrap();
    let line = bad_input(
        &[
            "deep", "train", "--task", "fashion", "--p", "2", "--data", "data",
        ],
        &dir,
    );
    assert!(
        line.contains("train-images-idx3-ubyte: truncated"),
        "{line}"
    );
    assert!(!line.contains(":0:"), "{line}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Conventions audit, item 7 (numerical honesty): SBP margins are limited to κ ≤ 7, where the pair
/// probabilities still have double precision. At κ = 8 α_pair came out below its lower bound and at
/// κ = 100 Σ2 was negative at α = 1 and α_gap = 0.43: silent wrong numbers, now exit 2. Up to
/// κ = 7, α_pair(d) = (ln 2 + H2(d)) / (−ln P2) lies between its bounds from P1 ≥ P2 ≥ 1 − 2(1 − P1)
/// (a pair is lost only when one of its two patterns misses; union bound).
#[test]
fn sbp_margin_is_limited_to_double_precision() {
    let dir = tmp("sbp-kappa");
    for sub in [
        &["alpha-1m", "--kappa", "8"][..],
        &["alpha-gap", "--kappa", "100"],
        &["alpha-pair", "--kappa", "8", "--d", "0.1"],
        &["pairs", "--kappa", "100", "--alpha", "1", "--d", "0.1"],
        &[
            "tuples", "--y", "3", "--kappa", "8", "--alpha", "1", "--d", "0.1",
        ],
    ] {
        let mut a = vec!["theory", "sbp"];
        a.extend_from_slice(sub);
        let line = bad_input(&a, &dir);
        assert!(
            line.contains("--kappa") && line.contains("at most 7"),
            "{line}"
        );
    }
    for kappa in [1.0f64, 4.0, 7.0] {
        let k = kappa.to_string();
        let v = ok_json(
            &[
                "theory",
                "sbp",
                "alpha-pair",
                "--kappa",
                &k,
                "--d",
                "0.1",
                "--json",
            ],
            &dir,
        );
        let miss = -flatmin_core::theory::sbp::log_p1(kappa).unwrap().exp_m1();
        let h2 = -(0.1f64 * 0.1f64.ln() + 0.9 * 0.9f64.ln());
        let num = std::f64::consts::LN_2 + h2;
        let (lo, hi) = (num / -(-2.0 * miss).ln_1p(), num / -(-miss).ln_1p());
        let got = v["alpha_pair"].as_f64().unwrap();
        assert!(
            lo <= got && got <= hi,
            "kappa {kappa}: {got} not in [{lo}, {hi}]"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// Found by the grid_parse fuzz target: `--d-range A:B:N` with ends orders of magnitude apart gave
/// a point past an end by rounding (`0.5:1e-70:3` → d = 0, which `committee fp` then rejected and
/// `fp` printed). Every point lies between the ends given.
#[test]
fn d_range_points_stay_between_the_ends() {
    let dir = tmp("d-range-ends");
    let v = ok_json(
        &[
            "theory",
            "fp",
            "--alpha",
            "0.5",
            "--kappa-ref",
            "0",
            "--d-range",
            "0.5:1e-70:3",
            "--json",
        ],
        &dir,
    );
    let d: Vec<f64> = v["d"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(d.len(), 3);
    assert!(d.iter().all(|&x| (1e-70..=0.5).contains(&x)), "{d:?}");
    let v = ok_json(
        &[
            "theory",
            "committee",
            "fp",
            "--act",
            "sign",
            "--alpha",
            "0.5",
            "--kappa-ref",
            "0",
            "--d-range",
            "0.5:1e-70:3",
            "--json",
        ],
        &dir,
    );
    assert_eq!(v["d"].as_array().unwrap().len(), 3, "{v}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Conventions audit, item 7: `flatness --exact-max-n` above the enumeration limit is refused (it was
/// silently capped at 40 while the reasons in the output named --exact-max-n).
#[test]
fn flatness_exact_max_n_is_checked() {
    let dir = tmp("flatness-max-n");
    teacher_instance(&dir);
    let line = bad_input(
        &["flatness", "t.txt", "--ref", "1", "--exact-max-n", "41"],
        &dir,
    );
    assert!(line.contains("--exact-max-n 41: at most 40"), "{line}");
    let v = ok_json(
        &[
            "flatness",
            "t.txt",
            "--ref",
            "1",
            "--exact-max-n",
            "20",
            "--json",
        ],
        &dir,
    );
    assert!(
        v["f"].is_null() && v["f_reason"].as_str().unwrap().contains("N <= 20"),
        "{v}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Issue 12 audit, fix 2: an `.npz` member whose header declares a small size but inflates to
/// much more is rejected after reading at most declared + 1 bytes (one line, exit 2), and a member
/// declaring more than the documented limit is rejected before any read or reservation.
#[test]
fn npz_member_size_cannot_be_bypassed() {
    use std::io::Write;
    let dir = tmp("npz_lying");
    // A valid int8 .npy of 2^21 zeros, deflated to a few KiB.
    let n = 1usize << 21;
    let header = format!("{{'descr': '|i1', 'fortran_order': False, 'shape': ({n},), }}");
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    let pad = (64 - (10 + header.len() + 1) % 64) % 64;
    let hlen = header.len() + pad + 1;
    npy.extend_from_slice(&(hlen as u16).to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    npy.extend(std::iter::repeat_n(b' ', pad));
    npy.push(b'\n');
    npy.resize(npy.len() + n, 0);
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zw.start_file("w.npy", opts).unwrap();
    zw.write_all(&npy).unwrap();
    let honest = zw.finish().unwrap().into_inner();
    assert!(honest.len() < 64 * 1024, "{} bytes", honest.len());
    // Patch the uncompressed size in the local header (offset 22) and the central directory
    // entry (offset 24) to `size`.
    let lie = |size: u32| {
        let mut z = honest.clone();
        let mut patched = 0;
        for i in 0..z.len().saturating_sub(4) {
            let at = match &z[i..i + 4] {
                b"PK\x03\x04" => i + 22,
                b"PK\x01\x02" => i + 24,
                _ => continue,
            };
            z[at..at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
        assert_eq!(patched, 2);
        z
    };
    std::fs::write(dir.join("small.npz"), lie(1000)).unwrap();
    std::fs::write(dir.join("huge.npz"), lie(0xFFFF_FFF0)).unwrap();
    let line = bad_input(&["deep", "overlap", "small.npz", "small.npz"], &dir);
    assert!(
        line.contains("small.npz") && line.contains("declares 1000 bytes"),
        "{line}"
    );
    let line = bad_input(&["deep", "overlap", "huge.npz", "huge.npz"], &dir);
    assert!(
        line.contains("huge.npz") && line.contains("too large"),
        "{line}"
    );
    // The library reader agrees, and the honest archive still reads.
    let e = flatmin_host::deep::npz::read_bytes(&lie(1000), Path::new("x.npz")).unwrap_err();
    assert!(e.to_string().contains("holds more"), "{e}");
    let a = flatmin_host::deep::npz::read_bytes(&honest, Path::new("x.npz")).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(entries(&dir), ["huge.npz", "small.npz"]);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Issue 12 audit, fix 3: every size of every `bench` subcommand is checked against its documented
/// limit before any allocation or timing (`bench bp --fbp-runs 10^12` aborted with an 8 TB
/// allocation, exit 134).
#[test]
fn bench_sizes_are_checked_before_work() {
    let dir = tmp("bench_sizes");
    let cases: &[(&[&str], &str)] = &[
        (
            &["bench", "bp", "--fbp-runs", "1000000000000"],
            "--fbp-runs must be in 1..=10000",
        ),
        (
            &["bench", "bp", "--n", "100000000"],
            "limit of 67108864 BP edges",
        ),
        (&["bench", "bp", "--n", "0"], "--n must be at least 1"),
        (
            &[
                "bench",
                "bp",
                "--n",
                "20000",
                "--alpha",
                "0.1",
                "--fbp-alpha",
                "1",
            ],
            "--fbp-alpha",
        ),
        (
            &["bench", "kernels", "--n", "100000000", "--p", "1000"],
            "MiB of patterns",
        ),
        (&["bench", "kernels", "--p", "0"], "at least 1"),
        (
            &[
                "bench", "gemm", "--r", "65536", "--p", "1048576", "--n", "64",
            ],
            "limit of 268435456 products",
        ),
        (&["bench", "gemm", "--n", "0"], "--n must be in 1..="),
        (
            &["bench", "enumerate", "--n", "35"],
            "--n must be in 1..=34",
        ),
        (&["bench", "enumerate", "--repeats", "1000"], "--repeats"),
    ];
    for (a, want) in cases {
        let line = bad_input(a, &dir);
        assert!(line.contains(want), "{a:?}: {line}");
    }
    assert!(entries(&dir).is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Issue 12 audit, fix 4: `--seed -1` is answered by the common seed parser (what a seed is, the
/// value given) in every command that takes a seed (`bench *`, `figure`, `capacity`, `deep
/// train|study|local-energy`), not by "invalid digit found in string".
#[test]
fn negative_seeds_are_explained_everywhere() {
    let dir = tmp("neg_seed");
    for a in [
        &["bench", "kernels", "--seed", "-1"][..],
        &["bench", "bp", "--seed", "-1"],
        &["bench", "gemm", "--seed", "-1"],
        &["bench", "enumerate", "--seed", "-1"],
        &["figure", "fig1", "--seed", "-1"],
        &[
            "instance", "gen", "--n", "11", "--alpha", "0.5", "--seed", "-1",
        ],
        &["solve", "x.txt", "--seed", "-1"],
        &["capacity", "--alphas", "0.5", "--seed", "-1", "-o", "cap"],
        &[
            "deep", "train", "--task", "fashion", "--seed", "-1", "-o", "m.npz",
        ],
        &["deep", "study", "--seed", "-1", "-o", "st"],
        &["deep", "local-energy", "m.npz", "--seed", "-1"],
    ] {
        let line = bad_input(a, &dir);
        assert!(
            line.contains("--seed")
                && line.contains("a seed is an integer in 0..=")
                && line.contains("\"-1\""),
            "{a:?}: {line}"
        );
    }
    assert!(entries(&dir).is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Issue 12 audit, fix 5: a bad value in `capacity --alphas` is named with its flag and value.
#[test]
fn capacity_bad_alpha_is_named() {
    let dir = tmp("cap_alpha");
    for (alphas, bad) in [("-0.3", "-0.3"), ("0.3,-0.3", "-0.3"), ("0.5,0", "0")] {
        let line = bad_input(
            &["capacity", "--n", "101", "--alphas", alphas, "-o", "cap"],
            &dir,
        );
        assert!(
            line.contains(&format!("--alphas {bad}:")) && line.contains("> 0"),
            "{alphas}: {line}"
        );
    }
    assert!(entries(&dir).is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Issue 12 audit, fix 6: `instance gen -o FILE/x` where FILE is a regular file says "not a
/// directory" (it said "directory FILE does not exist"); a missing directory still says so; and
/// `instance stats` on a file without references writes "(R …)" like the rest of the messages.
#[test]
fn output_parent_that_is_a_file_is_named() {
    let dir = tmp("not_a_dir");
    std::fs::write(dir.join("file.txt"), b"mine").unwrap();
    let gen = |out: &str| {
        bad_input(
            &["instance", "gen", "--n", "11", "--alpha", "0.5", "-o", out],
            &dir,
        )
    };
    let line = gen("file.txt/x");
    assert!(
        line.contains("file.txt/x") && line.contains("file.txt is not a directory"),
        "{line}"
    );
    assert!(!line.contains("does not exist"), "{line}");
    let line = gen("missing/x");
    assert!(line.contains("directory missing does not exist"), "{line}");
    assert_eq!(std::fs::read(dir.join("file.txt")).unwrap(), b"mine");
    ok(
        &[
            "instance", "gen", "--n", "11", "--alpha", "0.5", "-o", "t.txt",
        ],
        &dir,
    );
    let line = bad_input(&["instance", "stats", "t.txt"], &dir);
    assert!(line.contains("(R …)") && !line.contains("..."), "{line}");
    assert_eq!(entries(&dir), ["file.txt", "t.txt"]);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Issue 12 audit, fix 7, revised by the leftovers of issue 12: when the RS equilibrium at the
/// constrained margin κ does not exist (here α = 0.5 is above α_GD at κ = 5) the Franz–Parisi
/// entropy does not exist: every value is null with a reason naming κ and the constrained system,
/// not the reference at κ̃ = 0, which is fine; exit 0 (it was exit 1, a failed run).
#[test]
fn fp_failure_at_kappa_is_not_blamed_on_the_reference() {
    let dir = tmp("fp_kappa");
    let out = ok(
        &[
            "theory",
            "fp",
            "--alpha",
            "0.5",
            "--kappa-ref",
            "0",
            "--kappa",
            "5",
            "--d",
            "0.1",
            "--json",
        ],
        &dir,
    );
    assert!(out.stderr.is_empty());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["s_fp", "d_star", "phi_star"] {
        assert!(v[key].is_null(), "{key}: {v}");
        let reason = v[format!("{key}_reason")].as_str().unwrap();
        assert!(
            reason.contains("RS equilibrium at kappa = 5 (the constrained system)")
                && !reason.contains("reference"),
            "{reason}"
        );
    }
    assert_eq!(v["d"], 0.1);
    assert!(entries(&dir).is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Leftovers of issue 12, item 2: above capacity the `theory` commands follow the conventions. A
/// value that does not exist (no RS saddle with q < 1 at α ≥ α_GD: `rs`, `fp`, `phases
/// --kappa-ref`, `fp-1rsb`, `committee rs`, `committee fp`) is null plus a `<key>_reason`, exit 0;
/// κ_max beyond α_GD(0) and α_c at large |κ| are computed (the scans used to start where no RS
/// solution exists, or to step linearly for minutes); a value outside the computed range is the
/// user's to fix (exit 2, naming the flag).
#[test]
fn theory_above_capacity_is_null_with_a_reason() {
    let dir = tmp("above_capacity");
    let null_with_reason = |args: &[&str], keys: &[&str], reason_key: &str, want: &str| {
        let mut a = args.to_vec();
        a.push("--json");
        let v = ok_json(&a, &dir);
        for k in keys {
            assert!(v[*k].is_null(), "{args:?}: {k} in {v}");
        }
        let reason = v[reason_key].as_str().unwrap_or_else(|| {
            v[reason_key][0]
                .as_str()
                .unwrap_or_else(|| panic!("{args:?}: no {reason_key} in {v}"))
        });
        assert!(reason.contains(want), "{args:?}: {reason}");
        v
    };
    let v = null_with_reason(
        &["theory", "rs", "--alpha", "1.5"],
        &["s", "q", "qhat", "d", "iterations", "residual"],
        "s_reason",
        "alpha_GD(kappa) = 1.273240",
    );
    assert_eq!(v["alpha"], 1.5);
    // Text mode says it too, exit 0.
    let text = String::from_utf8(ok(&["theory", "rs", "--alpha", "1.5"], &dir).stdout).unwrap();
    assert!(text.contains("s = null (no RS saddle point"), "{text}");
    let v = null_with_reason(
        &[
            "theory",
            "fp",
            "--alpha",
            "1.5",
            "--kappa-ref",
            "0",
            "--d-range",
            "0.01:0.2:3",
        ],
        &["d_star", "phi_star"],
        "s_fp_reason",
        "reference RS saddle: no RS solution with q < 1 at alpha = 1.5",
    );
    assert_eq!(v["s_fp"], serde_json::json!([null, null, null]));
    assert_eq!(v["d"].as_array().unwrap().len(), 3);
    null_with_reason(
        &[
            "theory",
            "fp",
            "--alpha",
            "0.5",
            "--kappa-ref",
            "2",
            "--d",
            "0.1",
        ],
        &["s_fp", "d_star", "phi_star"],
        "d_star_reason",
        "alpha = 0.5, kappa = 2",
    );
    null_with_reason(
        &["theory", "phases", "--alpha", "0.5", "--kappa-ref", "3"],
        &["phase", "phase_name"],
        "phase_reason",
        "kappa = 3",
    );
    null_with_reason(
        &[
            "theory",
            "fp-1rsb",
            "--alpha",
            "1.5",
            "--kappa-ref",
            "0",
            "--d",
            "0.1",
        ],
        &["rs", "verdict", "non_rs_found", "reduction_error"],
        "verdict_reason",
        "alpha = 1.5",
    );
    null_with_reason(
        &[
            "theory",
            "committee",
            "rs",
            "--act",
            "relu",
            "--alpha",
            "50",
        ],
        &["s", "q", "qhat"],
        "s_reason",
        "alpha = 50",
    );
    null_with_reason(
        &[
            "theory",
            "committee",
            "fp",
            "--act",
            "relu",
            "--alpha",
            "50",
            "--kappa-ref",
            "0",
            "--d",
            "0.1",
        ],
        &["s_fp"],
        "s_fp_reason",
        "does not exist",
    );
    // Computed now (exit 1 before): κ_max above α_GD(0) = 4/π, α_c at κ = 10 (below the first
    // scan point) and at κ = −4 (≈ 2·10⁴, minutes of linear steps), the RS saddle at κ = −10.
    let k = ok_json(&["theory", "kappa-max", "--alpha", "5", "--json"], &dir)["kappa_max"]
        .as_f64()
        .unwrap();
    // A band around the RS κ_max(α = 5) = −1.1531 (`theory kappa-max --alpha 5` on this build).
    assert!((-1.2..-1.1).contains(&k), "{k}");
    let s = ok_json(
        &[
            "theory",
            "rs",
            "--alpha",
            "5",
            "--kappa",
            &k.to_string(),
            "--json",
        ],
        &dir,
    )["s"]
        .as_f64()
        .unwrap();
    assert!(s.abs() < 1e-8, "s(kappa_max) = {s}");
    // Bands around α_c(10) = 0.0062938 (`theory alpha-c --kappa 10` on this build) and α_c(−4) ≈ 2·10⁴.
    for (kappa, lo, hi) in [("10", 0.006, 0.0066), ("-4", 2.0e4, 2.4e4)] {
        let a = ok_json(&["theory", "alpha-c", "--kappa", kappa, "--json"], &dir)["alpha_c"]
            .as_f64()
            .unwrap();
        assert!((lo..hi).contains(&a), "alpha_c({kappa}) = {a}");
        let s = ok_json(
            &[
                "theory",
                "rs",
                "--alpha",
                &a.to_string(),
                "--kappa",
                kappa,
                "--json",
            ],
            &dir,
        )["s"]
            .as_f64()
            .unwrap();
        assert!(s.abs() < 1e-7, "s(alpha_c({kappa})) = {s}");
    }
    let v = ok_json(
        &["theory", "rs", "--alpha", "0.5", "--kappa", "-10", "--json"],
        &dir,
    );
    assert!((v["s"].as_f64().unwrap() - std::f64::consts::LN_2).abs() < 1e-12);
    let k = ok_json(
        &[
            "theory",
            "committee",
            "kappa-max",
            "--act",
            "sign",
            "--alpha",
            "50",
            "--json",
        ],
        &dir,
    )["kappa_max"]
        .as_f64()
        .unwrap();
    assert!(k < 0.0, "{k}");
    // Outside the computed range: exit 2, the flag and the range named.
    for (args, flag) in [
        (
            &["theory", "kappa-max", "--alpha", "0.001"][..],
            "--alpha 0.001",
        ),
        (&["theory", "alpha-c", "--kappa", "-10"], "--kappa -10"),
        (
            &[
                "theory",
                "committee",
                "kappa-max",
                "--act",
                "sign",
                "--alpha",
                "0.0001",
            ],
            "--alpha 0.0001",
        ),
    ] {
        let line = bad_input(args, &dir);
        assert!(
            line.contains(flag) && line.contains("outside the computed range"),
            "{args:?}: {line}"
        );
    }
    assert!(entries(&dir).is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Leftovers of issue 12, item 1: `--seed` defaults to 0 in every command that takes one (output
/// conventions §1; `bench kernels` and `bench bp` defaulted to 1).
#[test]
fn every_seed_defaults_to_zero() {
    let dir = tmp("seed_default");
    for cmd in [
        &["bench", "kernels"][..],
        &["bench", "bp"],
        &["bench", "gemm"],
        &["bench", "enumerate"],
        &["figure"],
        &["instance", "gen"],
        &["solve"],
        &["capacity"],
        &["bp"],
        &["enumerate"],
        &["deep", "train"],
        &["deep", "study"],
        &["deep", "local-energy"],
    ] {
        let mut a = cmd.to_vec();
        a.push("--help");
        let help = String::from_utf8(ok(&a, &dir).stdout).unwrap();
        let at = help
            .find("--seed <")
            .unwrap_or_else(|| panic!("{cmd:?}: no --seed in its help"));
        // The option's block ends at the next option.
        let block = &help[at..];
        let block = &block[..block[2..].find("\n  -").map_or(block.len(), |e| e + 2)];
        assert!(block.contains("[default: 0]"), "{cmd:?}: {block}");
    }
    assert!(entries(&dir).is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}
