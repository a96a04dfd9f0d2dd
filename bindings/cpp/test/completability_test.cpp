// Tests of the C++ completability API (tessera_completability.hpp):
// - rank 1: the closure of a hand-drawn mask and of a seeded random sparse one equals "row and
//   column in one connected component" of the bipartite graph, computed here by union-find;
//   the summary agrees (components, jacobian_rank = m + n - components); the coordinate and the
//   dense constructors, the batch and the single-entry queries and dense() agree; estimates by
//   both methods reproduce u_i v_j to 1e-10 exactly where completable, NaN / +Inf / 0 elsewhere;
//   sketched variances lie within 50% of the exact ones (relative deviation 0.1 expected);
// - rank 2: a random 10 x 9 rank-2 matrix with a few hidden entries and one row observed once:
//   minors reproduce the truth to 1e-8 exactly where the closure says completable, and the
//   first-order variances are finite exactly there; thread count does not change the results;
// - the phase transition stays in [0, 1] and grows from x = 0.3 to x = 3;
// - errors throw tessera::error with the right status (library checks and C++-side lengths).
#include "tessera.hpp"
#include "expect.hpp"

#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <vector>

namespace {

std::size_t at(int64_t i) { return static_cast<std::size_t>(i); }

/// Union-find over the m + n vertices of the bipartite row/column graph (columns at m + j).
struct Components {
  std::vector<int64_t> parent;
  int64_t m;
  Components(int64_t m, int64_t n, const std::vector<int64_t>& rows, const std::vector<int64_t>& cols) : parent(at(m + n)), m(m) {
    std::iota(parent.begin(), parent.end(), 0);
    for (std::size_t e = 0; e < rows.size(); ++e) parent[at(find(rows[e]))] = find(m + cols[e]);
  }
  int64_t find(int64_t v) {
    while (parent[at(v)] != v) v = parent[at(v)] = parent[at(parent[at(v)])];
    return v;
  }
  bool joined(int64_t i, int64_t j) { return find(i) == find(m + j); }
  int64_t count() {
    int64_t c = 0;
    for (std::size_t v = 0; v < parent.size(); ++v) c += find(static_cast<int64_t>(v)) == static_cast<int64_t>(v);
    return c;
  }
};

/// Every entry of an m x n matrix, column-major.
void all_entries(int64_t m, int64_t n, std::vector<int64_t>& qr, std::vector<int64_t>& qc) {
  qr.clear(), qc.clear();
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = 0; i < m; ++i) qr.push_back(i), qc.push_back(j);
}

/// Rank-1 closure of (rows, cols) against union-find; returns the flags of all entries.
std::vector<uint8_t> check_rank1_closure(int64_t m, int64_t n, const std::vector<int64_t>& rows, const std::vector<int64_t>& cols) {
  tessera::Closure c(m, n, rows, cols, 1);
  Components uf(m, n, rows, cols);
  std::vector<int64_t> qr, qc;
  all_entries(m, n, qr, qc);
  const std::vector<uint8_t> flags = c.contains(qr, qc), dense = c.dense();
  EXPECT(flags.size() == at(m * n) && dense == flags);
  int64_t mismatches = 0;
  for (std::size_t q = 0; q < qr.size(); ++q) mismatches += (flags[q] != 0) != uf.joined(qr[q], qc[q]);
  EXPECT(mismatches == 0);
  EXPECT(c.contains(rows[0], cols[0]) && c.contains(qr.back(), qc.back()) == (flags.back() != 0));
  const tessera::ClosureInfo info = c.info();
  EXPECT(info.rank == 1 && info.full_rank == m + n - 1);
  EXPECT(info.components == uf.count() && info.jacobian_rank == m + n - info.components);
  EXPECT(info.deficiency == info.full_rank - info.jacobian_rank && info.finitely_completable == (info.components == 1));
  // The dense constructor gives the same closure.
  std::vector<uint8_t> mask(at(m * n), 0);
  for (std::size_t e = 0; e < rows.size(); ++e) mask[at(rows[e] + m * cols[e])] = 1;
  EXPECT(tessera::Closure::from_dense(m, n, mask, 1).dense() == flags);
  std::printf("rank 1, %lld x %lld, %zu observed: %lld components, %lld mismatches against union-find\n", static_cast<long long>(m),
              static_cast<long long>(n), rows.size(), static_cast<long long>(info.components), static_cast<long long>(mismatches));
  return flags;
}

