//! Reading the run's event stream (`text/event-stream`): an incremental parser of the
//! Server-Sent Events framing (lines of `field: value`, a blank line ends an event, `:` starts a
//! comment such as the keep-alive) and a reader that bounds the silence between two chunks.

use std::time::Duration;

use reqwest::Response;

use crate::api::staff::wire;

/// One event of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Frame {
    /// `id:` (the flow event id).
    pub(super) id: Option<String>,
    /// `event:` (its kind).
    pub(super) event: Option<String>,
    /// `data:` lines, joined by newlines.
    pub(super) data: String,
}

impl Frame {
    /// The event id as the API sends it (a flow event id), if it is one.
    pub(super) fn event_id(&self) -> Option<i64> {
        self.id.as_deref().and_then(|i| i.trim().parse().ok())
    }

    /// The data as the contract's `RunEvent`.
    pub(super) fn run_event(&self) -> Result<wire::RunEvent, serde_json::Error> {
        serde_json::from_str(&self.data)
    }
}

/// An incremental parser: push bytes as they come, take complete events.
#[derive(Debug, Default)]
pub(super) struct Parser {
    buffer: Vec<u8>,
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
}

impl Parser {
    /// Feeds a chunk; returns the events it completed, in order.
    pub(super) fn push(&mut self, chunk: &[u8]) -> Vec<Frame> {
        self.buffer.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
            let raw: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&raw[..raw.len() - 1]);
            let line = line.strip_suffix('\r').unwrap_or(&line);
            if line.is_empty() {
                if let Some(data) = self.data.take() {
                    out.push(Frame {
                        id: self.id.take(),
                        event: self.event.take(),
                        data,
                    });
                } else {
                    self.id = None;
                    self.event = None;
                }
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                None => (line, ""),
            };
            match field {
                "id" => self.id = Some(value.to_owned()),
                "event" => self.event = Some(value.to_owned()),
                "data" => match &mut self.data {
                    Some(d) => {
                        d.push('\n');
                        d.push_str(value);
                    }
                    None => self.data = Some(value.to_owned()),
                },
                _ => {} // `retry` and unknown fields
            }
        }
        out
    }
}

/// Why reading the stream stopped before its end.
#[derive(Debug, thiserror::Error)]
pub(super) enum ReadError {
    /// Nothing arrived (not even a keep-alive) for this long.
    #[error("the event stream was silent for {} s", .0.as_secs_f64())]
    Silent(Duration),
    /// The connection failed.
    #[error("the event stream broke: {0}")]
    Broken(String),
}

/// An open event stream.
pub(super) struct EventStream {
    response: Response,
    parser: Parser,
    idle: Duration,
}

impl EventStream {
    /// Reads `response`'s body; a silence longer than `idle` is an error.
    pub(super) fn new(response: Response, idle: Duration) -> Self {
        Self {
            response,
            parser: Parser::default(),
            idle,
        }
    }

    /// The events of the next chunk (maybe none: a keep-alive); `None` once the server ended it.
    pub(super) async fn next(&mut self) -> Result<Option<Vec<Frame>>, ReadError> {
        match tokio::time::timeout(self.idle, self.response.chunk()).await {
            Err(_) => Err(ReadError::Silent(self.idle)),
            Ok(Err(e)) => Err(ReadError::Broken(e.to_string())),
            Ok(Ok(None)) => Ok(None),
            Ok(Ok(Some(bytes))) => Ok(Some(self.parser.push(&bytes))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(id: &str, event: &str, data: &str) -> Frame {
        Frame {
            id: Some(id.into()),
            event: Some(event.into()),
            data: data.into(),
        }
    }

    #[test]
    fn events_split_across_chunks_come_out_whole_and_in_order() {
        let mut p = Parser::default();
        assert!(p.push(b"id: 7\nevent: a\nda").is_empty());
        assert_eq!(
            p.push(
                b"ta: {\"x\":1}\n\n:keep-alive\n\nid: 8\r\nevent: b\r\ndata: 1\r\ndata: 2\r\n\r\n"
            ),
            vec![frame("7", "a", "{\"x\":1}"), frame("8", "b", "1\n2")]
        );
        assert_eq!(
            p.push(b"id:9\nevent:c\ndata:\n\n"),
            vec![frame("9", "c", "")]
        );
        assert_eq!(frame("9", "c", "").event_id(), Some(9));
    }

    #[test]
    fn a_block_without_data_is_no_event_and_leaves_nothing_behind() {
        let mut p = Parser::default();
        assert!(p.push(b"id: 1\nevent: x\n\n").is_empty());
        assert_eq!(
            p.push(b"data: d\n\n"),
            vec![Frame {
                id: None,
                event: None,
                data: "d".into()
            }]
        );
    }
}
