//! Fixed binary trees of `rayon::join`: work is cut in halves down to leaves whose sizes depend
//! only on the problem, and leaf results are combined bottom-up along the same tree, so results
//! do not depend on the thread count or on scheduling (the sequential path walks the same
//! tree). `join` keeps its jobs on the stack, so a tree allocates nothing.

use core::ops::Range;
use faer::Par;

/// `(a(), b())`, in parallel when `parallel`.
pub(crate) fn join<A: Send, B: Send>(
    parallel: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if parallel { rayon::join(a, b) } else { (a(), b()) }
}

/// Work that can be cut in two at an offset.
pub(crate) trait Split: Sized + Send {
    fn len(&self) -> usize;
    fn split_at(self, at: usize) -> (Self, Self);
}

impl<T: Send> Split for &mut [T] {
    fn len(&self) -> usize {
        <[T]>::len(self)
    }
    fn split_at(self, at: usize) -> (Self, Self) {
        self.split_at_mut(at)
    }
}

impl Split for Range<usize> {
    fn len(&self) -> usize {
        self.end - self.start
    }
    fn split_at(self, at: usize) -> (Self, Self) {
        (self.start..self.start + at, self.start + at..self.end)
    }
}

/// Equal-length slices cut alike.
impl<const M: usize> Split for [&mut [f64]; M] {
    fn len(&self) -> usize {
        self.first().map_or(0, |s| s.len())
    }
    fn split_at(self, at: usize) -> (Self, Self) {
        let mut halves = self.map(|s| {
            let (l, r) = s.split_at_mut(at);
            (Some(l), Some(r))
        });
        let left = core::array::from_fn(|i| halves[i].0.take().unwrap_or_default());
        let right = core::array::from_fn(|i| halves[i].1.take().unwrap_or_default());
        (left, right)
    }
}

/// `f(offset, leaf)` over consecutive leaves of `item` of length at most `leaf` (cuts fall on
/// multiples of `leaf`, halving the number of leaves), results combined by `combine` along the
/// tree; in parallel when `par` has more than one thread.
pub(crate) fn fold<T: Split, R: Send>(
    par: Par,
    item: T,
    leaf: usize,
    f: &(impl Fn(usize, T) -> R + Sync),
    combine: &(impl Fn(R, R) -> R + Sync),
) -> R {
    node(par.degree() > 1, item, 0, leaf.max(1), f, combine)
}

fn node<T: Split, R: Send>(
    parallel: bool,
    item: T,
    offset: usize,
    leaf: usize,
    f: &(impl Fn(usize, T) -> R + Sync),
    combine: &(impl Fn(R, R) -> R + Sync),
) -> R {
    let len = item.len();
    if len <= leaf {
        return f(offset, item);
    }
    let at = len.div_ceil(leaf) / 2 * leaf;
    let (l, r) = item.split_at(at);
    let (a, b) = join(
        parallel,
        || node(parallel, l, offset, leaf, f, combine),
        || node(parallel, r, offset + at, leaf, f, combine),
    );
    combine(a, b)
}

/// `f(i, &mut items[i])` for every item, one leaf each; returns the first error in item order.
pub(crate) fn try_each<T: Send, E: Send>(
    par: Par,
    items: &mut [T],
    f: impl Fn(usize, &mut T) -> Result<(), E> + Sync,
) -> Result<(), E> {
    fold(par, items, 1, &|i, item: &mut [T]| item.iter_mut().try_for_each(|t| f(i, t)), &|a, b| a.and(b))
}
