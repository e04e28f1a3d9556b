//! `flatmin deep train|eval|overlap|local-energy`: deep binary networks on real data (DEEP.md).

use super::{input_error, print_json, print_line, Global};
use clap::Subcommand;
use flatmin_host::deep::data::{self, Split, Task};
use flatmin_host::deep::energy;
use flatmin_host::deep::net::{self, arch_string, BinaryNet, PackedData};
use flatmin_host::deep::overlap;
use flatmin_host::deep::train::{self, TrainParams};
use flatmin_host::harness::with_threads;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Largest accepted training-set size P.
pub const MAX_P: usize = 1_000_000;

/// Commands of this family.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Train a binary network with BinaryNet-style SGD on the first P training examples of a task.
    ///
    /// Latent weights U(−ε·clip, ε·clip) from --seed (ε = --init-scale, default 0.01: the signs are
    /// decided by training), forward with their signs, straight-through backward through the window
    /// |h_j| ≤ RMS of h_j over the mini-batch (--window batch; or the hard-tanh of h/√fan-in,
    /// --window scaled), cross-entropy of β·u (softmax for 10 classes, logistic for one output),
    /// plain SGD with the rate decaying geometrically from --lr to --lr-final, latent weights clipped
    /// to [−clip, clip] (DEEP §g.4; the defaults' reasons are in the docs of flatmin_host::deep::train).
    /// One network trains on one thread: the same seed gives the same bytes whatever --threads is.
    /// Writes NET.npz (W0…, int8; latent0…, float32) and NET.json (metadata) beside it; --save-init
    /// also writes the initial network. With --json: {"task","arch","p","seed","train_error",
    /// "test_error","epochs","seconds","flipped","flipped_layers"} (flipped: fraction of the weights
    /// whose sign training changed from the initial network, overall and per layer).
    #[command(
        after_help = "Example:\n  flatmin deep train --task fashion-parity --p 1000 --seed 1 --save net.npz --json"
    )]
    Train(TrainArgs),
    /// Exact train and test errors of a network (bit-packed integer evaluation, DEEP §g.3).
    ///
    /// With --json: {"train_errors","train_error","test_error"} (train_errors is the integer count on
    /// the first P training examples).
    Eval(EvalArgs),
    /// Overlap of two networks after matching hidden units (permutations and sign reversals, DEEP §g.5).
    ///
    /// With --json: {"q","q_layers":[…]} (and the unmatched "q_raw").
    Overlap(OverlapArgs),
    /// Local energy: train errors after flipping each weight with probability p, minus the network's
    /// own, as a fraction of P (DEEP §g.6).
    ///
    /// With --json: [{"p","mean","stderr"},…].
    LocalEnergy(EnergyArgs),
    /// The Fig. 8 study (DEEP §g.7) for any task, architecture and P grid, on the experiment runner.
    ///
    /// One point per (P, network): trains it (saved as OUT/nets/p{P}-s{i}.npz), exact train/test
    /// errors (OUT/data.csv). Then per P the error mean ± std and the mean pairwise overlap after
    /// matching, per layer, unmatched and for random networks (overlap_vs_p.csv); the algorithmic
    /// threshold P* (the largest P where every network has zero train error) and the local energy
    /// there and at the next P above it (local_energy.csv); deep-study.svg; meta.json. Resumable (rerun the same command), --shard,
    /// `flatmin merge`. With --json: the summary (p_star, q_at_p_star, q_random, per_p, …).
    #[command(
        after_help = "Example:\n  flatmin deep study --task fashion-parity --ps 250,500,1000,2000 --seeds 4 -o fig8-fashion"
    )]
    Study(StudyArgs),
}

