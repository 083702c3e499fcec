//! The process's one TLS crypto provider: rustls with ring, the provider octocrab already uses.
//! Outbound HTTPS clients (approver and executor calls, the agent runner) need it installed
//! before they are built.

/// Installs ring as the process-wide rustls provider; later calls are no-ops.
pub fn install_crypto_provider() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn https_urls_are_supported_by_outbound_clients() {
        super::install_crypto_provider();
        let client = reqwest::Client::builder()
            .build()
            .expect("a TLS-capable client builds");
        // Nothing listens on port 1: the request gets as far as connecting, so https is supported.
        let err = client
            .get("https://127.0.0.1:1/approver")
            .send()
            .await
            .unwrap_err();
        assert!(err.is_connect(), "{err:?}");
    }
}
