//! Fuzzes what reads untrusted package bytes: the header reader the stores run on every import
//! and the loader dtexec runs (shape limits, decoding, the DOM parser, the model builder). Any
//! input must end in a value or an error — never a panic, an abort, a stack overflow or a hang
//! (libFuzzer's -timeout catches the last).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ssisd_engine::header::read_package_header(data);
    let _ = ssisd_engine::load_package(data);
});
