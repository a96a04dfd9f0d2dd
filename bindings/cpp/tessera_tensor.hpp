// Tensor completion, Tucker decomposition and interpretable components for C++17 (the
// tsr_tensor_* entry points). Included by tessera.hpp; hand-written.
//
//   tessera::TensorOptions opt;                 // the library's defaults
//   opt.method = tessera::TensorMethod::latent;
//   tessera::TensorResult r = tessera::complete(values, mask, {20, 15, 10}, opt);
//   if (!r.converged()) ...                     // TSR_ERR_NOT_CONVERGED or TSR_ERR_CANCELLED
//   tessera::Tucker t = tessera::tucker(r.estimate, r.shape, r.ranks);
//
// Layout: the C functions take column-major tensors (first index fastest). Every function here
// also takes a tessera::Layout; with Layout::row_major a C-style array `double a[A][B][C]` of
// shape {A, B, C} is used as is, with no copy (it is the column-major tensor of shape {C, B, A},
// so the shape, ranks and coordinates are reversed on the way in and out). Results are in the
// layout of the inputs, and ranks, factors and loadings are in the order of `shape`.
//
// Errors throw tessera::error. TSR_ERR_NOT_CONVERGED and TSR_ERR_CANCELLED are not errors:
// the result holds the best iterate, `status` that code and `message` the library's text.
#pragma once

#include <algorithm>
#include <cstring>
#include <exception>
#include <functional>

namespace tessera {

enum class Layout { col_major, row_major };

enum class TensorMethod : uint32_t {
  overlapped = TSR_TENSOR_OVERLAPPED,  ///< overlapped trace norm ("Constraint")
  latent = TSR_TENSOR_LATENT,          ///< latent trace norm ("Mixture")
  as_matrix = TSR_TENSOR_AS_MATRIX,    ///< trace norm of the unfolding along `mode`
};

enum class TensorWeights : uint32_t {
  ones = TSR_TENSOR_WEIGHTS_ONES,
  scaled = TSR_TENSOR_WEIGHTS_SCALED,  ///< 1/sqrt(n_k)
  custom = TSR_TENSOR_WEIGHTS_CUSTOM,  ///< TensorOptions::gamma, one per mode
};

/// What the solver reports after every iteration (tsr_progress).
struct Progress {
  int64_t iteration;  ///< 1-based
  double objective;
  double gap;       ///< relative duality gap, the stopping criterion
  double residual;  ///< largest ADMM constraint violation
};

/// tsr_tensor_options as a value type; a default-constructed one holds the library's defaults.
struct TensorOptions {
  TensorMethod method;
  int32_t mode;  ///< for as_matrix, 0-based in the order of `shape`
  TensorWeights weights;
  std::vector<double> gamma;  ///< with TensorWeights::custom: one weight per mode (order of `shape`)
  double lambda;              ///< 0: fit the observations exactly; > 0: squared loss
  double eta;                 ///< ADMM penalty; 0: the data-dependent default
  double tol;
  int64_t max_iter;
  double rank_threshold;
  int32_t num_threads;
  /// Called on the calling thread after every iteration; return true to cancel. An exception
  /// it throws cancels the solve and is rethrown by complete().
  std::function<bool(const Progress&)> progress;

