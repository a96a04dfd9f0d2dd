//! A deliberate internal failure, so host codes (and our tests) can check that a panic inside
//! the library becomes `TSR_ERR_INTERNAL` and the process lives on.

use crate::status::*;
use faer::{Mat, Par};
use tessera_core::hyperbolic::PoincareBall;

/// Forces a panic inside the numerical core and returns what the boundary made of it:
/// always `TSR_ERR_INTERNAL`, with a message. `on_worker_thread` non-zero panics on a thread of
/// the library's pool instead of the calling thread. For testing error handling only.
#[no_mangle]
pub extern "C" fn tsr_debug_force_panic(on_worker_thread: i32) -> tsr_status {
    crate::error::boundary(|| {
        // Rows that disagree violate core's shape contract, which the ABI normally enforces.
        let go = |par: Par| {
            let ball = PoincareBall::new(1.0).expect("valid curvature");
            let (x, y) = (Mat::<f64>::zeros(2, 3), Mat::<f64>::zeros(3, 3));
            let mut out = Mat::<f64>::zeros(2, 3);
            let _ = ball.mobius_add(x.as_ref(), y.as_ref(), out.as_mut(), par);
        };
        if on_worker_thread != 0 {
            crate::threads::run(2, go)?;
        } else {
            go(Par::Seq);
        }
        Ok(())
    })
}
