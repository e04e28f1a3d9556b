//! Fig. 8 (DEEP §g.7): deep binary networks trained with BinaryNet-style SGD on real data. One point =
//! one (P, network) pair: [`crate::deep::study::train_point`] trains it on the first P examples, the
//! network is stored as `nets/p{P}-s{i}.npz` in the study directory (before its row is appended, so a
//! resumed run finds every network of a finished point), and its row holds the exact train/test
//! errors. `finish` reloads the networks and computes, per P, the train/test error mean ± std and the
//! mean pairwise overlap after matching hidden units (overall, per layer, unmatched, and the baseline
//! of random networks, and the fraction of signs training changed from each network's initialisation)
//! (`overlap_vs_p.csv`); the algorithmic threshold P* (the largest P of the grid up to which every
//! network has zero train error, [`crate::deep::study::algorithmic_threshold`], which says why this is
//! not the spec's "first zero-error P"); the local-energy profiles of those networks and, for
//! contrast, of the networks at the next P above it where they do not (`local_energy.csv`); and the
//! chart (overlap and train error against P, local energy against the flip probability).
//!
//! Shards share the study directory's `nets/` (a cluster's shared file system), so after
//! `flatmin merge` the unsharded rerun finds every network.

use crate::deep::data::{self, Split, Task, TaskData};
use crate::deep::energy::{local_energy, EnergyPoint};
use crate::deep::net::{arch_string, check_arch, BinaryNet, PackedData};
use crate::deep::study::{
    algorithmic_threshold, contrast_p, moved_from_init, p_summary, train_point, NetPoint, PSummary,
};
use crate::deep::train::TrainParams;
use crate::error::{Error, Result};
use crate::harness::plot::{Chart, Series, Style};
use crate::harness::runner::{Field, Outputs, Seeds, Study, Table};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Largest number of networks per P.
pub const MAX_NETWORKS: usize = 1000;
/// Largest number of P values.
pub const MAX_PS: usize = 1000;
/// Largest training-set size.
pub const MAX_P: usize = 1_000_000;
/// The sub-directory holding the networks.
pub const NETS_DIR: &str = "nets";
/// Salt of the local-energy noise seed (derived from the network's seed).
pub const NOISE_SALT: u64 = 0x10CA_1E4E_4650_0000;

/// Parameters of the Fig. 8 study (everything but the data location is here and in meta.json).
#[derive(Clone, Debug, Serialize)]
pub struct DeepStudyParams {
    /// Task name (`fashion-parity`, `mnist-parity`, `fashion`, `cifar10`, `cifar10-parity`).
    pub task: String,
    /// Architecture `n_0-…-n_L`.
    pub arch: String,
    /// Training-set sizes P, in grid order.
    pub ps: Vec<usize>,
    /// Networks per P (M).
    pub networks: usize,
    /// Training hyper-parameters (the `seed` field is replaced by each point's seed).
    pub train: TrainParams,
    /// Flip probabilities of the local-energy profiles.
    pub flip_ps: Vec<f64>,
    /// Noise realisations per flip probability (R).
    pub samples: usize,
}

type Loaded = Arc<(TaskData, PackedData)>;

/// The Fig. 8 study.
pub struct DeepFig8 {
    /// Experiment name (`figure-8`, or `deep-study`).
    pub name: String,
    /// Parameters.
    pub params: DeepStudyParams,
    /// The study directory (networks go to `dir/nets/`, also for shards).
    pub dir: PathBuf,
    /// Data directory (else `$FLATMIN_DATA`, else the standard locations).
    pub data_dir: Option<PathBuf>,
    data: Mutex<Option<Loaded>>,
}

impl std::fmt::Debug for DeepFig8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeepFig8")
            .field("name", &self.name)
            .field("params", &self.params)
            .field("dir", &self.dir)
            .finish()
    }
}

/// The default P grid of Fig. 8 (Fashion-MNIST parity).
pub const DEFAULT_PS: [usize; 7] = [250, 500, 1000, 2000, 3000, 4000, 6000];
/// Default networks per P.
pub const DEFAULT_NETWORKS: usize = 4;
/// Default noise realisations per flip probability.
pub const DEFAULT_SAMPLES: usize = 100;

/// The default flip-probability grid 0, 0.01, …, 0.30.
pub fn default_flip_ps() -> Vec<f64> {
    crate::deep::energy::parse_grid("0:0.3:31").unwrap_or_default()
}