  TensorOptions() {
    tsr_tensor_options o;
    check(tsr_tensor_options_default(&o));
    method = static_cast<TensorMethod>(o.method);
    mode = o.mode;
    weights = static_cast<TensorWeights>(o.weights);
    lambda = o.lambda;
    eta = o.eta;
    tol = o.tol;
    max_iter = o.max_iter;
    rank_threshold = o.rank_threshold;
    num_threads = o.num_threads;
  }
};

/// A completion's estimate and report (tsr_tensor_info).
struct TensorResult {
  std::vector<double> estimate;  ///< prod(shape) values, in the layout of the input
  std::vector<int64_t> shape;
  Layout layout = Layout::col_major;
  tsr_status status = TSR_OK;  ///< TSR_OK, TSR_ERR_NOT_CONVERGED or TSR_ERR_CANCELLED
  std::string message;         ///< empty when status == TSR_OK
  int64_t iterations = 0;
  double eta = 0, objective = 0, dual_objective = 0, duality_gap = 0, primal_residual = 0, data_residual = 0;
  std::vector<int64_t> ranks;            ///< estimated rank per mode (order of `shape`)
  std::vector<int64_t> component_ranks;  ///< per latent component / split variable
  bool converged() const noexcept { return status == TSR_OK; }
};

/// Tucker decomposition: x ≈ core ×_1 factors[0] … ×_K factors[K-1].
struct Tucker {
  std::vector<double> core;        ///< shape `core_shape`, in the layout of the input
  std::vector<int64_t> core_shape;  ///< = ranks
  std::vector<Matrix<double>> factors;  ///< factors[k]: shape[k] x ranks[k], orthonormal columns
};

/// Interpretable components: x ≈ Σ_c weights[c] loadings[0](:,c) ∘ … ∘ loadings[K-1](:,c).
struct Components {
  std::vector<double> weights;
  std::vector<Matrix<double>> loadings;  ///< loadings[k]: shape[k] x R, unit-norm columns
  double fit = 0;                         ///< 1 - ||core - CP|| / ||core||
};

namespace detail {

inline std::vector<int64_t> c_order(std::vector<int64_t> v, Layout layout) {
  if (layout == Layout::row_major) std::reverse(v.begin(), v.end());
  return v;
}

/// prod(shape) when every extent is positive and the product fits; -1 otherwise (the library
/// then reports the exact problem).
inline int64_t tensor_size(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t e : shape) {
    if (e <= 0 || n > INT64_MAX / 8 / e) return -1;
    n *= e;
  }
  return shape.empty() ? -1 : n;
}

inline void require_size(std::size_t got, int64_t want, const char* what) {
  if (want >= 0 && static_cast<int64_t>(got) != want)
    throw error(TSR_ERR_SHAPE_MISMATCH, std::string(what) + " has " + std::to_string(got) + " elements, the shape needs " +
                                            std::to_string(want));
}

inline int32_t order_of(const std::vector<int64_t>& shape) {
  return shape.size() > static_cast<std::size_t>(INT32_MAX) ? INT32_MAX : static_cast<int32_t>(shape.size());
}

struct Callback {
  const std::function<bool(const Progress&)>* fn;
  std::exception_ptr thrown;
  static int32_t call(void* user, const tsr_progress* p) {
    auto* self = static_cast<Callback*>(user);
    try {
      return (*self->fn)(Progress{p->iteration, p->objective, p->gap, p->residual}) ? 1 : 0;
    } catch (...) {
      self->thrown = std::current_exception();
      return 1;
    }
  }
};

/// Runs one completion call: `call(options*, estimate*, info*)`.
template <class Call>
TensorResult run_complete(const std::vector<int64_t>& shape, const TensorOptions& opt, Layout layout, Call&& call) {
  const std::vector<int64_t> cshape = c_order(shape, layout);
  const int64_t n = tensor_size(shape);
  tsr_tensor_options o;
  check(tsr_tensor_options_default(&o));
  o.method = static_cast<uint32_t>(opt.method);
  o.mode = opt.mode;
  if (opt.method == TensorMethod::as_matrix && layout == Layout::row_major && opt.mode >= 0 &&
      static_cast<std::size_t>(opt.mode) < shape.size())
    o.mode = static_cast<int32_t>(shape.size()) - 1 - opt.mode;
  o.weights = static_cast<uint32_t>(opt.weights);
  std::vector<double> gamma;
  if (opt.weights == TensorWeights::custom) {
    // The library reads ndim weights: never hand it a shorter array.
    if (opt.gamma.size() != shape.size())
      throw error(TSR_ERR_SHAPE_MISMATCH, "gamma has " + std::to_string(opt.gamma.size()) + " weights for a tensor of order " +
                                              std::to_string(shape.size()));
    gamma = opt.gamma;
    if (layout == Layout::row_major) std::reverse(gamma.begin(), gamma.end());
    o.gamma = gamma.data();
  }
  o.lambda = opt.lambda;
  o.eta = opt.eta;
  o.tol = opt.tol;
  o.max_iter = opt.max_iter;
  o.rank_threshold = opt.rank_threshold;
  o.num_threads = opt.num_threads;
  Callback cb{&opt.progress, nullptr};
  if (opt.progress) {
    o.progress = &Callback::call;
    o.progress_user = &cb;
  }
  TensorResult r;
  r.shape = shape;
  r.layout = layout;
  r.estimate.resize(n > 0 ? static_cast<std::size_t>(n) : 1);
  tsr_tensor_info info;
  std::memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  const tsr_status st = call(static_cast<int32_t>(cshape.size()), cshape.data(), &o, r.estimate.data(), &info);
  std::string message = tsr_last_error_message();
  if (cb.thrown) std::rethrow_exception(cb.thrown);
  if (st != TSR_OK && st != TSR_ERR_NOT_CONVERGED && st != TSR_ERR_CANCELLED) throw error(st, message);
  r.status = st;
  r.message = std::move(message);
  r.iterations = info.iterations;
  r.eta = info.eta;
  r.objective = info.objective;
  r.dual_objective = info.dual_objective;
  r.duality_gap = info.duality_gap;
  r.primal_residual = info.primal_residual;
  r.data_residual = info.data_residual;
  const std::size_t k = std::min<std::size_t>(shape.size(), TSR_TENSOR_MAX_ORDER);
  r.ranks = c_order(std::vector<int64_t>(info.ranks, info.ranks + k), layout);
  r.component_ranks = c_order(std::vector<int64_t>(info.component_ranks, info.component_ranks + k), layout);
  return r;
}

/// Column-major rows x cols buffers for the factor outputs, and their pointers.
struct FactorBuffers {
  std::vector<std::vector<double>> data;
  std::vector<double*> ptrs;
  FactorBuffers(const std::vector<int64_t>& rows, const std::vector<int64_t>& cols) {
    for (std::size_t k = 0; k < rows.size(); ++k) {
      // Extents the library rejects before writing get a placeholder; the others exactly
      // what it will write (never less).
      std::size_t len = 1;
      if (rows[k] > 0 && cols[k] > 0) {
        if (rows[k] > INT64_MAX / 8 / cols[k]) throw error(TSR_ERR_BAD_EXTENT, "factor " + std::to_string(k) + " is too large");
        len = static_cast<std::size_t>(rows[k] * cols[k]);
      }
      data.emplace_back(len);
      ptrs.push_back(data.back().data());
    }
  }
  /// factors[k] as row-major Matrix, in the order of `shape` (reversed for row_major inputs).
  std::vector<Matrix<double>> matrices(const std::vector<int64_t>& rows, const std::vector<int64_t>& cols, Layout layout) const {
    std::vector<Matrix<double>> out;
    for (std::size_t k = 0; k < rows.size(); ++k) {
      Matrix<double> m(rows[k], cols[k]);
      for (int64_t i = 0; i < rows[k]; ++i)
        for (int64_t j = 0; j < cols[k]; ++j) m(i, j) = data[k][static_cast<std::size_t>(i + j * rows[k])];
      out.push_back(std::move(m));
    }
    if (layout == Layout::row_major) std::reverse(out.begin(), out.end());
    return out;
  }
};

inline std::vector<int64_t> checked_ranks(const std::vector<int64_t>& ranks, const std::vector<int64_t>& shape) {
  // The library reads ndim ranks.
  if (ranks.size() != shape.size())
    throw error(TSR_ERR_SHAPE_MISMATCH, std::to_string(ranks.size()) + " ranks for a tensor of order " + std::to_string(shape.size()));
  return ranks;
}

}  // namespace detail

