//! Local-energy output (ALGORITHMS §f.1): the curve ⟨E⟩(p) of a reference written through the harness
//! as `data.csv` (columns p, error), `meta.json` and `local_energy.svg`.

use super::enumeration::LocalEnergy;
use crate::error::Result;
use crate::harness::plot::{Chart, Series, Style};
use crate::harness::{OneShotMeta, OneShotOpts, OutDir};
use std::path::{Path, PathBuf};

/// Writes `<parent>/local_energy/` (data.csv, meta.json, local_energy.svg) and returns its path.
/// `params` are recorded in meta.json (instance file, reference, seed, …). Nothing is left behind if
/// a write fails.
/// A different result flatmin wrote there is refused unless `force`.
pub fn write(
    parent: &Path,
    curve: &LocalEnergy,
    params: &[(&str, serde_json::Value)],
    force: bool,
) -> Result<PathBuf> {
    let dir = parent.join("local_energy");
    let mut meta = OneShotMeta::new("local_energy");
    for (k, v) in params {
        meta.param(k, v);
    }
    meta.param("exact", curve.exact)
        .param("samples", curve.samples);
    let opts = OneShotOpts {
        command_line: std::env::args().collect(),
        force,
        ..OneShotOpts::default()
    };
    let mut out = OutDir::create(&dir, meta, &opts)?;
    let rows: Vec<Vec<f64>> = curve
        .p
        .iter()
        .zip(&curve.error)
        .map(|(&p, &e)| vec![p, e])
        .collect();
    out.write_csv("data.csv", &["p", "error"], &rows)?;
    let label = if curve.exact {
        "exact (enumeration)".to_string()
    } else {
        format!("Monte Carlo, R = {}", curve.samples)
    };
    let style = if curve.exact {
        Style::Line
    } else {
        Style::LineMarkers
    };
    let chart =
        Chart::new("Local energy", "flip probability p", "training error").with(Series::new(
            label,
            curve
                .p
                .iter()
                .copied()
                .zip(curve.error.iter().copied())
                .collect(),
            style,
        ));
    out.plot("local_energy.svg", &[chart], 1)?;
    out.finish(serde_json::Value::Null)?;
    Ok(dir)
}

/// Figure `local-energy` (ALGORITHMS §f.1, the SM IV local-energy plot for the perceptron, exact):
/// a random instance at α = 0.5, κ = 0 (N = 25; 15 with `--quick`), exact local energy ⟨E⟩(p) around
/// a uniformly random solution (typical) and around a maximum-margin solution, both drawn by exact
/// enumeration, plus a Monte Carlo check (R = 1000) around the typical one.
/// Expected: both curves start at 0 and grow; the max-margin (flatter, wider-minimum) curve stays
/// below the typical one at small p.
pub fn figure(opts: &super::FigureOpts<'_>) -> Result<super::FigureReport> {
    use super::enumeration as en;
    use crate::harness::runner::{Field, FnStudy, Outputs, Table};
    use flatmin_core::bits::Spins;
    use serde_json::json;
    let (n, alpha) = (if opts.quick { 15 } else { 25 }, 0.5);
    let seed = opts.seed;
    let study = FnStudy {
        experiment: "figure-local-energy".into(),
        params: json!({"n": n, "alpha": alpha, "kappa": 0.0, "instance_seed": seed,
            "p_grid": [0.0, 0.5, 51], "mc_samples": 1000}),
        columns: vec!["curve", "p", "error", "reference", "reference_smin"],
        points: vec!["all"],
        notes: vec!["One unit of work: the instance, its typical and max-margin solutions by exact enumeration, the exact curves and the Monte Carlo check. reference_smin is the smallest stability of the reference (unnormalized).".into()],
        run: move |_: &&str, _| {
            let problem = super::solver::random_problem(n, alpha, 0.0, seed)?;
            let ps = en::p_grid(0.5, 51)?;
            let typical = en::random_solution(&problem, 0, seed)?
                .ok_or_else(|| crate::Error::Numerics("the instance has no solution".into()))?;
            let wt = Spins::new(n, &typical)?;
            let t = en::tables(&problem, &wt)?;
            // The largest smallest-stability reached by any configuration: the maximum margin.
            let stride = flatmin_core::enumerate::hist_smin_stride(n);
            let smax = (0..stride)
                .rev()
                .find(|&i| t.hist_smin.iter().skip(i).step_by(stride).any(|&c| c > 0))
                .map(|i| i as i32 - n as i32)
                .unwrap_or(0);
            let maxm = en::random_solution(&problem, smax, crate::harness::sample_seed(seed, 1))?
                .ok_or_else(|| crate::Error::Other("max-margin solution vanished".into()))?;
            let wm = Spins::new(n, &maxm)?;
            let typ = en::local_energy_exact(&problem, &wt, &ps)?;
            let mm = en::local_energy_exact(&problem, &wm, &ps)?;
            let mc_ps: Vec<f64> = ps.iter().copied().step_by(5).collect();
            let mc = en::local_energy_mc(&problem, &wt, &mc_ps, 1000, false, crate::harness::sample_seed(seed, 2))?;
            let (st, sm) = (crate::io::spins_to_string(&typical, n), crate::io::spins_to_string(&maxm, n));
            let mut rows = Vec::new();
            for (name, c, w, smin) in [("typical_exact", &typ, &st, 0), ("max_margin_exact", &mm, &sm, smax), ("typical_mc", &mc, &st, 0)] {
                for (&p, &e) in c.p.iter().zip(&c.error) {
                    rows.push(vec![Field::from(name), Field::F(p), Field::F(e), Field::from(w.as_str()), if name == "max_margin_exact" { Field::from(smin) } else { Field::None }]);
                }
            }
            Ok(rows)
        },
        finish: move |t: &Table, out: &mut Outputs<'_>| {
            let (curve, p, e) = (t.strs("curve")?, t.f64s("p")?, t.f64s("error")?);
            let smin = t.f64s("reference_smin")?;
            let pick = |name: &str| -> Vec<(f64, f64)> {
                (0..curve.len()).filter(|&i| curve[i] == name).map(|i| (p[i], e[i])).collect()
            };
            let smax = (0..curve.len()).find(|&i| curve[i] == "max_margin_exact").map_or(f64::NAN, |i| smin[i]);
            let (typ, mm, mc) = (pick("typical_exact"), pick("max_margin_exact"), pick("typical_mc"));
            let chart = Chart::new(
                format!("Local energy, N = {n}, α = {alpha}, exact enumeration"),
                "flip probability p",
                "training error ⟨E⟩(p)",
            )
            .with(Series::new("typical solution (exact)", typ.clone(), Style::Line))
            .with(Series::new(format!("max-margin solution, s_min = {smax} (exact)"), mm.clone(), Style::Dashed))
            .with(Series::new("typical solution (Monte Carlo, R = 1000)", mc, Style::Markers));
            out.plot("figure-local-energy.svg", &[chart], 1)?;
            let at = |c: &[(f64, f64)], i: usize| c.get(i).map(|x| x.1);
            Ok(json!({
                "n": n, "max_margin_smin": smax,
                "typical_error_at_p0.05": at(&typ, 5), "max_margin_error_at_p0.05": at(&mm, 5),
                "typical_error_at_p0.1": at(&typ, 10), "max_margin_error_at_p0.1": at(&mm, 10),
            }))
        },
    };
    opts.run("local-energy", &study)
}
