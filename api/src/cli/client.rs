//! The CLI's side of the HTTP API: bearer-token requests, problem+json turned into errors,
//! and server-sent events read as they arrive.

use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;
use swarmpress_schema::resource::validation::FieldError;

use super::error::CliError;

/// The API at `server` (`http://localhost:8080`), as the holder of `token`.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Api {
    pub fn new(server: &str, token: Option<String>) -> Result<Self, CliError> {
        let server = server.trim_end_matches('/');
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(CliError::Usage(format!(
                "--server must be an http:// or https:// URL, not {server:?}"
            )));
        }
        Ok(Self {
            http: reqwest::Client::builder()
                .user_agent(concat!("swarmpress-cli/", env!("CARGO_PKG_VERSION")))
                .build()?,
            base: format!("{server}/api/v1"),
            token,
        })
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Sends `request`; any answer outside 2xx becomes [`CliError::Api`].
    pub async fn send(&self, request: RequestBuilder) -> Result<Response, CliError> {
        let response = request.send().await?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(problem(response).await)
    }

    pub async fn json<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, CliError> {
        let response = self.send(request).await?;
        let text = response.text().await?;
        serde_json::from_str(&text).map_err(|e| CliError::Protocol(format!("{e}: {text}")))
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, CliError> {
        self.json(self.request(Method::GET, path)).await
    }
}

/// The error a non-2xx answer stands for: its problem+json when it has one.
async fn problem(response: Response) -> CliError {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.unwrap_or_default();
    let document: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let mut detail = document["detail"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("HTTP {status}: {}", text.trim()));
    // What the portal's maintenance popup says, said on the command line.
    if document["code"] == "maintenance" {
        detail = format!(
            "the platform is under maintenance, writes are refused{}: {detail}",
            retry_after
                .map(|seconds| format!(" for another {seconds} s"))
                .unwrap_or_default()
        );
    }
    let errors = document["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| serde_json::from_value::<FieldError>(e.clone()).ok())
                .collect()
        })
        .unwrap_or_default();
    CliError::Api {
        status: status.as_u16(),
        code: document["code"].as_str().unwrap_or_default().to_owned(),
        detail,
        errors,
    }
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    pub event: String,
    pub id: String,
    pub data: String,
}

/// Reads server-sent events off a response body as chunks arrive.
pub struct SseReader {
    response: Response,
    parser: SseParser,
}

impl SseReader {
    pub fn new(response: Response) -> Self {
        Self {
            response,
            parser: SseParser::default(),
        }
    }

    /// The next event; `None` when the server ends the stream.
    pub async fn next(&mut self) -> Result<Option<SseEvent>, CliError> {
        loop {
            if let Some(event) = self.parser.next_event() {
                return Ok(Some(event));
            }
            match self.response.chunk().await? {
                Some(chunk) => self.parser.push(&chunk),
                None => return Ok(None),
            }
        }
    }
}

/// The `text/event-stream` grammar over bytes as they come. Chunks may end anywhere, even
/// inside a UTF-8 character or between `\r` and `\n`, so bytes are buffered and only
/// complete lines are decoded.
#[derive(Debug, Default)]
struct SseParser {
    buffer: Vec<u8>,
    /// The event being read: fields seen since the last blank line.
    pending: SseEvent,
    data: Vec<String>,
}

impl SseParser {
    fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete line without its terminator (`\r\n`, `\n` or `\r`), or `None`
    /// until one has arrived.
    fn take_line(&mut self) -> Option<String> {
        let end = self.buffer.iter().position(|&b| b == b'\n' || b == b'\r')?;
        let terminator = if self.buffer[end] == b'\r' {
            match self.buffer.get(end + 1) {
                Some(b'\n') => 2,
                Some(_) => 1,
                // A `\r` last in the buffer may be the first half of `\r\n`.
                None => return None,
            }
        } else {
            1
        };
        let line = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
        self.buffer.drain(..end + terminator);
        Some(line)
    }

