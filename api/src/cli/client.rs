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
    let text = response.text().await.unwrap_or_default();
    let document: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let detail = document["detail"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("HTTP {status}: {}", text.trim()));
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
    buffer: String,
}

impl SseReader {
    pub fn new(response: Response) -> Self {
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event; `None` when the server ends the stream.
    pub async fn next(&mut self) -> Result<Option<SseEvent>, CliError> {
        loop {
            if let Some(event) = take_event(&mut self.buffer) {
                if event.data.is_empty() && event.event.is_empty() {
                    continue; // a keep-alive comment
                }
                return Ok(Some(event));
            }
            match self.response.chunk().await? {
                Some(chunk) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                None => return Ok(None),
            }
        }
    }
}

/// Removes the first complete event (ended by a blank line) from `buffer`.
fn take_event(buffer: &mut String) -> Option<SseEvent> {
    let normalized = buffer.replace("\r\n", "\n");
    let end = normalized.find("\n\n")?;
    let block = normalized[..end].to_owned();
    *buffer = normalized[end + 2..].to_owned();
    let mut event = SseEvent::default();
    let mut data = Vec::new();
    for line in block.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => event.event = value.to_owned(),
            "id" => event.id = value.to_owned(),
            "data" => data.push(value),
            _ => {}
        }
    }
    event.data = data.join("\n");
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_split_on_blank_lines() {
        let mut buffer =
            String::from(": keep-alive\n\nevent: ADDED\nid: 7\ndata: {\"a\":1}\n\nevent: MOD");
        assert_eq!(take_event(&mut buffer), Some(SseEvent::default()));
        let event = take_event(&mut buffer).unwrap();
        assert_eq!(event.event, "ADDED");
        assert_eq!(event.id, "7");
        assert_eq!(event.data, "{\"a\":1}");
        assert_eq!(take_event(&mut buffer), None);
        buffer.push_str("IFIED\r\ndata: one\r\ndata: two\r\n\r\n");
        let event = take_event(&mut buffer).unwrap();
        assert_eq!(event.event, "MODIFIED");
        assert_eq!(event.data, "one\ntwo");
        assert!(buffer.is_empty());
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
