//! The reproduction report: `DIR/report.html` (one self-contained file, SVGs inline, no network) and
//! `DIR/report.md`, built from the `figure-*/` directories of `flatmin figure all --out DIR`: for each
//! figure its chart, what it shows, its parameters and run time, and one table of key numbers
//! flatmin computes (through the core's theory functions, at report time) next to the literature's.

use super::FIGURES;
use crate::error::{Error, Result};
use crate::harness::runner::Meta;
use flatmin_core::theory::committee::{self, Activation};
use flatmin_core::theory::franz_parisi::FpQuadratureFast;
use flatmin_core::theory::phases;
use flatmin_core::theory::rs::{self, Perceptron, RsQuadrature};
use flatmin_core::theory::sbp;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What [`write`] wrote.
#[derive(Clone, Debug, Serialize)]
pub struct Written {
    /// `DIR/report.html`.
    pub html: PathBuf,
    /// `DIR/report.md`.
    pub markdown: PathBuf,
    /// Figures found.
    pub figures: usize,
    /// The key-number table.
    pub key_numbers: Vec<KeyNumber>,
}

/// One key number: flatmin's value, the literature's, its source and the difference.
#[derive(Clone, Debug, Serialize)]
pub struct KeyNumber {
    /// What it is.
    pub name: String,
    /// flatmin's value (`null` with a reason when it could not be computed).
    pub flatmin: Option<f64>,
    /// Why `flatmin` is null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flatmin_reason: Option<String>,
    /// The literature's value, when there is one.
    pub literature: Option<f64>,
    /// Source of the literature value, or why there is none.
    pub source: String,
    /// flatmin − literature.
    pub difference: Option<f64>,
    /// How flatmin computed it.
    pub method: String,
}

fn key(
    name: &str,
    value: std::result::Result<f64, String>,
    lit: Option<f64>,
    source: &str,
    method: &str,
) -> KeyNumber {
    let (flatmin, reason) = match value {
        Ok(v) => (Some(v), None),
        Err(e) => (None, Some(e)),
    };
    KeyNumber {
        name: name.into(),
        flatmin,
        flatmin_reason: reason,
        literature: lit,
        source: source.into(),
        difference: flatmin.zip(lit).map(|(a, b)| a - b),
        method: method.into(),
    }
}

