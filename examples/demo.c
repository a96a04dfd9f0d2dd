/*
 * Tessera demo: embed a tree in the Poincare disk.
 *
 * A complete ternary tree of depth 3 (40 nodes) is embedded in the 2-dimensional Poincare ball
 * by Riemannian SGD on the loss of Nickel & Kiela (2017): for every ancestor-descendant pair
 * (u, v), -log softmax of -d(v, u) against the distances from v to sampled nodes unrelated to v
 * (neither its ancestors nor its descendants).
 * Every geometric step goes through the library: distances and their gradients
 * (tsr_poincare_dist_f64 / _vjp_f64), Euclidean-to-Riemannian gradients and the exponential-map
 * update. The output shows the hierarchy the geometry learned: depth grows with the distance
 * from the origin, and relatives are closer than strangers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera.h"

enum { BRANCH = 3, DEPTH = 3, NODES = 1 + 3 + 9 + 27, DIM = 2, NEG = 10, EPOCHS = 300 };

static int parent[NODES], depth[NODES];

static void check(tsr_status s, const char *what) {
  if (s != TSR_OK) {
    fprintf(stderr, "%s failed: %s: %s\n", what, tsr_status_str(s), tsr_last_error_message());
    exit(1);
  }
}

/* Whether a is an ancestor of b (or b itself). */
static int is_ancestor(int a, int b) {
  for (; b >= 0; b = parent[b])
    if (a == b) return 1;
  return 0;
}

