//! Package paths as SSIS prints them (`\Package\Seq\Task`, `\Package.Variables[User::X]`,
//! `\Package.Connections[Name]`, `…\Task.EventHandlers[OnError]\Step`). It owns only the string
//! formatting of those paths; it must not look anything up in a package.

/// The path of the package itself; SSIS always names the root `Package`, whatever its name.
pub const PACKAGE_ROOT: &str = "\\Package";

/// `\Parent\Child` — the path of an executable inside a container.
pub fn child(parent: &str, name: &str) -> String {
    format!("{parent}\\{name}")
}

/// `\Owner.Collection[Item]` — the path of an item in one of an object's collections.
pub fn item(owner: &str, collection: &str, name: &str) -> String {
    format!("{owner}.{collection}[{name}]")
}

/// `\Owner.Variables[Namespace::Name]`.
pub fn variable(owner: &str, namespace: &str, name: &str) -> String {
    item(owner, "Variables", &format!("{namespace}::{name}"))
}

/// `\Owner.Properties[Name]` — a property of an object (the target of a property expression
/// or of a configuration).
pub fn property(owner: &str, name: &str) -> String {
    item(owner, "Properties", name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_forms() {
        let seq = child(PACKAGE_ROOT, "Sequence 1");
        assert_eq!(child(&seq, "Load"), "\\Package\\Sequence 1\\Load");
        assert_eq!(
            variable(PACKAGE_ROOT, "User", "Count"),
            "\\Package.Variables[User::Count]"
        );
        assert_eq!(
            item(PACKAGE_ROOT, "Connections", "Db"),
            "\\Package.Connections[Db]"
        );
        assert_eq!(
            property("\\Package\\T", "Disabled"),
            "\\Package\\T.Properties[Disabled]"
        );
    }
}
