pub mod completability;
pub mod hyperbolic;
pub mod tensor;

mod rng;
