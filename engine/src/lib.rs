//! The package engine: everything about an SSIS package that needs no service — reading `.dtsx`
//! files of every format into one model, the SSIS expression language, and `dtexec`'s command
//! line. It must not know about actors, HTTP, or where packages are stored.
