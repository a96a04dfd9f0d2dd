// Completability of partially observed low-rank matrices for C++17 (the tsr_completability_*
// entry points). Included by tessera.hpp; hand-written.
//
//   tessera::Closure c(m, n, rows, cols, 2);          // rank-2 closure of the observed positions
//   c.info().finitely_completable;                    // jacobian_rank, deficiency, components, ...
//   std::vector<uint8_t> in = c.contains(qrows, qcols);   // 1 where a queried entry is determined
//   std::vector<uint8_t> all = c.dense();             // m * n flags, column-major
//   tessera::Completion e = tessera::complete(m, n, rows, cols, values, 2, qrows, qcols);
//   std::vector<double> v = tessera::variance(m, n, rows, cols, values, 2, qrows, qcols);
//   tessera::PhaseTransition p = tessera::phase_transition(30, 2, {0.5, 1.0, 2.0}, 5);
//
// Indices are 0-based, as in C: observation e is entry (rows[e], cols[e]) with value values[e]
// (and variance variances[e]; an empty `variances` means unit variances). The rank r must
// satisfy 1 <= r < min(m, n). An entry that cannot be determined has estimate NaN, variance
// +Inf and 0 estimators; that is a result, not an error. Failures throw tessera::error; list
// lengths the C functions cannot see (rows vs cols, values, the dense mask against m * n)
// throw TSR_ERR_SHAPE_MISMATCH before the call.
#pragma once

#include <cstring>

namespace tessera {

/// How rank-1 entries are estimated.
enum class Rank1Method : uint32_t {
  min_variance = TSR_COMPLETABILITY_MIN_VARIANCE,  ///< minimum-variance unbiased (electrical flow)
  path = TSR_COMPLETABILITY_PATH,                  ///< the product along one alternating path
};

/// How the variances of rank-1 minimum-variance estimates are computed.
enum class Rank1Variance : uint32_t {
  exact = TSR_COMPLETABILITY_VARIANCE_EXACT,    ///< one Laplacian solve per queried entry
  sketch = TSR_COMPLETABILITY_VARIANCE_SKETCH,  ///< Johnson-Lindenstrauss sketch of sketch_dimensions solves
};

/// tsr_completability_options as a value type; a default-constructed one holds the library's
/// defaults. Every call reads the fields it needs.
struct CompletabilityOptions {
  int32_t num_threads;  ///< 0 follows tessera::set_num_threads and the environment
  uint64_t seed;        ///< random evaluation points (closure, phase transition) and fits
  int64_t trials;       ///< closure: independent random points
  Rank1Method rank1_method;
  double tol;        ///< rank 1, min_variance: relative tolerance of the Laplacian solves
  int64_t max_iter;  ///< rank 1, min_variance: iteration limit of the Laplacian solves
  Rank1Variance rank1_variance;
  int64_t sketch_dimensions;  ///< rank 1, Rank1Variance::sketch: number of solves
  int64_t max_estimators;     ///< rank >= 2: most minors combined into one estimate
  int64_t max_rounds;         ///< rank >= 2: most rounds of completing from completed entries
  double min_rcond;           ///< rank >= 2: smallest reciprocal condition of an accepted block

  CompletabilityOptions() {
    tsr_completability_options o;
    check(tsr_completability_options_default(&o));
    num_threads = o.num_threads;
    seed = o.seed;
    trials = o.trials;
    rank1_method = static_cast<Rank1Method>(o.rank1_method);
    tol = o.tol;
    max_iter = o.max_iter;
    rank1_variance = static_cast<Rank1Variance>(o.rank1_variance);
    sketch_dimensions = o.sketch_dimensions;
    max_estimators = o.max_estimators;
    max_rounds = o.max_rounds;
    min_rcond = o.min_rcond;
  }

