//! End-to-end test of the Slowly Changing Dimension transform with the real `dtexec` against a
//! throwaway PostgreSQL server (tests/support's `postgres.rs`) through psqlodbc: the package
//! `tests/packages/db/scd_*` (2008 and 2016+ layouts) is the wizard's flow over `dim_member` —
//! business key `bk`, `name` changing, `city` historical, `country` fixed, inferred members
//! flagged by `inferred`, the current row the one with a start date and no end date. Incoming
//! members cover every output: unchanged, new, a fixed change (to its file), a changing update,
//! a historical change (old row expired, new version inserted), both at once, and an inferred
//! member completed (flagged by its indicator column, or with none by its NULL attributes). The
//! dimension table is checked row by row; with FailOnFixedAttributeChange the run fails naming
//! the row and the column, and a SqlCommand on a missing table fails naming component,
//! connection manager and table. A missing driver or server prints `SKIPPED`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::postgres::Postgres;
use support::{exit_and_text, read_text as read};

const DIMENSION: &str = "DROP TABLE IF EXISTS dim_member; \
CREATE TABLE dim_member (sk serial PRIMARY KEY, bk integer NOT NULL, name varchar(30), city varchar(30), \
country varchar(20), inferred boolean NOT NULL DEFAULT false, start_date date DEFAULT CURRENT_DATE, end_date date); \
INSERT INTO dim_member (bk, name, city, country, inferred, start_date, end_date) VALUES \
(1, 'Ann', 'Paris', 'FR', false, '2020-01-01', NULL), \
(2, 'Bob', 'Rome', 'IT', false, '2020-01-01', NULL), \
(3, 'Cy', 'Tromsø', 'NO', false, '2000-01-01', '2010-01-01'), \
(3, 'Cy', 'Oslo', 'NO', false, '2010-01-01', NULL), \
(4, 'Di', 'Lima', 'PE', false, '2020-01-01', NULL), \
(5, NULL, NULL, 'US', true, '2020-01-01', NULL), \
(7, 'Gus', 'Bonn', 'DE', false, '2020-01-01', NULL);";

const MEMBERS: &str =
    "1,Ann,Paris,FR\n2,Robert,Rome,IT\n3,Cy,Bergen,NO\n4,Di,Lima,CL\n5,Eve,Austin,US\n6,Fay,Kyiv,UA\n7,Gustav,Berlin,DE\n";

/// bk, name, city, country, inferred, current — by key, then in insertion order.
const EXPECTED: &str = "1|Ann|Paris|FR|f|t\n\
2|Robert|Rome|IT|f|t\n\
3|Cy|Tromsø|NO|f|f\n\
3|Cy|Oslo|NO|f|f\n\
3|Cy|Bergen|NO|f|t\n\
4|Di|Lima|PE|f|t\n\
5|Eve|Austin|US|f|t\n\
6|Fay|Kyiv|UA|f|t\n\
7|Gustav|Bonn|DE|f|f\n\
7|Gustav|Berlin|DE|f|t\n";

fn package(format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/packages/db/scd_{format}.dtsx"))
}

fn dtexec(pkg: &Path, dir: &Path, conn: &str) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dtexec"));
    c.arg("/F").arg(pkg).args(["/Rep", "EWI"]);
    let msdasql = format!("Provider=MSDASQL.1;Extended Properties=\"{conn}\"");
    for (name, text) in [
        ("Members", dir.join("members.csv").display().to_string()),
        ("Fixed", dir.join("fixed.csv").display().to_string()),
        ("Unchanged", dir.join("unchanged.csv").display().to_string()),
        ("Warehouse", msdasql),
    ] {
        c.arg("/Conn")
            .arg(format!("{name};\"{}\"", text.replace('"', "\"\"")));
    }
    exit_and_text(&c.output().expect("dtexec starts"))
}

