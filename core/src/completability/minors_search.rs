//! Bounded search for r × r blocks that complete one missing entry.
//!
//! For a missing `(i, j)`, the rows I are drawn from the known rows of column j and the
//! columns J from the known columns of row i, with I × J known: an r × r biclique of the known
//! entries. Rows are tried by decreasing number of known entries (ties by index) in a
//! depth-first search that keeps the columns common to the chosen rows; at depth r the columns
//! are picked greedily for volume ([`select_columns`]) and the block is accepted when its
//! reciprocal condition number clears the floor. Each accepted block has a different row set.

use super::minors_block::{minor_estimator, select_columns, Estimator};
use super::minors_known::Known;

/// Row-set extensions the search may try per wanted estimator and unit of rank.
pub(super) const NODES_PER_ESTIMATOR: usize = 4;

/// Up to `max` estimators of the missing `(i, j)` at rank `r`, in the order found.
pub(super) fn find_estimators(known: &Known, i: usize, j: usize, r: usize, max: usize, min_rcond: f64) -> Vec<Estimator> {
    let mut rows: Vec<u32> = known.col(j).to_vec();
    rows.sort_by_key(|&p| (core::cmp::Reverse(known.row(p as usize).len()), p));
    let mut search = Search {
        known,
        i,
        j,
        r,
        max,
        min_rcond,
        budget: NODES_PER_ESTIMATOR * r * max,
        rows,
        chosen: Vec::with_capacity(r),
        found: Vec::new(),
    };
    search.descend(0, known.row(i));
    search.found
}

struct Search<'a> {
    known: &'a Known,
    i: usize,
    j: usize,
    r: usize,
    max: usize,
    min_rcond: f64,
    budget: usize,
    rows: Vec<u32>,
    chosen: Vec<u32>,
    found: Vec<Estimator>,
}

impl Search<'_> {
    /// Extends `chosen` by rows from `rows[start..]`; `common` are the known columns of row i
    /// known in every chosen row.
    fn descend(&mut self, start: usize, common: &[u32]) {
        if self.chosen.len() == self.r {
            let cols = select_columns(self.known, &self.chosen, common);
            if let Some(e) = minor_estimator(self.known, self.i, self.j, &self.chosen, &cols, self.min_rcond) {
                self.found.push(e);
            }
            return;
        }
        let needed = self.r - self.chosen.len();
        for k in start..(self.rows.len() + 1).saturating_sub(needed) {
            if self.found.len() >= self.max || self.budget == 0 {
                return;
            }
            self.budget -= 1;
            let p = self.rows[k] as usize;
            let next: Vec<u32> = common.iter().copied().filter(|&q| self.known.is_known(p, q as usize)).collect();
            if next.len() >= self.r {
                self.chosen.push(p as u32);
                self.descend(k + 1, &next);
                self.chosen.pop();
            }
        }
    }
}