  /// The C struct (struct_size set).
  tsr_completability_options c() const {
    tsr_completability_options o;
    check(tsr_completability_options_default(&o));
    o.num_threads = num_threads;
    o.seed = seed;
    o.trials = trials;
    o.rank1_method = static_cast<uint32_t>(rank1_method);
    o.tol = tol;
    o.max_iter = max_iter;
    o.rank1_variance = static_cast<uint32_t>(rank1_variance);
    o.sketch_dimensions = sketch_dimensions;
    o.max_estimators = max_estimators;
    o.max_rounds = max_rounds;
    o.min_rcond = min_rcond;
    return o;
  }
};

/// Summary of a closure (tsr_completability_info).
struct ClosureInfo {
  bool finitely_completable = false;  ///< every entry determined: jacobian_rank == full_rank
  int64_t rank = 0;
  int64_t jacobian_rank = 0;  ///< generic rank of the Jacobian of (U, V) -> (U V^T)_Omega
  int64_t full_rank = 0;      ///< r (m + n - r)
  int64_t deficiency = 0;     ///< full_rank - jacobian_rank
  int64_t components = 0;     ///< connected components of the bipartite row/column graph
  int64_t pruned_rows = 0;    ///< removed by r-core pruning (fewer than r observations, iterated)
  int64_t pruned_cols = 0;
};

/// Estimates of the queried entries (tsr_completability_complete_f64), one per query.
struct Completion {
  std::vector<double> estimate;    ///< NaN where the entry is not determined
  std::vector<double> variance;    ///< first-order variance; +Inf where not determined
  std::vector<int64_t> estimators;  ///< elementary estimates combined; 0 where not determined
};

/// The phase transition (tsr_completability_phase_transition), one value per x.
struct PhaseTransition {
  std::vector<double> fraction;            ///< mean fraction of the n^2 entries in the closure
  std::vector<int64_t> fully_completable;  ///< trials whose every entry is in the closure
};

namespace detail {

inline int64_t count_of(std::size_t n) { return static_cast<int64_t>(n); }

inline void require_pairs(const std::vector<int64_t>& rows, const std::vector<int64_t>& cols, const char* what) {
  if (rows.size() != cols.size())
    throw error(TSR_ERR_SHAPE_MISMATCH, std::string(what) + ": " + std::to_string(rows.size()) + " row indices but " +
                                            std::to_string(cols.size()) + " column indices");
}

/// The observations' lists agree in length; returns the variances pointer (NULL: unit).
inline const double* observed(const std::vector<int64_t>& rows, const std::vector<int64_t>& cols, const std::vector<double>& values,
                              const std::vector<double>& variances) {
  require_pairs(rows, cols, "rows/cols");
  if (values.size() != rows.size())
    throw error(TSR_ERR_SHAPE_MISMATCH, "values has " + std::to_string(values.size()) + " elements for " + std::to_string(rows.size()) +
                                            " observations");
  if (!variances.empty() && variances.size() != rows.size())
    throw error(TSR_ERR_SHAPE_MISMATCH, "variances has " + std::to_string(variances.size()) + " elements for " +
                                            std::to_string(rows.size()) + " observations (empty: unit variances)");
  return variances.empty() ? nullptr : variances.data();
}

}  // namespace detail

/// The closure of a mask in the rank-r determinantal matroid: the entries determined, up to
/// finitely many values, by the observed positions (decided exactly over a prime field at
/// `options.trials` random points). Owns a tsr_completability_closure handle; move-only.
class Closure {
 public:
  /// From `rows.size()` observed positions (rows[e], cols[e]) of an nrows x ncols matrix.
  Closure(int64_t nrows, int64_t ncols, const std::vector<int64_t>& rows, const std::vector<int64_t>& cols, int64_t rank,
          const CompletabilityOptions& options = CompletabilityOptions())
      : nrows_(nrows), ncols_(ncols) {
    detail::require_pairs(rows, cols, "rows/cols");
    const tsr_completability_options o = options.c();
    check(tsr_completability_closure_new(nrows, ncols, detail::count_of(rows.size()), rows.data(), cols.data(), rank, &o, &handle_));
  }

  /// From a dense column-major mask of nrows * ncols bytes (mask[i + j * nrows] != 0: entry
  /// (i, j) observed).
  static Closure from_dense(int64_t nrows, int64_t ncols, const std::vector<uint8_t>& mask, int64_t rank,
                            const CompletabilityOptions& options = CompletabilityOptions()) {
    const int64_t n = detail::tensor_size({nrows, ncols});
    detail::require_size(mask.size(), n, "mask");
    const tsr_completability_options o = options.c();
    Closure c;
    c.nrows_ = nrows, c.ncols_ = ncols;
    check(tsr_completability_closure_new_dense(nrows, ncols, mask.data(), rank, &o, &c.handle_));
    return c;
  }

  ~Closure() { tsr_completability_closure_free(handle_); }
  Closure(Closure&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)), nrows_(other.nrows_), ncols_(other.ncols_) {}
  Closure& operator=(Closure&& other) noexcept {
    if (this != &other) {
      tsr_completability_closure_free(handle_);
      handle_ = std::exchange(other.handle_, nullptr);
      nrows_ = other.nrows_, ncols_ = other.ncols_;
    }
    return *this;
  }
  Closure(const Closure&) = delete;
  Closure& operator=(const Closure&) = delete;

  int64_t nrows() const noexcept { return nrows_; }
  int64_t ncols() const noexcept { return ncols_; }

  ClosureInfo info() const {
    tsr_completability_info i;
    std::memset(&i, 0, sizeof i);
    i.struct_size = sizeof i;
    check(tsr_completability_closure_info(handle_, &i));
    ClosureInfo r;
    r.finitely_completable = i.finitely_completable != 0;
    r.rank = i.rank, r.jacobian_rank = i.jacobian_rank, r.full_rank = i.full_rank, r.deficiency = i.deficiency;
    r.components = i.components, r.pruned_rows = i.pruned_rows, r.pruned_cols = i.pruned_cols;
    return r;
  }

