//! Low-rank tensor completion: unfoldings, SVT, Tucker, ADMM against the reference fixture,
//! acceleration, bad input, no allocation inside the iterations.
//!
//! One test crate per module (each file below is a module of it), so the library's generic
//! kernels are instantiated and linked once per module rather than once per file.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/counting.rs"]
mod counting;
mod support;

mod acceleration;
mod allocations;
mod bad_input;
mod completion;
mod reference_fixture;
mod svt;
mod tucker;
mod unfold;