/// Computes the key numbers; `capacity` is the capacity figure's metadata, when present. With
/// `quick`, the phase-diagram thresholds (bisections over Franz–Parisi classifications, minutes in a
/// debug build) are skipped and reported as null with that reason.
pub fn key_numbers(capacity: Option<&Meta>, quick: bool) -> Vec<KeyNumber> {
    let rsq = RsQuadrature::new();
    let fpq = FpQuadratureFast::new();
    let s = |e: &dyn std::fmt::Display| e.to_string();
    let tol = 5e-4;
    let mut out = Vec::new();
    out.push(key(
        "α_c(κ = 0), perceptron capacity (RS entropy = 0)",
        rs::alpha_c(&rsq, 0.0).map_err(|e| s(&e)),
        Some(0.833),
        "Krauth & Mézard, J. Phys. France 50, 3057 (1989)",
        "flatmin_core::theory::rs::alpha_c",
    ));
    const SKIPPED: &str = "skipped in a --quick run (a bisection over Franz–Parisi phase \
                           classifications); run the full figures";
    let le = if quick {
        Err(SKIPPED.to_string())
    } else {
        phases::alpha_le(&fpq, Perceptron, 0.0, 0.70, 0.75, tol).map_err(|e| s(&e))
    };
    out.push(key(
        "α_LE, perceptron (max-margin FP curve turns non-monotonic)",
        le.as_ref().map(|t| t.value).map_err(|e| e.clone()),
        Some(0.77),
        "no printed value (stripped from the paper); compared with the large-deviation α_U ≈ 0.77 \
         of Baldassi et al., PRL 115, 128101 (2015), which α_LE should lie slightly below",
        "flatmin_core::theory::phases::alpha_le, bisection width 5e-4",
    ));
    out.push(key(
        "κ_max(α_LE), perceptron",
        match &le {
            Ok(t) => rs::kappa_max(&rsq, t.value).map_err(|e| s(&e)),
            Err(e) => Err(e.clone()),
        },
        None,
        "no literature value (stripped from the paper)",
        "flatmin_core::theory::rs::kappa_max at α_LE",
    ));
    out.push(key(
        "α_min, perceptron (max-margin reference gains an empty shell)",
        match &le {
            Ok(t) => phases::alpha_min(&fpq, Perceptron, 0.0, t.hi, 0.8, tol)
                .map(|t| t.value)
                .map_err(|e| s(&e)),
            Err(e) => Err(e.clone()),
        },
        None,
        "flatmin's own threshold; no literature value",
        "flatmin_core::theory::phases::alpha_min, bisection width 5e-4",
    ));
    for (act, name) in [(Activation::Sign, "sign"), (Activation::Relu, "ReLU")] {
        out.push(key(
            &format!("α_c(κ = 0), tree committee K → ∞, {name} (RS entropy = 0)"),
            committee::alpha_c(&rsq, act, 0.0).map_err(|e| s(&e)),
            None,
            "no literature value available to us for binary weights (the paper's are stripped)",
            "flatmin_core::theory::committee::alpha_c",
        ));
    }
    out.push(key(
        "α_1M(κ = 1), symmetric binary perceptron",
        sbp::alpha_1m(1.0).map_err(|e| format!("{e:?}")),
        Some(1.815_875_5),
        "Aubin, Perkins & Zdeborová, J. Phys. A 52, 294003 (2019): α_c = −ln 2 / ln erf(κ/√2) \
         (formula evaluated at κ = 1)",
        "flatmin_core::theory::sbp::alpha_1m",
    ));
    let fbp = capacity
        .and_then(|m| m.summary["half_success"]["alpha_50_fbp"].as_f64())
        .ok_or_else(|| {
            if capacity.is_some() {
                "the fBP success curve does not cross 50 % on the α grid".to_string()
            } else {
                "no figure-capacity in this directory".to_string()
            }
        });
    let n = capacity
        .and_then(|m| m.params["n"].as_u64())
        .map_or(String::new(), |n| format!(", N = {n}"));
    out.push(key(
        &format!("fBP 50 % point of the capacity curve (κ = 0{n})"),
        fbp,
        Some(0.745),
        "fBP solves up to α ≈ 0.74–0.75 at N ≈ 10³: Baldassi et al., PNAS 113, E7655 (2016) \
         (midpoint used)",
        "linear interpolation of the measured success fraction (figure-capacity/success.csv)",
    ));
    out
}

/// One figure found in the directory.
struct Found {
    name: &'static str,
    about: &'static str,
    dir: PathBuf,
    meta: Meta,
    svgs: Vec<(String, String)>,
}

