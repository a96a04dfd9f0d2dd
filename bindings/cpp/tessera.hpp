// Tessera for C++17: header-only, over the C ABI of tessera.h.
//
//   tessera::PoincareBall ball(1.0);                  // RAII handle, move-only
//   tessera::Matrix<double> z = ball.mobius_add(tessera::MatRef<double>(xs, n, d),
//                                               tessera::MatRef<double>(ys, n, d));
//
// Views are {pointer, nrows, ncols, row_stride, col_stride} with strides in elements, exactly
// the C views; one point per row. Every failing call throws tessera::error (status code and the
// library's message). The Poincare operations themselves come from tessera_ops.hpp, generated
// by bindings/generate.py from the header, so every entry point has a method here. Tensor
// completion, Tucker and components (tessera::complete, tucker, components) are in
// tessera_tensor.hpp, matrix completability (tessera::Closure, complete, variance,
// phase_transition) in tessera_completability.hpp, and dense networks, f-divergence objectives
// and QSGD (tessera::Network, fdiv_objective, qsgd_encode/decode/quantize) in tessera_nn.hpp,
// all included at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>
#if __cplusplus >= 202002L && __has_include(<span>)
#include <span>
#endif

#include "tessera.h"

namespace tessera {

/// A failed call: the C status (`TSR_ERR_*`) and the library's message.
class error : public std::runtime_error {
 public:
  error(tsr_status code, const std::string& message)
      : std::runtime_error(std::string(tsr_status_str(code)) + ": " + message), code_(code), message_(message) {}
  tsr_status code() const noexcept { return code_; }
  const char* status_name() const noexcept { return tsr_status_str(code_); }
  const std::string& message() const noexcept { return message_; }

 private:
  tsr_status code_;
  std::string message_;
};

/// Throws tessera::error unless `status` is TSR_OK (the message is the calling thread's last).
inline void check(tsr_status status) {
  if (status != TSR_OK) {
    std::string message = tsr_last_error_message();  // read before any other tessera call
    throw error(status, message);
  }
}

inline std::string version() { return tsr_version_string(); }
inline void set_num_threads(int32_t n) { check(tsr_set_num_threads(n)); }
inline int32_t get_num_threads() { return tsr_get_num_threads(); }

namespace detail {
template <class T>
struct c_view;
template <>
struct c_view<double> {
  using ref = tsr_matref_f64;
  using mut = tsr_matmut_f64;
};
template <>
struct c_view<float> {
  using ref = tsr_matref_f32;
  using mut = tsr_matmut_f32;
};
inline int64_t rows_of(std::size_t size, int64_t ncols) {
  if (ncols <= 0 || static_cast<int64_t>(size) % ncols != 0)
    throw error(TSR_ERR_SHAPE_MISMATCH, std::to_string(size) + " elements are not rows of " + std::to_string(ncols));
  return static_cast<int64_t>(size) / ncols;
}
}  // namespace detail

/// An owned row-major nrows x ncols matrix (the results of the allocating operations).
template <class T>
class Matrix {
 public:
  Matrix() = default;
  Matrix(int64_t nrows, int64_t ncols) : data_(static_cast<std::size_t>(nrows * ncols)), nrows_(nrows), ncols_(ncols) {}
  /// Takes `data` (row-major, ncols per row).
  Matrix(std::vector<T> data, int64_t ncols) : nrows_(detail::rows_of(data.size(), ncols)), ncols_(ncols) { data_ = std::move(data); }
  int64_t nrows() const noexcept { return nrows_; }
  int64_t ncols() const noexcept { return ncols_; }
  T* data() noexcept { return data_.data(); }
  const T* data() const noexcept { return data_.data(); }
  T& operator()(int64_t i, int64_t j) { return data_[static_cast<std::size_t>(i * ncols_ + j)]; }
  const T& operator()(int64_t i, int64_t j) const { return data_[static_cast<std::size_t>(i * ncols_ + j)]; }
  const std::vector<T>& vector() const noexcept { return data_; }
  std::vector<T> release() && { return std::move(data_); }

 private:
  std::vector<T> data_;
  int64_t nrows_ = 0, ncols_ = 0;
};

/// Writable strided view (an output). Strides in elements.
template <class T>
class MatMut {
 public:
  MatMut(T* ptr, int64_t nrows, int64_t ncols, int64_t row_stride, int64_t col_stride)
      : ptr_(ptr), nrows_(nrows), ncols_(ncols), rs_(row_stride), cs_(col_stride) {}
  /// Contiguous row-major nrows x ncols (a span-like pointer + shape).
  MatMut(T* ptr, int64_t nrows, int64_t ncols) : MatMut(ptr, nrows, ncols, ncols, 1) {}
  /// A row-major std::vector holding rows of `ncols` elements.
  MatMut(std::vector<T>& v, int64_t ncols) : MatMut(v.data(), detail::rows_of(v.size(), ncols), ncols) {}
  MatMut(Matrix<T>& m) : MatMut(m.data(), m.nrows(), m.ncols()) {}  // NOLINT: implicit on purpose
  static MatMut colmajor(T* ptr, int64_t nrows, int64_t ncols, int64_t ld) { return MatMut(ptr, nrows, ncols, 1, ld); }

