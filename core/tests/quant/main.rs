//! QSGD: Elias-ω codes, quantiser statistics, encode/decode round trips and stream errors.
//!
//! One test crate per module (each file below is a module of it), so the library's generic
//! kernels are instantiated and linked once per module rather than once per file.

#[path = "../common/mod.rs"]
mod common;

mod elias;
mod roundtrip;
mod statistics;
mod stream;