impl DeepFig8 {
    /// A study writing into `dir`.
    pub fn new(
        name: impl Into<String>,
        params: DeepStudyParams,
        dir: impl Into<PathBuf>,
        data_dir: Option<PathBuf>,
    ) -> Self {
        DeepFig8 {
            name: name.into(),
            params,
            dir: dir.into(),
            data_dir,
            data: Mutex::new(None),
        }
    }

    fn task(&self) -> Result<Task> {
        Task::from_name(&self.params.task)
    }

    fn arch(&self) -> Result<Vec<usize>> {
        crate::deep::net::parse_arch(&self.params.arch)
    }

    /// Checks sizes and ranges (bad input → [`Error::Input`]).
    pub fn validate(&self) -> Result<()> {
        let p = &self.params;
        let task = self.task()?;
        let arch = self.arch()?;
        check_arch(&arch).map_err(Error::Input)?;
        if arch[0] != task.inputs() || arch[arch.len() - 1] != task.outputs() {
            return Err(Error::Input(format!(
                "--arch {}: task {} needs {} inputs and {} output(s)",
                p.arch,
                task.name(),
                task.inputs(),
                task.outputs()
            )));
        }
        if arch.len() < 3 {
            return Err(Error::Input(format!(
                "--arch {}: the study needs at least one hidden layer",
                p.arch
            )));
        }
        if p.ps.is_empty() || p.ps.len() > MAX_PS {
            return Err(Error::Input(format!("--ps: 1..={MAX_PS} values")));
        }
        if let Some(&bad) = p.ps.iter().find(|&&x| x == 0 || x > MAX_P) {
            return Err(Error::Input(format!("--ps: P = {bad} outside 1..={MAX_P}")));
        }
        let mut sorted = p.ps.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != p.ps.len() {
            return Err(Error::Input("--ps: repeated P".into()));
        }
        if p.networks < 2 || p.networks > MAX_NETWORKS {
            return Err(Error::Input(format!(
                "--seeds {}: need 2..={MAX_NETWORKS} networks per P (overlaps are between pairs)",
                p.networks
            )));
        }
        p.train.check()?;
        if p.samples == 0 || p.samples > crate::deep::energy::MAX_SAMPLES {
            return Err(Error::Input(format!(
                "--samples {} out of range 1..={}",
                p.samples,
                crate::deep::energy::MAX_SAMPLES
            )));
        }
        if p.flip_ps.is_empty() || p.flip_ps.iter().any(|x| !(0.0..=1.0).contains(x)) {
            return Err(Error::Input(
                "--flip-ps: need flip probabilities in [0, 1]".into(),
            ));
        }
        Ok(())
    }

    /// The training data (first max P examples) and the packed test set, loaded once.
    fn loaded(&self) -> Result<Loaded> {
        let mut g = self
            .data
            .lock()
            .map_err(|_| Error::Other("data cache poisoned".into()))?;
        if let Some(d) = g.as_ref() {
            return Ok(d.clone());
        }
        let task = self.task()?;
        let pmax = self.params.ps.iter().copied().max().unwrap_or(0);
        let train = data::load(task, Split::Train, Some(pmax), self.data_dir.as_deref())?;
        if train.len() < pmax {
            return Err(Error::Input(format!(
                "--ps: P = {pmax} but the {} training set has {} examples",
                task.name(),
                train.len()
            )));
        }
        let test = PackedData::new(&data::load(
            task,
            Split::Test,
            None,
            self.data_dir.as_deref(),
        )?)?;
        let d = Arc::new((train, test));
        *g = Some(d.clone());
        Ok(d)
    }

    /// Where the network of training-set size `p` and index `i` is stored.
    pub fn net_path(&self, p: usize, i: usize) -> PathBuf {
        self.dir.join(NETS_DIR).join(net_file(p, i))
    }
}

/// The file name of a network: `p{P}-s{i}.npz`.
pub fn net_file(p: usize, i: usize) -> String {
    format!("p{p}-s{i}.npz")
}

const COLUMNS: [&str; 9] = [
    "p",
    "network",
    "seed",
    "train_errors",
    "train_error",
    "test_error",
    "epochs",
    "seconds",
    "net_file",
];

impl Study for DeepFig8 {
    type Params = DeepStudyParams;
    type Point = (usize, usize);
    type Row = Vec<Field>;