  /// One flag per query: 1 when entry (qrows[q], qcols[q]) is in the closure (observed
  /// entries are), else 0.
  std::vector<uint8_t> contains(const std::vector<int64_t>& qrows, const std::vector<int64_t>& qcols) const {
    detail::require_pairs(qrows, qcols, "qrows/qcols");
    std::vector<uint8_t> out(qrows.size());
    check(tsr_completability_closure_query(handle_, detail::count_of(qrows.size()), qrows.data(), qcols.data(), out.data()));
    return out;
  }

  /// Whether entry (i, j) is in the closure.
  bool contains(int64_t i, int64_t j) const {
    uint8_t out = 0;
    check(tsr_completability_closure_query(handle_, 1, &i, &j, &out));
    return out != 0;
  }

  /// The whole closure: nrows * ncols flags, column-major (entry (i, j) at i + j * nrows).
  std::vector<uint8_t> dense() const {
    std::vector<uint8_t> out(handle_ ? static_cast<std::size_t>(nrows_ * ncols_) : 0);
    check(tsr_completability_closure_dense(handle_, out.data()));
    return out;
  }

  /// The C handle (NULL after a move), still owned by this object.
  const tsr_completability_closure* get() const noexcept { return handle_; }
  tsr_completability_closure* get() noexcept { return handle_; }
  /// Gives up ownership: the caller frees with tsr_completability_closure_free.
  tsr_completability_closure* release() noexcept { return std::exchange(handle_, nullptr); }

 private:
  Closure() = default;
  tsr_completability_closure* handle_ = nullptr;
  int64_t nrows_ = 0, ncols_ = 0;
};

/// Estimates the queried entries (qrows[q], qcols[q]) of a rank-`rank` nrows x ncols matrix
/// from its observed values. Rank 1: options.rank1_method (minimum-variance electrical flow,
/// or one path); rank >= 2: minors of observed and completed entries, combined with weights
/// for their correlations.
inline Completion complete(int64_t nrows, int64_t ncols, const std::vector<int64_t>& rows, const std::vector<int64_t>& cols,
                           const std::vector<double>& values, int64_t rank, const std::vector<int64_t>& qrows,
                           const std::vector<int64_t>& qcols, const CompletabilityOptions& options = CompletabilityOptions(),
                           const std::vector<double>& variances = {}) {
  const double* var = detail::observed(rows, cols, values, variances);
  detail::require_pairs(qrows, qcols, "qrows/qcols");
  const tsr_completability_options o = options.c();
  Completion r;
  r.estimate.resize(qrows.size());
  r.variance.resize(qrows.size());
  r.estimators.resize(qrows.size());
  check(tsr_completability_complete_f64(nrows, ncols, detail::count_of(rows.size()), rows.data(), cols.data(), values.data(), var, rank,
                                        detail::count_of(qrows.size()), qrows.data(), qcols.data(), &o, r.estimate.data(),
                                        r.variance.data(), r.estimators.data()));
  return r;
}

/// First-order variance g^T (J^T Sigma^-1 J)^+ g of each queried entry for any estimator
/// that fits a rank-`rank` matrix to the observations, at a fit of the observed values;
/// +Inf exactly where the entry is not completable.
inline std::vector<double> variance(int64_t nrows, int64_t ncols, const std::vector<int64_t>& rows, const std::vector<int64_t>& cols,
                                    const std::vector<double>& values, int64_t rank, const std::vector<int64_t>& qrows,
                                    const std::vector<int64_t>& qcols, const CompletabilityOptions& options = CompletabilityOptions(),
                                    const std::vector<double>& variances = {}) {
  const double* var = detail::observed(rows, cols, values, variances);
  detail::require_pairs(qrows, qcols, "qrows/qcols");
  const tsr_completability_options o = options.c();
  std::vector<double> out(qrows.size());
  check(tsr_completability_variance_f64(nrows, ncols, detail::count_of(rows.size()), rows.data(), cols.data(), values.data(), var, rank,
                                        detail::count_of(qrows.size()), qrows.data(), qcols.data(), &o, out.data()));
  return out;
}

/// For each x[p], `trials` masks of an n x n matrix with round(x[p] r (2n - r)) positions drawn
/// uniformly without replacement: the mean fraction of entries in the rank-`rank` closure and
/// the number of fully completable trials. Reads options.seed and options.num_threads.
inline PhaseTransition phase_transition(int64_t n, int64_t rank, const std::vector<double>& x, int64_t trials,
                                        const CompletabilityOptions& options = CompletabilityOptions()) {
  const tsr_completability_options o = options.c();
  PhaseTransition r;
  r.fraction.resize(x.size());
  r.fully_completable.resize(x.size());
  check(tsr_completability_phase_transition(n, rank, detail::count_of(x.size()), x.data(), trials, &o, r.fraction.data(),
                                            r.fully_completable.data()));
  return r;
}

}  // namespace tessera
