//! Iterated r-core pruning of a mask.
//!
//! A row with d < r observations meets only d Jacobian rows in its block U_i, and d < r
//! generic vectors V_j are independent, so those rows are coloops of the determinantal
//! matroid: they raise the rank by d, constrain nothing else, and the row has no completable
//! missing entry. The same holds for columns. Deleting such rows and columns until none is
//! left (the r-core) therefore leaves the closure on the surviving rows and columns unchanged,
//! and rank J_Ω = rank J_core + (number of deleted observations).

use super::Mask;

/// The rows and columns that survive r-core pruning.
#[derive(Clone, Debug)]
pub struct RCore {
    row_alive: Vec<bool>,
    col_alive: Vec<bool>,
    pruned_rows: usize,
    pruned_cols: usize,
    pruned_entries: usize,
}

impl RCore {
    /// Deletes rows and columns with fewer than `rank` observations among the surviving
    /// ones until every survivor has at least `rank` (a queue over the degrees, O(|Ω|)).
    pub fn new(mask: &Mask, rank: usize) -> Self {
        let (m, n) = (mask.nrows(), mask.ncols());
        let mut degree: Vec<usize> = (0..m).map(|i| mask.row_degree(i)).chain((0..n).map(|j| mask.col_degree(j))).collect();
        let mut alive = vec![true; m + n];
        let mut queue: Vec<usize> = (0..m + n).filter(|&v| degree[v] < rank).collect();
        for &v in &queue {
            alive[v] = false;
        }
        while let Some(v) = queue.pop() {
            let neighbours: Vec<usize> =
                if v < m { mask.row(v).map(|(j, _)| m + j).collect() } else { mask.col(v - m).map(|(i, _)| i).collect() };
            for w in neighbours {
                if !alive[w] {
                    continue;
                }
                degree[w] -= 1;
                if degree[w] < rank {
                    alive[w] = false;
                    queue.push(w);
                }
            }
        }
        let pruned_entries = (0..mask.len())
            .filter(|&e| {
                let (i, j) = mask.entry(e);
                !alive[i] || !alive[m + j]
            })
            .count();
        let col_alive = alive.split_off(m);
        let row_alive = alive;
        let pruned_rows = row_alive.iter().filter(|&&a| !a).count();
        let pruned_cols = col_alive.iter().filter(|&&a| !a).count();
        Self { row_alive, col_alive, pruned_rows, pruned_cols, pruned_entries }
    }

    /// Whether row `i` is in the core.
    pub fn row(&self, i: usize) -> bool {
        self.row_alive[i]
    }

    /// Whether column `j` is in the core.
    pub fn col(&self, j: usize) -> bool {
        self.col_alive[j]
    }

    /// Rows and columns deleted.
    pub fn pruned(&self) -> (usize, usize) {
        (self.pruned_rows, self.pruned_cols)
    }

    /// Observations in a deleted row or column (all coloops).
    pub fn pruned_entries(&self) -> usize {
        self.pruned_entries
    }
}
