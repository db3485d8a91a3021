//! The `/Set` argument: `[$Sensitive::]propertyPath;value`, parsed into a [`SetOption`] whose
//! [`PropertyPath`] says which container (`\Package\Task`, event handlers included), which
//! collection item (`Variables[User::X]`, `Connections[Name]`, `LogProviders[Name]`,
//! `ForEachEnumerator`) and which property is meant. It must not look anything up in a package
//! nor convert values to a type; applying the override is the engine's job.

use std::fmt;

use super::quoting::{split_first_top_level, unquote};

/// One step from the package down to the object that owns the property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// `\Name`: the package itself (always the first step, spelled `Package`) or a child
    /// container or task of the step before.
    Container(String),
    /// `.EventHandlers[OnError]`: an event handler of the step before.
    EventHandler(String),
}

/// The collection a property path reaches into after its containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionKind {
    /// `.Variables[Namespace::Name]` (also `$Package::`/`$Project::` parameters).
    Variables,
    /// `.Connections[Name]`.
    Connections,
    /// `.LogProviders[Name]`.
    LogProviders,
    /// `.ForEachEnumerator` of a Foreach Loop (no item).
    ForEachEnumerator,
}

impl CollectionKind {
    fn keyword(self) -> &'static str {
        match self {
            CollectionKind::Variables => "Variables",
            CollectionKind::Connections => "Connections",
            CollectionKind::LogProviders => "LogProviders",
            CollectionKind::ForEachEnumerator => "ForEachEnumerator",
        }
    }
}

/// A collection and the item chosen in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionItem {
    pub kind: CollectionKind,
    /// The text between the brackets; `None` only for `ForEachEnumerator`.
    pub item: Option<String>,
}

/// How the property was named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyForm {
    /// `.Properties[Name]`.
    Properties,
    /// `.Value` after a variable.
    ValueShorthand,
    /// Nothing after a variable (`\Package.Variables[$Package::P]`): its `Value`.
    Implicit,
}

/// Why a `/Set` property path cannot be read; the text is the reason shown after the path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PropertyPathError {
    #[error("a property path starts with \\Package")]
    NotFromPackage,
    /// Nothing between two `\` (or after the last one); holds the rest of the path.
    #[error("a container name is missing at \"{0}\"")]
    MissingContainerName(String),
    /// A `[` without its `]`; holds the rest of the path.
    #[error("a ']' is missing in \"{0}\"")]
    MissingCloseBracket(String),
    #[error("an empty [] names nothing")]
    EmptyItem,
    #[error("the path names no property: end it with .Properties[Name]")]
    NoProperty,
    /// A `.` followed by no known accessor; holds the rest of the path.
    #[error("unexpected text \"{0}\"")]
    UnexpectedText(String),
    /// `.Value` right after a container.
    #[error(".Value belongs after .Variables[Name]; use .Properties[Name] for a container")]
    ValueOnContainer,
    /// `.Value` after an item of a collection other than `Variables`.
    #[error(".Value belongs after .Variables[Name]; use .Properties[Name]")]
    ValueOnCollectionItem,
    /// Something other than `.Properties[Name]` after a collection item; holds it.
    #[error("expected .Properties[Name] but found \"{0}\"")]
    ExpectedProperties(String),
    /// Text left over once the property was read; holds it.
    #[error("unexpected text \"{0}\" after the property")]
    TextAfterProperty(String),
}

/// Why a `/Set` argument cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetOptionError {
    #[error("a value is missing: write propertyPath;value")]
    MissingValue,
    #[error(transparent)]
    Path(#[from] PropertyPathError),
}

/// A parsed `/Set` property path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyPath {
    /// From the package down; never empty, the first step is `Container("Package")` in the
    /// spelling the user wrote.
    pub steps: Vec<PathStep>,
    /// The collection item, when the property belongs to one rather than to the container.
    pub collection: Option<CollectionItem>,
    /// The property name, `Value` for the variable shorthands.
    pub property: String,
    pub form: PropertyForm,
}

/// A variable named in a path: `User::MyVar`, `$Package::Param`, or a bare `MyVar`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableRef<'a> {
    /// `User`, `System`, `$Package`, `$Project`, …; `None` when the path gave no namespace.
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

impl PropertyPath {
    /// Parses a path such as `\Package\Task.Variables[User::X].Value`. The error is the reason.
    pub fn parse(text: &str) -> Result<PropertyPath, PropertyPathError> {
        Parser { text, pos: 0 }.path()
    }