static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;
static double uniform(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

int main(void) {
  /* Breadth-first numbering: children of node i are BRANCH*i + 1 ... BRANCH*i + BRANCH. */
  int i, j, k, epoch;
  parent[0] = -1;
  depth[0] = 0;
  for (i = 1; i < NODES; i++) {
    parent[i] = (i - 1) / BRANCH;
    depth[i] = depth[parent[i]] + 1;
  }
  /* Positive pairs: every (ancestor, descendant) pair. */
  int pairs[NODES * DEPTH][2], npairs = 0;
  for (i = 1; i < NODES; i++)
    for (j = parent[i]; j >= 0; j = parent[j]) {
      pairs[npairs][0] = j;
      pairs[npairs][1] = i;
      npairs++;
    }

  tsr_poincare *ball = NULL;
  tsr_poincare_options opts;
  check(tsr_poincare_options_default(&opts), "options");
  opts.num_threads = 1;
  check(tsr_poincare_new(1.0, &opts, &ball), "tsr_poincare_new");

  static double emb[NODES][DIM];
  for (i = 0; i < NODES; i++)
    for (k = 0; k < DIM; k++) emb[i][k] = 1e-3 * (uniform() - 0.5);

  /* Each row of a batch is (descendant, candidate): its true ancestor first, then NEG negatives. */
  enum { ROWS = NODES * DEPTH * (NEG + 1) };
  static double xu[ROWS][DIM], yv[ROWS][DIM], d[ROWS], gd[ROWS], gx[ROWS][DIM], gy[ROWS][DIM];
  static double egrad[NODES][DIM], rgrad[NODES][DIM], step[NODES][DIM], next[NODES][DIM];
  static int node_u[ROWS], node_v[ROWS];
  const double lr0 = 0.3;
  tsr_matref_f64 x_ref = tsr_matref_f64_rowmajor(&xu[0][0], 0, DIM, DIM);
  tsr_matref_f64 y_ref = x_ref, d_ref, node_ref = tsr_matref_f64_rowmajor(&emb[0][0], NODES, DIM, DIM);

  for (epoch = 0; epoch < EPOCHS; epoch++) {
    int rows = 0;
    double loss = 0.0;
    for (int p = 0; p < npairs; p++) {
      int u = pairs[p][0], v = pairs[p][1];
      for (k = 0; k <= NEG; k++) {
        int w = u;
        if (k > 0)
          do w = (int)(uniform() * NODES); while (is_ancestor(v, w) || is_ancestor(w, v));
        node_u[rows] = v;
        node_v[rows] = w;
        memcpy(xu[rows], emb[v], sizeof emb[v]);
        memcpy(yv[rows], emb[w], sizeof emb[w]);
        rows++;
      }
    }
    x_ref = tsr_matref_f64_rowmajor(&xu[0][0], rows, DIM, DIM);
    y_ref = tsr_matref_f64_rowmajor(&yv[0][0], rows, DIM, DIM);
    check(tsr_poincare_dist_f64(ball, x_ref, y_ref, tsr_matmut_f64_rowmajor(d, rows, 1, 1)), "dist");

    /* Softmax cross-entropy over each group of NEG + 1 rows; the true pair is the first. */
    for (int g = 0; g < rows; g += NEG + 1) {
      double m = -d[g], z = 0.0;
      for (k = 0; k <= NEG; k++) m = fmax(m, -d[g + k]);
      for (k = 0; k <= NEG; k++) z += exp(-d[g + k] - m);
      loss += d[g] + m + log(z);
      for (k = 0; k <= NEG; k++) gd[g + k] = -exp(-d[g + k] - m) / z + (k == 0);
    }
    d_ref = tsr_matref_f64_rowmajor(gd, rows, 1, 1);
    check(tsr_poincare_dist_vjp_f64(ball, x_ref, y_ref, d_ref, tsr_matmut_f64_rowmajor(&gx[0][0], rows, DIM, DIM),
                                    tsr_matmut_f64_rowmajor(&gy[0][0], rows, DIM, DIM)),
          "dist_vjp");

    /* Euclidean gradient per node, then a Riemannian SGD step x <- exp_x(-lr grad_R). */
    memset(egrad, 0, sizeof egrad);
    for (i = 0; i < rows; i++)
      for (k = 0; k < DIM; k++) {
        egrad[node_u[i]][k] += gx[i][k];
        egrad[node_v[i]][k] += gy[i][k];
      }
    check(tsr_poincare_egrad_to_rgrad_f64(ball, node_ref, tsr_matref_f64_rowmajor(&egrad[0][0], NODES, DIM, DIM),
                                          tsr_matmut_f64_rowmajor(&rgrad[0][0], NODES, DIM, DIM)),
          "egrad_to_rgrad");
    double lr = epoch < 20 ? lr0 / 10 : lr0; /* Nickel & Kiela's burn-in */
    for (i = 0; i < NODES; i++)
      for (k = 0; k < DIM; k++) step[i][k] = -lr * rgrad[i][k];
    check(tsr_poincare_expmap_f64(ball, node_ref, tsr_matref_f64_rowmajor(&step[0][0], NODES, DIM, DIM),
                                  tsr_matmut_f64_rowmajor(&next[0][0], NODES, DIM, DIM)),
          "expmap");
    memcpy(emb, next, sizeof emb);
    if (epoch % 60 == 0 || epoch == EPOCHS - 1)
      printf("epoch %3d  loss per pair %.4f\n", epoch, loss / npairs);
  }

  /* What the embedding shows. */
  static double origin[NODES][DIM], r[NODES], all_x[NODES * NODES][DIM], all_y[NODES * NODES][DIM], dd[NODES * NODES];
  check(tsr_poincare_dist0_f64(ball, node_ref, tsr_matmut_f64_rowmajor(r, NODES, 1, 1)), "dist0");
  (void)origin;
  printf("\ndepth  nodes  mean distance from the origin  mean Euclidean norm\n");
  for (int dep = 0; dep <= DEPTH; dep++) {
    double sr = 0, sn = 0;
    int cnt = 0;
    for (i = 0; i < NODES; i++)
      if (depth[i] == dep) {
        sr += r[i];
        sn += sqrt(emb[i][0] * emb[i][0] + emb[i][1] * emb[i][1]);
        cnt++;
      }
    printf("%5d  %5d  %29.3f  %19.4f\n", dep, cnt, sr / cnt, sn / cnt);
  }
  for (i = 0; i < NODES; i++)
    for (j = 0; j < NODES; j++) {
      memcpy(all_x[i * NODES + j], emb[i], sizeof emb[i]);
      memcpy(all_y[i * NODES + j], emb[j], sizeof emb[j]);
    }
  check(tsr_poincare_dist_f64(ball, tsr_matref_f64_rowmajor(&all_x[0][0], NODES * NODES, DIM, DIM),
                              tsr_matref_f64_rowmajor(&all_y[0][0], NODES * NODES, DIM, DIM),
                              tsr_matmut_f64_rowmajor(dd, NODES * NODES, 1, 1)),
        "dist (all pairs)");
  /* Leaves: siblings share a parent, cousins a grandparent, strangers only the root. */
  double sum[3] = {0, 0, 0};
  int cnt[3] = {0, 0, 0}, ranked = 0, first = 0;
  for (i = 0; i < NODES; i++)
    for (j = 0; j < NODES; j++) {
      if (i == j || depth[i] != DEPTH || depth[j] != DEPTH) continue;
      int kind = parent[i] == parent[j] ? 0 : parent[parent[i]] == parent[parent[j]] ? 1 : 2;
      sum[kind] += dd[i * NODES + j];
      cnt[kind]++;
    }
  printf("\nmean distance between leaves: siblings %.3f < cousins %.3f < other subtrees %.3f\n", sum[0] / cnt[0],
         sum[1] / cnt[1], sum[2] / cnt[2]);
  /* Reconstruction: is each node's parent its nearest node of smaller depth? */
  for (i = 1; i < NODES; i++) {
    int best = -1;
    for (j = 0; j < NODES; j++)
      if (depth[j] == depth[i] - 1 && (best < 0 || dd[i * NODES + j] < dd[i * NODES + best])) best = j;
    ranked++;
    first += best == parent[i];
  }
  printf("parent recovered as the nearest node one level up: %d of %d nodes\n", first, ranked);
  tsr_poincare_free(ball);
  return (sum[0] / cnt[0] < sum[1] / cnt[1] && sum[1] / cnt[1] < sum[2] / cnt[2]) ? 0 : 1;
}
