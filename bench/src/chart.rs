//! SVG bar charts of the bench's tables: one group per table row (a
//! scenario), one horizontal bar per implementation, the value and the
//! ratios written at the bar's end, a legend and an axis with its unit.
//!
//! Plain SVG text rather than a plotting crate: the charts are a few dozen
//! rects and texts, and what matters (a white background so they read on
//! GitHub's dark theme too, labels taken verbatim from the tables, each
//! scenario on its own axis when their scales differ by orders of
//! magnitude) is layout a plotting crate would still leave to us, while
//! it would add a dependency tree (fonts, image backends) to a package
//! that already builds jsonrpsee. Text widths are estimated (no font
//! metrics), with room to spare.

use std::fmt::Write as _;

/// What a bar's colour says about the implementation it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Our toolkit as shipped.
    Ours,
    /// Our toolkit with something added (layers, a different setting).
    OursVariant,
    /// The implementation we compare with (jsonrpsee).
    Theirs,
    /// What no implementation can beat: the raw server, the floor.
    Limit,
    /// Anything else, coloured by its place among the others.
    Other,
}

/// Whether a group's figure is better high (rates) or low (costs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Better {
    Higher,
    Lower,
}

/// How groups share the value axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    /// One axis for every group when they have one unit and their largest
    /// values are within [`SHARED_WITHIN`] of each other; else per group.
    Auto,
    /// One axis for every group (they must share a unit to make sense).
    Shared,
}

/// Largest-value ratio up to which `Scale::Auto` keeps one axis: beyond
/// it the smallest group's bars would be slivers.
const SHARED_WITHIN: f64 = 3.0;

struct Series {
    name: String,
    role: Role,
}

struct Bar {
    series: usize,
    value: Option<f64>,
    label: String,
}

struct Group {
    label: String,
    unit: String,
    better: Better,
    bars: Vec<Bar>,
}

/// A chart under construction; [`Chart::to_svg`] renders it.
pub(crate) struct Chart {
    title: String,
    subtitle: String,
    note: String,
    scale: Scale,
    series: Vec<Series>,
    groups: Vec<Group>,
}

const WIDTH: f64 = 960.0;
const MARGIN: f64 = 20.0;
const ROW: f64 = 22.0;
const BAR: f64 = 16.0;
const FONT: &str = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const INK: &str = "#111827";
const MUTED: &str = "#4b5563";
const GRID: &str = "#e5e7eb";
const AXIS: &str = "#9ca3af";
/// Colours of `Role::Other` series, in order; then they repeat.
const OTHERS: [&str; 8] = [
    "#2563eb", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#db2777", "#ca8a04", "#4b5563",
];

impl Chart {
    pub(crate) fn new(title: &str, subtitle: &str) -> Self {
        Self {
            title: title.to_owned(),
            subtitle: subtitle.to_owned(),
            note: String::new(),
            scale: Scale::Auto,
            series: Vec::new(),
            groups: Vec::new(),
        }
    }

    pub(crate) fn scale(mut self, scale: Scale) -> Self {
        self.scale = scale;
        self
    }

    /// A line in small print under the chart (date, machine, command).
    pub(crate) fn set_note(&mut self, note: &str) {
        self.note = note.to_owned();
    }

    /// Declares a series (legend entry) ahead of its bars, so its colour
    /// follows its role; series first met in [`Chart::bar`] are `Other`.
    pub(crate) fn series(&mut self, name: &str, role: Role) -> &mut Self {
        if !self.series.iter().any(|s| s.name == name) {
            self.series.push(Series {
                name: name.to_owned(),
                role,
            });
        }
        self
    }

    /// Starts a group: the bars added next belong to it.
    pub(crate) fn group(&mut self, label: &str, unit: &str, better: Better) -> &mut Self {
        self.groups.push(Group {
            label: label.to_owned(),
            unit: unit.to_owned(),
            better,
            bars: Vec::new(),
        });
        self
    }

    /// A bar of `series` in the current group; `None` draws no bar, only
    /// the label (say "FAILED"). A bar before any group starts one with
    /// no label.
    pub(crate) fn bar(&mut self, series: &str, value: Option<f64>, label: &str) -> &mut Self {
        let index = match self.series.iter().position(|s| s.name == series) {
            Some(i) => i,
            None => {
                self.series(series, Role::Other);
                self.series.len() - 1
            }
        };
        if self.groups.is_empty() {
            self.group("", "", Better::Higher);
        }
        let value = value.filter(|v| v.is_finite() && *v >= 0.0);
        if let Some(group) = self.groups.last_mut() {
            group.bars.push(Bar {
                series: index,
                value,
                label: label.to_owned(),
            });
        }
        self
    }

