/*
 * Tessera demo, in three parts.
 *
 * 1. Embed a tree in the Poincare disk.
 *
 * A complete ternary tree of depth 3 (40 nodes) is embedded in the 2-dimensional Poincare ball
 * by Riemannian SGD on the loss of Nickel & Kiela (2017): for every ancestor-descendant pair
 * (u, v), -log softmax of -d(v, u) against the distances from v to sampled nodes unrelated to v
 * (neither its ancestors nor its descendants).
 * Every geometric step goes through the library: distances and their gradients
 * (tsr_poincare_dist_f64 / _vjp_f64), Euclidean-to-Riemannian gradients and the exponential-map
 * update. The output shows the hierarchy the geometry learned: depth grows with the distance
 * from the origin, and relatives are closer than strangers.
 *
 * 2. Complete a partially observed tensor (Tomioka, Hayashi, Kashima 2011).
 *
 * A 40 x 30 x 20 tensor made of three smooth "sources" (a sum of three outer products of
 * sine, cosine and bump profiles) is observed at 25% of its entries. The overlapped and the
 * latent trace-norm estimators fill in the rest (tsr_tensor_complete_coo_f64 /
 * _dense_f64); the output shows the error on the hidden entries and the estimated ranks. The
 * interpretability heuristic (tsr_tensor_components_f64: Tucker core, then a 3-component CP
 * decomposition of the core mapped back) then recovers the three profiles of every mode, up to
 * order and sign; the output gives their cosine similarity with the true profiles.
 *
 * 3. Which entries of a partially observed rank-2 matrix are determined (Kiraly, Theran,
 *    Tomioka 2015).
 *
 * A 40 x 30 "ratings" matrix of rank 2 (two taste factors per user and per item) is observed at
 * 30% of its entries, plus three newcomers who rated a single item each. The closure in the
 * rank-2 determinantal matroid (tsr_completability_closure_new, exact arithmetic over a prime
 * field) says which of the hidden entries are determined by the observed positions alone; the
 * minors A_iJ A_IJ^-1 A_Ij complete them (tsr_completability_complete_f64) and the first-order
 * variance (tsr_completability_variance_f64) is the error bar any completion method would have
 * with unit observation noise: finite exactly for the completable entries. Then the phase
 * transition: the fraction of completable entries of random 30 x 30 masks against
 * |Omega| / (r (2n - r)), which jumps near 1 for r = 2.
 *
 * 4. Train a small network, and send its gradients compressed (Alistarh et al. 2017).
 *
 * Two interleaved spirals in the plane (400 training points, and 400 test points halfway between
 * them along the arms; two classes) are
 * learned by a 2-32-32-2 tanh network with softmax cross-entropy (tsr_nn_new, float). Each
 * step computes the full-batch gradient (tsr_nn_backward_f32), compresses it as a data-parallel
 * code would before sending it to the other ranks (tsr_qsgd_encode_f32: 16 levels, buckets of
 * 512, 2-norm scales, a fresh seed per step), decodes it (tsr_qsgd_decode_f32) and applies the
 * decoded, unbiased gradient with Adam (tsr_nn_step_f32). The output shows the loss, the test
 * accuracy, and the bits per coordinate sent against the 32 of a float.
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

static int tree_demo(void) {
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

enum { N1 = 40, N2 = 30, N3 = 20, NT = N1 * N2 * N3, SOURCES = 3 };

/* Profile `c` of a mode of length `n` at index `i`: a sine, a cosine and a bump. */
static double profile(int c, int i, int n) {
  double t = (double)i / (double)(n - 1);
  switch (c) {
    case 0: return sin(3.14159265358979 * t);
    case 1: return cos(2.0 * 3.14159265358979 * t);
    default: return exp(-40.0 * (t - 0.3) * (t - 0.3));
  }
}

static double cosine(const double *a, const double *b, int n) {
  double ab = 0, aa = 0, bb = 0;
  for (int i = 0; i < n; i++) ab += a[i] * b[i], aa += a[i] * a[i], bb += b[i] * b[i];
  return fabs(ab) / sqrt(aa * bb);
}

