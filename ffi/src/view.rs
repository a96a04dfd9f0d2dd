//! Strided matrix views: the C structs, their validation, and conversion to faer views.
//!
//! A view is `{ptr, nrows, ncols, row_stride, col_stride}` with strides in elements (signed;
//! zero and negative strides allowed on inputs). Column-major data with leading dimension `ld`
//! is `row_stride = 1, col_stride = ld`; row-major is `row_stride = ld, col_stride = 1`.
//! Validation happens before any element is read or written.

use crate::error::{Error, Result};
use crate::status::*;
use faer::{MatMut, MatRef};

/// Read-only strided view of a matrix of `f32` (strides in elements).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tsr_matref_f32 {
    pub ptr: *const f32,
    pub nrows: i64,
    pub ncols: i64,
    pub row_stride: i64,
    pub col_stride: i64,
}

/// Writable strided view of a matrix of `f32` (strides in elements).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tsr_matmut_f32 {
    pub ptr: *mut f32,
    pub nrows: i64,
    pub ncols: i64,
    pub row_stride: i64,
    pub col_stride: i64,
}

/// Read-only strided view of a matrix of `f64` (strides in elements).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tsr_matref_f64 {
    pub ptr: *const f64,
    pub nrows: i64,
    pub ncols: i64,
    pub row_stride: i64,
    pub col_stride: i64,
}

/// Writable strided view of a matrix of `f64` (strides in elements).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tsr_matmut_f64 {
    pub ptr: *mut f64,
    pub nrows: i64,
    pub ncols: i64,
    pub row_stride: i64,
    pub col_stride: i64,
}

macro_rules! into_raw {
    ($($name:ident => $t:ty),*) => {$(
        impl From<$name> for RawView<$t> {
            fn from(v: $name) -> Self {
                RawView {
                    ptr: v.ptr as usize,
                    nrows: v.nrows,
                    ncols: v.ncols,
                    row_stride: v.row_stride,
                    col_stride: v.col_stride,
                    _t: core::marker::PhantomData,
                }
            }
        }
    )*};
}

into_raw!(tsr_matref_f32 => f32, tsr_matmut_f32 => f32, tsr_matref_f64 => f64, tsr_matmut_f64 => f64);

/// A view as it arrives from C, before validation.
#[derive(Debug)]
pub struct RawView<T> {
    ptr: usize,
    pub nrows: i64,
    pub ncols: i64,
    row_stride: i64,
    col_stride: i64,
    _t: core::marker::PhantomData<T>,
}

/// A validated view: its extents fit `usize`, and `[lo, hi)` is the byte range it touches
/// (empty when the view is empty).
#[derive(Debug)]
pub struct Checked<T> {
    raw: RawView<T>,
    pub nrows: usize,
    pub ncols: usize,
    lo: usize,
    hi: usize,
}

// Plain data whatever `T` is (derive would demand `T: Copy`).
impl<T> Clone for RawView<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for RawView<T> {}
impl<T> Clone for Checked<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Checked<T> {}

impl<T> RawView<T> {
    /// Checks pointer, extents and strides; `writable` adds the no-self-overlap rule.
    pub fn check(self, name: &str, writable: bool) -> Result<Checked<T>> {
        let (m, n) = (self.nrows, self.ncols);
        if m < 0 || n < 0 {
            return Err(Error::new(TSR_ERR_BAD_EXTENT, format!("`{name}` has negative extent {m} x {n}")));
        }
        let count = (m as u128) * (n as u128);
        if count > isize::MAX as u128 / core::mem::size_of::<T>() as u128 {
            return Err(Error::new(TSR_ERR_BAD_EXTENT, format!("`{name}` is too large to address ({m} x {n})")));
        }
        let (nrows, ncols) = (m as usize, n as usize);
        if count == 0 {
            return Ok(Checked { raw: self, nrows, ncols, lo: 0, hi: 0 });
        }
        if self.ptr == 0 {
            return Err(Error::new(TSR_ERR_NULL_POINTER, format!("`{name}` is NULL but has extent {m} x {n}")));
        }
        if self.ptr % core::mem::align_of::<T>() != 0 {
            return Err(Error::new(TSR_ERR_MISALIGNED, format!("`{name}` pointer {:#x} is not aligned for its element type", self.ptr)));
        }
        let size = core::mem::size_of::<T>() as i128;
        // Offsets in elements of the first and last element along each axis.
        let span = |extent: i64, stride: i64| (extent as i128 - 1) * stride as i128;
        let (sr, sc) = (span(m, self.row_stride), span(n, self.col_stride));
        let lo_el = sr.min(0) + sc.min(0);
        let hi_el = sr.max(0) + sc.max(0);
        let lo = self.ptr as i128 + lo_el * size;
        let hi = self.ptr as i128 + (hi_el + 1) * size;
        if lo < 0 || hi > isize::MAX as i128 || (hi_el - lo_el) * size > isize::MAX as i128 {
            return Err(Error::new(
                TSR_ERR_BAD_STRIDE,
                format!("`{name}` strides ({}, {}) with extent {m} x {n} overflow the address space", self.row_stride, self.col_stride),
            ));
        }
        if writable && self_overlaps(m, n, self.row_stride, self.col_stride) {
            return Err(Error::new(
                TSR_ERR_BAD_STRIDE,
                format!("output `{name}` strides ({}, {}) make its {m} x {n} elements overlap", self.row_stride, self.col_stride),
            ));
        }
        Ok(Checked { raw: self, nrows, ncols, lo: lo as usize, hi: hi as usize })
    }
}

