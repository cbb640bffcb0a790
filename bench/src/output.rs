//! A table's two renderings from one run, the markdown and the chart, and
//! writing them side by side (`NAME.md`, `NAME.svg`) into the `--charts`
//! directory, so a README's table and its picture never disagree.

use std::path::{Path, PathBuf};

use crate::chart::Chart;

/// Where charts go without `--charts`.
pub(crate) const DEFAULT_DIR: &str = "target/bench-charts";

/// One table of a run.
pub(crate) struct Table {
    /// The file stem: `http` gives `http.md` and `http.svg`.
    pub(crate) name: &'static str,
    pub(crate) markdown: String,
    pub(crate) chart: Chart,
}

/// The value of `--charts DIR` in `args`, or the default; an error if the
/// flag has no value.
pub(crate) fn charts_dir(args: &[String]) -> Result<PathBuf, String> {
    match args.iter().position(|a| a == "--charts") {
        None => Ok(PathBuf::from(DEFAULT_DIR)),
        Some(at) => match args.get(at + 1) {
            Some(dir) if !dir.starts_with("--") => Ok(PathBuf::from(dir)),
            _ => Err("--charts needs a directory".to_owned()),
        },
    }
}

/// Writes every table's `NAME.md` and `NAME.svg` into `dir` (created if
/// missing), with `note` under each chart; returns the files written.
pub(crate) fn write(dir: &Path, tables: &mut [Table], note: &str) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for table in tables {
        table.chart.set_note(note);
        for (ext, text) in [
            ("md", table.markdown.clone()),
            ("svg", table.chart.to_svg()),
        ] {
            let path = dir.join(format!("{}.{ext}", table.name));
            std::fs::write(&path, text)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// The date as `date -u` prints it, for the header and the charts.
pub(crate) fn date() -> String {
    std::process::Command::new("date")
        .arg("-u")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown date".to_owned(), |d| d.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{Better, Chart};

    #[test]
    fn the_flag_or_the_default() {
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            charts_dir(&args(&["http"])).unwrap(),
            PathBuf::from(DEFAULT_DIR)
        );
        assert_eq!(
            charts_dir(&args(&["http", "--charts", "docs/bench"])).unwrap(),
            PathBuf::from("docs/bench")
        );
        assert!(charts_dir(&args(&["http", "--charts"])).is_err());
        assert!(charts_dir(&args(&["--charts", "--runs", "1"])).is_err());
    }

    #[test]
    fn writes_markdown_and_svg_side_by_side() {
        let dir = std::env::temp_dir().join(format!("bench-charts-test-{}", std::process::id()));
        let mut chart = Chart::new("t", "");
        chart
            .group("g", "calls/s", Better::Higher)
            .bar("ours", Some(1.0), "1");
        let mut tables = [Table {
            name: "http",
            markdown: "| a |\n".to_owned(),
            chart,
        }];
        let written = write(&dir.join("nested"), &mut tables, "a note").unwrap();
        assert_eq!(written.len(), 2);
        let md = std::fs::read_to_string(dir.join("nested/http.md")).unwrap();
        let svg = std::fs::read_to_string(dir.join("nested/http.svg")).unwrap();
        assert_eq!(md, "| a |\n");
        assert!(svg.starts_with("<?xml") && svg.contains(">a note</text>"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