    fn experiment(&self) -> String {
        self.name.clone()
    }
    fn params(&self) -> &DeepStudyParams {
        &self.params
    }
    fn columns(&self) -> Vec<String> {
        COLUMNS.iter().map(|s| s.to_string()).collect()
    }
    fn points(&self) -> Result<Vec<(usize, usize)>> {
        self.validate()?;
        // Load now: a missing data set is reported before any directory is made.
        self.loaded()?;
        Ok(self
            .params
            .ps
            .iter()
            .flat_map(|&p| (0..self.params.networks).map(move |i| (p, i)))
            .collect())
    }
    fn notes(&self) -> Vec<String> {
        vec![
            "network i at training-set size P: key \"P;i\", initialisation and mini-batch seed = the \
             point seed (column seed); trained on the first P training examples; stored as \
             nets/p{P}-s{i}.npz (int8 weights W0…, without latent weights)"
                .into(),
            "training defaults [REC] (docs of flatmin_host::deep::train): latent init \
             U(-0.01 clip, 0.01 clip) so that training decides the signs (the former U(-1,1) init \
             flipped only 3-5% of them and the overlaps measured the initialisations), straight-through \
             window relative to each unit's batch RMS, lr 20 -> 0.2 geometric, batch 32, 100 epochs; \
             flipped / flipped_layer_l in overlap_vs_p.csv: mean fraction of signs changed from each \
             network's own initialisation"
                .into(),
            "overlaps: mean over the M(M-1)/2 pairs after matching hidden units (permutation and sign \
             reversal, layer by layer, exact assignment); q_random: the same for random networks of \
             the same architecture"
                .into(),
            "local energy: at the algorithmic threshold P*, the largest P of the grid up to which \
             every network has zero train error at every grid P (role threshold; the spec's wording \
             'first zero-error P' would pick the trivially fitted smallest P), and at the smallest P above it where they \
             do not (role contrast; without P*, the smallest P of the grid); noise seed = network \
             seed XOR NOISE_SALT"
                .into(),
        ]
    }
    fn run_point(&self, point: &(usize, usize), seeds: Seeds) -> Result<Vec<Vec<Field>>> {
        let &(p, i) = point;
        let d = self.loaded()?;
        let arch = self.arch()?;
        let mut np = train_point(&arch, &d.0, &d.1, p, &self.params.train, seeds.point)?;
        np.net.latent = None;
        let dir = self.dir.join(NETS_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let path = self.net_path(p, i);
        np.net.save_npz(&path)?;
        Ok(vec![vec![
            Field::from(p),
            Field::from(i),
            Field::S(np.seed.to_string()),
            Field::from(np.train_errors),
            Field::F(np.train_error),
            Field::F(np.test_error),
            Field::from(self.params.train.epochs),
            Field::F(np.seconds),
            Field::S(format!("{NETS_DIR}/{}", net_file(p, i))),
        ]])
    }
    fn finish(&self, table: &Table, out: &mut Outputs<'_>) -> Result<Value> {
        let d = self.loaded()?;
        let ps = table.f64s("p")?;
        let idx = table.f64s("network")?;
        let seeds = table.strs("seed")?;
        let errs = table.f64s("train_errors")?;
        let tr = table.f64s("train_error")?;
        let te = table.f64s("test_error")?;
        let secs = table.f64s("seconds")?;
        let files = table.strs("net_file")?;
        let mut by_p: Vec<Vec<NetPoint>> = Vec::new();
        for &p in &self.params.ps {
            let rows: Vec<usize> = (0..ps.len()).filter(|&k| ps[k] as usize == p).collect();
            let pts = rows
                .par_iter()
                .map(|&k| {
                    let path = out.dir().join(files[k]);
                    let path = if path.exists() {
                        path
                    } else {
                        self.net_path(p, idx[k] as usize)
                    };
                    let net = BinaryNet::load_npz(&path)?;
                    let seed: u64 = seeds[k]
                        .parse()
                        .map_err(|_| Error::Other(format!("data.csv: bad seed {:?}", seeds[k])))?;
                    let (flipped, flipped_layers) = moved_from_init(
                        &net,
                        &TrainParams {
                            seed,
                            ..self.params.train.clone()
                        },
                    )?;
                    Ok(NetPoint {
                        p,
                        seed,
                        train_errors: errs[k] as u64,
                        train_error: tr[k],
                        test_error: te[k],
                        seconds: secs[k],
                        flipped,
                        flipped_layers,
                        net,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            by_p.push(pts);
        }
        let summaries: Vec<PSummary> = by_p
            .iter()
            .map(|v| p_summary(v))
            .collect::<Result<Vec<_>>>()?;
        let nl = self.arch()?.len() - 1;
        let mut header: Vec<String> = [
            "p",
            "networks",
            "train_error",
            "train_error_std",
            "test_error",
            "all_zero",
            "q",
            "q_std",
            "q_raw",
            "q_random",
            "flipped",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        header.extend((1..=nl).map(|l| format!("q_layer_{l}")));
        header.extend((1..=nl).map(|l| format!("flipped_layer_{l}")));
        let rows: Vec<Vec<Field>> = summaries
            .iter()
            .map(|s| {
                let mut r = vec![
                    Field::from(s.p),
                    Field::from(s.networks),
                    Field::F(s.train_error),
                    Field::F(s.train_error_std),
                    Field::F(s.test_error),
                    Field::B(s.all_zero),
                    s.q.into(),
                    s.q_std.into(),
                    s.q_raw.into(),
                    s.q_random.into(),
                    Field::F(s.flipped),
                ];
                for l in 0..nl {
                    r.push(s.q_layers.as_ref().map(|v| v[l]).into());
                }
                for l in 0..nl {
                    r.push(Field::F(s.flipped_layers[l]));
                }
                r
            })
            .collect();
        let hdr: Vec<&str> = header.iter().map(String::as_str).collect();
        out.csv("overlap_vs_p.csv", &hdr, &rows)?;

        // The algorithmic threshold: the largest P of the grid up to which every network has zero
        // train error; the contrast: the smallest P above it where they do not (without a
        // threshold, the smallest P of the grid where they do not).
        let grid = &self.params.ps;
        let star_pos = algorithmic_threshold(&summaries);
        let p_star = star_pos.map(|k| grid[k]);
        let contrast_pos = contrast_p(&summaries, star_pos);
        let mut roles: Vec<(&str, usize)> = Vec::new();
        if let Some(k) = star_pos {
            roles.push(("threshold", k));
        }
        if let Some(k) = contrast_pos {
            roles.push(("contrast", k));
        }
        let mut energy_rows: Vec<Vec<Field>> = Vec::new();
        let mut curves: Vec<(String, Vec<EnergyPoint>)> = Vec::new();
        for &(role, k) in &roles {
            let p = self.params.ps[k];
            let mut sub = d.0.clone();
            sub.truncate(p);
            let packed = PackedData::new(&sub)?;
            for x in &by_p[k] {
                let prof = local_energy(
                    &x.net,
                    &packed,
                    &self.params.flip_ps,
                    self.params.samples,
                    x.seed ^ NOISE_SALT,
                    || {},
                )?;
                for e in &prof {
                    energy_rows.push(vec![
                        Field::from(role),
                        Field::from(p),
                        Field::S(x.seed.to_string()),
                        Field::F(x.train_error),
                        Field::F(e.p),
                        Field::F(e.mean),
                        Field::F(e.stderr),
                    ]);
                }
                curves.push((format!("{role} P = {p}"), prof));
            }
        }
        out.csv(
            "local_energy.csv",
            &[
                "role",
                "p",
                "seed",
                "train_error",
                "flip_p",
                "delta_e",
                "delta_e_stderr",
            ],
            &energy_rows,
        )?;

        // Charts.
        let task = self.task()?;
        let xs = |f: &dyn Fn(&PSummary) -> Option<f64>| -> Vec<(f64, f64)> {
            summaries
                .iter()
                .filter_map(|s| f(s).map(|v| (s.p as f64, v)))
                .collect()
        };
        let mut qc = Chart::new(
            format!(
                "{} {}: overlap after matching",
                task.name(),
                arch_string(&self.arch()?)
            ),
            "training-set size P",
            "mean pairwise overlap q",
        );
        qc.y_range = Some((-0.05, 1.05));
        let qerr: Vec<f64> = summaries.iter().filter_map(|s| s.q_std).collect();
        qc =
            qc.with(Series::new("q (matched)", xs(&|s| s.q), Style::LineMarkers).with_errors(qerr));
        for l in 0..nl {
            qc = qc.with(Series::new(
                format!("q layer {}", l + 1),
                xs(&|s| s.q_layers.as_ref().map(|v| v[l])),
                Style::Dashed,
            ));
        }
        qc = qc
            .with(Series::new("q unmatched", xs(&|s| s.q_raw), Style::Markers))
            .with(Series::new(
                "random networks",
                xs(&|s| s.q_random),
                Style::Line,
            ));
        let ec = Chart::new(
            "train and test error",
            "training-set size P",
            "error fraction",
        )
        .with(
            Series::new(
                "train error",
                xs(&|s| Some(s.train_error)),
                Style::LineMarkers,
            )
            .with_errors(summaries.iter().map(|s| s.train_error_std).collect()),
        )
        .with(Series::new(
            "test error",
            xs(&|s| Some(s.test_error)),
            Style::LineMarkers,
        ));
        let mut lc = Chart::new(
            "local energy",
            "flip probability p",
            "δE / P (train-error increase)",
        );
        for (label, prof) in &curves {
            lc = lc.with(
                Series::new(
                    label.clone(),
                    prof.iter().map(|e| (e.p, e.mean)).collect(),
                    if label.starts_with("threshold") {
                        Style::Line
                    } else {
                        Style::Dashed
                    },
                )
                .with_errors(prof.iter().map(|e| e.stderr).collect()),
            );
        }
        out.plot(&format!("{}.svg", self.name), &[qc, ec, lc], 3)?;
        out.record(NETS_DIR);

        let at = |pos: Option<usize>| pos.map(|k| &summaries[k]);
        let mut summary = json!({
            "task": task.name(),
            "arch": self.params.arch,
            "p_star": p_star,
            "q_at_p_star": at(star_pos).and_then(|s| s.q),
            "q_layers_at_p_star": at(star_pos).and_then(|s| s.q_layers.clone()),
            "q_random": summaries.first().and_then(|s| s.q_random),
            "test_error_at_p_star": at(star_pos).map(|s| s.test_error),
            "p_contrast": contrast_pos.map(|k| self.params.ps[k]),
            "per_p": summaries,
        });
        if p_star.is_none() {
            summary["p_star_reason"] = json!(
                "already at the smallest P of the grid not every network has zero train error"
            );
            summary["q_at_p_star_reason"] = summary["p_star_reason"].clone();
            out.converge("p_star", Value::Null);
            out.converge(
                "p_star_reason",
                "already at the smallest P of the grid not every network has zero train error",
            );
        }
        if contrast_pos.is_none() {
            summary["p_contrast_reason"] = json!(
                "every network has zero train error at every P of the grid up to the largest"
            );
        }
        Ok(summary)
    }
}

/// Figure 8's default setup (Fashion-MNIST parity, 784-501-501-1, P ∈ {250, …, 6000}, M = 4, the
/// training defaults of [`crate::deep::train`] (100 epochs), R = 100, p = 0:0.3:31), or for `task`
/// with its default architecture. Quick: P ∈ {50, 2000}, M = 2, hidden widths 101, 40 epochs, batch
/// 32, learning rate 2 (→ the default final rate), R = 4, 7 flip probabilities.
pub fn figure8_params(task: Task, quick: bool) -> DeepStudyParams {
    let mut arch = task.default_arch();
    if quick {
        for w in arch.iter_mut().skip(1).rev().skip(1) {
            *w = 101;
        }
    }
    DeepStudyParams {
        task: task.name().to_string(),
        arch: arch_string(&arch),
        ps: if quick {
            vec![50, 2000]
        } else {
            DEFAULT_PS.to_vec()
        },
        networks: if quick { 2 } else { DEFAULT_NETWORKS },
        train: TrainParams {
            epochs: if quick {
                40
            } else {
                crate::deep::train::DEFAULT_EPOCHS
            },
            batch: if quick {
                32
            } else {
                crate::deep::train::DEFAULT_BATCH
            },
            lr: if quick {
                2.0
            } else {
                crate::deep::train::DEFAULT_LR
            },
            ..TrainParams::default()
        },
        flip_ps: if quick {
            crate::deep::energy::parse_grid("0:0.3:7").unwrap_or_default()
        } else {
            default_flip_ps()
        },
        samples: if quick { 4 } else { DEFAULT_SAMPLES },
    }
}

/// Figure 8 into `<out>/figure-8/`: the Fashion-MNIST setup unless `opts.task` names another task.
pub fn figure8(o: &super::FigureOpts<'_>) -> Result<super::FigureReport> {
    let task = match &o.task {
        Some(t) => Task::from_name(t)?,
        None => Task::FashionParity,
    };
    let study = DeepFig8::new("figure-8", figure8_params(task, o.quick), o.dir("8"), None);
    o.run("8", &study)
}
