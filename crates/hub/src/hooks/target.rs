//! Where a webhook may be sent. A tenant chooses the URL, so without care
//! the hub would make requests into its own network for them (SSRF): only
//! `http`/`https` URLs without credentials are taken, and at each delivery
//! the host's addresses are checked and the connection pinned to a checked
//! address (no second DNS answer can swap it), with redirects not followed.
//! Loopback, private, link-local, shared, unique-local and other special
//! addresses are refused unless the operator allows them
//! (`--webhooks-allow-private`).

use std::net::IpAddr;

/// Why a URL cannot be a webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// Not a URL.
    #[error("not a URL")]
    NotAUrl,
    /// Scheme other than http or https.
    #[error("only http and https URLs are allowed")]
    Scheme,
    /// User name or password in the URL.
    #[error("a URL with credentials is not allowed (authenticate by the signature)")]
    Credentials,
    /// No host.
    #[error("the URL has no host")]
    NoHost,
    /// Longer than 2048 bytes.
    #[error("the URL is longer than 2048 bytes")]
    TooLong,
    /// The host is (or resolves to) an address the hub may not call.
    #[error("{0} is a loopback, private or special address (the operator can allow these)")]
    Private(IpAddr),
}

/// Checks a URL's form (not its addresses: see [`address_allowed`]).
pub fn check_url(raw: &str) -> Result<url::Url, TargetError> {
    if raw.len() > 2048 {
        return Err(TargetError::TooLong);
    }
    let u = url::Url::parse(raw).map_err(|_| TargetError::NotAUrl)?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(TargetError::Scheme);
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(TargetError::Credentials);
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(TargetError::NoHost);
    }
    Ok(u)
}

/// Whether the hub may connect to `ip` (`allow_private`: the operator's flag).
pub fn address_allowed(ip: IpAddr, allow_private: bool) -> Result<(), TargetError> {
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(TargetError::Private(ip))
    }
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared (CGNAT)
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments().first().copied().unwrap_or(0);
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link local
                || first == 0x2001 && v6.segments().get(1) == Some(&0x0db8)) // documentation
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_addresses() {
        assert!(check_url("https://example.com/hook").is_ok());
        assert_eq!(
            check_url("ftp://example.com/").unwrap_err(),
            TargetError::Scheme
        );
        assert_eq!(
            check_url("file:///etc/passwd").unwrap_err(),
            TargetError::Scheme
        );
        assert_eq!(
            check_url("https://u:p@example.com/").unwrap_err(),
            TargetError::Credentials
        );
        assert_eq!(check_url("not a url").unwrap_err(), TargetError::NotAUrl);
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
        ] {
            let ip: IpAddr = bad.parse().unwrap();
            assert!(address_allowed(ip, false).is_err(), "{bad}");
            assert!(address_allowed(ip, true).is_ok(), "{bad}");
        }
        for good in ["93.184.216.34", "2606:4700::1111"] {
            assert!(
                address_allowed(good.parse().unwrap(), false).is_ok(),
                "{good}"
            );
        }
    }
}