    /// The variable the path targets, if it targets one.
    pub fn variable(&self) -> Option<VariableRef<'_>> {
        match &self.collection {
            Some(CollectionItem {
                kind: CollectionKind::Variables,
                item: Some(item),
            }) => Some(match item.split_once("::") {
                Some((ns, name)) => VariableRef {
                    namespace: Some(ns),
                    name,
                },
                None => VariableRef {
                    namespace: None,
                    name: item,
                },
            }),
            _ => None,
        }
    }

    /// Whether the path targets a `$Package::` or `$Project::` parameter.
    pub fn is_parameter(&self) -> bool {
        self.variable().and_then(|v| v.namespace).is_some_and(|ns| {
            ns.eq_ignore_ascii_case("$Package") || ns.eq_ignore_ascii_case("$Project")
        })
    }

    /// Whether the path is a property of the package itself (`\Package.Properties[X]`).
    pub fn is_package_property(&self) -> bool {
        self.steps.len() == 1 && self.collection.is_none()
    }

    /// The container part of the path, e.g. `\Package\Seq.EventHandlers[OnError]\Task`.
    pub fn container_path(&self) -> String {
        let mut out = String::new();
        for step in &self.steps {
            match step {
                PathStep::Container(name) => {
                    out.push('\\');
                    out.push_str(name);
                }
                PathStep::EventHandler(name) => {
                    out.push_str(".EventHandlers[");
                    out.push_str(name);
                    out.push(']');
                }
            }
        }
        out
    }
}

impl fmt::Display for PropertyPath {
    /// The path in its written form (keywords in their canonical spelling).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.container_path())?;
        if let Some(c) = &self.collection {
            write!(f, ".{}", c.kind.keyword())?;
            if let Some(item) = &c.item {
                write!(f, "[{item}]")?;
            }
        }
        match self.form {
            PropertyForm::Properties => write!(f, ".Properties[{}]", self.property),
            PropertyForm::ValueShorthand => f.write_str(".Value"),
            PropertyForm::Implicit => Ok(()),
        }
    }
}

/// One `/Set` option: `[$Sensitive::]propertyPath;value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetOption {
    /// `$Sensitive::` was given: the value is a secret (catalog property overrides).
    pub sensitive: bool,
    pub path: PropertyPath,
    /// The value, unquoted; may contain `;` and quotes.
    pub value: String,
}

impl SetOption {
    /// Parses the argument of `/Set`. Everything after the first `;` that is outside brackets
    /// and quotes is the value; a value wrapped in double quotes loses them (`""` and `\"`
    /// inside become `"`). The error is the reason.
    pub fn parse(arg: &str) -> Result<SetOption, SetOptionError> {
        let (sensitive, rest) = match strip_prefix_ci(arg, "$Sensitive::") {
            Some(rest) => (true, rest),
            None => (false, arg),
        };
        let (path, value) = split_first_top_level(rest).ok_or(SetOptionError::MissingValue)?;
        let path = PropertyPath::parse(&unquote(path))?;
        Ok(SetOption {
            sensitive,
            path,
            value: unquote(value),
        })
    }
}

/// Case-insensitive `strip_prefix` for an ASCII prefix.
pub(crate) fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let n = prefix.len();
    if s.len() >= n && s.as_bytes()[..n].eq_ignore_ascii_case(prefix.as_bytes()) {
        // The prefix is ASCII and matched byte for byte, so `n` is a char boundary.
        s.get(n..)
    } else {
        None
    }
}

/// What may follow a `.` in a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Accessor {
    Collection(CollectionKind),
    EventHandlers,
    Properties,
    Value,
}

