//! Local-energy output (ALGORITHMS §f.1): the curve ⟨E⟩(p) of a reference written through the harness
//! as `data.csv` (columns p, error), `meta.json` and `local_energy.svg`.

use super::enumeration::LocalEnergy;
use crate::error::Result;
use crate::harness::plot::{Chart, Series, Style};
use crate::harness::{Meta, OutDir};
use std::path::{Path, PathBuf};

/// Writes `<parent>/local_energy/` (data.csv, meta.json, local_energy.svg) and returns its path.
/// `params` are recorded in meta.json (instance file, reference, seed, …). Nothing is left behind if
/// a write fails.
pub fn write(parent: &Path, curve: &LocalEnergy, params: &[(&str, serde_json::Value)]) -> Result<PathBuf> {
    let mut meta = Meta::new("local_energy");
    for (k, v) in params {
        meta.param(k, v);
    }
    meta.param("exact", curve.exact).param("samples", curve.samples);
    let mut out = OutDir::create(parent, "local_energy", meta)?;
    let rows: Vec<Vec<f64>> = curve.p.iter().zip(&curve.error).map(|(&p, &e)| vec![p, e]).collect();
    out.write_csv("data.csv", &["p", "error"], &rows)?;
    let label = if curve.exact { "exact (enumeration)".to_string() } else { format!("Monte Carlo, R = {}", curve.samples) };
    let style = if curve.exact { Style::Line } else { Style::LineMarkers };
    let chart = Chart::new("Local energy", "flip probability p", "training error")
        .with(Series::new(label, curve.p.iter().copied().zip(curve.error.iter().copied()).collect(), style));
    out.plot("local_energy.svg", &[chart], 1)?;
    out.finish()
}
