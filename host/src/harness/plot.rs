//! SVG line plots through `plotters` (SVG backend only: no system fonts needed).
//!
//! A figure is a grid of [`Chart`]s; each chart holds [`Series`] of (x, y) points drawn as lines,
//! dashed lines or markers, with optional symmetric error bars. Logarithmic x axes are drawn by
//! plotting log₁₀ x and saying so in the axis label, which keeps the rendering code simple and exact.

use crate::error::{Error, Result};
use plotters::prelude::*;
use std::path::Path;

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A solid line.
    Line,
    /// A dashed line (reference curves such as H₂(d)).
    Dashed,
    /// Markers only (measured points).
    Markers,
    /// Line with markers.
    LineMarkers,
}

/// One curve.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points (x, y); non-finite points are skipped (they break the line).
    pub points: Vec<(f64, f64)>,
    /// Symmetric error bars (same length as `points`), if any.
    pub errors: Option<Vec<f64>>,
    /// Drawing style.
    pub style: Style,
}

impl Series {
    /// A series from points.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>, style: Style) -> Self {
        Series {
            label: label.into(),
            points,
            errors: None,
            style,
        }
    }
    /// Adds error bars.
    pub fn with_errors(mut self, errors: Vec<f64>) -> Self {
        self.errors = Some(errors);
        self
    }
}

/// One panel.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    /// Title above the panel.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Curves.
    pub series: Vec<Series>,
    /// Plot log₁₀ x instead of x (non-positive x are skipped).
    pub x_log: bool,
    /// Fixed x range (in data units, before the log).
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range.
    pub y_range: Option<(f64, f64)>,
    /// Horizontal reference lines (e.g. y = 0).
    pub hlines: Vec<f64>,
}

impl Chart {
    /// A chart with title and axis labels.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Chart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Default::default()
        }
    }
    /// Adds a series.
    pub fn with(mut self, s: Series) -> Self {
        self.series.push(s);
        self
    }
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

fn tx(chart: &Chart, x: f64) -> Option<f64> {
    if chart.x_log {
        (x > 0.0).then(|| x.log10())
    } else {
        Some(x)
    }
}

fn bounds(chart: &Chart) -> ((f64, f64), (f64, f64)) {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for s in &chart.series {
        for (k, &(x, y)) in s.points.iter().enumerate() {
            let (Some(x), true) = (tx(chart, x), y.is_finite()) else {
                continue;
            };
            if !x.is_finite() {
                continue;
            }
            let e = s
                .errors
                .as_ref()
                .and_then(|e| e.get(k))
                .copied()
                .filter(|e| e.is_finite())
                .unwrap_or(0.0);
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y - e);
            y1 = y1.max(y + e);
        }
    }
    for &h in &chart.hlines {
        y0 = y0.min(h);
        y1 = y1.max(h);
    }
    if let Some((a, b)) = chart.x_range {
        if let (Some(a), Some(b)) = (tx(chart, a), tx(chart, b)) {
            (x0, x1) = (a, b);
        }
    }
    if let Some(r) = chart.y_range {
        (y0, y1) = r;
    }
    if !(x0.is_finite() && x1.is_finite()) {
        (x0, x1) = (0.0, 1.0);
    }
    if !(y0.is_finite() && y1.is_finite()) {
        (y0, y1) = (0.0, 1.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 <= y0 {
        y1 = y0 + 1.0;
    }
    let pad = 0.04 * (y1 - y0);
    (
        (x0, x1),
        (
            y0 - if chart.y_range.is_some() { 0.0 } else { pad },
            y1 + if chart.y_range.is_some() { 0.0 } else { pad },
        ),
    )
}

fn draw_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &Chart,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| Error::Other(format!("plot: {err:?}"));
    let ((x0, x1), (y0, y1)) = bounds(chart);
    let x_label = if chart.x_log {
        format!("log10 {}", chart.x_label)
    } else {
        chart.x_label.clone()
    };
    let mut cc = ChartBuilder::on(area)
        .caption(&chart.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(e)?;
    cc.configure_mesh()
        .x_desc(x_label)
        .y_desc(chart.y_label.clone())
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(e)?;
    for &h in &chart.hlines {
        cc.draw_series(LineSeries::new([(x0, h), (x1, h)], BLACK.mix(0.4)))
            .map_err(e)?;
    }
    for (k, s) in chart.series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter_map(|&(x, y)| {
                tx(chart, x)
                    .filter(|x| x.is_finite() && y.is_finite())
                    .map(|x| (x, y))
            })
            .collect();
        let style = ShapeStyle::from(&color).stroke_width(2);
        let anno = match s.style {
            Style::Line | Style::LineMarkers => cc
                .draw_series(LineSeries::new(pts.clone(), style))
                .map_err(e)?,
            Style::Dashed => cc
                .draw_series(DashedLineSeries::new(pts.clone(), 6, 4, style))
                .map_err(e)?,
            Style::Markers => cc
                .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(e)?,
        };
        if !s.label.is_empty() {
            anno.label(s.label.clone()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        }
        if s.style == Style::LineMarkers {
            cc.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(e)?;
        }
        if let Some(errs) = &s.errors {
            let bars = s.points.iter().zip(errs).filter_map(|(&(x, y), &err)| {
                let x = tx(chart, x)?;
                (x.is_finite() && y.is_finite() && err.is_finite()).then(|| {
                    PathElement::new(vec![(x, y - err), (x, y + err)], color.stroke_width(1))
                })
            });
            cc.draw_series(bars).map_err(e)?;
        }
    }
    if chart.series.iter().any(|s| !s.label.is_empty()) {
        cc.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(e)?;
    }
    Ok(())
}

/// Renders `charts` on a grid with `columns` columns into an SVG file.
pub fn write_svg(path: &Path, charts: &[Chart], columns: usize) -> Result<()> {
    if charts.is_empty() {
        return Err(Error::Other("plot: no charts".into()));
    }
    let columns = columns.clamp(1, charts.len());
    let rows = charts.len().div_ceil(columns);
    let size = (520 * columns as u32, 400 * rows as u32);
    {
        let root = SVGBackend::new(path, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| Error::Other(format!("plot: {e:?}")))?;
        let areas = root.split_evenly((rows, columns));
        for (area, chart) in areas.iter().zip(charts) {
            draw_chart(area, chart)?;
        }
        root.present()
            .map_err(|e| Error::Other(format!("plot {}: {e:?}", path.display())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_svg_with_log_axis_and_error_bars() {
        let dir = std::env::temp_dir().join(format!("flatmin-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.svg");
        let pts: Vec<(f64, f64)> = (1..50)
            .map(|k| (k as f64 * 0.01, (k as f64).sqrt()))
            .collect();
        let c = Chart::new("test", "d", "S")
            .with(Series::new("a", pts.clone(), Style::Line))
            .with(Series::new("b", pts.clone(), Style::Markers).with_errors(vec![0.1; pts.len()]));
        let mut c2 = c.clone();
        c2.x_log = true;
        c2.hlines.push(0.0);
        write_svg(&path, &[c, c2], 2).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<polyline") && svg.contains("log10 d"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
