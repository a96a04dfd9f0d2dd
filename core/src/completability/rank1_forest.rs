//! Breadth-first spanning forest of the nonzero part of a rank-1 mask, with the alternating
//! path quantities stored per vertex so that a path estimate costs O(1) and its variance
//! O(tree depth).
//!
//! Vertices are rows `0..m` and columns `m..m + n`; edges are the observed entries with a
//! nonzero value. With b_e = log|a_e| on edge e = (i, j), the tree potentials satisfy
//! z_i − z_{m+j} = b_e and s_i s_{m+j} = sign(a_e) on every tree edge (z = 0, s = +1 at the
//! root), so for row i and column j of one tree, z_i − z_{m+j} is the alternating sum of the
//! logarithms along the tree path and s_i s_{m+j} the product of the signs:
//! a_ij = s_i s_{m+j} exp(z_i − z_{m+j}).

use super::Mask;

/// The forest, in breadth-first order: the vertices of each component are contiguous in
/// `order`, its root first.
pub(crate) struct Forest {
    /// Vertices in breadth-first order.
    pub order: Vec<u32>,
    /// Position of each vertex in `order`.
    pub pos: Vec<u32>,
    /// `start[c]..start[c + 1]` are the positions of component `c`.
    pub start: Vec<usize>,
    /// Component of each vertex.
    pub comp: Vec<u32>,
    /// Number of edges (nonzero entries) of each component.
    pub edges: Vec<usize>,
    /// Parent vertex (`u32::MAX` at a root).
    parent: Vec<u32>,
    depth: Vec<u32>,
    /// Tree potential z (log magnitudes).
    pub z: Vec<f64>,
    /// Sign s (`true` for −1).
    pub negative: Vec<bool>,
    /// Sum of the log-space variances on the tree path from the root.
    cumulative: Vec<f64>,
}

impl Forest {
    /// The forest of the entries `e` with `log_abs[e]` finite (the nonzero ones), with
    /// log-space variances `log_var[e]`.
    pub fn new(mask: &Mask, values: &[f64], log_abs: &[f64], log_var: &[f64]) -> Self {
        let (m, n) = (mask.nrows(), mask.ncols());
        let total = m + n;
        let mut forest = Self {
            order: Vec::with_capacity(total),
            pos: vec![u32::MAX; total],
            start: vec![0],
            comp: vec![0; total],
            edges: Vec::new(),
            parent: vec![u32::MAX; total],
            depth: vec![0; total],
            z: vec![0.0; total],
            negative: vec![false; total],
            cumulative: vec![0.0; total],
        };
        let mut neighbours: Vec<(usize, usize)> = Vec::new();
        for root in 0..total {
            if forest.pos[root] != u32::MAX {
                continue;
            }
            let label = forest.edges.len() as u32;
            let mut edges = 0usize;
            forest.visit(root, label);
            let mut head = forest.order.len() - 1;
            while head < forest.order.len() {
                let v = forest.order[head] as usize;
                head += 1;
                neighbours.clear();
                if v < m {
                    neighbours.extend(mask.row(v).map(|(j, e)| (m + j, e)));
                } else {
                    neighbours.extend(mask.col(v - m));
                }
                for &(w, e) in neighbours.iter().filter(|&&(_, e)| log_abs[e].is_finite()) {
                    edges += 1;
                    if forest.pos[w] != u32::MAX {
                        continue;
                    }
                    forest.visit(w, label);
                    forest.parent[w] = v as u32;
                    forest.depth[w] = forest.depth[v] + 1;
                    // z_row − z_col = b_e.
                    forest.z[w] = if v < m { forest.z[v] - log_abs[e] } else { forest.z[v] + log_abs[e] };
                    forest.negative[w] = forest.negative[v] ^ (values[e] < 0.0);
                    forest.cumulative[w] = forest.cumulative[v] + log_var[e];
                }
            }
            // Every edge was seen from both ends.
            forest.edges.push(edges / 2);
            forest.start.push(forest.order.len());
        }
        forest
    }

    fn visit(&mut self, v: usize, label: u32) {
        self.pos[v] = self.order.len() as u32;
        self.order.push(v as u32);
        self.comp[v] = label;
    }

    /// Number of components.
    pub fn count(&self) -> usize {
        self.edges.len()
    }

    /// Sum of the log-space variances on the tree path between vertices `a` and `b` of one
    /// component (walks up to their lowest common ancestor).
    pub fn path_variance(&self, a: usize, b: usize) -> f64 {
        let (mut x, mut y) = (a, b);
        while self.depth[x] > self.depth[y] {
            x = self.parent[x] as usize;
        }
        while self.depth[y] > self.depth[x] {
            y = self.parent[y] as usize;
        }
        while x != y {
            x = self.parent[x] as usize;
            y = self.parent[y] as usize;
        }
        self.cumulative[a] + self.cumulative[b] - 2.0 * self.cumulative[x]
    }
}