/// Whether distinct indices of an `m × n` view can reach the same element: the axes with
/// extent > 1 must have non-zero strides, and the shorter stride's axis must fit inside one
/// step of the longer (the usual non-overlap rule, exact for two axes).
fn self_overlaps(m: i64, n: i64, rs: i64, cs: i64) -> bool {
    let axes = [(m, rs.unsigned_abs() as u128), (n, cs.unsigned_abs() as u128)];
    let mut live: Vec<(u128, u128)> = axes.iter().filter(|(e, _)| *e > 1).map(|&(e, s)| (e as u128, s)).collect();
    live.sort_by_key(|&(_, s)| s);
    match live.as_slice() {
        [] => false,
        [(_, s)] => *s == 0,
        [(e0, s0), (_, s1)] => *s0 == 0 || e0 * s0 > *s1,
        _ => unreachable!("two axes"),
    }
}

impl<T> Checked<T> {
    /// Whether the byte ranges of two views intersect (conservative: interleaved views that
    /// never share an element still count as overlapping).
    pub fn overlaps<U>(&self, other: &Checked<U>) -> bool {
        self.lo < self.hi && other.lo < other.hi && self.lo < other.hi && other.lo < self.hi
    }

    /// `[lo, hi)`, the bytes the view touches (`lo == hi` when it is empty).
    pub fn byte_range(&self) -> (usize, usize) {
        (self.lo, self.hi)
    }

    fn ptr(&self) -> *mut T {
        if self.nrows * self.ncols == 0 {
            core::ptr::NonNull::dangling().as_ptr()
        } else {
            self.raw.ptr as *mut T
        }
    }

    /// # Safety
    /// The caller's promise behind the C view: it refers to live memory for the call.
    pub unsafe fn as_ref<'a>(&self) -> MatRef<'a, T> {
        unsafe { MatRef::from_raw_parts(self.ptr(), self.nrows, self.ncols, self.raw.row_stride as isize, self.raw.col_stride as isize) }
    }

    /// # Safety
    /// As [`Self::as_ref`], plus: the view was checked writable and overlaps no other view in use.
    pub unsafe fn as_mut<'a>(&self) -> MatMut<'a, T> {
        unsafe { MatMut::from_raw_parts_mut(self.ptr(), self.nrows, self.ncols, self.raw.row_stride as isize, self.raw.col_stride as isize) }
    }
}

/// Rejects any output overlapping an input or another output.
pub fn check_no_aliasing<T>(inputs: &[(&str, Checked<T>)], outputs: &[(&str, Checked<T>)]) -> Result {
    for (k, (oname, o)) in outputs.iter().enumerate() {
        for (iname, i) in inputs {
            if o.overlaps(i) {
                return Err(Error::new(TSR_ERR_ALIASING, format!("output `{oname}` overlaps input `{iname}`")));
            }
        }
        for (pname, p) in &outputs[..k] {
            if o.overlaps(p) {
                return Err(Error::new(TSR_ERR_ALIASING, format!("outputs `{pname}` and `{oname}` overlap")));
            }
        }
    }
    Ok(())
}
