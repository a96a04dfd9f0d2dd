pub mod completability;
pub mod hyperbolic;
pub mod nn;
pub mod quant;
pub mod tensor;

mod rng;
mod simd;