/// The training hyper-parameters shared by `deep train` and `deep study`.
#[derive(clap::Args, Debug)]
pub struct HyperArgs {
    /// Epochs.
    #[arg(long, value_name = "E", default_value_t = train::DEFAULT_EPOCHS)]
    pub epochs: usize,
    /// Learning rate on the latent weights at the first epoch.
    #[arg(long, value_name = "LR", default_value_t = train::DEFAULT_LR, allow_negative_numbers = true)]
    pub lr: f32,
    /// Learning rate at the last epoch (geometric decay from --lr; equal to --lr: constant).
    #[arg(long, value_name = "LR", default_value_t = train::DEFAULT_LR_FINAL, allow_negative_numbers = true)]
    pub lr_final: f32,
    /// Mini-batch size.
    #[arg(long, value_name = "B", default_value_t = train::DEFAULT_BATCH)]
    pub batch: usize,
    /// Latent weights are clipped to [−C, C].
    #[arg(long, value_name = "C", default_value_t = train::DEFAULT_CLIP, allow_negative_numbers = true)]
    pub clip: f32,
    /// Inverse temperature of the loss.
    #[arg(long, value_name = "BETA", default_value_t = train::DEFAULT_BETA, allow_negative_numbers = true)]
    pub beta: f32,
    /// Latent initialisation U(−ε·C, ε·C): the half-width ε relative to the clip, in (0, 1].
    #[arg(long, value_name = "ε", default_value_t = train::DEFAULT_INIT, allow_negative_numbers = true)]
    pub init_scale: f32,
    /// Straight-through window of the hidden units: batch (|h_j| ≤ its RMS over the mini-batch) or
    /// scaled (|h|/√fan-in ≤ 1).
    #[arg(long, value_name = "W", default_value = train::DEFAULT_WINDOW.name())]
    pub window: String,
}

impl HyperArgs {
    /// The training parameters these flags give, with `seed`.
    fn params(&self, seed: u64) -> anyhow::Result<TrainParams> {
        Ok(TrainParams {
            epochs: self.epochs,
            lr: self.lr,
            lr_final: Some(self.lr_final),
            batch: self.batch,
            clip: self.clip,
            beta: self.beta,
            init: self.init_scale,
            window: train::Window::from_name(&self.window)?,
            seed,
        })
    }
}

/// Arguments of `flatmin deep study`.
#[derive(Debug, clap::Args)]
pub struct StudyArgs {
    /// Task: mnist-parity, fashion, fashion-parity, cifar10, cifar10-parity.
    #[arg(long, value_name = "T")]
    pub task: String,
    /// Architecture n_0-…-n_L (default: the task's, as for `deep train`).
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// Training-set sizes P, comma-separated (1..=1000000 each, at most 1000 values).
    #[arg(long, value_name = "P,P,…", value_delimiter = ',', default_values_t = flatmin_host::experiments::deep_fig8::DEFAULT_PS)]
    pub ps: Vec<usize>,
    /// Networks per P, M (2..=1000).
    #[arg(long, value_name = "M", default_value_t = flatmin_host::experiments::deep_fig8::DEFAULT_NETWORKS)]
    pub seeds: usize,
    #[command(flatten)]
    pub hyper: HyperArgs,
    /// Flip probabilities of the local energy, a:b:n.
    #[arg(
        long,
        value_name = "a:b:n",
        default_value = "0:0.3:31",
        allow_hyphen_values = true
    )]
    pub flip_ps: String,
    /// Noise realisations per flip probability, R.
    #[arg(long, value_name = "R", default_value_t = flatmin_host::experiments::deep_fig8::DEFAULT_SAMPLES)]
    pub samples: usize,
    /// Base seed (network seeds are derived from it and the point's key).
    #[arg(long, value_name = "S", default_value_t = 0, value_parser = super::instance::parse_seed)]
    pub seed: u64,
    /// Data directory (else $FLATMIN_DATA, else /usr/share/datasets/…).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Output directory.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,
    /// Replace an existing result flatmin wrote there with other parameters.
    #[arg(long)]
    pub force: bool,
}