static int completion_demo(void) {
  static double truth[NT], values[NT], estimate[NT];
  static unsigned char mask[NT];
  const int64_t shape[3] = {N1, N2, N3};
  const int n[3] = {N1, N2, N3};
  const double weight[SOURCES] = {3.0, 2.0, 1.5};
  for (int k = 0; k < N3; k++)
    for (int j = 0; j < N2; j++)
      for (int i = 0; i < N1; i++) {
        double v = 0;
        for (int c = 0; c < SOURCES; c++) v += weight[c] * profile(c, i, N1) * profile(c, j, N2) * profile(c, k, N3);
        truth[i + N1 * (j + N2 * k)] = v;
      }
  /* Observe 25% of the entries, as coordinate lists and as a mask. */
  static int64_t coords[3 * NT];
  static double obs[NT];
  int64_t m = 0;
  for (int l = 0; l < NT; l++) {
    mask[l] = uniform() < 0.25;
    values[l] = mask[l] ? truth[l] : 0.0;
    if (mask[l]) {
      coords[3 * m] = l % N1, coords[3 * m + 1] = (l / N1) % N2, coords[3 * m + 2] = l / (N1 * N2);
      obs[m++] = truth[l];
    }
  }
  printf("\nTensor completion: %d x %d x %d tensor of three smooth sources, %lld of %d entries observed\n", N1, N2,
         N3, (long long)m, NT);
  const char *names[2] = {"overlapped (Constraint)", "latent (Mixture)"};
  const uint32_t methods[2] = {TSR_TENSOR_OVERLAPPED, TSR_TENSOR_LATENT};
  tsr_tensor_info info;
  double best_error = 1.0;
  for (int r = 0; r < 2; r++) {
    tsr_tensor_options opt;
    check(tsr_tensor_options_default(&opt), "tsr_tensor_options_default");
    opt.method = methods[r];
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    if (r == 0)
      check(tsr_tensor_complete_coo_f64(3, shape, m, coords, obs, &opt, estimate, &info), "tsr_tensor_complete_coo_f64");
    else
      check(tsr_tensor_complete_dense_f64(3, shape, values, mask, &opt, estimate, &info), "tsr_tensor_complete_dense_f64");
    double num = 0, den = 0;
    for (int l = 0; l < NT; l++)
      if (!mask[l]) num += (estimate[l] - truth[l]) * (estimate[l] - truth[l]), den += truth[l] * truth[l];
    double error = sqrt(num / den);
    if (r == 0) best_error = error;
    printf("  %-24s %4lld iterations, duality gap %.1e, error on hidden entries %.2e, ranks (%lld, %lld, %lld)\n",
           names[r], (long long)info.iterations, info.duality_gap, error, (long long)info.ranks[0],
           (long long)info.ranks[1], (long long)info.ranks[2]);
  }
  /* Interpret the overlapped estimate: three components, one profile per mode each. */
  check(tsr_tensor_complete_coo_f64(3, shape, m, coords, obs, NULL, estimate, &info), "tsr_tensor_complete_coo_f64");
  static double l1[N1 * SOURCES], l2[N2 * SOURCES], l3[N3 * SOURCES];
  double *loadings[3] = {l1, l2, l3};
  double weights[SOURCES], fit;
  tsr_tensor_cp_options cp;
  check(tsr_tensor_cp_options_default(&cp), "tsr_tensor_cp_options_default");
  cp.rank = SOURCES;
  check(tsr_tensor_components_f64(3, shape, estimate, info.ranks, &cp, weights, loadings, &fit), "tsr_tensor_components_f64");
  printf("  components of the estimate (fit %.6f): cosine similarity with the true profiles\n", fit);
  double worst = 1.0;
  for (int c = 0; c < SOURCES; c++) {
    printf("    weight %6.2f:", weights[c]);
    for (int k = 0; k < 3; k++) {
      double best = 0, truth_profile[N1];
      for (int s = 0; s < SOURCES; s++) {
        for (int i = 0; i < n[k]; i++) truth_profile[i] = profile(s, i, n[k]);
        double cs = cosine(loadings[k] + (size_t)c * (size_t)n[k], truth_profile, n[k]);
        if (cs > best) best = cs;
      }
      if (best < worst) worst = best;
      printf("  mode %d %.4f", k + 1, best);
    }
    printf("\n");
  }
  return (best_error < 1e-2 && worst > 0.99) ? 0 : 1;
}

enum { USERS = 40, ITEMS = 30, NEWCOMERS = 3, RANK = 2, CELLS = USERS * ITEMS };

