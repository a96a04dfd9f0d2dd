//! The shared library exports nothing but `tsr_*` symbols (no Rust runtime symbols such as
//! `rust_eh_personality`, no mangled names), so it can sit next to other Rust libraries.
//!
//! `cargo test` builds the crate's cdylib (target/<profile>/deps/libtessera.so) before running
//! the integration tests; this test inspects that one. The release library is checked the
//! same way by ctest (tools/check-symbols, run by `make test`).
#![cfg(target_os = "linux")]

use std::path::PathBuf;
use std::process::Command;

/// The cdylib built by this `cargo test` run: next to the test binary, in `deps/`.
fn cdylib() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("deps directory");
    let candidates = [deps.join("libtessera.so"), deps.join("../libtessera.so")];
    candidates
        .iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("no libtessera.so among {candidates:?}: is `cdylib` still in ffi's crate-type?"))
        .clone()
}

#[test]
fn only_tsr_symbols_are_exported() {
    let lib = cdylib();
    let output = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `nm` (binutils; tools/ensure-test-deps installs it): {e}"));
    assert!(output.status.success(), "nm failed on {}: {}", lib.display(), String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).expect("nm output");
    let symbols: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().nth(2)).collect();
    assert!(symbols.contains(&"tsr_version"), "tsr_version missing from {}: {symbols:?}", lib.display());
    let foreign: Vec<&&str> = symbols.iter().filter(|s| !s.starts_with("tsr_")).collect();
    assert!(foreign.is_empty(), "{} exports symbols outside the tsr_ namespace: {foreign:?}", lib.display());
}
