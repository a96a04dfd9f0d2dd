//! The observation mask Ω ⊆ [m] × [n] of a partially observed matrix, as a bipartite graph
//! between rows and columns with both adjacency lists.

use super::CompletabilityError;

/// Observed positions of an `m × n` matrix. Entry `e` is the `e`-th position of the caller's
/// list (values and variances that come with a mask are in that order). Rows and columns are
/// 0-based. Both adjacency lists are sorted (by column within a row, by row within a column).
#[derive(Clone, Debug, PartialEq)]
pub struct Mask {
    nrows: usize,
    ncols: usize,
    rows: Vec<u32>,
    cols: Vec<u32>,
    row_start: Vec<usize>,
    row_entries: Vec<u32>,
    col_start: Vec<usize>,
    col_entries: Vec<u32>,
}

impl Mask {
    /// From coordinate lists: entry `e` is `(rows[e], cols[e])`. Rejects indices outside the
    /// matrix, duplicates, an empty list and zero extents.
    pub fn from_coordinates(nrows: usize, ncols: usize, rows: &[i64], cols: &[i64]) -> Result<Self, CompletabilityError> {
        if nrows == 0 || ncols == 0 {
            return Err(CompletabilityError::ZeroExtent { nrows, ncols });
        }
        if nrows > u32::MAX as usize || ncols > u32::MAX as usize || rows.len() > u32::MAX as usize {
            return Err(CompletabilityError::TooLarge);
        }
        if cols.len() != rows.len() {
            return Err(CompletabilityError::LengthMismatch { what: "cols", expected: rows.len(), got: cols.len() });
        }
        let checked = |entry: usize, axis: &'static str, index: i64, extent: usize| {
            if index < 0 || index as u64 >= extent as u64 {
                Err(CompletabilityError::IndexOutOfRange { entry, axis, index, extent })
            } else {
                Ok(index as u32)
            }
        };
        let mut r = Vec::with_capacity(rows.len());
        let mut c = Vec::with_capacity(rows.len());
        for (e, (&i, &j)) in rows.iter().zip(cols).enumerate() {
            r.push(checked(e, "row", i, nrows)?);
            c.push(checked(e, "column", j, ncols)?);
        }
        Self::from_checked(nrows, ncols, r, c)
    }

    /// From a dense column-major boolean mask of `m · n` bytes (`observed[i + j·m] ≠ 0`).
    /// Entries are numbered in column-major order.
    pub fn from_dense(nrows: usize, ncols: usize, observed: &[u8]) -> Result<Self, CompletabilityError> {
        if nrows == 0 || ncols == 0 {
            return Err(CompletabilityError::ZeroExtent { nrows, ncols });
        }
        let len = nrows.checked_mul(ncols).ok_or(CompletabilityError::TooLarge)?;
        if observed.len() != len {
            return Err(CompletabilityError::LengthMismatch { what: "mask", expected: len, got: observed.len() });
        }
        if nrows > u32::MAX as usize || ncols > u32::MAX as usize {
            return Err(CompletabilityError::TooLarge);
        }
        let (mut r, mut c) = (Vec::new(), Vec::new());
        for (k, _) in observed.iter().enumerate().filter(|(_, &b)| b != 0) {
            r.push((k % nrows) as u32);
            c.push((k / nrows) as u32);
        }
        if r.len() > u32::MAX as usize {
            return Err(CompletabilityError::TooLarge);
        }
        Self::from_checked(nrows, ncols, r, c)
    }

    fn from_checked(nrows: usize, ncols: usize, rows: Vec<u32>, cols: Vec<u32>) -> Result<Self, CompletabilityError> {
        if rows.is_empty() {
            return Err(CompletabilityError::NoObservations);
        }
        let (row_start, row_entries) = adjacency(nrows, &rows, &cols);
        if let Some(w) = (0..nrows)
            .flat_map(|i| row_entries[row_start[i]..row_start[i + 1]].windows(2))
            .find(|w| cols[w[0] as usize] == cols[w[1] as usize])
        {
            let (a, b) = (w[0].min(w[1]) as usize, w[0].max(w[1]) as usize);
            return Err(CompletabilityError::DuplicateEntry { first: a, second: b });
        }
        let (col_start, col_entries) = adjacency(ncols, &cols, &rows);
        Ok(Self { nrows, ncols, rows, cols, row_start, row_entries, col_start, col_entries })
    }

    /// `m`.
    pub fn nrows(&self) -> usize {
        self.nrows
    }

    /// `n`.
    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// `|Ω|`.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Never true: a mask has at least one entry.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Position `(i, j)` of entry `e`.
    pub fn entry(&self, e: usize) -> (usize, usize) {
        (self.rows[e] as usize, self.cols[e] as usize)
    }

    /// Observed entries of row `i`, as `(j, e)`, by increasing column `j`.
    pub fn row(&self, i: usize) -> impl ExactSizeIterator<Item = (usize, usize)> + '_ {
        self.row_entries[self.row_start[i]..self.row_start[i + 1]]
            .iter()
            .map(|&e| (self.cols[e as usize] as usize, e as usize))
    }

    /// Observed entries of column `j`, as `(i, e)`, by increasing row `i`.
    pub fn col(&self, j: usize) -> impl ExactSizeIterator<Item = (usize, usize)> + '_ {
        self.col_entries[self.col_start[j]..self.col_start[j + 1]]
            .iter()
            .map(|&e| (self.rows[e as usize] as usize, e as usize))
    }

    /// Number of observed entries in row `i`.
    pub fn row_degree(&self, i: usize) -> usize {
        self.row_start[i + 1] - self.row_start[i]
    }

    /// Number of observed entries in column `j`.
    pub fn col_degree(&self, j: usize) -> usize {
        self.col_start[j + 1] - self.col_start[j]
    }

    /// The entry observed at `(i, j)`, if any (binary search in row `i`).
    pub fn find(&self, i: usize, j: usize) -> Option<usize> {
        let list = &self.row_entries[self.row_start[i]..self.row_start[i + 1]];
        list.binary_search_by_key(&(j as u32), |&e| self.cols[e as usize])
            .ok()
            .map(|k| list[k] as usize)
    }
}

/// Compressed adjacency of `key` (extent `n`): `start[k]..start[k + 1]` indexes the entries
/// with `key = k` in `entries`, sorted by `other` (ties by entry number).
fn adjacency(n: usize, key: &[u32], other: &[u32]) -> (Vec<usize>, Vec<u32>) {
    let mut start = vec![0usize; n + 1];
    for &k in key {
        start[k as usize + 1] += 1;
    }
    for k in 0..n {
        start[k + 1] += start[k];
    }
    let mut fill = start.clone();
    let mut entries = vec![0u32; key.len()];
    for (e, &k) in key.iter().enumerate() {
        entries[fill[k as usize]] = e as u32;
        fill[k as usize] += 1;
    }
    for k in 0..n {
        entries[start[k]..start[k + 1]].sort_unstable_by_key(|&e| (other[e as usize], e));
    }
    (start, entries)
}
