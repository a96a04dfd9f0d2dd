pub mod completability;
pub mod hyperbolic;
pub mod nn;
pub mod tensor;

mod rng;