void rank_one() {
  // Hand mask, 7 x 6: rows {0,1,2} with columns {0,1,2} (a spanning path), rows {3,4} with
  // columns {3,4}, row 5 with column 5 alone, row 6 empty: 4 components.
  const int64_t m = 7, n = 6;
  const std::vector<int64_t> rows{0, 0, 1, 1, 2, 3, 3, 4, 5};
  const std::vector<int64_t> cols{0, 1, 1, 2, 0, 3, 4, 4, 5};
  const std::vector<uint8_t> flags = check_rank1_closure(m, n, rows, cols);
  EXPECT(flags[at(2 + m * 2)] && flags[at(4 + m * 3)] && !flags[at(0 + m * 3)] && !flags[at(6 + m * 0)] && flags[at(5 + m * 5)]);

  // Estimates of A = u v^T, both methods, against the truth where completable.
  const std::vector<double> u{1.5, -2.0, 0.5, 3.0, -1.0, 2.0, 0.75}, v{2.0, 1.0, -0.5, 4.0, 0.25, -3.0};
  std::vector<double> values;
  for (std::size_t e = 0; e < rows.size(); ++e) values.push_back(u[at(rows[e])] * v[at(cols[e])]);
  std::vector<int64_t> qr, qc;
  all_entries(m, n, qr, qc);
  for (tessera::Rank1Method method : {tessera::Rank1Method::min_variance, tessera::Rank1Method::path}) {
    tessera::CompletabilityOptions opt;
    opt.rank1_method = method;
    const tessera::Completion r = tessera::complete(m, n, rows, cols, values, 1, qr, qc, opt);
    EXPECT(r.estimate.size() == qr.size() && r.variance.size() == qr.size() && r.estimators.size() == qr.size());
    for (std::size_t q = 0; q < qr.size(); ++q) {
      if (flags[q]) {
        const double truth = u[at(qr[q])] * v[at(qc[q])];
        EXPECT(std::fabs(r.estimate[q] - truth) <= 1e-10 * std::fabs(truth));
        EXPECT(std::isfinite(r.variance[q]) && r.variance[q] >= 0 && r.estimators[q] >= 1);
      } else {
        EXPECT(std::isnan(r.estimate[q]) && std::isinf(r.variance[q]) && r.variance[q] > 0 && r.estimators[q] == 0);
      }
    }
  }

  // Seeded random sparse mask: several components of various sizes.
  {
    const int64_t M = 40, N = 30;
    std::mt19937_64 rng(3);
    std::vector<int64_t> r, c;
    std::vector<uint8_t> seen(at(M * N), 0);
    for (int k = 0; k < 45; ++k) {
      const int64_t i = static_cast<int64_t>(rng() % M), j = static_cast<int64_t>(rng() % N);
      if (!seen[at(i + M * j)]) seen[at(i + M * j)] = 1, r.push_back(i), c.push_back(j);
    }
    check_rank1_closure(M, N, r, c);

    // Sketched against exact variances (effective resistances; the sketch's relative standard
    // deviation is at most sqrt(2/200) = 0.1). The estimates themselves do not depend on it.
    std::vector<double> vals;
    for (std::size_t e = 0; e < r.size(); ++e) vals.push_back(static_cast<double>(1 + r[e] % 3) * static_cast<double>(2 + c[e] % 5));
    std::vector<int64_t> ar, ac;
    all_entries(M, N, ar, ac);
    tessera::CompletabilityOptions exact, sketch;
    sketch.rank1_variance = tessera::Rank1Variance::sketch;
    const tessera::Completion a = tessera::complete(M, N, r, c, vals, 1, ar, ac, exact);
    const tessera::Completion b = tessera::complete(M, N, r, c, vals, 1, ar, ac, sketch);
    double worst = 0;
    for (std::size_t q = 0; q < ar.size(); ++q) {
      EXPECT(std::isfinite(a.variance[q]) == std::isfinite(b.variance[q]));
      EXPECT(a.estimate[q] == b.estimate[q] || (std::isnan(a.estimate[q]) && std::isnan(b.estimate[q])));
      if (std::isfinite(a.variance[q]) && a.variance[q] > 0) worst = std::fmax(worst, std::fabs(b.variance[q] / a.variance[q] - 1));
    }
    std::printf("rank 1 sketched variances: largest relative deviation %.3f\n", worst);
    EXPECT(worst < 0.5);
  }
}

