//! Shape assertions of the batched operations (the C ABI validates shapes before calling).

/// Panics unless every `(name, ncols)` has `ncols == width`.
#[track_caller]
pub(super) fn assert_width(width: usize, views: &[(&str, usize)]) {
    for &(name, ncols) in views {
        assert_eq!(ncols, width, "`{name}` must have {width} columns, has {ncols}");
    }
}
