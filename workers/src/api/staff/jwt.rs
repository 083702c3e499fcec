//! Staff JWTs: HS256, 15 minutes by default, signed with the active key and carrying its `kid`, so a
//! rotated key keeps verifying the tokens it signed until it is removed from `CK8S_JWT_KEYS`.
//! The token names the user only (`sub`); roles are read from the database on every request, so a
//! changed role or a removed user takes effect at once.

use std::{collections::BTreeMap, fmt, time::Duration};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Issuer and audience of staff tokens.
const ISSUER: &str = "codex-k8s";
const AUDIENCE: &str = "codex-k8s-staff";
/// Fewest bytes of an HS256 secret.
const MIN_SECRET: usize = 32;

/// Why a key list is unusable or a token is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    /// The key list is malformed; names the entry, never the secret.
    #[error("CK8S_JWT_KEYS: {0}")]
    BadKeys(String),
    /// The token has expired.
    #[error("the token has expired")]
    Expired,
    /// The token names a key this server does not hold.
    #[error("the token's key id is unknown")]
    UnknownKey,
    /// The token is malformed, tampered with or not for this API.
    #[error("the token is not valid")]
    Invalid,
}

/// The claims of a staff token.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
}

/// Signing and verification keys by id; `Debug` shows only the ids.
#[derive(Clone)]
pub struct JwtKeys {
    keys: BTreeMap<String, Vec<u8>>,
    active: String,
    ttl: Duration,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&String> = self.keys.keys().collect();
        write!(f, "JwtKeys(active {:?}, keys {ids:?})", self.active)
    }
}

impl JwtKeys {
    /// Parses `kid=secret[,kid=secret…]` (secrets of at least 32 bytes); `active` names the
    /// signing key (default: the first listed).
    pub fn parse(list: &str, active: Option<&str>, ttl: Duration) -> Result<Self, JwtError> {
        let mut keys = BTreeMap::new();
        let mut first = None;
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (kid, secret) = entry
                .split_once('=')
                .ok_or_else(|| JwtError::BadKeys("an entry is not kid=secret".into()))?;
            let kid = kid.trim();
            if kid.is_empty()
                || !kid
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(JwtError::BadKeys(format!(
                    "key id {kid:?} must be [A-Za-z0-9_-]+"
                )));
            }
            if secret.len() < MIN_SECRET {
                return Err(JwtError::BadKeys(format!(
                    "the secret of {kid:?} must have at least {MIN_SECRET} bytes"
                )));
            }
            if keys
                .insert(kid.to_owned(), secret.as_bytes().to_vec())
                .is_some()
            {
                return Err(JwtError::BadKeys(format!("key id {kid:?} is listed twice")));
            }
            first.get_or_insert_with(|| kid.to_owned());
        }
        let active = match active.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) if keys.contains_key(a) => a.to_owned(),
            Some(a) => {
                return Err(JwtError::BadKeys(format!(
                    "signing key {a:?} is not listed"
                )));
            }
            None => first.ok_or_else(|| JwtError::BadKeys("no key given".into()))?,
        };
        Ok(Self { keys, active, ttl })
    }

    /// A random key list with one key (for `dev` and tests).
    pub fn generate(kid: &str, ttl: Duration) -> Self {
        let secret = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
        Self::parse(&format!("{kid}={secret}"), None, ttl).expect("a generated key is valid")
    }

    /// Token lifetime.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Signs a token for `user` valid from `now` (seconds since the epoch) for the configured lifetime.
    pub fn issue_at(&self, user: Uuid, now: i64) -> String {
        let claims = Claims {
            sub: user,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.active.clone());
        let key = EncodingKey::from_secret(&self.keys[&self.active]);
        jsonwebtoken::encode(&header, &claims, &key).expect("HS256 signing cannot fail")
    }

    /// Signs a token for `user`, valid from now.
    pub fn issue(&self, user: Uuid) -> String {
        self.issue_at(user, chrono::Utc::now().timestamp())
    }

    /// Verifies a token: its `kid` must name a key held here, its signature, issuer, audience and
    /// expiry must hold. Returns the user it names.
    pub fn verify(&self, token: &str) -> Result<Uuid, JwtError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| JwtError::Invalid)?;
        if header.alg != Algorithm::HS256 {
            return Err(JwtError::Invalid);
        }
        let kid = header.kid.ok_or(JwtError::Invalid)?;
        let secret = self.keys.get(&kid).ok_or(JwtError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        let data =
            jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret), &validation)
                .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => JwtError::Expired,
                _ => JwtError::Invalid,
            })?;
        Ok(data.claims.sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(900);
    const S1: &str = "k1=0123456789abcdef0123456789abcdef";
    const S2: &str = "k2=fedcba9876543210fedcba9876543210";

    #[test]
    fn a_token_verifies_until_it_expires() {
        let keys = JwtKeys::parse(S1, None, TTL).unwrap();
        let user = Uuid::new_v4();
        assert_eq!(keys.verify(&keys.issue(user)), Ok(user));
        let old = keys.issue_at(user, chrono::Utc::now().timestamp() - 901 - 10);
        assert_eq!(keys.verify(&old), Err(JwtError::Expired));
    }

    #[test]
    fn a_tampered_token_or_a_foreign_key_is_refused() {
        let keys = JwtKeys::parse(S1, None, TTL).unwrap();
        let token = keys.issue(Uuid::new_v4());
        let (head, rest) = token.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let forged_claims = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            format!(
                r#"{{"sub":"{}","iss":"codex-k8s","aud":"codex-k8s-staff","iat":0,"exp":9999999999}}"#,
                Uuid::new_v4()
            ),
        );
        assert_eq!(
            keys.verify(&format!("{head}.{forged_claims}.{sig}")),
            Err(JwtError::Invalid)
        );
        let other = JwtKeys::parse("k1=ffffffffffffffffffffffffffffffffff", None, TTL).unwrap();
        assert_eq!(other.verify(&token), Err(JwtError::Invalid));
        assert_eq!(
            JwtKeys::parse(S2, None, TTL).unwrap().verify(&token),
            Err(JwtError::UnknownKey)
        );
        assert_eq!(keys.verify("not.a.jwt"), Err(JwtError::Invalid));
    }

    #[test]
    fn a_rotated_key_still_verifies_the_tokens_of_its_kid() {
        let before = JwtKeys::parse(S1, None, TTL).unwrap();
        let user = Uuid::new_v4();
        let old = before.issue(user);
        let rotated = JwtKeys::parse(&format!("{S1},{S2}"), Some("k2"), TTL).unwrap();
        assert_eq!(rotated.verify(&old), Ok(user));
        let new = rotated.issue(user);
        let header = jsonwebtoken::decode_header(&new).unwrap();
        assert_eq!(header.kid.as_deref(), Some("k2"));
        assert_eq!(before.verify(&new), Err(JwtError::UnknownKey));
    }

    #[test]
    fn a_bad_key_list_names_the_entry_but_never_the_secret() {
        let err = JwtKeys::parse("k1=short", None, TTL)
            .unwrap_err()
            .to_string();
        assert!(err.contains("k1") && !err.contains("short"), "{err}");
        assert!(JwtKeys::parse(S1, Some("k9"), TTL).is_err());
        assert!(!format!("{:?}", JwtKeys::parse(S1, None, TTL).unwrap()).contains("0123456789"));
    }
}
