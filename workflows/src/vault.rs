//! Secrets at rest: AES-256-GCM sealing under named keys, so keys rotate.
//!
//! A [`Vault`] holds one or more 256-bit keys, each with an id, and seals with the active one.
//! A [`Sealed`] value records the id of the key that sealed it, so a vault that still holds an
//! older key opens what it sealed, and [`Vault::needs_reseal`] tells what a rotation must rewrite.
//! The caller binds a sealed value to its owner (a row id) as associated data: a ciphertext copied
//! onto another row does not open. Plaintexts are [`Plain`], whose `Debug` never shows the value;
//! nothing here logs.
//!
//! Keys come from the environment as `id=base64key[,id=base64key…]` (see [`Vault::parse`]).

use std::{collections::BTreeMap, fmt};

use aes_gcm::{
    Aes256Gcm, Key, Nonce,
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
};
use base64::Engine;

const NONCE_LEN: usize = 12;

/// Why a vault could not be built or a value not opened.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The key list is malformed; names the entry (never the key).
    #[error("vault key list: {0}")]
    BadKeys(String),
    /// The value was sealed with a key this vault does not hold.
    #[error("no vault key with id {0:?}")]
    UnknownKey(String),
    /// The ciphertext does not open under its key and owner (tampered, or another row's).
    #[error("sealed value does not open (wrong key, owner or tampered)")]
    Open,
    /// Sealing failed (never expected with a valid key).
    #[error("sealing failed")]
    Seal,
}

/// A plaintext secret; `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Plain(String);

impl Plain {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one call that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Plain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Plain(***)")
    }
}

impl fmt::Display for Plain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A sealed value as stored: the key id and `nonce || ciphertext || tag`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Id of the key that sealed it.
    pub key_id: String,
    /// Nonce, ciphertext and tag.
    pub blob: Vec<u8>,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed({}, {} bytes)", self.key_id, self.blob.len())
    }
}

/// Named AES-256-GCM keys, one of them active for sealing.
#[derive(Clone)]
pub struct Vault {
    keys: BTreeMap<String, Key<Aes256Gcm>>,
    active: String,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&String> = self.keys.keys().collect();
        write!(f, "Vault(active {:?}, keys {ids:?})", self.active)
    }
}