#[test]
fn the_wizard_flow_maintains_the_dimension_on_postgresql() {
    let Some(pg) = Postgres::start_with_driver() else {
        return;
    };
    let conn = pg.odbc_connection_string("ssisd");
    for format in ["2008", "2016"] {
        let d = tempfile::tempdir().expect("temp dir");
        std::fs::write(d.path().join("members.csv"), MEMBERS).expect("members");
        pg.psql("ssisd", DIMENSION);
        let (code, out) = dtexec(&package(format), d.path(), &conn);
        assert_eq!(code, 0, "{format}: {out}");
        assert!(
            out.contains("1 unchanged, 1 new, 2 with changing attributes, 2 with historical attributes, 1 with fixed attributes changed, 1 inferred members."),
            "{format}: {out}"
        );
        assert_eq!(
            pg.psql(
                "ssisd",
                "SELECT bk, name, city, country, inferred, end_date IS NULL FROM dim_member ORDER BY bk, sk"
            ),
            EXPECTED,
            "{format}"
        );
        assert_eq!(
            std::fs::read_to_string(d.path().join("fixed.csv")).expect("fixed"),
            "4,CL\n"
        );
        assert_eq!(
            std::fs::read_to_string(d.path().join("unchanged.csv")).expect("unchanged"),
            "1\n"
        );
    }

    // Without an indicator column an inferred member is the one whose columns with a change
    // type are all NULL.
    let d = tempfile::tempdir().expect("temp dir");
    std::fs::write(d.path().join("members.csv"), MEMBERS).expect("members");
    pg.psql(
        "ssisd",
        &DIMENSION.replace(
            "(5, NULL, NULL, 'US', true,",
            "(5, NULL, NULL, NULL, false,",
        ),
    );
    let all_null = d.path().join("all_null.dtsx");
    let text = read(package("2016")).replace(
        "name=\"InferredMemberIndicator\" dataType=\"System.String\">inferred<",
        "name=\"InferredMemberIndicator\" dataType=\"System.String\"><",
    );
    std::fs::write(&all_null, text).expect("package");
    let (code, out) = dtexec(&all_null, d.path(), &conn);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(", 1 inferred members."), "{out}");
    assert_eq!(
        pg.psql(
            "ssisd",
            "SELECT bk, name, city, country, inferred, end_date IS NULL FROM dim_member ORDER BY bk, sk"
        ),
        EXPECTED
    );

    // A SqlCommand naming a table that is not there: the error names the component, the
    // connection manager and the table.
    pg.psql("ssisd", DIMENSION);
    let wrong = d.path().join("wrong_table.dtsx");
    std::fs::write(
        &wrong,
        read(package("2016")).replace("FROM [dim_member]", "FROM [dim_nope]"),
    )
    .expect("package");
    let (code, out) = dtexec(&wrong, d.path(), &conn);
    assert_eq!(code, 1, "{out}");
    for part in [
        "component \"Slowly Changing Dimension\"",
        "connection manager \"Warehouse\"",
        "relation \"dim_nope\" does not exist",
    ] {
        assert!(out.contains(part), "{part}: {out}");
    }

    // FailOnFixedAttributeChange: the run stops at the member whose country changed.
    let d = tempfile::tempdir().expect("temp dir");
    std::fs::write(d.path().join("members.csv"), MEMBERS).expect("members");
    pg.psql("ssisd", DIMENSION);
    let strict = d.path().join("strict.dtsx");
    let text = read(package("2016")).replace(
        "name=\"FailOnFixedAttributeChange\" dataType=\"System.Boolean\">false<",
        "name=\"FailOnFixedAttributeChange\" dataType=\"System.Boolean\">true<",
    );
    assert!(text.contains(">true<"));
    std::fs::write(&strict, text).expect("package");
    let (code, out) = dtexec(&strict, d.path(), &conn);
    assert_eq!(code, 1, "{out}");
    for part in [
        "component \"Slowly Changing Dimension\" failed on row 4",
        "a fixed attribute changed: country (PE in the dimension, CL in the row)",
        "0xC020803C",
    ] {
        assert!(out.contains(part), "{part}: {out}");
    }
}