    /// The next complete event (ended by a blank line); comments and blocks without data or
    /// event type (keep-alives) are skipped.
    fn next_event(&mut self) -> Option<SseEvent> {
        while let Some(line) = self.take_line() {
            if line.is_empty() {
                let mut event = std::mem::take(&mut self.pending);
                let data = std::mem::take(&mut self.data);
                if data.is_empty() && event.event.is_empty() {
                    continue;
                }
                event.data = data.join("\n");
                return Some(event);
            }
            let (field, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => self.pending.event = value.to_owned(),
                "id" => self.pending.id = value.to_owned(),
                "data" => self.data.push(value.to_owned()),
                _ => {} // comments (empty field) and fields we do not use
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events_of(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::default();
        let mut events = Vec::new();
        for chunk in chunks {
            parser.push(chunk);
            while let Some(event) = parser.next_event() {
                events.push(event);
            }
        }
        events
    }

    #[test]
    fn events_are_split_on_blank_lines() {
        let events = events_of(&[
            b": keep-alive\n\nevent: ADDED\nid: 7\ndata: {\"a\":1}\n\nevent: MOD",
            b"IFIED\r\ndata: one\r\ndata: two\r",
            b"\n\r\n",
        ]);
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[0].event, "ADDED");
        assert_eq!(events[0].id, "7");
        assert_eq!(events[0].data, "{\"a\":1}");
        assert_eq!(events[1].event, "MODIFIED");
        assert_eq!(events[1].data, "one\ntwo");
    }

    #[test]
    fn characters_split_across_chunks_survive() {
        let text = "data: {\"displayName\":\"Café ☕ 日本\"}\n\n".as_bytes();
        // Every split point, including inside each multi-byte character.
        for at in 0..text.len() {
            let events = events_of(&[&text[..at], &text[at..]]);
            assert_eq!(events.len(), 1, "split at {at}");
            assert_eq!(
                events[0].data, "{\"displayName\":\"Café ☕ 日本\"}",
                "split at {at}"
            );
        }
        // And one byte at a time.
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        let events = events_of(&bytes);
        assert_eq!(events[0].data, "{\"displayName\":\"Café ☕ 日本\"}");
        assert!(!events[0].data.contains('\u{FFFD}'));
    }

    #[test]
    fn bare_carriage_returns_end_lines_too() {
        let events = events_of(&[b"data: a\r\rdata: b\n", b"\n"]);
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[0].data, "a");
        assert_eq!(events[1].data, "b");
    }

    /// Splits `bytes` at the (sorted, deduplicated) `cuts`.
    fn chunked(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut cuts: Vec<usize> = cuts.iter().map(|cut| cut % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut chunks = Vec::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            chunks.push(bytes[start..cut].to_vec());
            start = cut;
        }
        chunks
    }

    fn events_of_chunks(chunks: &[Vec<u8>]) -> Vec<SseEvent> {
        let slices: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        events_of(&slices)
    }

    proptest::proptest! {
        /// Fuzzing (bounded here; `PROPTEST_CASES=200000` by hand): whatever bytes a server
        /// sends, however the network splits them, the reader neither panics nor reads
        /// anything but what the whole stream holds.
        #[test]
        fn any_bytes_read_the_same_however_they_are_split(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    4 => proptest::sample::select(b"\r\n: adteniv".to_vec()),
                    1 => proptest::prelude::any::<u8>(),
                ],
                0..300,
            ),
            cuts in proptest::collection::vec(0_usize..400, 0..8),
        ) {
            let whole = events_of(&[&bytes]);
            proptest::prop_assert_eq!(events_of_chunks(&chunked(&bytes, &cuts)), whole);
        }

        /// Events written by a server come back as written, with any line terminator.
        #[test]
        fn written_events_are_read_back(
            written in proptest::collection::vec(
                ("[A-Z]{1,10}", "[0-9]{0,6}", proptest::collection::vec("[^\r\n]{0,20}", 1..4)),
                0..6,
            ),
            terminator in proptest::sample::select(vec!["\n", "\r\n", "\r"]),
            cuts in proptest::collection::vec(0_usize..2000, 0..8),
        ) {
            let mut text = String::from(": hello");
            text.push_str(terminator);
            text.push_str(terminator);
            for (event, id, data) in &written {
                text.push_str(&format!("event: {event}{terminator}id: {id}{terminator}"));
                for line in data {
                    text.push_str(&format!("data: {line}{terminator}"));
                }
                text.push_str(terminator);
            }
            let read = events_of_chunks(&chunked(text.as_bytes(), &cuts));
            let expected: Vec<SseEvent> = written
                .iter()
                .map(|(event, id, data)| SseEvent {
                    event: event.clone(),
                    id: id.clone(),
                    data: data.join("\n"),
                })
                .collect();
            if terminator == "\r" {
                // A bare `\r` last in the stream may still be half of `\r\n`: the last
                // event is held until more bytes come, as a live stream's would be.
                proptest::prop_assert!(read.len() + 1 >= expected.len());
                proptest::prop_assert_eq!(&read[..], &expected[..read.len()]);
            } else {
                proptest::prop_assert_eq!(read, expected);
            }
        }
    }

    #[test]
    fn servers_must_be_urls() {
        assert!(matches!(
            Api::new("localhost:8080", None),
            Err(CliError::Usage(_))
        ));
        assert!(Api::new("http://localhost:8080/", None).is_ok());
    }
}
