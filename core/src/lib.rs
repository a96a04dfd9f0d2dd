pub mod hyperbolic;
pub mod tensor;
