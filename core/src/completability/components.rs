//! Connected components of the bipartite row/column graph of a mask.
//!
//! Rows `0..m` and columns `0..n` are the vertices, observed entries the edges. At rank 1 the
//! determinantal matroid is the graphic matroid of this graph, so (i, j) is completable iff row
//! i and column j lie in one component; at every rank an entry joining two components is not.

use super::Mask;

/// Component labels `0..count` of every row and column (a row or column without observations
/// is a component of its own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Components {
    row: Vec<u32>,
    col: Vec<u32>,
    count: usize,
}

impl Components {
    /// Union–find over the entries of `mask` (union by size, path halving), then labels
    /// numbered in order of first appearance over rows, then columns.
    pub fn new(mask: &Mask) -> Self {
        let (m, n) = (mask.nrows(), mask.ncols());
        let mut parent: Vec<u32> = (0..(m + n) as u32).collect();
        let mut size = vec![1u32; m + n];
        for e in 0..mask.len() {
            let (i, j) = mask.entry(e);
            let (a, b) = (find(&mut parent, i as u32), find(&mut parent, (m + j) as u32));
            if a != b {
                let (big, small) = if size[a as usize] >= size[b as usize] { (a, b) } else { (b, a) };
                parent[small as usize] = big;
                size[big as usize] += size[small as usize];
            }
        }
        let mut label = vec![u32::MAX; m + n];
        let mut count = 0u32;
        let mut labels = Vec::with_capacity(m + n);
        for v in 0..(m + n) as u32 {
            let root = find(&mut parent, v) as usize;
            if label[root] == u32::MAX {
                label[root] = count;
                count += 1;
            }
            labels.push(label[root]);
        }
        let col = labels.split_off(m);
        Self { row: labels, col, count: count as usize }
    }

    /// Number of components.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Component of row `i`.
    pub fn row(&self, i: usize) -> usize {
        self.row[i] as usize
    }

    /// Component of column `j`.
    pub fn col(&self, j: usize) -> usize {
        self.col[j] as usize
    }

    /// Whether row `i` and column `j` are connected, i.e. (i, j) is completable at rank 1.
    pub fn connected(&self, i: usize, j: usize) -> bool {
        self.row[i] == self.col[j]
    }
}

fn find(parent: &mut [u32], mut v: u32) -> u32 {
    while parent[v as usize] != v {
        let grand = parent[parent[v as usize] as usize];
        parent[v as usize] = grand;
        v = grand;
    }
    v
}