void rank_two() {
  const int64_t m = 10, n = 9;
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> unif(-1, 1);
  std::vector<double> U(at(2 * m)), V(at(2 * n));
  for (double& x : U) x = unif(rng);
  for (double& x : V) x = unif(rng);
  auto a = [&](int64_t i, int64_t j) { return U[at(2 * i)] * V[at(2 * j)] + U[at(2 * i + 1)] * V[at(2 * j + 1)]; };
  // Hidden: a scattered pattern, and all of row m-1 but column 0 (one observation < r: pruned).
  std::vector<int64_t> rows, cols, qr, qc;
  std::vector<double> values;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = 0; i < m; ++i) {
      const bool hidden = (i + 3 * j) % 4 == 0 || (i == m - 1 && j != 0);
      if (hidden) {
        qr.push_back(i), qc.push_back(j);
      } else {
        rows.push_back(i), cols.push_back(j), values.push_back(a(i, j));
      }
    }

  tessera::Closure c(m, n, rows, cols, 2);
  const tessera::ClosureInfo info = c.info();
  EXPECT(info.rank == 2 && info.full_rank == 2 * (m + n - 2) && !info.finitely_completable);
  EXPECT(info.pruned_rows == 1 && info.pruned_cols == 0);
  const std::vector<uint8_t> in = c.contains(qr, qc);
  int64_t determined = 0;
  for (std::size_t q = 0; q < qr.size(); ++q) {
    determined += in[q];
    EXPECT((in[q] != 0) == (qr[q] != m - 1));  // the 9 x 9 core is completable, the pruned row is not
  }

  const tessera::Completion r = tessera::complete(m, n, rows, cols, values, 2, qr, qc);
  const std::vector<double> fo = tessera::variance(m, n, rows, cols, values, 2, qr, qc);
  double worst = 0;
  for (std::size_t q = 0; q < qr.size(); ++q) {
    if (in[q]) {
      const double truth = a(qr[q], qc[q]);
      worst = std::fmax(worst, std::fabs(r.estimate[q] - truth) / std::fmax(std::fabs(truth), 1e-300));
      EXPECT(r.estimators[q] >= 1 && std::isfinite(r.variance[q]));
      EXPECT(std::isfinite(fo[q]) && fo[q] > 0);
    } else {
      EXPECT(std::isnan(r.estimate[q]) && std::isinf(r.variance[q]) && r.estimators[q] == 0);
      EXPECT(std::isinf(fo[q]) && fo[q] > 0);
    }
  }
  std::printf("rank 2, %lld x %lld: %lld of %zu hidden entries completable, largest relative error %.2e\n", static_cast<long long>(m),
              static_cast<long long>(n), static_cast<long long>(determined), qr.size(), worst);
  EXPECT(determined == static_cast<int64_t>(qr.size()) - (n - 1) && worst < 1e-8);

  // Thread count and a seeded closure do not change anything.
  tessera::CompletabilityOptions one, two;
  one.num_threads = 1, two.num_threads = 2;
  const tessera::Completion r1 = tessera::complete(m, n, rows, cols, values, 2, qr, qc, one);
  const tessera::Completion r2 = tessera::complete(m, n, rows, cols, values, 2, qr, qc, two);
  EXPECT(r1.estimators == r2.estimators && r1.variance == r2.variance);
  for (std::size_t q = 0; q < qr.size(); ++q) EXPECT(r1.estimate[q] == r2.estimate[q] || !in[q]);
  EXPECT(tessera::variance(m, n, rows, cols, values, 2, qr, qc, one) == tessera::variance(m, n, rows, cols, values, 2, qr, qc, two));
  EXPECT(tessera::Closure(m, n, rows, cols, 2, one).dense() == tessera::Closure(m, n, rows, cols, 2, two).dense());

  // Non-unit variances of the observations scale the first-order variances (all by 4).
  const std::vector<double> quad(rows.size(), 4.0);
  const std::vector<double> fo4 = tessera::variance(m, n, rows, cols, values, 2, qr, qc, tessera::CompletabilityOptions(), quad);
  for (std::size_t q = 0; q < qr.size(); ++q)
    if (in[q]) EXPECT(std::fabs(fo4[q] - 4 * fo[q]) <= 1e-8 * fo4[q]);

  // Moves keep the handle; the moved-from closure is empty.
  tessera::Closure moved = std::move(c);
  EXPECT(moved.get() != nullptr && c.get() == nullptr && moved.contains(qr, qc) == in);
  EXPECT_ERROR(TSR_ERR_NULL_POINTER, c.info());
}

void phase() {
  tessera::CompletabilityOptions opt;
  opt.seed = 5;
  const tessera::PhaseTransition p = tessera::phase_transition(20, 2, {0.3, 1.0, 3.0}, 3, opt);
  EXPECT(p.fraction.size() == 3 && p.fully_completable.size() == 3);
  for (std::size_t k = 0; k < 3; ++k) EXPECT(p.fraction[k] >= 0 && p.fraction[k] <= 1 && p.fully_completable[k] >= 0 && p.fully_completable[k] <= 3);
  EXPECT(p.fraction[0] <= p.fraction[1] && p.fraction[1] <= p.fraction[2] && p.fraction[0] < 0.5 && p.fraction[2] > 0.9);
  std::printf("phase transition n = 20, r = 2: fractions %.3f %.3f %.3f, fully completable %lld %lld %lld of 3\n", p.fraction[0],
              p.fraction[1], p.fraction[2], static_cast<long long>(p.fully_completable[0]), static_cast<long long>(p.fully_completable[1]),
              static_cast<long long>(p.fully_completable[2]));
  const tessera::PhaseTransition again = tessera::phase_transition(20, 2, {0.3, 1.0, 3.0}, 3, opt);
  EXPECT(again.fraction == p.fraction && again.fully_completable == p.fully_completable);
}

