//! Windows paths written in packages, mapped for Linux the way Microsoft's SSIS on Linux does
//! it: the drive letter is dropped and backslashes become slashes (`C:\data\in.csv` →
//! `/data/in.csv`). Paths without a drive letter or backslash are used as they are. It owns
//! the string rule only; it must not touch the file system.

/// The Linux path for a path written in a package.
pub fn map_path(p: &str) -> String {
    let t = p.trim();
    let bytes = t.as_bytes();
    let rest = if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        &t[2..]
    } else {
        t
    };
    if !rest.contains('\\') && rest.len() == t.len() {
        return t.to_string();
    }
    let mapped = rest.replace('\\', "/");
    if rest.len() != t.len() && !mapped.starts_with('/') {
        format!("/{mapped}")
    } else {
        mapped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping() {
        assert_eq!(map_path("C:\\test"), "/test");
        assert_eq!(
            map_path("D:\\home\\ssis\\travel.csv"),
            "/home/ssis/travel.csv"
        );
        assert_eq!(map_path("/tmp/a b"), "/tmp/a b");
        assert_eq!(map_path("rel\\x.txt"), "rel/x.txt");
        assert_eq!(map_path("c:x"), "/x");
        assert_eq!(map_path(""), "");
    }
}
