//! The version rule between clients and the service, as SSIS has it between its tools and its
//! service: the same release line only. Before 1.0 that means the same major and minor version;
//! from 1.0 on, the same major version. Both sides apply it and name both versions when they
//! refuse.

/// This build's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The request header in which clients send their version.
pub const CLIENT_HEADER: &str = "X-Ssisd-Client-Version";
/// The response header in which the service sends its version.
pub const SERVICE_HEADER: &str = "X-Ssisd-Version";

fn line(version: &str) -> Option<(u64, u64)> {
    let mut parts = version.trim().split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Whether a client of version `a` and a service of version `b` may talk.
pub fn compatible(a: &str, b: &str) -> bool {
    match (line(a), line(b)) {
        (Some((0, m1)), Some((0, m2))) => m1 == m2,
        (Some((ma1, _)), Some((ma2, _))) => ma1 == ma2,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_release_line_only() {
        assert!(compatible("0.1.0", "0.1.7"));
        assert!(!compatible("0.1.0", "0.2.0"));
        assert!(compatible("1.2.0", "1.9.3"));
        assert!(!compatible("1.0.0", "2.0.0"));
        assert!(!compatible("garbage", "0.1.0"));
    }
}
