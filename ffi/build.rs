//! Gives the shared library its SONAME (`libtessera.so.<major>`): the ABI only grows within a
//! major version, so programs linked against any 0.x keep loading later 0.x releases.
fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets the version");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libtessera.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
