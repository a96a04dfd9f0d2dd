//! The committed header must equal a fresh generation by the pinned cbindgen.
//! `TSR_BLESS=1 cargo test -p tessera-ffi --test header` rewrites it.

use std::path::Path;

#[test]
fn committed_header_is_fresh() {
    let ffi = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(ffi.join("cbindgen.toml")).expect("read cbindgen.toml");
    let mut fresh = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_crate(ffi)
        .generate()
        .expect("generate header")
        .write(&mut fresh);
    let path = ffi.join("../include/tessera.h");
    if std::env::var_os("TSR_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write header");
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/tessera.h is stale: run `TSR_BLESS=1 cargo test -p tessera-ffi --test header` and commit it"
    );
}
