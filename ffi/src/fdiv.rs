//! C entry points of the f-divergence objectives of f-GAN (`tessera::nn::Divergence`): the
//! variational objective `F = mean_P g_f(V) - mean_Q f*(g_f(V))` of raw critic outputs and its
//! gradient, to be fed back into a network as the `upstream` of `tsr_nn_vjp_*`.

use crate::buffer::{self, check_disjoint, span};
use crate::error::{Error, Result};
use crate::status::*;
use faer::{ColMut, ColRef};
use tessera_core::nn::{objective, objective_grad, Divergence, Float};

/// Kullback-Leibler, `f(u) = u ln u`.
pub const TSR_FDIV_KL: u32 = 0;
/// Reverse KL, `f(u) = -ln u`.
pub const TSR_FDIV_REVERSE_KL: u32 = 1;
/// Pearson chi-squared, `f(u) = (u - 1)^2`.
pub const TSR_FDIV_PEARSON: u32 = 2;
/// Neyman chi-squared, `f(u) = (1 - u)^2 / u`.
pub const TSR_FDIV_NEYMAN: u32 = 3;
/// Squared Hellinger, `f(u) = (sqrt(u) - 1)^2`.
pub const TSR_FDIV_SQUARED_HELLINGER: u32 = 4;
/// Jensen-Shannon, `f(u) = u ln u - (u + 1) ln((u + 1)/2)`.
pub const TSR_FDIV_JENSEN_SHANNON: u32 = 5;
/// GAN, `f(u) = u ln u - (u + 1) ln(u + 1)` (objective `-ln 4` at `P = Q`).
pub const TSR_FDIV_GAN: u32 = 6;

fn divergence(code: u32) -> Result<Divergence> {
    Divergence::ALL
        .get(code as usize)
        .copied()
        .ok_or_else(|| Error::new(TSR_ERR_INVALID_ENUM, format!("divergence = {code} is not a TSR_FDIV_* code")))
}

fn finite<T: Float>(name: &str, v: &[T]) -> Result {
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(Error::new(TSR_ERR_NON_FINITE, format!("`{name}` has a NaN or infinite value at {i}"))),
        None => Ok(()),
    }
}

fn count(name: &str, n: i64) -> Result<usize> {
    match n {
        n if n < 0 => Err(Error::new(TSR_ERR_BAD_EXTENT, format!("{name} = {n} is negative"))),
        0 => Err(Error::new(TSR_ERR_BAD_EXTENT, format!("{name} = 0: the batch is empty"))),
        n => Ok(n as usize),
    }
}

/// # Safety
/// Pointers as documented on the entry points.
#[allow(clippy::too_many_arguments)]
unsafe fn fdiv<T: Float>(
    div: u32,
    np: i64,
    v_p: *const T,
    nq: i64,
    v_q: *const T,
    objective_out: *mut f64,
    grad_p: *mut T,
    grad_q: *mut T,
) -> Result {
    let div = divergence(div)?;
    let (np, nq) = (count("np", np)?, count("nq", nq)?);
    let mut inputs = Vec::new();
    let p = unsafe { buffer::input("v_p", v_p, np, &mut inputs)? };
    let q = unsafe { buffer::input("v_q", v_q, nq, &mut inputs)? };
    if objective_out.is_null() {
        return Err(Error::new(TSR_ERR_NULL_POINTER, "`objective` is NULL"));
    }
    let mut outputs = vec![span("objective", objective_out.cast_const(), 1)?];
    let grads = match (grad_p.is_null(), grad_q.is_null()) {
        (true, true) => false,
        (false, false) => true,
        _ => return Err(Error::new(TSR_ERR_NULL_POINTER, "`grad_p` and `grad_q` must both be NULL or both be given")),
    };
    if grads {
        outputs.push(span("grad_p", grad_p.cast_const(), np)?);
        outputs.push(span("grad_q", grad_q.cast_const(), nq)?);
    }
    check_disjoint(&inputs, &outputs)?;
    finite("v_p", p)?;
    finite("v_q", q)?;
    let (p, q) = (ColRef::from_slice(p), ColRef::from_slice(q));
    let value = if grads {
        // SAFETY: validated, disjoint outputs of `np` and `nq` elements.
        let (gp, gq) = unsafe { (core::slice::from_raw_parts_mut(grad_p, np), core::slice::from_raw_parts_mut(grad_q, nq)) };
        objective_grad(div, p, q, ColMut::from_slice_mut(gp), ColMut::from_slice_mut(gq))
    } else {
        objective(div, p, q)
    }
    .map_err(|e| Error::new(TSR_ERR_INTERNAL, e.to_string()))?;
    // SAFETY: validated output of one element.
    unsafe { objective_out.write(value) };
    Ok(())
}

/// The f-GAN variational objective `F = (1/np) sum g_f(v_p[i]) - (1/nq) sum f*(g_f(v_q[j]))`
/// of raw critic outputs `v_p` on samples of P and `v_q` on samples of Q, for the divergence
/// `TSR_FDIV_*` (output activation `g_f` and conjugate `f*` of the paper's Table 2, in
/// overflow-free form). When `grad_p` and `grad_q` are both given, they receive `dF/dv_p` and
/// `dF/dv_q`; both NULL skips them. The critic maximises F, the generator minimises it.
/// Shapes: v_p, grad_p: np; v_q, grad_q: nq.
#[no_mangle]
pub unsafe extern "C" fn tsr_fdiv_objective_f32(
    divergence: u32,
    np: i64,
    v_p: *const f32,
    nq: i64,
    v_q: *const f32,
    objective: *mut f64,
    grad_p: *mut f32,
    grad_q: *mut f32,
) -> tsr_status {
    crate::error::boundary(|| unsafe { fdiv(divergence, np, v_p, nq, v_q, objective, grad_p, grad_q) })
}

/// As `tsr_fdiv_objective_f32`, for `double`.
/// Shapes: v_p, grad_p: np; v_q, grad_q: nq.
#[no_mangle]
pub unsafe extern "C" fn tsr_fdiv_objective_f64(
    divergence: u32,
    np: i64,
    v_p: *const f64,
    nq: i64,
    v_q: *const f64,
    objective: *mut f64,
    grad_p: *mut f64,
    grad_q: *mut f64,
) -> tsr_status {
    crate::error::boundary(|| unsafe { fdiv(divergence, np, v_p, nq, v_q, objective, grad_p, grad_q) })
}