    fn colour(&self, series: usize) -> &'static str {
        let others = self.series[..series]
            .iter()
            .filter(|s| s.role == Role::Other)
            .count();
        match self.series[series].role {
            Role::Ours => "#2563eb",
            Role::OursVariant => "#93c5fd",
            Role::Theirs => "#ea580c",
            Role::Limit => "#9ca3af",
            Role::Other => OTHERS[others % OTHERS.len()],
        }
    }

    /// Each group's axis maximum (a nice round number).
    fn domains(&self) -> Vec<f64> {
        let maxima: Vec<f64> = self
            .groups
            .iter()
            .map(|g| g.bars.iter().filter_map(|b| b.value).fold(0.0, f64::max))
            .collect();
        let one_unit = self.groups.windows(2).all(|w| w[0].unit == w[1].unit);
        let (lo, hi) = maxima
            .iter()
            .filter(|m| **m > 0.0)
            .fold((f64::INFINITY, 0.0_f64), |(lo, hi), &m| {
                (lo.min(m), hi.max(m))
            });
        let shared = match self.scale {
            Scale::Shared => true,
            Scale::Auto => one_unit && (hi == 0.0 || hi / lo <= SHARED_WITHIN),
        };
        if shared {
            vec![axis_max(hi); maxima.len()]
        } else {
            maxima.into_iter().map(axis_max).collect()
        }
    }

    /// The chart as a standalone SVG document.
    pub(crate) fn to_svg(&self) -> String {
        let mut body = String::new();
        let mut y = MARGIN + 18.0;
        text(&mut body, MARGIN, y, 18.0, "start", INK, true, &self.title);
        let domains = self.domains();
        let per_group = domains.windows(2).any(|w| w[0] != w[1]);
        let mut subtitle = self.subtitle.clone();
        if per_group {
            if !subtitle.is_empty() {
                subtitle.push_str(" · ");
            }
            subtitle.push_str("each group on its own scale");
        }
        if !subtitle.is_empty() {
            y += 20.0;
            text(&mut body, MARGIN, y, 12.0, "start", MUTED, false, &subtitle);
        }

        // The legend, wrapped to the width.
        y += 24.0;
        let mut x = MARGIN;
        for (i, series) in self.series.iter().enumerate() {
            let w = 16.0 + text_width(&series.name, 12.0) + 20.0;
            if x > MARGIN && x + w > WIDTH - MARGIN {
                x = MARGIN;
                y += 18.0;
            }
            let _ = writeln!(
                body,
                r#"<rect x="{x:.1}" y="{:.1}" width="12" height="12" rx="2" fill="{}"/>"#,
                y - 10.0,
                self.colour(i)
            );
            text(
                &mut body,
                x + 16.0,
                y,
                12.0,
                "start",
                INK,
                false,
                &series.name,
            );
            x += w;
        }

        let bars = self.groups.iter().flat_map(|g| &g.bars);
        let names = bars
            .clone()
            .map(|b| text_width(&self.series[b.series].name, 12.0));
        let label_column = names.fold(60.0, f64::max) + 12.0;
        let x0 = MARGIN + label_column;
        // Room right of the plot for the longest bar's label and the unit.
        let units = self.groups.iter().map(|g| text_width(&g.unit, 11.0) + 30.0);
        let reserve = bars
            .map(|b| text_width(&b.label, 12.0) + 10.0)
            .chain(units)
            .fold(50.0, f64::max);
        let plot = (WIDTH - MARGIN - x0 - reserve).max(160.0);

        y += 10.0;
        for (group, &domain) in self.groups.iter().zip(&domains) {
            y += 26.0;
            let better = match group.better {
                Better::Higher => "higher is better",
                Better::Lower => "lower is better",
            };
            let _ = writeln!(
                body,
                r#"<text x="{MARGIN:.1}" y="{y:.1}" font-size="13" fill="{INK}"><tspan font-weight="bold">{}</tspan><tspan dx="8" fill="{MUTED}" font-size="12">{}</tspan></text>"#,
                escape(&plain(&group.label)),
                escape(&plain(&join(&group.unit, better))),
            );
            y += 8.0;
            let ticks = ticks(domain);
            let height = group.bars.len() as f64 * ROW;
            for &t in &ticks {
                let tx = x0 + t / domain * plot;
                let _ = writeln!(
                    body,
                    r#"<line x1="{tx:.1}" y1="{y:.1}" x2="{tx:.1}" y2="{:.1}" stroke="{GRID}"/>"#,
                    y + height
                );
            }
            for bar in &group.bars {
                let top = y + (ROW - BAR) / 2.0;
                let baseline = top + BAR - 4.0;
                let name = &self.series[bar.series].name;
                text(&mut body, x0 - 8.0, baseline, 12.0, "end", INK, false, name);
                let length = bar.value.map_or(0.0, |v| bar_length(v, domain, plot));
                if bar.value.is_some() {
                    let _ = writeln!(
                        body,
                        r#"<rect class="bar" x="{x0:.1}" y="{top:.1}" width="{length:.2}" height="{BAR:.1}" fill="{}"/>"#,
                        self.colour(bar.series)
                    );
                }
                text(
                    &mut body,
                    x0 + length + 6.0,
                    baseline,
                    12.0,
                    "start",
                    INK,
                    false,
                    &bar.label,
                );
                y += ROW;
            }
            let _ = writeln!(
                body,
                r#"<line x1="{x0:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{AXIS}"/>"#,
                x0 + plot
            );
            for &t in &ticks {
                let tx = x0 + t / domain * plot;
                text(
                    &mut body,
                    tx,
                    y + 14.0,
                    11.0,
                    "middle",
                    MUTED,
                    false,
                    &compact(t),
                );
            }
            // Past the last tick's label, which is centred on the end.
            let last = ticks.last().map_or(0.0, |t| text_width(&compact(*t), 11.0));
            let unit_x = x0 + plot + last / 2.0 + 8.0;
            text(
                &mut body,
                unit_x,
                y + 14.0,
                11.0,
                "start",
                MUTED,
                false,
                &group.unit,
            );
            y += 16.0;
        }
        if !self.note.is_empty() {
            y += 24.0;
            text(
                &mut body, MARGIN, y, 11.0, "start", MUTED, false, &self.note,
            );
        }
        let height = (y + MARGIN).ceil();
        let title = escape(&plain(&self.title));
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
             viewBox=\"0 0 {WIDTH} {height}\" font-family=\"{FONT}\" role=\"img\" \
             aria-label=\"{title}\">\n<title>{title}</title>\n\
             <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n{body}</svg>\n"
        )
    }
}

