//! Label selectors of list and watch requests: `k=v,k2=v2` (equality only, all must match).

use std::collections::BTreeMap;

use crate::error::ApiError;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<(String, String)>);

impl LabelSelector {
    /// Parses `k=v,k2=v2`; `k==v` is accepted as in Kubernetes. Empty means everything.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let mut terms = Vec::new();
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (key, value) = term
                .split_once("==")
                .or_else(|| term.split_once('='))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        Some("labelSelector"),
                        format!("{term:?} is not of the form key=value"),
                    )
                })?;
            let (key, value) = (key.trim(), value.trim());
            if key.is_empty() {
                return Err(ApiError::bad_request(
                    Some("labelSelector"),
                    format!("{term:?} has an empty key"),
                ));
            }
            terms.push((key.to_owned(), value.to_owned()));
        }
        Ok(Self(terms))
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0
            .iter()
            .all(|(key, value)| labels.get(key) == Some(value))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches() {
        let selector = LabelSelector::parse("team=web, tier==prod").unwrap();
        let mut labels = BTreeMap::from([("team".to_owned(), "web".to_owned())]);
        assert!(!selector.matches(&labels));
        labels.insert("tier".to_owned(), "prod".to_owned());
        assert!(selector.matches(&labels));
        assert!(LabelSelector::parse("").unwrap().matches(&BTreeMap::new()));
        assert!(LabelSelector::parse("novalue").is_err());
        assert!(LabelSelector::parse("=x").is_err());
    }
}
