//! What `rpc batch` reads: a JSON array (sent as given), or one call per
//! line in the `call` syntax.

use serde_json::Value;

use crate::exit::Failure;

/// A batch file, read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BatchInput {
    /// A JSON array: the message itself, sent as written.
    Json(String),
    /// One call per line: `METHOD ARGS…`, split shell-like.
    Lines(Vec<Vec<String>>),
}

/// Reads a batch file. Blank lines and lines starting with `#` are skipped.
pub(crate) fn read(text: &str) -> Result<BatchInput, Failure> {
    let trimmed = text.trim();
    if trimmed.starts_with('[') {
        let value: Value = serde_json::from_str(trimmed)
            .map_err(|error| Failure::Usage(format!("the batch is not a JSON array: {error}")))?;
        if value.as_array().is_none_or(Vec::is_empty) {
            return Err(Failure::Usage(
                "the batch is an empty JSON array".to_owned(),
            ));
        }
        return Ok(BatchInput::Json(trimmed.to_owned()));
    }
    let mut calls = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words = shlex::split(line).ok_or_else(|| {
            Failure::Usage(format!("batch line {}: unbalanced quotes", number + 1))
        })?;
        calls.push(words);
    }
    if calls.is_empty() {
        return Err(Failure::Usage("the batch has no calls".to_owned()));
    }
    Ok(BatchInput::Lines(calls))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn lines_and_arrays() {
        let read_back = read("# two calls\nsubtract 42 23\n\necho 'hello world' n:=1\n").unwrap();
        assert_eq!(
            read_back,
            BatchInput::Lines(vec![
                vec!["subtract".into(), "42".into(), "23".into()],
                vec!["echo".into(), "hello world".into(), "n:=1".into()],
            ])
        );
        assert!(matches!(
            read(r#" [{"jsonrpc":"2.0","method":"a","id":1}] "#).unwrap(),
            BatchInput::Json(_)
        ));
        assert!(read("[]").is_err());
        assert!(read("[1,").is_err());
        assert!(read("echo 'open").is_err());
        assert!(read("\n# nothing\n").is_err());
    }
}