  T* data() const noexcept { return ptr_; }
  int64_t nrows() const noexcept { return nrows_; }
  int64_t ncols() const noexcept { return ncols_; }
  int64_t row_stride() const noexcept { return rs_; }
  int64_t col_stride() const noexcept { return cs_; }
  T& operator()(int64_t i, int64_t j) const { return ptr_[i * rs_ + j * cs_]; }
  typename detail::c_view<T>::mut c() const noexcept { return {ptr_, nrows_, ncols_, rs_, cs_}; }

 private:
  T* ptr_;
  int64_t nrows_, ncols_, rs_, cs_;
};

/// Read-only strided view (an input). Strides in elements; zero and negative strides allowed.
template <class T>
class MatRef {
 public:
  MatRef(const T* ptr, int64_t nrows, int64_t ncols, int64_t row_stride, int64_t col_stride)
      : ptr_(ptr), nrows_(nrows), ncols_(ncols), rs_(row_stride), cs_(col_stride) {}
  /// Contiguous row-major nrows x ncols (a span-like pointer + shape).
  MatRef(const T* ptr, int64_t nrows, int64_t ncols) : MatRef(ptr, nrows, ncols, ncols, 1) {}
  /// A row-major std::vector holding rows of `ncols` elements.
  MatRef(const std::vector<T>& v, int64_t ncols) : MatRef(v.data(), detail::rows_of(v.size(), ncols), ncols) {}
#if __cplusplus >= 202002L && __has_include(<span>)
  MatRef(std::span<const T> s, int64_t ncols) : MatRef(s.data(), detail::rows_of(s.size(), ncols), ncols) {}
#endif
  MatRef(const Matrix<T>& m) : MatRef(m.data(), m.nrows(), m.ncols()) {}  // NOLINT: implicit on purpose
  MatRef(MatMut<T> m) : MatRef(m.data(), m.nrows(), m.ncols(), m.row_stride(), m.col_stride()) {}  // NOLINT
  /// Column-major (Fortran, BLAS) storage with leading dimension `ld`.
  static MatRef colmajor(const T* ptr, int64_t nrows, int64_t ncols, int64_t ld) { return MatRef(ptr, nrows, ncols, 1, ld); }
  /// One row of `ncols` elements repeated `nrows` times (zero row stride, no copy).
  static MatRef broadcast_row(const T* row, int64_t nrows, int64_t ncols) { return MatRef(row, nrows, ncols, 0, 1); }

  const T* data() const noexcept { return ptr_; }
  int64_t nrows() const noexcept { return nrows_; }
  int64_t ncols() const noexcept { return ncols_; }
  int64_t row_stride() const noexcept { return rs_; }
  int64_t col_stride() const noexcept { return cs_; }
  const T& operator()(int64_t i, int64_t j) const { return ptr_[i * rs_ + j * cs_]; }
  typename detail::c_view<T>::ref c() const noexcept { return {ptr_, nrows_, ncols_, rs_, cs_}; }

 private:
  const T* ptr_;
  int64_t nrows_, ncols_, rs_, cs_;
};

}  // namespace tessera

#include "tessera_ops.hpp"

namespace tessera {

/// Poincare ball of curvature -c (a `tsr_poincare` handle with unique ownership, move-only).
/// Operations: see tessera_ops.hpp (generated); f32 and f64 by overloading on the views.
class PoincareBall : public detail::PoincareOps<PoincareBall> {
 public:
  /// `c` finite and > 0; `num_threads` 0 follows tessera::set_num_threads and the environment.
  explicit PoincareBall(double c, int32_t num_threads = 0) {
    tsr_poincare_options options;
    check(tsr_poincare_options_default(&options));
    options.num_threads = num_threads;
    check(tsr_poincare_new(c, &options, &handle_));
  }
  ~PoincareBall() { tsr_poincare_free(handle_); }
  PoincareBall(PoincareBall&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  PoincareBall& operator=(PoincareBall&& other) noexcept {
    if (this != &other) {
      tsr_poincare_free(handle_);
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  PoincareBall(const PoincareBall&) = delete;
  PoincareBall& operator=(const PoincareBall&) = delete;

  double c() const noexcept { return tsr_poincare_c(handle_); }
  /// The C handle (NULL after a move), still owned by this object.
  const tsr_poincare* get() const noexcept { return handle_; }
  tsr_poincare* get() noexcept { return handle_; }
  /// Gives up ownership: the caller frees with tsr_poincare_free.
  tsr_poincare* release() noexcept { return std::exchange(handle_, nullptr); }

 private:
  tsr_poincare* handle_ = nullptr;
};

}  // namespace tessera

#include "tessera_tensor.hpp"
#include "tessera_completability.hpp"
#include "tessera_nn.hpp"
