//! Charts as inline SVG strings, drawn with plotters. Pure functions of plain values; no file or network access.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Colours chosen to stay distinct in greyscale print as well.
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 95, 153),
    RGBColor(230, 133, 35),
    RGBColor(60, 150, 80),
    RGBColor(190, 50, 60),
    RGBColor(120, 90, 170),
    RGBColor(140, 100, 80),
    RGBColor(210, 110, 180),
    RGBColor(120, 120, 120),
];

/// One named series of values, one value per category.
pub struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<f64>,
}

const FONT: &str = "sans-serif";

/// Horizontal bars, one band per label, one bar per series within a band.
pub fn horizontal_bars(title: &str, x_label: &str, labels: &[String], series: &[Series<'_>]) -> String {
    marked_horizontal_bars(title, x_label, labels, series, None)
}

/// Horizontal bars with a mark per band: a vertical line across the band at `marks`' value (a limit such as a
/// threshold), in the legend by its name.
pub fn marked_horizontal_bars(
    title: &str,
    x_label: &str,
    labels: &[String],
    series: &[Series<'_>],
    marks: Option<&Series<'_>>,
) -> String {
    let rows = labels.len().max(1);
    let height = 70 + 26 * rows as u32 * series.len().max(1) as u32 / 2 + 40;
    svg((860, height.max(160)), |root| draw_horizontal_bars(root, (title, x_label), labels, series, marks))
}

/// The colour of a mark line.
const MARK: RGBColor = RGBColor(200, 30, 30);

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// Draws on an SVG canvas of `size` and returns the SVG. A chart that fails to draw (plotters reports only
/// layout errors) is left as far as it got rather than failing the report.
fn svg(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> Result<(), Box<dyn std::error::Error>>) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let _ = draw(&root);
        let _ = root.present();
    }
    clean_svg(svg)
}

fn draw_horizontal_bars(
    root: &Area<'_>,
    (title, x_label): (&str, &str),
    labels: &[String],
    series: &[Series<'_>],
    marks: Option<&Series<'_>>,
) -> Result<(), Box<dyn std::error::Error>> {
    root.fill(&WHITE)?;
    let max = series.iter().chain(marks).flat_map(|s| s.values.iter().copied()).fold(0.0_f64, f64::max);
    let x_max = if max > 0.0 { max * 1.08 } else { 1.0 };
    let n = labels.len().max(1) as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 18))
        .margin(10)
        .set_label_area_size(LabelAreaPosition::Left, 250)
        .set_label_area_size(LabelAreaPosition::Bottom, 40)
        .build_cartesian_2d(0.0..x_max, 0.0..n)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .disable_y_axis()
        .y_labels(0)
        .x_desc(x_label)
        .x_label_formatter(&|v| short_number(*v))
        .draw()?;
    let k = series.len().max(1) as f64;
    let band = 0.8 / k;
    for (s_index, s) in series.iter().enumerate() {
        let color = PALETTE[s_index % PALETTE.len()];
        chart
            // An unknown value (NaN) draws no bar, never a bar of 0.
            .draw_series(s.values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(i, v)| {
                // Category 0 at the top.
                let top = n - i as f64 - 0.1 - band * s_index as f64;
                Rectangle::new([(0.0, top - band), (*v, top)], color.filled())
            }))?
            .label(s.name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    if let Some(m) = marks {
        chart
            .draw_series(m.values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(i, v)| {
                let (top, bottom) = (n - i as f64 - 0.05, n - i as f64 - 0.95);
                PathElement::new(vec![(*v, bottom), (*v, top)], MARK.stroke_width(2))
            }))?
            .label(m.name)
            .legend(move |(x, y)| PathElement::new(vec![(x + 6, y - 6), (x + 6, y + 6)], MARK.stroke_width(2)));
    }
    for (i, label) in labels.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(0.0, n - i as f64 - 0.5));
        let style = TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
        root.draw(&Text::new(truncate(label, 34), (x - 8, y), style))?;
    }
    if series.len() + usize::from(marks.is_some()) > 1 {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()?;
    }
    Ok(())
}