fn strip_xml_decl(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn fmt(v: Option<f64>) -> String {
    v.map_or("—".into(), |x| format!("{x:.4}"))
}

/// Writes `dir/report.html` and `dir/report.md` from the `figure-*` directories in `dir`.
pub fn write(dir: &Path) -> Result<Written> {
    if !dir.is_dir() {
        return Err(Error::Input(format!(
            "{}: no such directory",
            dir.display()
        )));
    }
    let mut found = Vec::new();
    for f in FIGURES {
        let d = dir.join(format!("figure-{}", f.name));
        let Some(meta) = Meta::read(&d)? else {
            continue;
        };
        let mut svgs = Vec::new();
        for file in meta.files.iter().filter(|f| f.ends_with(".svg")) {
            let p = d.join(file);
            let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
            svgs.push((file.clone(), text));
        }
        found.push(Found {
            name: f.name,
            about: f.about,
            dir: d,
            meta,
            svgs,
        });
    }
    if found.is_empty() {
        return Err(Error::Input(format!(
            "{} holds no figure-*/meta.json; run `flatmin figure all --out {}` first",
            dir.display(),
            dir.display()
        )));
    }
    let capacity = found.iter().find(|f| f.name == "capacity").map(|f| &f.meta);
    let total: f64 = found.iter().map(|f| f.meta.seconds).sum();
    let quick = found.iter().any(|f| f.meta.quick);
    let keys = key_numbers(capacity, quick);

    // Markdown.
    let mut md = String::new();
    let _ = writeln!(md, "# flatmin reproduction report\n");
    let _ = writeln!(
        md,
        "flatmin {}; {} figures; {:.1} s of computation in total{}.\n",
        crate::harness::VERSION,
        found.len(),
        total,
        if quick {
            "; **--quick smoke run, not for publication**"
        } else {
            ""
        }
    );
    let _ = writeln!(md, "## Key numbers\n");
    let _ = writeln!(
        md,
        "| quantity | flatmin | literature | difference | source | method |\n|---|---|---|---|---|---|"
    );
    for k in &keys {
        let v = match (&k.flatmin, &k.flatmin_reason) {
            (Some(v), _) => format!("{v:.4}"),
            (None, Some(r)) => format!("— ({r})"),
            (None, None) => "—".into(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | `{}` |",
            k.name,
            v,
            fmt(k.literature),
            k.difference.map_or("—".into(), |d| format!("{d:+.4}")),
            k.source,
            k.method
        );
    }
    for f in &found {
        let rel = f
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = writeln!(md, "\n## Figure {}\n\n{}\n", f.name, f.about);
        for (svg, _) in &f.svgs {
            let _ = writeln!(md, "![figure {}]({rel}/{svg})\n", f.name);
        }
        let _ = writeln!(
            md,
            "Run time {:.1} s; started {}; finished {}; {}.\n",
            f.meta.seconds,
            f.meta.started,
            f.meta.finished.as_deref().unwrap_or("not finished"),
            if f.meta.quick {
                "quick"
            } else {
                "full fidelity"
            }
        );
        let _ = writeln!(
            md,
            "Parameters:\n\n```json\n{}\n```",
            serde_json::to_string_pretty(&f.meta.params).unwrap_or_default()
        );
        for n in &f.meta.notes {
            let _ = writeln!(md, "\n> {n}");
        }
    }
    let markdown = dir.join("report.md");
    crate::io::write_atomic(&markdown, md.as_bytes())?;

    // HTML.
    let mut h = String::new();
    h.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>flatmin reproduction report</title>\n<style>\
         body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
         table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:4px 6px;\
         vertical-align:top}pre{background:#f6f6f6;padding:.5em;overflow:auto;font-size:85%}\
         svg{max-width:100%;height:auto}.warn{color:#a00}</style></head><body>\n",
    );
    let _ = writeln!(
        h,
        "<h1>flatmin reproduction report</h1><p>flatmin {}; {} figures; {:.1} s of computation in \
         total{}.</p>",
        crate::harness::VERSION,
        found.len(),
        total,
        if quick {
            " <span class=\"warn\">(--quick smoke run, not for publication)</span>"
        } else {
            ""
        }
    );
    h.push_str(
        "<h2>Key numbers</h2><table><tr><th>quantity</th><th>flatmin</th><th>literature</th>\
         <th>difference</th><th>source</th><th>method</th></tr>\n",
    );
    for k in &keys {
        let v = match (&k.flatmin, &k.flatmin_reason) {
            (Some(v), _) => format!("{v:.4}"),
            (None, Some(r)) => format!("— ({})", esc(r)),
            (None, None) => "—".into(),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{v}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(&k.name),
            fmt(k.literature),
            k.difference.map_or("—".into(), |d| format!("{d:+.4}")),
            esc(&k.source),
            esc(&k.method)
        );
    }
    h.push_str("</table>\n");
    for f in &found {
        let _ = writeln!(h, "<h2>Figure {}</h2><p>{}</p>", esc(f.name), esc(f.about));
        for (_, svg) in &f.svgs {
            h.push_str(strip_xml_decl(svg));
            h.push('\n');
        }
        let _ =
            writeln!(
            h,
            "<p>Run time {:.1} s; started {}; finished {}; {}.</p><details><summary>parameters \
             and notes</summary><pre>{}</pre>",
            f.meta.seconds,
            esc(&f.meta.started),
            esc(f.meta.finished.as_deref().unwrap_or("not finished")),
            if f.meta.quick { "quick" } else { "full fidelity" },
            esc(&serde_json::to_string_pretty(&f.meta.params).unwrap_or_default())
        );
        for n in &f.meta.notes {
            let _ = writeln!(h, "<p>{}</p>", esc(n));
        }
        h.push_str("</details>\n");
    }
    h.push_str("</body></html>\n");
    let html = dir.join("report.html");
    crate::io::write_atomic(&html, h.as_bytes())?;
    Ok(Written {
        html,
        markdown,
        figures: found.len(),
        key_numbers: keys,
    })
}
