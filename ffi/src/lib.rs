//! The C ABI of Tessera. Every entry point validates its arguments, runs inside a panic
//! boundary and returns a `tsr_status`; see docs/abi.md for the rules.
#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]

mod buffer;
pub mod completability;
pub mod debug;
pub mod fdiv;
mod error;
mod handle;
pub mod nn;
mod options;
pub mod poincare;
pub mod poincare_ops;
pub mod progress;
pub mod quant;
pub mod status;
pub mod tensor;
mod threads;
pub mod version;
pub mod view;

pub use error::tsr_last_error_message;
pub use threads::{tsr_get_num_threads, tsr_set_num_threads};