/// Stacked columns, one per x label (e.g. a day), one segment per series.
pub fn stacked_columns(title: &str, y_label: &str, x_labels: &[String], series: &[Series<'_>]) -> String {
    svg((860, 340), |root| draw_stacked_columns(root, title, y_label, x_labels, series))
}

fn draw_stacked_columns(
    root: &Area<'_>,
    title: &str,
    y_label: &str,
    x_labels: &[String],
    series: &[Series<'_>],
) -> Result<(), Box<dyn std::error::Error>> {
    root.fill(&WHITE)?;
    let n = x_labels.len().max(1);
    let totals: Vec<f64> =
        (0..n).map(|i| series.iter().map(|s| s.values.get(i).copied().unwrap_or(0.0)).sum()).collect();
    let max = totals.iter().copied().fold(0.0_f64, f64::max);
    // Head room above the tallest column keeps the legend (a row per series) off the bars.
    let y_max = if max > 0.0 { max * (1.2 + 0.1 * series.len() as f64) } else { 1.0 };
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 18))
        .margin(10)
        .set_label_area_size(LabelAreaPosition::Left, 70)
        .set_label_area_size(LabelAreaPosition::Bottom, 40)
        .build_cartesian_2d(0.0..n as f64, 0.0..y_max)?;
    let labels = x_labels.to_vec();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .x_labels(8)
        .x_label_formatter(&move |v| labels.get(v.floor() as usize).cloned().unwrap_or_default())
        .y_desc(y_label)
        .y_label_formatter(&|v| short_number(*v))
        .draw()?;
    let mut base = vec![0.0; n];
    for (s_index, s) in series.iter().enumerate() {
        let color = PALETTE[s_index % PALETTE.len()];
        let bars: Vec<_> = (0..n)
            .map(|i| {
                let v = s.values.get(i).copied().unwrap_or(0.0);
                let r = Rectangle::new([(i as f64 + 0.1, base[i]), (i as f64 + 0.9, base[i] + v)], color.filled());
                base[i] += v;
                r
            })
            .collect();
        chart
            .draw_series(bars)?
            .label(s.name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .draw()?;
    Ok(())
}

/// Lines over runs (x: run labels), one per series; for the cost trend across nightly runs.
pub fn lines(title: &str, y_label: &str, x_labels: &[String], series: &[Series<'_>]) -> String {
    svg((860, 340), |root| draw_lines(root, title, y_label, x_labels, series))
}

fn draw_lines(
    root: &Area<'_>,
    title: &str,
    y_label: &str,
    x_labels: &[String],
    series: &[Series<'_>],
) -> Result<(), Box<dyn std::error::Error>> {
    root.fill(&WHITE)?;
    let n = x_labels.len().max(1);
    let max = series.iter().flat_map(|s| s.values.iter().copied()).fold(0.0_f64, f64::max);
    let y_max = if max > 0.0 { max * 1.3 } else { 1.0 };
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 18))
        .margin(10)
        .set_label_area_size(LabelAreaPosition::Left, 70)
        .set_label_area_size(LabelAreaPosition::Bottom, 40)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), 0.0..y_max)?;
    let labels = x_labels.to_vec();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .x_labels(n.min(10))
        .x_label_formatter(&move |v| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc(y_label)
        .y_label_formatter(&|v| short_number(*v))
        .draw()?;
    for (s_index, s) in series.iter().enumerate() {
        let color = PALETTE[s_index % PALETTE.len()];
        let points: Vec<(f64, f64)> = s.values.iter().enumerate().map(|(i, v)| (i as f64, *v)).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(s.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], color.stroke_width(2)));
        chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, color.filled())))?;
    }
    if series.len() > 1 {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()?;
    }
    Ok(())
}

fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max { s.to_string() } else { format!("{}…", s.chars().take(max - 1).collect::<String>()) }
}

/// Inline SVG in HTML needs no namespace declaration; dropping it keeps the report free of any URL.
fn clean_svg(svg: String) -> String {
    svg.replace(" xmlns=\"http://www.w3.org/2000/svg\"", "")
}