/// Completes (or, with every entry observed, denoises) a tensor: `values` and `mask` hold
/// prod(shape) entries (mask nonzero where observed; other values are not read).
inline TensorResult complete(const double* values, const uint8_t* mask, const std::vector<int64_t>& shape,
                             const TensorOptions& options = TensorOptions(), Layout layout = Layout::col_major) {
  return detail::run_complete(shape, options, layout, [&](int32_t k, const int64_t* s, const tsr_tensor_options* o, double* est, tsr_tensor_info* info) {
    return tsr_tensor_complete_dense_f64(k, s, values, mask, o, est, info);
  });
}

inline TensorResult complete(const std::vector<double>& values, const std::vector<uint8_t>& mask, const std::vector<int64_t>& shape,
                             const TensorOptions& options = TensorOptions(), Layout layout = Layout::col_major) {
  const int64_t n = detail::tensor_size(shape);
  detail::require_size(values.size(), n, "values");
  detail::require_size(mask.size(), n, "mask");
  return complete(values.data(), mask.data(), shape, options, layout);
}

/// Completes a tensor from coordinate lists: `coords` holds nobs * ndim 0-based indices (one
/// observation after the other, in the order of `shape`), `values` the nobs observed values.
inline TensorResult complete_coo(const std::vector<int64_t>& shape, const std::vector<int64_t>& coords, const std::vector<double>& values,
                                 const TensorOptions& options = TensorOptions(), Layout layout = Layout::col_major) {
  const std::size_t k = shape.size();
  if (k == 0 || coords.size() != values.size() * k)
    throw error(k == 0 ? TSR_ERR_BAD_EXTENT : TSR_ERR_SHAPE_MISMATCH,
                std::to_string(coords.size()) + " coordinates for " + std::to_string(values.size()) + " values of a tensor of order " +
                    std::to_string(k));
  std::vector<int64_t> c;
  const std::vector<int64_t>* pc = &coords;
  if (layout == Layout::row_major && k > 1) {
    c = coords;
    for (std::size_t i = 0; i < values.size(); ++i) std::reverse(c.begin() + static_cast<std::ptrdiff_t>(i * k), c.begin() + static_cast<std::ptrdiff_t>((i + 1) * k));
    pc = &c;
  }
  return detail::run_complete(shape, options, layout, [&](int32_t nd, const int64_t* s, const tsr_tensor_options* o, double* est, tsr_tensor_info* info) {
    return tsr_tensor_complete_coo_f64(nd, s, static_cast<int64_t>(values.size()), pc->data(), values.data(), o, est, info);
  });
}

