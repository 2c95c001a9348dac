//! An error with its whole `source()` chain, for the log lines at the edges (a binary's
//! `main`, an API's internal-error handler): `top: cause: root cause`. A cause whose text the
//! error above it already shows (`#[error("store: {0}")]` with `#[from]`) is not repeated.

use std::error::Error;
use std::fmt;

pub struct ErrorChain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.to_string();
        f.write_str(&shown)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            let text = cause.to_string();
            if !shown.contains(&text) {
                write!(f, ": {text}")?;
                shown = text;
            }
            next = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read the key file")]
    struct Outer(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("configuration: {0}")]
    struct Repeating(#[from] std::io::Error);

    #[test]
    fn shows_every_cause_once() {
        let io = || std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        assert_eq!(
            ErrorChain(&Outer(io())).to_string(),
            "cannot read the key file: no such file"
        );
        assert_eq!(
            ErrorChain(&Repeating(io())).to_string(),
            "configuration: no such file"
        );
    }
}
