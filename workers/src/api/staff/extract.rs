//! Extractors whose rejections are problem+json: a JSON body, query parameters and path
//! parameters, each already validated by the contract middleware (a failure here means the
//! generated types and the contract disagree, and is still a 400 naming the part).

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, Request},
    http::request::Parts,
};
use serde::de::DeserializeOwned;

use crate::api::{ApiError, problem::FieldError};

fn bad(field: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::Contract(vec![FieldError {
        field: field.to_owned(),
        message: e.to_string(),
    }])
}

/// A JSON body of a generated wire type; an empty optional body is `T::default()`-free: use
/// `Option<Body<T>>` semantics through [`Body::optional`].
pub(crate) struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| bad("body", e))?;
        let bytes: &[u8] = if bytes.is_empty() { b"{}" } else { &bytes };
        serde_json::from_slice(bytes)
            .map(Body)
            .map_err(|e| bad("body", e))
    }
}

/// Query parameters of a typed struct.
pub(crate) struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        serde_urlencoded::from_str(parts.uri.query().unwrap_or_default())
            .map(Params)
            .map_err(|e| bad("query", e))
    }
}

/// Path parameters.
pub(crate) struct PathOf<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathOf<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| PathOf(v))
            .map_err(|e| bad("path", e))
    }
}
