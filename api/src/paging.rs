//! `limit` and `continue` on list endpoints: at most [`MAX_PAGE`] items an answer, and an
//! opaque token for the next page (`metadata.continue` in a `TenantList`, the `X-Continue`
//! header on plain arrays). A token is the last item's sort key, so a page never repeats or
//! skips an item that existed throughout; items written meanwhile may or may not appear.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

/// The most items one answer holds, asked for or not.
pub const MAX_PAGE: u32 = 500;
const TOKEN_VERSION: &str = "p1:";

/// A checked `limit` and the sort key to continue after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<String>,
}

impl PageRequest {
    /// From the query: `limit` 1..=[`MAX_PAGE`] (default [`MAX_PAGE`]), `continue` a token
    /// an earlier page gave. 400 naming the parameter otherwise.
    pub fn parse(limit: Option<u32>, token: Option<&str>) -> Result<Self, ApiError> {
        let limit = match limit {
            None => MAX_PAGE,
            Some(limit) if (1..=MAX_PAGE).contains(&limit) => limit,
            Some(_) => {
                return Err(ApiError::bad_request(
                    Some("limit"),
                    format!("must be between 1 and {MAX_PAGE}"),
                ));
            }
        };
        let after = token
            .filter(|token| !token.is_empty())
            .map(decode)
            .transpose()?;
        Ok(Self { limit, after })
    }

    /// The first `limit` of `items` (already in the list's order) whose key comes after
    /// `after`, and the token for the rest when there is more.
    pub fn take<T>(&self, items: Vec<T>, key: impl Fn(&T) -> String) -> (Vec<T>, Option<String>) {
        // Keys are in the list's order; skip through the last one the client saw.
        let mut rest = items
            .into_iter()
            .skip_while(|item| self.after.as_ref().is_some_and(|after| key(item) <= *after))
            .peekable();
        let page: Vec<T> = rest.by_ref().take(self.limit as usize).collect();
        let next = next_token(&page, rest.peek().is_some(), &key);
        (page, next)
    }
}

fn next_token<T>(page: &[T], more: bool, key: impl Fn(&T) -> String) -> Option<String> {
    if more {
        page.last().map(|last| encode(&key(last)))
    } else {
        None
    }
}

/// The token for continuing after the item with sort key `key`.
pub fn encode(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_VERSION}{key}"))
}

fn decode(token: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::bad_request(Some("continue"), "not a token this API gave");
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix(TOKEN_VERSION)
        .map(str::to_owned)
        .ok_or_else(invalid)
}

/// A sort key that orders newest first: later times give smaller keys, ties by `id`.
pub fn newest_first_key(at: chrono::DateTime<chrono::Utc>, id: &str) -> String {
    let micros = at.timestamp_micros();
    format!("{:020}:{id}", i64::MAX.saturating_sub(micros))
}

/// A page's position in a list ordered by time, then id: `<time in µs>:<id>`, encoded.
pub fn position(at: chrono::DateTime<chrono::Utc>, id: uuid::Uuid) -> String {
    encode(&format!("{}:{id}", at.timestamp_micros()))
}

/// The time and id of a decoded [`position`].
pub fn cursor(key: &str) -> Result<(chrono::DateTime<chrono::Utc>, uuid::Uuid), ApiError> {
    let invalid = || ApiError::bad_request(Some("continue"), "not a token this API gave");
    let (micros, id) = key.split_once(':').ok_or_else(invalid)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(chrono::DateTime::from_timestamp_micros)
        .ok_or_else(invalid)?;
    Ok((at, id.parse().map_err(|_| invalid())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_each_other_without_repeats_or_gaps() {
        let items: Vec<u32> = (0..7).collect();
        let key = |n: &u32| format!("{n:03}");
        let first = PageRequest::parse(Some(3), None).unwrap();
        let (page, token) = first.take(items.clone(), key);
        assert_eq!(page, [0, 1, 2]);
        let second = PageRequest::parse(Some(3), token.as_deref()).unwrap();
        let (page, token) = second.take(items.clone(), key);
        assert_eq!(page, [3, 4, 5]);
        let third = PageRequest::parse(Some(3), token.as_deref()).unwrap();
        let (page, token) = third.take(items, key);
        assert_eq!(page, [6]);
        assert_eq!(token, None, "the last page says so");
    }

    #[test]
    fn limits_and_tokens_are_checked() {
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(MAX_PAGE + 1), None).is_err());
        assert!(PageRequest::parse(None, Some("not base64!")).is_err());
        assert!(PageRequest::parse(None, Some(&URL_SAFE_NO_PAD.encode("x"))).is_err());
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, MAX_PAGE);
    }

    #[test]
    fn newest_first_keys_sort_later_times_first() {
        let now = chrono::Utc::now();
        let earlier = now - chrono::Duration::seconds(5);
        assert!(newest_first_key(now, "b") < newest_first_key(earlier, "a"));
        assert!(newest_first_key(now, "a") < newest_first_key(now, "b"));
    }

    #[test]
    fn a_page_position_reads_back() {
        let at = chrono::DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let id = uuid::Uuid::new_v4();
        let token = position(at, id);
        let decoded = PageRequest::parse(None, Some(&token)).unwrap();
        assert_eq!(cursor(decoded.after.as_deref().unwrap()).unwrap(), (at, id));
        assert!(cursor("nonsense").is_err());
        assert!(cursor("12:not-a-uuid").is_err());
    }
}