static int completability_demo(void) {
  static double a[CELLS], values[CELLS], estimate[CELLS], variance[CELLS], bound[CELLS];
  static int64_t rows[CELLS], cols[CELLS], qrows[CELLS], qcols[CELLS], count[CELLS];
  static uint8_t determined[CELLS];
  double u[USERS][RANK], v[ITEMS][RANK];
  for (int i = 0; i < USERS; i++)
    for (int k = 0; k < RANK; k++) u[i][k] = 2.0 * uniform() - 1.0;
  for (int j = 0; j < ITEMS; j++)
    for (int k = 0; k < RANK; k++) v[j][k] = 2.0 * uniform() - 1.0;
  int64_t nobs = 0, nq = 0;
  for (int j = 0; j < ITEMS; j++)
    for (int i = 0; i < USERS; i++) {
      double x = u[i][0] * v[j][0] + u[i][1] * v[j][1];
      int newcomer = i >= USERS - NEWCOMERS;
      int seen = newcomer ? j == i % ITEMS : uniform() < 0.3;
      a[i + USERS * j] = x;
      if (seen) rows[nobs] = i, cols[nobs] = j, values[nobs++] = x;
      else qrows[nq] = i, qcols[nq++] = j;
    }
  printf("\nCompletability: %d x %d matrix of rank %d, %lld of %d entries observed (%d newcomers with one rating each)\n",
         USERS, ITEMS, RANK, (long long)nobs, CELLS, NEWCOMERS);
  tsr_completability_closure *closure;
  check(tsr_completability_closure_new(USERS, ITEMS, nobs, rows, cols, RANK, NULL, &closure), "tsr_completability_closure_new");
  tsr_completability_info info;
  info.struct_size = sizeof info;
  check(tsr_completability_closure_info(closure, &info), "tsr_completability_closure_info");
  check(tsr_completability_closure_query(closure, nq, qrows, qcols, determined), "tsr_completability_closure_query");
  tsr_completability_closure_free(closure);
  int64_t in_closure = 0, newcomer_hidden = 0, newcomer_determined = 0;
  for (int64_t q = 0; q < nq; q++) {
    in_closure += determined[q];
    if (qrows[q] >= USERS - NEWCOMERS) newcomer_hidden++, newcomer_determined += determined[q];
  }
  printf("  Jacobian rank %lld of %lld (deficiency %lld), %lld rows pruned: %lld of %lld hidden entries are determined\n",
         (long long)info.jacobian_rank, (long long)info.full_rank, (long long)info.deficiency,
         (long long)info.pruned_rows, (long long)in_closure, (long long)nq);
  printf("  (newcomers: %lld of their %lld hidden entries determined; one rating cannot fix two taste factors)\n",
         (long long)newcomer_determined, (long long)newcomer_hidden);
  check(tsr_completability_complete_f64(USERS, ITEMS, nobs, rows, cols, values, NULL, RANK, nq, qrows, qcols, NULL,
                                        estimate, variance, count), "tsr_completability_complete_f64");
  check(tsr_completability_variance_f64(USERS, ITEMS, nobs, rows, cols, values, NULL, RANK, nq, qrows, qcols, NULL,
                                        bound), "tsr_completability_variance_f64");
  int64_t completed = 0, consistent = 1, finite_bounds = 0;
  double worst = 0.0, mean_sd = 0.0;
  for (int64_t q = 0; q < nq; q++) {
    if (count[q] > 0) {
      double err = fabs(estimate[q] - a[qrows[q] + USERS * qcols[q]]) / fmax(fabs(a[qrows[q] + USERS * qcols[q]]), 1e-3);
      if (err > worst) worst = err;
      completed++;
      if (!determined[q]) consistent = 0;
    }
    if (isfinite(bound[q])) finite_bounds++, mean_sd += sqrt(bound[q]);
    if (isfinite(bound[q]) != determined[q]) consistent = 0;
  }
  printf("  minors complete %lld of them (worst relative error %.1e); first-order variance finite for %lld,\n",
         (long long)completed, worst, (long long)finite_bounds);
  printf("  mean standard deviation %.2f per unit observation noise\n", finite_bounds ? mean_sd / (double)finite_bounds : 0.0);
  const double x[6] = {0.5, 0.75, 1.0, 1.25, 1.5, 2.0};
  double fraction[6];
  int64_t full[6];
  check(tsr_completability_phase_transition(30, RANK, 6, x, 5, NULL, fraction, full), "tsr_completability_phase_transition");
  printf("  phase transition, 30 x 30, rank %d, 5 masks per point: x = |Omega| / (r(2n - r)), completable fraction\n   ", RANK);
  for (int p = 0; p < 6; p++) printf("  x=%.2f: %.2f", x[p], fraction[p]);
  printf("\n");
  return (consistent && completed > 0 && worst < 1e-8 && newcomer_determined == 0 && fraction[5] > fraction[0]) ? 0 : 1;
}

enum { SPIRAL = 200, TRAIN = 2 * SPIRAL, STEPS = 1500 };

/* Two interleaved spirals: point k of arm c (0 or 1) at angle t, radius t/(4 pi), jittered;
   `offset` (in steps of t) places the test points between the training points. */
