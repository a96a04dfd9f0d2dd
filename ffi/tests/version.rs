//! One version everywhere: the crate version (Cargo.toml), the Rust constants behind the
//! header, the `TSR_VERSION_*` macros of the committed header, and what the library reports
//! at run time.

use std::ffi::CStr;
use std::path::Path;
use tessera::version::{tsr_version, tsr_version_string, TSR_VERSION, TSR_VERSION_MAJOR, TSR_VERSION_MINOR, TSR_VERSION_PATCH};

fn cargo_part(name: &str) -> u32 {
    let value = match name {
        "MAJOR" => env!("CARGO_PKG_VERSION_MAJOR"),
        "MINOR" => env!("CARGO_PKG_VERSION_MINOR"),
        _ => env!("CARGO_PKG_VERSION_PATCH"),
    };
    value.parse().expect("numeric version part")
}

/// Value of `#define TSR_VERSION_<part> <n>` in include/tessera.h.
fn header_macro(header: &str, part: &str) -> u32 {
    let name = format!("TSR_VERSION_{part}");
    let values: Vec<u32> = header
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("#define") && words.next() == Some(name.as_str()))
                .then(|| words.next().and_then(|v| v.parse().ok()))
                .flatten()
        })
        .collect();
    assert_eq!(values.len(), 1, "expected one numeric `#define {name}` in include/tessera.h, found {values:?}");
    values[0]
}

#[test]
fn constants_match_the_crate_version() {
    assert_eq!(TSR_VERSION_MAJOR, cargo_part("MAJOR"), "TSR_VERSION_MAJOR in ffi/src/version.rs");
    assert_eq!(TSR_VERSION_MINOR, cargo_part("MINOR"), "TSR_VERSION_MINOR in ffi/src/version.rs");
    assert_eq!(TSR_VERSION_PATCH, cargo_part("PATCH"), "TSR_VERSION_PATCH in ffi/src/version.rs");
    assert!(env!("CARGO_PKG_VERSION_PRE").is_empty() || TSR_VERSION_PATCH == cargo_part("PATCH"));
}

#[test]
fn header_macros_match_the_constants() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../include/tessera.h");
    let header = std::fs::read_to_string(&path).expect("read include/tessera.h");
    assert_eq!(header_macro(&header, "MAJOR"), TSR_VERSION_MAJOR);
    assert_eq!(header_macro(&header, "MINOR"), TSR_VERSION_MINOR);
    assert_eq!(header_macro(&header, "PATCH"), TSR_VERSION_PATCH);
}

#[test]
fn run_time_version_agrees() {
    let encoded = TSR_VERSION_MAJOR * 1_000_000 + TSR_VERSION_MINOR * 1_000 + TSR_VERSION_PATCH;
    assert_eq!(TSR_VERSION, encoded);
    assert_eq!(tsr_version(), encoded);
    let text = unsafe { CStr::from_ptr(tsr_version_string()) }.to_str().expect("UTF-8 version string");
    assert_eq!(text, format!("{TSR_VERSION_MAJOR}.{TSR_VERSION_MINOR}.{TSR_VERSION_PATCH}"));
    assert_eq!(text, env!("CARGO_PKG_VERSION"));
}