/// Tucker decomposition of `x` (prod(shape) values) with multilinear `ranks`.
inline Tucker tucker(const double* x, const std::vector<int64_t>& shape, const std::vector<int64_t>& ranks, int32_t num_threads = 0,
                     Layout layout = Layout::col_major) {
  detail::checked_ranks(ranks, shape);
  const std::vector<int64_t> cshape = detail::c_order(shape, layout), cranks = detail::c_order(ranks, layout);
  const int64_t ncore = detail::tensor_size(ranks);
  Tucker t;
  t.core.resize(ncore > 0 ? static_cast<std::size_t>(ncore) : 1);
  detail::FactorBuffers f(cshape, cranks);
  check(tsr_tensor_tucker_f64(detail::order_of(shape), cshape.data(), x, cranks.data(), num_threads, t.core.data(),
                              f.ptrs.empty() ? nullptr : f.ptrs.data()));
  t.core_shape = ranks;
  t.factors = f.matrices(cshape, cranks, layout);
  return t;
}

inline Tucker tucker(const std::vector<double>& x, const std::vector<int64_t>& shape, const std::vector<int64_t>& ranks,
                     int32_t num_threads = 0, Layout layout = Layout::col_major) {
  detail::require_size(x.size(), detail::tensor_size(shape), "x");
  return tucker(x.data(), shape, ranks, num_threads, layout);
}

/// Options of components() (tsr_tensor_cp_options); default-constructed: the library's defaults.
struct ComponentOptions {
  int64_t rank, max_iter;
  double tol;
  uint64_t seed;
  ComponentOptions() {
    tsr_tensor_cp_options o;
    check(tsr_tensor_cp_options_default(&o));
    rank = o.rank, max_iter = o.max_iter, tol = o.tol, seed = o.seed;
  }
};

/// Interpretable components of `x`: Tucker with `ranks`, then a rank-R CP of the core.
inline Components components(const double* x, const std::vector<int64_t>& shape, const std::vector<int64_t>& ranks,
                             const ComponentOptions& options = ComponentOptions(), Layout layout = Layout::col_major) {
  detail::checked_ranks(ranks, shape);
  const std::vector<int64_t> cshape = detail::c_order(shape, layout), cranks = detail::c_order(ranks, layout);
  tsr_tensor_cp_options o;
  check(tsr_tensor_cp_options_default(&o));
  o.rank = options.rank, o.max_iter = options.max_iter, o.tol = options.tol, o.seed = options.seed;
  const int64_t R = options.rank > 0 ? options.rank : 1;  // rank < 1 is rejected before any write
  Components c;
  c.weights.resize(static_cast<std::size_t>(R));
  const std::vector<int64_t> cols(shape.size(), R);
  detail::FactorBuffers f(cshape, cols);
  check(tsr_tensor_components_f64(detail::order_of(shape), cshape.data(), x, cranks.data(), &o, c.weights.data(),
                                  f.ptrs.empty() ? nullptr : f.ptrs.data(), &c.fit));
  c.loadings = f.matrices(cshape, cols, layout);
  return c;
}

inline Components components(const std::vector<double>& x, const std::vector<int64_t>& shape, const std::vector<int64_t>& ranks,
                             const ComponentOptions& options = ComponentOptions(), Layout layout = Layout::col_major) {
  detail::require_size(x.size(), detail::tensor_size(shape), "x");
  return components(x.data(), shape, ranks, options, layout);
}

}  // namespace tessera