const ACCESSORS: &[(&str, Accessor, bool)] = &[
    // (keyword, accessor, takes [item])
    (
        "Variables",
        Accessor::Collection(CollectionKind::Variables),
        true,
    ),
    (
        "Connections",
        Accessor::Collection(CollectionKind::Connections),
        true,
    ),
    (
        "LogProviders",
        Accessor::Collection(CollectionKind::LogProviders),
        true,
    ),
    (
        "ForEachEnumerator",
        Accessor::Collection(CollectionKind::ForEachEnumerator),
        false,
    ),
    ("EventHandlers", Accessor::EventHandlers, true),
    ("Properties", Accessor::Properties, true),
    ("Value", Accessor::Value, false),
];

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    /// If the text at `at` (just after a `.`) is an accessor keyword properly followed,
    /// returns it with the keyword's length.
    fn accessor_at(&self, at: usize) -> Option<(Accessor, usize, bool)> {
        let rest = self.text.get(at..)?;
        ACCESSORS.iter().find_map(|&(kw, acc, bracketed)| {
            let after = strip_prefix_ci(rest, kw)?;
            let ok = if bracketed {
                after.starts_with('[')
            } else {
                after.is_empty() || after.starts_with('.') || after.starts_with('\\')
            };
            ok.then_some((acc, kw.len(), bracketed))
        })
    }

    /// Reads a container name up to `\`, an accessor, or the end.
    fn container_name(&mut self) -> Result<String, PropertyPathError> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut i = start;
        while i < bytes.len() {
            if bytes[i] == b'\\' || (bytes[i] == b'.' && self.accessor_at(i + 1).is_some()) {
                break;
            }
            i += 1;
        }
        self.pos = i;
        let name = &self.text[start..i];
        if name.is_empty() {
            return Err(PropertyPathError::MissingContainerName(
                self.text[start..].to_string(),
            ));
        }
        Ok(name.to_string())
    }

    /// Reads `[item]` right after a keyword.
    fn bracketed_item(&mut self) -> Result<String, PropertyPathError> {
        let rest = self.rest();
        let inner = rest.strip_prefix('[').unwrap_or(rest);
        let close = inner
            .find(']')
            .ok_or_else(|| PropertyPathError::MissingCloseBracket(rest.to_string()))?;
        let item = &inner[..close];
        if item.is_empty() {
            return Err(PropertyPathError::EmptyItem);
        }
        self.pos += 1 + close + 1;
        Ok(item.to_string())
    }

    fn path(mut self) -> Result<PropertyPath, PropertyPathError> {
        if !self.text.starts_with('\\') {
            return Err(PropertyPathError::NotFromPackage);
        }
        let mut steps = Vec::new();
        // Read containers and event handlers until a collection or a property comes.
        let collection = 'containers: loop {
            self.pos += 1; // the '\'
            steps.push(PathStep::Container(self.container_name()?));
            loop {
                match self.rest().as_bytes().first() {
                    None => return Err(PropertyPathError::NoProperty),
                    Some(b'\\') => continue 'containers,
                    _ => {}
                }
                // At a '.' that starts an accessor (container_name stopped there).
                let (acc, kw_len, bracketed) = self
                    .accessor_at(self.pos + 1)
                    .ok_or_else(|| PropertyPathError::UnexpectedText(self.rest().to_string()))?;
                self.pos += 1 + kw_len;
                let item = if bracketed {
                    Some(self.bracketed_item()?)
                } else {
                    None
                };
                match acc {
                    Accessor::EventHandlers => {
                        steps.push(PathStep::EventHandler(item.unwrap_or_default()))
                    }
                    Accessor::Collection(kind) => {
                        break 'containers Some(CollectionItem { kind, item });
                    }
                    Accessor::Properties => {
                        return self.finish(
                            steps,
                            None,
                            item.unwrap_or_default(),
                            PropertyForm::Properties,
                        )
                    }
                    Accessor::Value => return Err(PropertyPathError::ValueOnContainer),
                }
            }
        };
        // After a collection item: `.Properties[P]`, `.Value`, or (variables only) nothing.
        let is_variable = matches!(
            collection,
            Some(CollectionItem {
                kind: CollectionKind::Variables,
                ..
            })
        );
        if self.rest().is_empty() {
            if is_variable {
                return self.finish(steps, collection, "Value".into(), PropertyForm::Implicit);
            }
            return Err(PropertyPathError::NoProperty);
        }
        let acc = if self.rest().starts_with('.') {
            self.accessor_at(self.pos + 1)
        } else {
            None
        };
        match acc {
            Some((Accessor::Properties, kw_len, _)) => {
                self.pos += 1 + kw_len;
                let name = self.bracketed_item()?;
                self.finish(steps, collection, name, PropertyForm::Properties)
            }
            Some((Accessor::Value, kw_len, _)) if is_variable => {
                self.pos += 1 + kw_len;
                self.finish(
                    steps,
                    collection,
                    "Value".into(),
                    PropertyForm::ValueShorthand,
                )
            }
            Some((Accessor::Value, ..)) => Err(PropertyPathError::ValueOnCollectionItem),
            _ => Err(PropertyPathError::ExpectedProperties(
                self.rest().to_string(),
            )),
        }
    }

    fn finish(
        &self,
        steps: Vec<PathStep>,
        collection: Option<CollectionItem>,
        property: String,
        form: PropertyForm,
    ) -> Result<PropertyPath, PropertyPathError> {
        if !self.rest().is_empty() {
            return Err(PropertyPathError::TextAfterProperty(
                self.rest().to_string(),
            ));
        }
        match steps.first() {
            Some(PathStep::Container(name)) if name.eq_ignore_ascii_case("Package") => {}
            _ => return Err(PropertyPathError::NotFromPackage),
        }
        Ok(PropertyPath {
            steps,
            collection,
            property,
            form,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str) -> PathStep {
        PathStep::Container(name.to_string())
    }

    fn vars(item: &str) -> Option<CollectionItem> {
        Some(CollectionItem {
            kind: CollectionKind::Variables,
            item: Some(item.to_string()),
        })
    }

    fn p(text: &str) -> PropertyPath {
        PropertyPath::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn variable_value_properties_form() {
        let path = p("\\Package.Variables[User::MyVar].Properties[Value]");
        assert_eq!(path.steps, vec![c("Package")]);
        assert_eq!(path.collection, vars("User::MyVar"));
        assert_eq!(path.property, "Value");
        assert_eq!(path.form, PropertyForm::Properties);
        assert_eq!(
            path.variable(),
            Some(VariableRef {
                namespace: Some("User"),
                name: "MyVar"
            })
        );
    }

    #[test]
    fn variable_value_shorthand_and_lower_case() {
        let path = p("\\package.variables[myvariable].Value");
        assert_eq!(path.form, PropertyForm::ValueShorthand);
        assert_eq!(path.property, "Value");
        assert_eq!(
            path.variable(),
            Some(VariableRef {
                namespace: None,
                name: "myvariable"
            })
        );
        assert_eq!(path.to_string(), "\\package.Variables[myvariable].Value");
    }

    #[test]
    fn parameters_with_implicit_value() {
        let path = p("\\Package.Variables[$Package::Parameter]");
        assert_eq!(path.form, PropertyForm::Implicit);
        assert_eq!(path.property, "Value");
        assert!(path.is_parameter());
        assert!(p("\\Package.Variables[$Project::P]").is_parameter());
        assert!(!p("\\Package.Variables[User::P]").is_parameter());
    }

    #[test]
    fn task_variables_and_properties() {
        let path = p("\\Package\\My SQL Task.Variables[User::varTableName].Properties[Value]");
        assert_eq!(path.steps, vec![c("Package"), c("My SQL Task")]);
        assert_eq!(path.collection, vars("User::varTableName"));
        let path = p("\\Package\\DataFlowTask.Variables[User::MyVariable].Value");
        assert_eq!(path.steps, vec![c("Package"), c("DataFlowTask")]);
        let path = p("\\Package\\Task.Properties[Name]");
        assert_eq!(path.steps, vec![c("Package"), c("Task")]);
        assert_eq!(path.collection, None);
        assert_eq!(path.property, "Name");
        assert_eq!(path.container_path(), "\\Package\\Task");
    }

    #[test]
    fn package_properties() {
        let path = p("\\Package.Properties[MaxConcurrentExecutables]");
        assert!(path.is_package_property());
        assert_eq!(path.property, "MaxConcurrentExecutables");
        assert_eq!(
            p("\\Package.Properties[MaximumErrorCount]").property,
            "MaximumErrorCount"
        );
        let path = p("\\Package.Variables[User::TodaysDate].Properties[RaiseChangedEvent]");
        assert_eq!(path.property, "RaiseChangedEvent");
    }

    #[test]
    fn connections_and_log_providers() {
        let path = p("\\Package.Connections[Name].Properties[ConnectionString]");
        assert_eq!(
            path.collection,
            Some(CollectionItem {
                kind: CollectionKind::Connections,
                item: Some("Name".into())
            })
        );
        assert_eq!(path.property, "ConnectionString");
        let path = p("\\Package.Connections[My Conn.1].Properties[Description]");
        assert_eq!(
            path.collection.and_then(|c| c.item),
            Some("My Conn.1".into())
        );
        let path = p("\\Package.LogProviders[Text Log].Properties[ConfigString]");
        assert_eq!(
            path.collection.map(|c| c.kind),
            Some(CollectionKind::LogProviders)
        );
    }

    #[test]
    fn foreach_enumerator() {
        let path = p("\\Package\\Foreach Loop.ForEachEnumerator.Properties[Directory]");
        assert_eq!(path.steps, vec![c("Package"), c("Foreach Loop")]);
        assert_eq!(
            path.collection,
            Some(CollectionItem {
                kind: CollectionKind::ForEachEnumerator,
                item: None
            })
        );
        assert_eq!(path.property, "Directory");
        assert_eq!(
            path.to_string(),
            "\\Package\\Foreach Loop.ForEachEnumerator.Properties[Directory]"
        );
    }

    #[test]
    fn event_handlers() {
        let path =
            p("\\Package.EventHandlers[OnError].Variables[System::Cancel].Properties[Value]");
        assert_eq!(
            path.steps,
            vec![c("Package"), PathStep::EventHandler("OnError".into())]
        );
        assert_eq!(path.collection, vars("System::Cancel"));
        let path = p("\\Package\\Seq.EventHandlers[OnPreExecute]\\Script Task.Properties[Disable]");
        assert_eq!(
            path.steps,
            vec![
                c("Package"),
                c("Seq"),
                PathStep::EventHandler("OnPreExecute".into()),
                c("Script Task")
            ]
        );
        assert_eq!(
            path.container_path(),
            "\\Package\\Seq.EventHandlers[OnPreExecute]\\Script Task"
        );
    }

    #[test]
    fn names_with_dots_and_brackets() {
        let path = p("\\Package\\Load v1.2 [sales]\\Task.x.Properties[Disable]");
        assert_eq!(
            path.steps,
            vec![c("Package"), c("Load v1.2 [sales]"), c("Task.x")]
        );
        let path = p("\\Package.Variables[User::a.b].Value");
        assert_eq!(path.collection, vars("User::a.b"));
    }

    #[test]
    fn bad_paths() {
        for bad in [
            "",
            "Package.Properties[X]",
            "\\",
            "\\Package",
            "\\Package\\Task",
            "\\Package\\\\Task.Properties[X]",
            "\\Package.Properties[]",
            "\\Package.Properties[X",
            "\\Package.Properties[X].Value",
            "\\Package.Properties[X]trailing",
            "\\Package.Value",
            "\\Package.Connections[C]",
            "\\Package.Connections[C].Value",
            "\\Package.Variables[V].Bogus",
            "\\Package.Variables[V].Value.Properties[X]",
            "\\Other.Properties[X]",
            "\\Package.EventHandlers[OnError]",
        ] {
            assert!(PropertyPath::parse(bad).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn set_option_plain() {
        let s =
            SetOption::parse("\\Package.Variables[User::MyVar].Properties[Value];value").unwrap();
        assert!(!s.sensitive);
        assert_eq!(s.value, "value");
        assert_eq!(s.path.collection, vars("User::MyVar"));
        let s = SetOption::parse("\\Package.Properties[MaxConcurrentExecutables];4").unwrap();
        assert_eq!(s.value, "4");
    }

    #[test]
    fn set_option_values_with_semicolons_and_quotes() {
        let s = SetOption::parse(
            "\\Package.Connections[Db].Properties[ConnectionString];Data Source=x;Initial Catalog=y;",
        )
        .unwrap();
        assert_eq!(s.value, "Data Source=x;Initial Catalog=y;");
        let s = SetOption::parse("\\Package.Variables[User::V].Value;\"a;b\"").unwrap();
        assert_eq!(s.value, "a;b");
        let s = SetOption::parse("\\Package.Variables[User::V].Value;\"say \"\"hi\"\"\"").unwrap();
        assert_eq!(s.value, "say \"hi\"");
        let s = SetOption::parse("\\Package.Variables[User::V].Value;say \\\"hi\\\"").unwrap();
        assert_eq!(s.value, "say \"hi\"");
        let s = SetOption::parse("\\Package.Variables[User::V].Value;").unwrap();
        assert_eq!(s.value, "");
        let s = SetOption::parse("\"\\Package.Variables[User::V].Value\";\"x y\"").unwrap();
        assert_eq!(s.value, "x y");
        assert_eq!(s.path.to_string(), "\\Package.Variables[User::V].Value");
        // Brackets in the value do not matter.
        let s = SetOption::parse("\\Package.Variables[User::V].Value;[a;b]").unwrap();
        assert_eq!(s.value, "[a;b]");
        // A ';' inside the brackets belongs to the path.
        let s = SetOption::parse("\\Package.Variables[User::a;b].Value;v").unwrap();
        assert_eq!(s.path.collection, vars("User::a;b"));
        assert_eq!(s.value, "v");
    }

    #[test]
    fn set_option_sensitive_and_errors() {
        let s = SetOption::parse("$Sensitive::\\Package.Variables[$Package::Pwd];secret").unwrap();
        assert!(s.sensitive);
        assert_eq!(s.value, "secret");
        let s = SetOption::parse("$SENSITIVE::\\Package.Variables[$Package::Pwd];x").unwrap();
        assert!(s.sensitive);
        assert_eq!(
            SetOption::parse("\\Package.Variables[User::V].Value").unwrap_err(),
            SetOptionError::MissingValue
        );
        assert_eq!(
            SetOption::parse("\\Package.Variables[User::V].Value")
                .unwrap_err()
                .to_string(),
            "a value is missing: write propertyPath;value"
        );
        assert!(SetOption::parse("Package.Variables[User::V].Value;1").is_err());
    }
}