void errors() {
  const std::vector<int64_t> rows{0, 0, 1, 1, 2}, cols{0, 1, 1, 2, 0}, qr{2, 1}, qc{2, 0};
  const std::vector<double> values{1.0, 2.0, 4.0, 8.0, 0.5};
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::Closure(3, 3, rows, cols, 3));
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::Closure(3, 3, rows, cols, 0));
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::complete(3, 3, rows, cols, values, 3, qr, qc));
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::variance(3, 3, rows, cols, values, -1, qr, qc));
  EXPECT_ERROR(TSR_ERR_DOMAIN, tessera::Closure(3, 3, {0, 0, 1, 1, 7}, cols, 1));   // row 7 of 3
  EXPECT_ERROR(TSR_ERR_DOMAIN, tessera::Closure(3, 3, {0, 0, 1, 1, 0}, {0, 1, 1, 2, 1}, 1));  // (0, 1) twice
  EXPECT_ERROR(TSR_ERR_DOMAIN, tessera::Closure(3, 3, {}, {}, 1));                  // nothing observed
  EXPECT_ERROR(TSR_ERR_DOMAIN, tessera::complete(3, 3, rows, cols, values, 1, qr, {2, 3}));
  EXPECT_ERROR(TSR_ERR_DOMAIN, tessera::Closure(3, 3, rows, cols, 1).contains(qr, {2, 3}));
  EXPECT_ERROR(TSR_ERR_DOMAIN, tessera::complete(3, 3, rows, cols, values, 1, qr, qc, tessera::CompletabilityOptions(), {1, 1, -1, 1, 1}));
  EXPECT_ERROR(TSR_ERR_NON_FINITE, tessera::complete(3, 3, rows, cols, {1.0, NAN, 4.0, 8.0, 0.5}, 1, qr, qc));
  EXPECT_ERROR(TSR_ERR_BAD_EXTENT, tessera::Closure(-3, 3, rows, cols, 1));
  tessera::CompletabilityOptions o;
  o.rank1_method = static_cast<tessera::Rank1Method>(7);
  EXPECT_ERROR(TSR_ERR_INVALID_ENUM, tessera::complete(3, 3, rows, cols, values, 1, qr, qc, o));
  o = tessera::CompletabilityOptions();
  o.tol = -1;
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::complete(3, 3, rows, cols, values, 1, qr, qc, o));
  o = tessera::CompletabilityOptions();
  o.trials = 0;
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::Closure(3, 3, rows, cols, 1, o));
  o = tessera::CompletabilityOptions();
  o.num_threads = -1;
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::variance(3, 3, rows, cols, values, 1, qr, qc, o));
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::phase_transition(10, 2, {1.0, -1.0}, 2));
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::phase_transition(10, 2, {1.0}, 0));
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::phase_transition(2, 2, {1.0}, 1));
  // Lengths the C functions cannot see: caught before the call.
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, tessera::Closure(3, 3, rows, {0, 1}, 1));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, tessera::Closure(3, 3, rows, cols, 1).contains(qr, {0}));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, tessera::Closure::from_dense(3, 3, std::vector<uint8_t>(8, 1), 1));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, tessera::complete(3, 3, rows, cols, {1.0, 2.0}, 1, qr, qc));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, tessera::complete(3, 3, rows, cols, values, 1, qr, qc, tessera::CompletabilityOptions(), {1.0}));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, tessera::variance(3, 3, rows, cols, values, 1, {0, 1}, {0}));
}

}  // namespace

int main() {
  // Documented defaults.
  const tessera::CompletabilityOptions opt;
  EXPECT(opt.num_threads == 0 && opt.trials == 2 && opt.sketch_dimensions == 200);
  EXPECT(opt.rank1_method == tessera::Rank1Method::min_variance && opt.rank1_variance == tessera::Rank1Variance::exact);
  EXPECT(opt.tol > 0 && opt.tol < 1 && opt.max_iter >= 1 && opt.max_estimators >= 1 && opt.max_rounds >= 1);
  EXPECT(opt.min_rcond >= 0 && opt.min_rcond < 1);

  rank_one();
  rank_two();
  phase();
  errors();

  std::printf("completability_test: %s\n", failures ? "FAILED" : "ok");
  return failures;
}