/// Where the data is and how much of it.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// Task: mnist-parity, fashion, fashion-parity, cifar10, cifar10-parity.
    #[arg(long, value_name = "T")]
    pub task: String,
    /// Training-set size: the first P examples of the training file (1..=1000000).
    #[arg(long, value_name = "P")]
    pub p: usize,
    /// Data directory (else $FLATMIN_DATA, else /usr/share/datasets/…).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// Arguments of `flatmin deep train`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub data: DataArgs,
    /// Architecture n_0-n_1-…-n_L (default: 784-501-501-1 for parity tasks, 784-501-501-10 for
    /// fashion, 3072-501-501-501-10 for cifar10).
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// Seed of the initialisation and of the mini-batch order.
    #[arg(long, value_name = "S", default_value_t = 0, value_parser = super::instance::parse_seed)]
    pub seed: u64,
    #[command(flatten)]
    pub hyper: HyperArgs,
    /// Also write the initial network (the signs training starts from, with its latent weights) to
    /// INIT.npz (+ INIT.json), e.g. for `flatmin deep overlap NET.npz INIT.npz`.
    #[arg(long, value_name = "INIT.npz")]
    pub save_init: Option<PathBuf>,
    /// Output network file (.npz); its metadata goes to the same path with extension .json.
    #[arg(long, short = 'o', visible_alias = "out", value_name = "NET.npz")]
    pub save: Option<PathBuf>,
    /// Replace an existing NET.npz that flatmin wrote (its NET.json says so).
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `flatmin deep eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Network file (.npz).
    pub net: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub data: DataArgs,
}

/// Arguments of `flatmin deep overlap`.
#[derive(Debug, clap::Args)]
pub struct OverlapArgs {
    /// First network (.npz).
    pub a: PathBuf,
    /// Second network (.npz), matched to the first.
    pub b: PathBuf,
}

/// Arguments of `flatmin deep local-energy`.
#[derive(Debug, clap::Args)]
pub struct EnergyArgs {
    /// Network file (.npz).
    pub net: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub data: DataArgs,
    /// Flip probabilities a:b:n (n points from a to b).
    #[arg(
        long,
        value_name = "a:b:n",
        default_value = "0:0.3:31",
        allow_hyphen_values = true
    )]
    pub ps: String,
    /// Noise realisations per flip probability.
    #[arg(long, value_name = "R", default_value_t = 100)]
    pub samples: usize,
    /// Seed of the noise.
    #[arg(long, value_name = "S", default_value_t = 0, value_parser = super::instance::parse_seed)]
    pub seed: u64,
}

/// Runs a command of this family.
pub fn run(cmd: Cmd, g: &Global) -> anyhow::Result<()> {
    match cmd {
        Cmd::Train(a) => run_train(a, g),
        Cmd::Eval(a) => run_eval(a, g),
        Cmd::Overlap(a) => run_overlap(a, g),
        Cmd::LocalEnergy(a) => run_energy(a, g),
        Cmd::Study(a) => run_study(a, g),
    }
}

fn check_p(p: usize) -> anyhow::Result<()> {
    if p == 0 || p > MAX_P {
        return Err(input_error(format!("--p {p} out of range 1..={MAX_P}")));
    }
    Ok(())
}

fn load_train(d: &DataArgs) -> anyhow::Result<(Task, data::TaskData)> {
    let task = Task::from_name(&d.task)?;
    check_p(d.p)?;
    let train = data::load(task, Split::Train, Some(d.p), d.data.as_deref())?;
    if train.len() < d.p {
        return Err(input_error(format!(
            "--p {} but the {} training file has only {} examples",
            d.p,
            task,
            train.len()
        )));
    }
    Ok((task, train))
}

fn load_net(path: &Path) -> anyhow::Result<BinaryNet> {
    if !path.is_file() {
        return Err(input_error(format!("{}: no such file", path.display())));
    }
    Ok(BinaryNet::load_npz(path)?)
}

fn test_error(net: &BinaryNet, task: Task, d: &DataArgs) -> anyhow::Result<f64> {
    let test = data::load(task, Split::Test, None, d.data.as_deref())?;
    let packed = PackedData::new(&test)?;
    Ok(net::count_errors_par(&net.pack(), &packed)? as f64 / test.len().max(1) as f64)
}

/// Metadata written beside a network file.
#[derive(Debug, Serialize, serde::Deserialize)]
struct NetMeta {
    written_by: String,
    version: String,
    command_line: Vec<String>,
    task: String,
    arch: String,
    p: usize,
    params: TrainParams,
    train_error: f64,
    test_error: f64,
    seconds: f64,
    /// True for the initial network written by `--save-init` (its errors are the untrained ones).
    #[serde(default)]
    initial: bool,
    /// Fraction of the weights whose sign training changed, overall and per layer.
    #[serde(default)]
    flipped: Option<f64>,
    #[serde(default)]
    flipped_layers: Option<Vec<f64>>,
}

fn meta_path(net: &Path) -> PathBuf {
    net.with_extension("json")
}

fn check_output(path: &Path, flag: &str, force: bool) -> anyhow::Result<()> {
    let meta = meta_path(path);
    if path.extension().and_then(|e| e.to_str()) != Some("npz") {
        return Err(input_error(format!(
            "{flag} {}: the network file must end in .npz",
            path.display()
        )));
    }
    let ours = |p: &Path| {
        std::fs::read_to_string(p)
            .ok()
            .and_then(|t| serde_json::from_str::<NetMeta>(&t).ok())
            .is_some_and(|m| m.written_by == "flatmin deep train")
    };
    for p in [path, meta.as_path()] {
        if p.exists() {
            if !force {
                return Err(input_error(format!(
                    "{} exists (pass --force to replace a network flatmin wrote)",
                    p.display()
                )));
            }
            if !ours(&meta) {
                return Err(input_error(format!(
                    "{} exists and was not written by flatmin deep train (no matching {}); not replacing it",
                    p.display(),
                    meta.display()
                )));
            }
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(input_error(format!(
                "{flag} {}: directory {} does not exist",
                path.display(),
                dir.display()
            )));
        }
    }
    Ok(())
}

fn run_train(a: TrainArgs, g: &Global) -> anyhow::Result<()> {
    let task = Task::from_name(&a.data.task)?;
    let arch = match &a.arch {
        Some(s) => net::parse_arch(s)?,
        None => task.default_arch(),
    };
    if arch[0] != task.inputs() || arch[arch.len() - 1] != task.outputs() {
        return Err(input_error(format!(
            "--arch {}: task {task} needs {} inputs and {} output unit{}",
            arch_string(&arch),
            task.inputs(),
            task.outputs(),
            if task.outputs() == 1 { "" } else { "s" }
        )));
    }
    let params = a.hyper.params(a.seed)?;
    params.check()?;
    if let Some(path) = &a.save {
        check_output(path, "--save", a.force)?;
    }
    if let Some(path) = &a.save_init {
        check_output(path, "--save-init", a.force)?;
        if a.save.as_deref() == Some(path.as_path()) {
            return Err(input_error(format!(
                "--save-init {}: the same file as --save",
                path.display()
            )));
        }
    }
    let (_, train_data) = load_train(&a.data)?;
    let start = std::time::Instant::now();
    let pb = super::study::bar(params.epochs as u64, "epochs", g.quiet);
    let trained = train::train(&arch, &train_data, &params, |r| {
        pb.set_position(r.epoch as u64);
        pb.set_message(format!(
            "loss {:.4}, running errors {}",
            r.loss, r.running_errors
        ));
    })?;
    pb.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    let (train_errors, test_err) = with_threads(g.threads, || -> anyhow::Result<(u64, f64)> {
        let packed = PackedData::new(&train_data)?;
        let e = net::count_errors_par(&trained.pack(), &packed)?;
        Ok((e, test_error(&trained, task, &a.data)?))
    })??;
    let train_error = train_errors as f64 / a.data.p as f64;
    let init = train::initial_net(&arch, &params)?;
    let moved = overlap::raw_overlap(&trained, &init)?;
    let flipped = (1.0 - moved.q) / 2.0;
    let flipped_layers: Vec<f64> = moved.q_layers.iter().map(|q| (1.0 - q) / 2.0).collect();
    let meta = |initial: bool, train_error: f64, test_error: f64| NetMeta {
        written_by: "flatmin deep train".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        command_line: std::env::args().collect(),
        task: task.name().into(),
        arch: arch_string(&arch),
        p: a.data.p,
        params: params.clone(),
        train_error,
        test_error,
        seconds: if initial { 0.0 } else { seconds },
        initial,
        flipped: (!initial).then_some(flipped),
        flipped_layers: (!initial).then(|| flipped_layers.clone()),
    };
    if let Some(path) = &a.save_init {
        let (e0, t0) = with_threads(g.threads, || -> anyhow::Result<(u64, f64)> {
            let packed = PackedData::new(&train_data)?;
            let e = net::count_errors_par(&init.pack(), &packed)?;
            Ok((e, test_error(&init, task, &a.data)?))
        })??;
        write_net(path, &init, &meta(true, e0 as f64 / a.data.p as f64, t0))?;
    }
    if let Some(path) = &a.save {
        write_net(path, &trained, &meta(false, train_error, test_err))?;
    }
    #[derive(Serialize)]
    struct Out {
        task: String,
        arch: String,
        p: usize,
        seed: u64,
        train_error: f64,
        test_error: f64,
        epochs: usize,
        seconds: f64,
        flipped: f64,
        flipped_layers: Vec<f64>,
    }
    let out = Out {
        task: task.name().into(),
        arch: arch_string(&arch),
        p: a.data.p,
        seed: a.seed,
        train_error,
        test_error: test_err,
        epochs: params.epochs,
        seconds,
        flipped,
        flipped_layers,
    };
    if g.json {
        print_json(&out)
    } else {
        let layers: Vec<String> = out
            .flipped_layers
            .iter()
            .map(|f| format!("{f:.4}"))
            .collect();
        print_line(&format!(
            "task {} arch {} P {} seed {}: train error {} ({} of {}), test error {:.4}, {} epochs in {:.1} s; \
             signs flipped from the initialisation {:.4} (layers {})",
            out.task,
            out.arch,
            out.p,
            out.seed,
            train_error,
            train_errors,
            out.p,
            test_err,
            out.epochs,
            seconds,
            out.flipped,
            layers.join(" ")
        ))
    }
}

/// Writes a network and its metadata (`NET.json`) beside it; on failure neither is left behind.
fn write_net(path: &Path, network: &BinaryNet, meta: &NetMeta) -> anyhow::Result<()> {
    network.save_npz(path)?;
    let mp = meta_path(path);
    let tmp = mp.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(meta)? + "\n")
        .and_then(|()| std::fs::rename(&tmp, &mp))
        .map_err(|e| {
            let _ = std::fs::remove_file(path);
            let _ = std::fs::remove_file(&tmp);
            anyhow::anyhow!("{}: {e}", mp.display())
        })
}

fn run_eval(a: EvalArgs, g: &Global) -> anyhow::Result<()> {
    let network = load_net(&a.net)?;
    let (task, train_data) = load_train(&a.data)?;
    if network.arch[0] != task.inputs() || network.arch[network.arch.len() - 1] != task.outputs() {
        return Err(input_error(format!(
            "{}: a {} network does not fit task {task} ({} inputs, {} outputs)",
            a.net.display(),
            arch_string(&network.arch),
            task.inputs(),
            task.outputs()
        )));
    }
    let (train_errors, test_err) = with_threads(g.threads, || -> anyhow::Result<(u64, f64)> {
        let packed = PackedData::new(&train_data)?;
        let e = net::count_errors_par(&network.pack(), &packed)?;
        Ok((e, test_error(&network, task, &a.data)?))
    })??;
    #[derive(Serialize)]
    struct Out {
        train_errors: u64,
        train_error: f64,
        test_error: f64,
    }
    let out = Out {
        train_errors,
        train_error: train_errors as f64 / a.data.p as f64,
        test_error: test_err,
    };
    if g.json {
        print_json(&out)
    } else {
        print_line(&format!(
            "train errors {} of {} ({}), test error {:.4}",
            out.train_errors, a.data.p, out.train_error, out.test_error
        ))
    }
}

fn run_overlap(a: OverlapArgs, g: &Global) -> anyhow::Result<()> {
    let na = load_net(&a.a)?;
    let nb = load_net(&a.b)?;
    let ov = overlap::overlap(&na, &nb)?;
    let raw = overlap::raw_overlap(&na, &nb)?;
    #[derive(Serialize)]
    struct Out {
        q: f64,
        q_layers: Vec<f64>,
        q_raw: f64,
    }
    let out = Out {
        q: ov.q,
        q_layers: ov.q_layers,
        q_raw: raw.q,
    };
    if g.json {
        print_json(&out)
    } else {
        let layers: Vec<String> = out.q_layers.iter().map(|q| format!("{q:.4}")).collect();
        print_line(&format!(
            "q {:.4} (layers {}), unmatched {:.4}",
            out.q,
            layers.join(" "),
            out.q_raw
        ))
    }
}

fn run_energy(a: EnergyArgs, g: &Global) -> anyhow::Result<()> {
    let ps = energy::parse_grid(&a.ps)?;
    if a.samples == 0 || a.samples > energy::MAX_SAMPLES {
        return Err(input_error(format!(
            "--samples {} out of range 1..={}",
            a.samples,
            energy::MAX_SAMPLES
        )));
    }
    let network = load_net(&a.net)?;
    let (task, train_data) = load_train(&a.data)?;
    if network.arch[0] != task.inputs() || network.arch[network.arch.len() - 1] != task.outputs() {
        return Err(input_error(format!(
            "{}: a {} network does not fit task {task}",
            a.net.display(),
            arch_string(&network.arch)
        )));
    }
    let total = (ps.len() * a.samples) as u64;
    let pb = super::study::bar(total, "perturbed networks", g.quiet);
    let points = with_threads(g.threads, || -> anyhow::Result<Vec<energy::EnergyPoint>> {
        let packed = PackedData::new(&train_data)?;
        Ok(energy::local_energy(
            &network,
            &packed,
            &ps,
            a.samples,
            a.seed,
            || pb.inc(1),
        )?)
    })??;
    pb.finish_and_clear();
    if g.json {
        print_json(&points)
    } else {
        let mut text = String::from("p\tmean\tstderr");
        for pt in &points {
            text.push_str(&format!("\n{}\t{:.6}\t{:.6}", pt.p, pt.mean, pt.stderr));
        }
        print_line(&text)
    }
}

fn run_study(a: StudyArgs, g: &Global) -> anyhow::Result<()> {
    use flatmin_host::experiments::deep_fig8::{DeepFig8, DeepStudyParams};
    let task = Task::from_name(&a.task)?;
    let arch = match &a.arch {
        Some(s) => net::parse_arch(s)?,
        None => task.default_arch(),
    };
    let params = DeepStudyParams {
        task: task.name().into(),
        arch: arch_string(&arch),
        ps: a.ps.clone(),
        networks: a.seeds,
        train: a.hyper.params(0)?,
        flip_ps: energy::parse_grid(&a.flip_ps)
            .map_err(|e| input_error(e.to_string().replace("--ps", "--flip-ps")))?,
        samples: a.samples,
    };
    let study = DeepFig8::new("deep-study", params, a.out.clone(), a.data.clone());
    study.validate()?;
    let out = super::study::run_study(g, &study, a.out.clone(), a.seed, a.force)?;
    if out.is_shard() {
        return print_line(&super::study::shard_line(&out, &a.out));
    }
    if g.json {
        return print_json(&out.meta.summary);
    }
    let s = &out.meta.summary;
    print_line("p      train_error  test_error  q        q_random  flipped")?;
    if let Some(rows) = s["per_p"].as_array() {
        for r in rows {
            print_line(&format!(
                "{:<6} {:<12.5} {:<11.4} {:<8} {:<9} {:.4}",
                r["p"].as_u64().unwrap_or(0),
                r["train_error"].as_f64().unwrap_or(f64::NAN),
                r["test_error"].as_f64().unwrap_or(f64::NAN),
                r["q"].as_f64().map_or("-".into(), |v| format!("{v:.4}")),
                r["q_random"]
                    .as_f64()
                    .map_or("-".into(), |v| format!("{v:.4}")),
                r["flipped"].as_f64().unwrap_or(f64::NAN),
            ))?;
        }
    }
    print_line(&format!(
        "algorithmic threshold P* (largest P up to which every network has zero train error): {}; wrote {} ({} points computed now)",
        s["p_star"],
        out.dir.display(),
        out.computed
    ))
}