impl Vault {
    /// Parses `id=base64key[,id=base64key…]` (standard base64 of 32 bytes each); `active` names
    /// the sealing key, default the first listed.
    pub fn parse(list: &str, active: Option<&str>) -> Result<Self, VaultError> {
        let mut keys = BTreeMap::new();
        let mut first = None;
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, b64) = entry
                .split_once('=')
                .ok_or_else(|| VaultError::BadKeys("an entry is not id=base64key".into()))?;
            let id = id.trim();
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(VaultError::BadKeys(format!(
                    "key id {id:?} must be [A-Za-z0-9_-]+"
                )));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| VaultError::BadKeys(format!("key {id:?} is not base64")))?;
            let bytes: [u8; 32] = bytes
                .try_into()
                .map_err(|_| VaultError::BadKeys(format!("key {id:?} must be 32 bytes")))?;
            if keys
                .insert(id.to_owned(), Key::<Aes256Gcm>::from(bytes))
                .is_some()
            {
                return Err(VaultError::BadKeys(format!(
                    "key id {id:?} is listed twice"
                )));
            }
            first.get_or_insert_with(|| id.to_owned());
        }
        let active = match active.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) if keys.contains_key(a) => a.to_owned(),
            Some(a) => {
                return Err(VaultError::BadKeys(format!(
                    "active key {a:?} is not listed"
                )));
            }
            None => first.ok_or_else(|| VaultError::BadKeys("no key given".into()))?,
        };
        Ok(Self { keys, active })
    }

    /// A fresh random key as `id=base64` (for `dev` and tests).
    pub fn generate_entry(id: &str) -> String {
        let key = Aes256Gcm::generate_key(OsRng);
        format!(
            "{id}={}",
            base64::engine::general_purpose::STANDARD.encode(key)
        )
    }

    /// The id of the sealing key.
    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    /// Seals `plain` for `owner` (associated data: the value opens only for the same owner).
    pub fn seal(&self, plain: &Plain, owner: &[u8]) -> Result<Sealed, VaultError> {
        let cipher = Aes256Gcm::new(&self.keys[&self.active]);
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plain.expose().as_bytes(),
            aad: owner,
        };
        let ciphertext = cipher
            .encrypt(&nonce, payload)
            .map_err(|_| VaultError::Seal)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        Ok(Sealed {
            key_id: self.active.clone(),
            blob,
        })
    }

    /// Opens a sealed value of `owner`.
    pub fn open(&self, sealed: &Sealed, owner: &[u8]) -> Result<Plain, VaultError> {
        let key = self
            .keys
            .get(&sealed.key_id)
            .ok_or_else(|| VaultError::UnknownKey(sealed.key_id.clone()))?;
        if sealed.blob.len() < NONCE_LEN + 16 {
            return Err(VaultError::Open);
        }
        let (nonce, ciphertext) = sealed.blob.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| VaultError::Open)?;
        let payload = Payload {
            msg: ciphertext,
            aad: owner,
        };
        let plain = Aes256Gcm::new(key)
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| VaultError::Open)?;
        String::from_utf8(plain)
            .map(Plain)
            .map_err(|_| VaultError::Open)
    }

    /// Whether a value sealed under `key_id` should be resealed with the active key.
    pub fn needs_reseal(&self, key_id: &str) -> bool {
        key_id != self.active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(entries: &[&str], active: Option<&str>) -> Vault {
        Vault::parse(&entries.join(","), active).unwrap()
    }

    #[test]
    fn a_sealed_token_opens_only_for_its_owner_and_key() {
        let k1 = Vault::generate_entry("k1");
        let v = vault(&[&k1], None);
        let sealed = v.seal(&Plain::new("ghp_secret"), b"repo-1").unwrap();
        assert_eq!(sealed.key_id, "k1");
        assert!(!sealed.blob.windows(10).any(|w| w == b"ghp_secret"));
        assert_eq!(v.open(&sealed, b"repo-1").unwrap().expose(), "ghp_secret");
        assert!(matches!(v.open(&sealed, b"repo-2"), Err(VaultError::Open)));
        let mut tampered = sealed.clone();
        *tampered.blob.last_mut().unwrap() ^= 1;
        assert!(matches!(
            v.open(&tampered, b"repo-1"),
            Err(VaultError::Open)
        ));
    }

    #[test]
    fn a_rotated_vault_opens_old_values_and_seals_with_the_new_key() {
        let (k1, k2) = (Vault::generate_entry("k1"), Vault::generate_entry("k2"));
        let old = vault(&[&k1], None).seal(&Plain::new("t"), b"o").unwrap();
        let rotated = vault(&[&k1, &k2], Some("k2"));
        assert!(rotated.needs_reseal(&old.key_id));
        assert_eq!(rotated.open(&old, b"o").unwrap().expose(), "t");
        let new = rotated.seal(&Plain::new("t"), b"o").unwrap();
        assert_eq!(new.key_id, "k2");
        let without_k1 = vault(&[&k2], None);
        assert!(matches!(
            without_k1.open(&old, b"o"),
            Err(VaultError::UnknownKey(_))
        ));
    }

    #[test]
    fn bad_key_lists_name_the_entry_but_never_the_key() {
        for (list, active, needle) in [
            ("k1=abc", None, "k1"),
            ("nokey", None, "id=base64key"),
            ("", None, "no key"),
            (Vault::generate_entry("k1").as_str(), Some("k9"), "k9"),
        ] {
            let err = Vault::parse(list, active).unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
        let entry = Vault::generate_entry("k1");
        let v = Vault::parse(&entry, None).unwrap();
        assert!(!format!("{v:?}").contains(entry.split_once('=').unwrap().1));
        assert_eq!(format!("{:?}", Plain::new("s3cr3t")), "Plain(***)");
    }
}