static void spirals(float *x, uint32_t *labels, double offset, double jitter) {
  for (int k = 0; k < TRAIN; k++) {
    int c = k % 2;
    double t = 0.25 + 3.5 * 3.14159265358979 * ((double)(k / 2) + offset) / SPIRAL;
    double r = t / (4.0 * 3.14159265358979);
    x[2 * k] = (float)(r * cos(t + c * 3.14159265358979) + jitter * (uniform() - 0.5));
    x[2 * k + 1] = (float)(r * sin(t + c * 3.14159265358979) + jitter * (uniform() - 0.5));
    labels[k] = (uint32_t)c;
  }
}

static double accuracy(tsr_nn *net, const float *x, const uint32_t *labels) {
  static float y[2 * TRAIN];
  check(tsr_nn_forward_f32(net, tsr_matref_f32_colmajor(x, 2, TRAIN, 2), tsr_matmut_f32_colmajor(y, 2, TRAIN, 2)), "tsr_nn_forward_f32");
  int correct = 0;
  for (int k = 0; k < TRAIN; k++) correct += (y[2 * k + 1] > y[2 * k]) == (int)labels[k];
  return (double)correct / TRAIN;
}

static int network_demo(void) {
  static float x[2 * TRAIN], xt[2 * TRAIN], grad[32 * 3 + 33 * 32 + 33 * 2];
  static uint32_t labels[TRAIN], test_labels[TRAIN];
  static uint8_t stream[16384];
  spirals(x, labels, 0.0, 0.02);
  spirals(xt, test_labels, 0.5, 0.02);
  const int64_t sizes[4] = {2, 32, 32, 2};
  const uint32_t acts[3] = {TSR_NN_TANH, TSR_NN_TANH, TSR_NN_IDENTITY};
  tsr_nn_options o;
  check(tsr_nn_options_default(&o), "tsr_nn_options_default");
  o.seed = 3;
  o.max_batch = TRAIN;
  o.num_threads = 1;
  tsr_nn *net;
  check(tsr_nn_new(3, sizes, acts, TSR_NN_SOFTMAX_CROSS_ENTROPY, &o, &net), "tsr_nn_new");
  tsr_nn_optimiser_options adam;
  check(tsr_nn_optimiser_options_default(&adam), "tsr_nn_optimiser_options_default");
  adam.learning_rate = 0.01;
  check(tsr_nn_set_optimiser(net, &adam), "tsr_nn_set_optimiser");
  tsr_nn_info info;
  info.struct_size = sizeof info;
  check(tsr_nn_get_info(net, &info), "tsr_nn_get_info");
  printf("\nNetwork: two spirals, %d training points, a 2-32-32-2 tanh network (%lld parameters), Adam,\n", TRAIN,
         (long long)info.num_params);
  printf("  gradients sent through QSGD (16 levels, buckets of 512) as between MPI ranks\n");
  tsr_qsgd_options q;
  check(tsr_qsgd_options_default(&q), "tsr_qsgd_options_default");
  double loss = 0.0, first = 0.0, bits = 0.0;
  for (int step = 0; step < STEPS; step++) {
    check(tsr_nn_backward_f32(net, tsr_matref_f32_colmajor(x, 2, TRAIN, 2), (tsr_matref_f32){NULL, 0, 0, 0, 0}, labels,
                              (tsr_matmut_f32){NULL, 0, 0, 0, 0}, &loss), "tsr_nn_backward_f32");
    if (step == 0) first = loss;
    const float *g;
    int64_t n, len;
    check(tsr_nn_gradient_f32(net, &g, &n), "tsr_nn_gradient_f32");
    q.seed = (uint64_t)step;
    check(tsr_qsgd_encode_f32(n, g, &q, stream, (int64_t)sizeof stream, &len), "tsr_qsgd_encode_f32");
    tsr_qsgd_stream_info si;
    si.struct_size = sizeof si;
    check(tsr_qsgd_get_stream_info(stream, len, &si), "tsr_qsgd_get_stream_info");
    bits += si.bits_per_coordinate / STEPS;
    check(tsr_qsgd_decode_f32(stream, len, n, grad), "tsr_qsgd_decode_f32");
    check(tsr_nn_step_f32(net, grad, n), "tsr_nn_step_f32");
    if (step % 300 == 0 || step == STEPS - 1)
      printf("  step %4d  loss %.4f  train accuracy %.3f\n", step, loss, accuracy(net, x, labels));
  }
  double test = accuracy(net, xt, test_labels);
  printf("  test accuracy %.3f; %.2f bits per coordinate sent on average (a float is 32)\n", test, bits);
  tsr_nn_free(net);
  return (test > 0.95 && loss < 0.2 * first && bits < 8.0) ? 0 : 1;
}

int main(void) {
  int tree = tree_demo();
  int completion = completion_demo();
  int completability = completability_demo();
  int network = network_demo();
  return tree || completion || completability || network;
}
