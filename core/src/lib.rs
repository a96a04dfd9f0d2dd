pub mod hyperbolic;