fn join(unit: &str, better: &str) -> String {
    if unit.is_empty() {
        better.to_owned()
    } else {
        format!("{unit}, {better}")
    }
}

/// Length of a bar of `value` on an axis from 0 to `domain` drawn `plot`
/// pixels wide; a value above 0 gets at least a pixel, so it shows.
fn bar_length(value: f64, domain: f64, plot: f64) -> f64 {
    let length = value / domain * plot;
    if value > 0.0 {
        length.max(1.0)
    } else {
        0.0
    }
}

/// The smallest nice number (1, 2 or 5 × 10ⁿ steps) at or above `max`; 1
/// for nothing to show.
fn axis_max(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let step = step(max);
    (max / step).ceil() * step
}

/// The tick spacing for an axis up to `max`: about 5 ticks.
fn step(max: f64) -> f64 {
    let raw = max / 5.0;
    let magnitude = 10_f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// The ticks from 0 to `domain` (an [`axis_max`]) inclusive: the finest
/// 1, 2, 5 × 10ⁿ step that divides it into at most 6 parts.
fn ticks(domain: f64) -> Vec<f64> {
    let magnitude = 10_f64.powf((domain / 10.0).log10().floor());
    let parts = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
        .into_iter()
        .map(|m| domain / (m * magnitude))
        .find(|n| *n <= 6.0 + 1e-9 && (n - n.round()).abs() < 1e-6)
        .map_or(1, |n| n.round() as usize);
    (0..=parts)
        .map(|i| domain * i as f64 / parts as f64)
        .collect()
}

/// A tick label: 1.5M, 250k, 0.5.
fn compact(value: f64) -> String {
    let (scaled, suffix) = if value >= 1e6 {
        (value / 1e6, "M")
    } else if value >= 1e3 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let digits = format!("{scaled:.2}");
    let digits = digits.trim_end_matches('0').trim_end_matches('.');
    format!("{digits}{suffix}")
}

/// The table's markdown made plain: no code ticks or bold marks.
fn plain(s: &str) -> String {
    s.replace('`', "").replace("**", "")
}

/// `s` safe inside SVG text and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A rough width in pixels of `s` at `size` in a sans-serif font: wide
/// enough for digits and most lower case, which is what the labels are.
fn text_width(s: &str, size: f64) -> f64 {
    plain(s).chars().count() as f64 * size * 0.6
}

#[allow(clippy::too_many_arguments)]
fn text(
    out: &mut String,
    x: f64,
    y: f64,
    size: f64,
    anchor: &str,
    fill: &str,
    bold: bool,
    s: &str,
) {
    let weight = if bold { r#" font-weight="bold""# } else { "" };
    let _ = writeln!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{weight}>{}</text>"#,
        escape(&plain(s))
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks that `svg` is well-formed XML as far as this module writes
    /// it (elements, attributes, text, one declaration): every tag closed
    /// in order, attributes quoted, `&` only in the five entities, one
    /// root `svg`. Returns the element names in document order.
    fn well_formed(svg: &str) -> Result<Vec<String>, String> {
        let svg = svg
            .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            .ok_or("no XML declaration")?;
        let mut stack: Vec<String> = Vec::new();
        let mut names = Vec::new();
        let mut roots = 0;
        let mut rest = svg;
        let entities = |text: &str| -> Result<(), String> {
            for (at, _) in text.match_indices('&') {
                let tail = &text[at..];
                if !["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|e| tail.starts_with(e))
                {
                    return Err(format!("a bare & in {text:?}"));
                }
            }
            if text.contains('<') {
                return Err(format!("a bare < in {text:?}"));
            }
            Ok(())
        };
        while let Some(open) = rest.find('<') {
            entities(&rest[..open])?;
            if stack.is_empty() && !rest[..open].trim().is_empty() {
                return Err("text outside the root".into());
            }
            let close = rest[open..].find('>').ok_or("an unclosed tag")? + open;
            let tag = &rest[open + 1..close];
            rest = &rest[close + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let top = stack.pop().ok_or("a close tag with nothing open")?;
                if top != name.trim() {
                    return Err(format!("</{name}> closes <{top}>"));
                }
                continue;
            }
            let (tag, empty) = match tag.strip_suffix('/') {
                Some(t) => (t, true),
                None => (tag, false),
            };
            let name = tag.split_whitespace().next().ok_or("an empty tag")?;
            if stack.is_empty() {
                roots += 1;
            }
            // Attributes: name="value" pairs, the values entity-clean.
            let mut attrs = tag[name.len()..].trim();
            while !attrs.is_empty() {
                let eq = attrs
                    .find("=\"")
                    .ok_or(format!("a bad attribute in <{tag}>"))?;
                let value_end = attrs[eq + 2..]
                    .find('"')
                    .ok_or(format!("an unquoted value in <{tag}>"))?;
                entities(&attrs[eq + 2..eq + 2 + value_end])?;
                attrs = attrs[eq + 2 + value_end + 1..].trim_start();
            }
            names.push(name.to_owned());
            if !empty {
                stack.push(name.to_owned());
            }
        }
        if !rest.trim().is_empty() || !stack.is_empty() {
            return Err(format!("left open: {stack:?}"));
        }
        if roots != 1 || names.first().map(String::as_str) != Some("svg") {
            return Err("not one svg root".into());
        }
        Ok(names)
    }

    /// The `width` of every bar, in document order.
    fn bar_widths(svg: &str) -> Vec<f64> {
        svg.lines()
            .filter(|l| l.starts_with(r#"<rect class="bar""#))
            .filter_map(|l| {
                let at = l.find(" width=\"")? + 8;
                l[at..at + l[at..].find('"')?].parse().ok()
            })
            .collect()
    }

    fn sample() -> Chart {
        let mut chart = Chart::new("Over the wire: <HTTP> & \"friends\"", "calls/s");
        chart
            .series("ours", Role::Ours)
            .series("jsonrpsee", Role::Theirs)
            .series("raw hyper", Role::Limit);
        chart
            .group("HTTP, 1 conn", "calls/s", Better::Higher)
            .bar("ours", Some(20_000.0), "20,000 · 1.10 × jsonrpsee")
            .bar("jsonrpsee", Some(10_000.0), "10,000")
            .bar("raw hyper", Some(40_000.0), "40,000");
        chart
            .group("HTTP, 32 conn", "calls/s", Better::Higher)
            .bar("ours", Some(30_000.0), "30,000")
            .bar("jsonrpsee", None, "FAILED: <timeout> & more")
            .bar("raw hyper", Some(35_000.0), "35,000");
        chart
    }

    #[test]
    fn the_svg_is_well_formed_with_a_white_background_and_a_legend() {
        let svg = sample().to_svg();
        let names = well_formed(&svg).unwrap();
        assert_eq!(names[..3], ["svg", "title", "rect"]);
        assert!(svg.contains(r##"<rect width="100%" height="100%" fill="#ffffff"/>"##));
        // Three legend swatches, five bars (one failed), every label.
        assert_eq!(svg.matches(r#"rx="2""#).count(), 3);
        assert_eq!(bar_widths(&svg).len(), 5);
        for label in ["20,000 · 1.10 × jsonrpsee", "HTTP, 32 conn", "raw hyper"] {
            assert!(svg.contains(label), "{label} missing");
        }
    }

    #[test]
    fn text_is_escaped() {
        let svg = sample().to_svg();
        assert!(svg.contains("Over the wire: &lt;HTTP&gt; &amp; &quot;friends&quot;"));
        assert!(svg.contains("FAILED: &lt;timeout&gt; &amp; more"));
        assert!(!svg.contains("<timeout>"));
        assert_eq!(escape("a'b\u{7}c"), "a&apos;bc");
        // Markdown code ticks do not reach the chart.
        let mut chart = Chart::new("`Content-Length`", "");
        chart.bar("TCP, `Content-Length`", Some(1.0), "1");
        let svg = chart.to_svg();
        well_formed(&svg).unwrap();
        assert!(!svg.contains('`'));
    }

    #[test]
    fn bars_are_proportional_on_a_shared_axis() {
        // Maxima 40,000 and 35,000: one axis, up to 40,000.
        let widths = bar_widths(&sample().to_svg());
        let unit = widths[0] / 20_000.0;
        for (width, value) in widths
            .iter()
            .zip([20_000.0, 10_000.0, 40_000.0, 30_000.0, 35_000.0])
        {
            assert!((width - value * unit).abs() < 0.02, "{width} for {value}");
        }
    }

    #[test]
    fn groups_far_apart_get_their_own_axes() {
        let mut chart = Chart::new("t", "");
        chart
            .group("small", "calls/s", Better::Higher)
            .bar("a", Some(25_000.0), "")
            .bar("b", Some(50_000.0), "");
        chart
            .group("large", "calls/s", Better::Higher)
            .bar("a", Some(2_000_000.0), "")
            .bar("b", Some(1_000_000.0), "");
        let svg = chart.to_svg();
        let widths = bar_widths(&svg);
        // Each group's largest bar spans its axis: 50k of 50k, 2M of 2M.
        assert!((widths[1] - widths[2]).abs() < 0.02);
        assert!((widths[0] * 2.0 - widths[1]).abs() < 0.02);
        assert!((widths[3] * 2.0 - widths[2]).abs() < 0.02);
        assert!(svg.contains("each group on its own scale"));
        assert!(svg.contains(">2M<") && svg.contains(">50k<"));
        // Forced to share, the small group's bars shrink to scale.
        let widths = bar_widths(&chart.scale(Scale::Shared).to_svg());
        assert!((widths[1] * 40.0 - widths[2]).abs() < 0.5, "{widths:?}");
    }

    #[test]
    fn nice_axes() {
        assert_eq!(axis_max(87_022.0), 100_000.0);
        assert_eq!(axis_max(26_782.0), 30_000.0);
        assert_eq!(axis_max(4152.0), 5000.0);
        assert_eq!(axis_max(0.0), 1.0);
        assert_eq!(axis_max(f64::NAN), 1.0);
        assert_eq!(
            ticks(100_000.0),
            [0.0, 20_000.0, 40_000.0, 60_000.0, 80_000.0, 100_000.0]
        );
        assert_eq!(ticks(30_000.0).len(), 7);
        assert_eq!(compact(2_500_000.0), "2.5M");
        assert_eq!(compact(20_000.0), "20k");
        assert_eq!(compact(0.5), "0.5");
        assert_eq!(compact(0.0), "0");
        assert_eq!(bar_length(0.001, 100.0, 500.0), 1.0);
        assert_eq!(bar_length(0.0, 100.0, 500.0), 0.0);
    }

    #[test]
    fn the_checker_catches_what_it_should() {
        assert!(
            well_formed("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg><g></svg></g>").is_err()
        );
        assert!(
            well_formed("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg>a & b</svg>").is_err()
        );
        assert!(well_formed("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg x=1/>").is_err());
        assert!(well_formed("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg/><svg/>").is_err());
        assert!(
            well_formed("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg a=\"&amp;\"/>").is_ok()
        );
    }
}
