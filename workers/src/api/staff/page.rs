//! Cursor pagination: every list answers `{items, next_cursor}`; the cursor is opaque to clients
//! (URL-safe base64 of the last row's sort key) and a malformed one is a 400 naming `query/cursor`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::api::{ApiError, problem::FieldError};

/// Default page size.
pub(crate) const DEFAULT_LIMIT: i64 = 50;

fn bad_cursor() -> ApiError {
    ApiError::Contract(vec![FieldError {
        field: "query/cursor".into(),
        message: "is not a cursor of this list".into(),
    }])
}

/// The page size asked for (the contract bounds it).
pub(crate) fn limit(asked: Option<i64>) -> i64 {
    asked.unwrap_or(DEFAULT_LIMIT).clamp(1, 200)
}

/// Encodes a text sort key.
pub(crate) fn encode_key(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

/// Decodes a text sort key.
pub(crate) fn decode_key(cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    cursor
        .map(|c| {
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(bad_cursor)
        })
        .transpose()
}

/// Encodes a `(created_at, id)` key.
pub(crate) fn encode_time_id(at: DateTime<Utc>, id: Uuid) -> String {
    encode_key(&format!("{}_{id}", at.timestamp_micros()))
}

/// Decodes a `(created_at, id)` key.
pub(crate) fn decode_time_id(
    cursor: Option<&str>,
) -> Result<Option<(DateTime<Utc>, Uuid)>, ApiError> {
    let Some(key) = decode_key(cursor)? else {
        return Ok(None);
    };
    let (micros, id) = key.split_once('_').ok_or_else(bad_cursor)?;
    let at = micros
        .parse()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(bad_cursor)?;
    Ok(Some((at, id.parse().map_err(|_| bad_cursor())?)))
}

/// Encodes a numeric id key.
pub(crate) fn encode_id(id: i64) -> String {
    encode_key(&id.to_string())
}

/// Decodes a numeric id key.
pub(crate) fn decode_id(cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    decode_key(cursor)?
        .map(|k| k.parse().map_err(|_| bad_cursor()))
        .transpose()
}

/// Splits a fetched `limit + 1` rows into the page and whether more follow.
pub(crate) fn split<T>(mut rows: Vec<T>, limit: i64) -> (Vec<T>, bool) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    (rows, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_a_bad_request() {
        let at = Utc::now();
        let id = Uuid::new_v4();
        let (a, i) = decode_time_id(Some(&encode_time_id(at, id)))
            .unwrap()
            .unwrap();
        assert_eq!((a.timestamp_micros(), i), (at.timestamp_micros(), id));
        assert!(decode_time_id(Some("AAAA")).is_err());
        assert_eq!(decode_id(Some(&encode_id(42))).unwrap(), Some(42));
        assert!(decode_id(Some("!!")).is_err());
    }
}
