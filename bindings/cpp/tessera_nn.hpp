// Dense networks (tsr_nn_*), f-divergence objectives (tsr_fdiv_objective_*) and QSGD
// (tsr_qsgd_*) for C++17. Included by tessera.hpp; hand-written.
//
//   tessera::Network<double> net({2, 8, 3}, {tessera::Activation::tanh, tessera::Activation::identity},
//                                tessera::Loss::softmax_cross_entropy);
//   double loss = net.train_step(tessera::MatRef<double>(xs, 2), labels);   // one sample per row
//   tessera::Matrix<double> y = net.forward(tessera::MatRef<double>(xs, 2));  // B x 3
//   std::vector<uint8_t> file = net.to_bytes();
//   std::vector<uint8_t> q = tessera::qsgd_encode(grad);            // grad: std::vector<float/double>
//   std::vector<double> back = tessera::qsgd_decode<double>(q);     // == qsgd_quantize(grad)
//   double f = tessera::fdiv_objective(tessera::Divergence::gan, v_p, v_q);
//
// Batches are B x n (one sample per row) like every tessera C++ view. That is the memory of
// the C functions' n x B column-major views (the feature index fastest), so nothing is copied:
// the view's extents and strides are swapped on the way in. Weight views keep the C orientation:
// layer(l).weights is n_{l+1} x n_l (W(i, j) from input j to output i), bias n_{l+1} x 1.
//
// Network<float> calls the _f32 entry points and Network<double> the _f64 ones; the element
// type is fixed when the network is made (a file of the other precision throws
// TSR_ERR_WRONG_DTYPE on load). Failures throw tessera::error; shapes and lengths the C
// functions cannot check (labels against the batch, activations against the sizes) and shape
// disagreements in the C++ orientation throw TSR_ERR_SHAPE_MISMATCH before the call.
#pragma once

#include <cstring>
#include <type_traits>

namespace tessera {

/// A pointer and a length (std::span for C++17): parameter buffers, gradients, labels. Built
/// from (pointer, size) or from any contiguous container with data() and size().
template <class T>
class Span {
 public:
  using element_type = T;
  using value_type = std::remove_cv_t<T>;
  constexpr Span() noexcept = default;
  constexpr Span(T* data, std::size_t size) noexcept : data_(data), size_(size) {}
  template <class V, class = std::enable_if_t<!std::is_same_v<std::decay_t<V>, Span> &&
                                              std::is_convertible_v<decltype(std::declval<V&>().data()), T*> &&
                                              std::is_integral_v<decltype(std::declval<V&>().size())>>>
  constexpr Span(V&& v) noexcept : data_(v.data()), size_(static_cast<std::size_t>(v.size())) {}  // NOLINT: implicit on purpose

  constexpr T* data() const noexcept { return data_; }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr T* begin() const noexcept { return data_; }
  constexpr T* end() const noexcept { return data_ + size_; }
  constexpr T& operator[](std::size_t i) const noexcept { return data_[i]; }
  std::vector<value_type> to_vector() const { return std::vector<value_type>(begin(), end()); }
#if __cplusplus >= 202002L && __has_include(<span>)
  operator std::span<T>() const noexcept { return std::span<T>(data_, size_); }  // NOLINT
#endif

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

enum class Activation : uint32_t {
  identity = TSR_NN_IDENTITY,
  relu = TSR_NN_RELU,
  leaky_relu = TSR_NN_LEAKY_RELU,  ///< slope 0.01 below 0
  tanh = TSR_NN_TANH,
  sigmoid = TSR_NN_SIGMOID,
  softplus = TSR_NN_SOFTPLUS,
  gelu = TSR_NN_GELU,  ///< the tanh form
};

enum class Loss : uint32_t {
  squared_error = TSR_NN_SQUARED_ERROR,                  ///< (1/B) sum_b 1/2 ||y_b - t_b||^2, targets
  softmax_cross_entropy = TSR_NN_SOFTMAX_CROSS_ENTROPY,  ///< logits against 0-based class labels
  logistic = TSR_NN_LOGISTIC,                            ///< binary cross-entropy of sigmoid(y), targets in [0, 1]
};

enum class Optimiser : uint32_t {
  sgd = TSR_NN_SGD,  ///< with momentum
  adam = TSR_NN_ADAM,
  path_sgd = TSR_NN_PATH_SGD,
};

/// tsr_nn_options without the element type (that is the Network's T); default-constructed:
/// the library's defaults. Loading reads max_batch and num_threads only.
struct NetworkOptions {
  uint64_t seed;        ///< of the initialisation
  int64_t max_batch;    ///< largest batch the passes accept
  int32_t num_threads;  ///< of the large products; 0 follows tessera::set_num_threads

  NetworkOptions() {
    tsr_nn_options o;
    check(tsr_nn_options_default(&o));
    seed = o.seed, max_batch = o.max_batch, num_threads = o.num_threads;
  }
  /// The C struct for element type `dtype` (TSR_NN_F32 or TSR_NN_F64).
  tsr_nn_options c(uint32_t dtype) const {
    tsr_nn_options o;
    check(tsr_nn_options_default(&o));
    o.dtype = dtype, o.seed = seed, o.max_batch = max_batch, o.num_threads = num_threads;
    return o;
  }
};

/// tsr_nn_optimiser_options; default-constructed: Adam with the library's defaults.
struct OptimiserOptions {
  Optimiser kind;
  double learning_rate;  ///< 0: the kind's default (0.01 SGD and Path-SGD, 0.001 Adam)
  double momentum;       ///< SGD, in [0, 1)
  double beta1, beta2, epsilon;  ///< Adam
  double path_p;                 ///< Path-SGD exponent >= 1

  OptimiserOptions() {
    tsr_nn_optimiser_options o;
    check(tsr_nn_optimiser_options_default(&o));
    kind = static_cast<Optimiser>(o.kind);
    learning_rate = o.learning_rate, momentum = o.momentum, beta1 = o.beta1, beta2 = o.beta2, epsilon = o.epsilon;
    path_p = o.path_p;
  }
  /// The defaults of `kind`, with `learning_rate` (0: the kind's default).
  explicit OptimiserOptions(Optimiser kind_, double learning_rate_ = 0.0) : OptimiserOptions() {
    kind = kind_, learning_rate = learning_rate_;
  }
  tsr_nn_optimiser_options c() const {
    tsr_nn_optimiser_options o;
    check(tsr_nn_optimiser_options_default(&o));
    o.kind = static_cast<uint32_t>(kind);
    o.learning_rate = learning_rate, o.momentum = momentum, o.beta1 = beta1, o.beta2 = beta2, o.epsilon = epsilon;
    o.path_p = path_p;
    return o;
  }
};

/// What a network is (tsr_nn_get_info and tsr_nn_layers).
struct NetworkInfo {
  uint32_t dtype = 0;  ///< TSR_NN_F32 or TSR_NN_F64
  Loss loss = Loss::squared_error;
  Optimiser optimiser = Optimiser::adam;
  int64_t nlayers = 0, inputs = 0, outputs = 0, num_params = 0, max_batch = 0, num_threads = 0;
  std::vector<int64_t> sizes;             ///< n_0 .. n_L
  std::vector<Activation> activations;    ///< one per layer
};

/// Views of one layer's parameters inside the network's buffer (valid while the network lives).
template <class T>
struct Layer {
  MatMut<T> weights;  ///< n_{l+1} x n_l: weights(i, j) is the weight from input j to output i
  MatMut<T> bias;     ///< n_{l+1} x 1
};

namespace detail {

/// The C entry points of one element type.
template <class T>
struct nn_api;

template <>
struct nn_api<float> {
  using ref = tsr_matref_f32;
  using mut = tsr_matmut_f32;
  static constexpr uint32_t dtype = TSR_NN_F32;
  static constexpr const char* name = "float";
  static tsr_status forward(tsr_nn* n, ref x, mut y) { return tsr_nn_forward_f32(n, x, y); }
  static tsr_status backward(tsr_nn* n, ref x, ref t, const uint32_t* l, mut g, double* loss) { return tsr_nn_backward_f32(n, x, t, l, g, loss); }
  static tsr_status vjp(tsr_nn* n, ref x, ref u, mut g) { return tsr_nn_vjp_f32(n, x, u, g); }
  static tsr_status step(tsr_nn* n, const float* g, int64_t len) { return tsr_nn_step_f32(n, g, len); }
  static tsr_status train_step(tsr_nn* n, ref x, ref t, const uint32_t* l, double* loss) { return tsr_nn_train_step_f32(n, x, t, l, loss); }
  static tsr_status params(tsr_nn* n, float** p, int64_t* len) { return tsr_nn_params_f32(n, p, len); }
  static tsr_status gradient(tsr_nn* n, const float** g, int64_t* len) { return tsr_nn_gradient_f32(n, g, len); }
  static tsr_status layer(tsr_nn* n, int64_t l, mut* w, mut* b) { return tsr_nn_layer_params_f32(n, l, w, b); }
  static tsr_status fdiv(uint32_t d, int64_t np, const float* p, int64_t nq, const float* q, double* f, float* gp, float* gq) {
    return tsr_fdiv_objective_f32(d, np, p, nq, q, f, gp, gq);
  }
  static tsr_status qsgd_max_len(int64_t n, const tsr_qsgd_options* o, int64_t* len) { return tsr_qsgd_max_encoded_len_f32(n, o, len); }
  static tsr_status qsgd_encode(int64_t n, const float* v, const tsr_qsgd_options* o, uint8_t* buf, int64_t cap, int64_t* len) {
    return tsr_qsgd_encode_f32(n, v, o, buf, cap, len);
  }
  static tsr_status qsgd_decode(const uint8_t* buf, int64_t len, int64_t n, float* out) { return tsr_qsgd_decode_f32(buf, len, n, out); }
  static tsr_status qsgd_quantize(int64_t n, const float* v, const tsr_qsgd_options* o, float* out) { return tsr_qsgd_quantize_f32(n, v, o, out); }
};

template <>
struct nn_api<double> {
  using ref = tsr_matref_f64;
  using mut = tsr_matmut_f64;
  static constexpr uint32_t dtype = TSR_NN_F64;
  static constexpr const char* name = "double";
  static tsr_status forward(tsr_nn* n, ref x, mut y) { return tsr_nn_forward_f64(n, x, y); }
  static tsr_status backward(tsr_nn* n, ref x, ref t, const uint32_t* l, mut g, double* loss) { return tsr_nn_backward_f64(n, x, t, l, g, loss); }
  static tsr_status vjp(tsr_nn* n, ref x, ref u, mut g) { return tsr_nn_vjp_f64(n, x, u, g); }
  static tsr_status step(tsr_nn* n, const double* g, int64_t len) { return tsr_nn_step_f64(n, g, len); }
  static tsr_status train_step(tsr_nn* n, ref x, ref t, const uint32_t* l, double* loss) { return tsr_nn_train_step_f64(n, x, t, l, loss); }
  static tsr_status params(tsr_nn* n, double** p, int64_t* len) { return tsr_nn_params_f64(n, p, len); }
  static tsr_status gradient(tsr_nn* n, const double** g, int64_t* len) { return tsr_nn_gradient_f64(n, g, len); }
  static tsr_status layer(tsr_nn* n, int64_t l, mut* w, mut* b) { return tsr_nn_layer_params_f64(n, l, w, b); }
  static tsr_status fdiv(uint32_t d, int64_t np, const double* p, int64_t nq, const double* q, double* f, double* gp, double* gq) {
    return tsr_fdiv_objective_f64(d, np, p, nq, q, f, gp, gq);
  }
  static tsr_status qsgd_max_len(int64_t n, const tsr_qsgd_options* o, int64_t* len) { return tsr_qsgd_max_encoded_len_f64(n, o, len); }
  static tsr_status qsgd_encode(int64_t n, const double* v, const tsr_qsgd_options* o, uint8_t* buf, int64_t cap, int64_t* len) {
    return tsr_qsgd_encode_f64(n, v, o, buf, cap, len);
  }
  static tsr_status qsgd_decode(const uint8_t* buf, int64_t len, int64_t n, double* out) { return tsr_qsgd_decode_f64(buf, len, n, out); }
  static tsr_status qsgd_quantize(int64_t n, const double* v, const tsr_qsgd_options* o, double* out) { return tsr_qsgd_quantize_f64(n, v, o, out); }
};

/// A B x n C++ view as the C function's n x B view of the same memory (extents and strides swapped).
template <class T>
typename nn_api<T>::ref batch_ref(const MatRef<T>& a) {
  return {a.data(), a.ncols(), a.nrows(), a.col_stride(), a.row_stride()};
}
template <class T>
typename nn_api<T>::mut batch_mut(const MatMut<T>& a) {
  return {a.data(), a.ncols(), a.nrows(), a.col_stride(), a.row_stride()};
}

inline std::string shape_str(int64_t r, int64_t c) { return std::to_string(r) + " x " + std::to_string(c); }

inline int64_t length_of(std::size_t n) {
  if (n > static_cast<std::size_t>(INT64_MAX)) throw error(TSR_ERR_BAD_EXTENT, "length " + std::to_string(n) + " does not fit int64_t");
  return static_cast<int64_t>(n);
}

}  // namespace detail

/// A dense network with its parameters, workspace, last gradient and optimiser: owns a tsr_nn
/// handle (move-only; one thread at a time). T is float or double.
template <class T>
class Network {
  using api = detail::nn_api<T>;

 public:
  using value_type = T;

  /// Layers sizes[l] -> sizes[l + 1], each followed by activations[l], trained on `loss`;
  /// parameters initialised from options.seed. The optimiser is Adam until set_optimiser.
  Network(const std::vector<int64_t>& sizes, const std::vector<Activation>& activations, Loss loss,
          const NetworkOptions& options = NetworkOptions()) {
    // The library reads nlayers + 1 sizes and nlayers activation codes: never hand it fewer.
    if (!sizes.empty() && activations.size() != sizes.size() - 1)
      throw error(TSR_ERR_SHAPE_MISMATCH, std::to_string(sizes.size()) + " layer sizes need " + std::to_string(sizes.size() - 1) +
                                              " activations, got " + std::to_string(activations.size()));
    // No sizes (or one) is zero layers, which the library rejects; the buffers are never empty.
    const std::size_t nl = sizes.empty() ? 0 : sizes.size() - 1;
    std::vector<int64_t> s(sizes);
    if (s.empty()) s.push_back(0);
    std::vector<uint32_t> codes(nl > 0 ? nl : 1, 0);
    for (std::size_t l = 0; l < nl; ++l) codes[l] = static_cast<uint32_t>(activations[l]);
    const tsr_nn_options o = options.c(api::dtype);
    check(tsr_nn_new(detail::length_of(nl), s.data(), codes.data(), static_cast<uint32_t>(loss), &o, &handle_));
    cache();
  }

  /// A network from a parameter file (tsr_nn_save); options gives max_batch and num_threads.
  static Network load(const std::string& path, const NetworkOptions& options = NetworkOptions()) {
    const tsr_nn_options o = options.c(api::dtype);
    Network n;
    check(tsr_nn_load(path.c_str(), &o, &n.handle_));
    n.adopt();
    return n;
  }

  /// A network from the bytes of a parameter file (to_bytes, tsr_nn_save_bytes).
  static Network from_bytes(const uint8_t* bytes, std::size_t len, const NetworkOptions& options = NetworkOptions()) {
    const tsr_nn_options o = options.c(api::dtype);
    Network n;
    check(tsr_nn_load_bytes(bytes, detail::length_of(len), &o, &n.handle_));
    n.adopt();
    return n;
  }
  static Network from_bytes(const std::vector<uint8_t>& bytes, const NetworkOptions& options = NetworkOptions()) {
    return from_bytes(bytes.data(), bytes.size(), options);
  }

  ~Network() { tsr_nn_free(handle_); }
  Network(Network&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)), nlayers_(other.nlayers_), inputs_(other.inputs_), outputs_(other.outputs_) {}
  Network& operator=(Network&& other) noexcept {
    if (this != &other) {
      tsr_nn_free(handle_);
      handle_ = std::exchange(other.handle_, nullptr);
      nlayers_ = other.nlayers_, inputs_ = other.inputs_, outputs_ = other.outputs_;
    }
    return *this;
  }
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  /// n_0, n_L and L (0 after a move).
  int64_t inputs() const noexcept { return handle_ ? inputs_ : 0; }
  int64_t outputs() const noexcept { return handle_ ? outputs_ : 0; }
  int64_t nlayers() const noexcept { return handle_ ? nlayers_ : 0; }

  NetworkInfo info() const {
    tsr_nn_info i;
    std::memset(&i, 0, sizeof i);
    i.struct_size = sizeof i;
    check(tsr_nn_get_info(handle_, &i));
    NetworkInfo r;
    r.dtype = i.dtype;
    r.loss = static_cast<Loss>(i.loss);
    r.optimiser = static_cast<Optimiser>(i.optimiser);
    r.nlayers = i.nlayers, r.inputs = i.inputs, r.outputs = i.outputs, r.num_params = i.num_params;
    r.max_batch = i.max_batch, r.num_threads = i.num_threads;
    r.sizes.resize(static_cast<std::size_t>(i.nlayers + 1));
    std::vector<uint32_t> codes(static_cast<std::size_t>(i.nlayers));
    check(tsr_nn_layers(handle_, i.nlayers, r.sizes.data(), codes.data()));
    for (uint32_t c : codes) r.activations.push_back(static_cast<Activation>(c));
    return r;
  }

  /// Replaces the optimiser; its state (momentum, Adam's moments) starts afresh.
  void set_optimiser(const OptimiserOptions& options = OptimiserOptions()) {
    const tsr_nn_optimiser_options o = options.c();
    check(tsr_nn_set_optimiser(handle_, &o));
  }

  /// The outputs (B x n_L) of the network on the inputs x (B x n_0).
  Matrix<T> forward(MatRef<T> x) {
    Matrix<T> y(x.nrows() > 0 ? x.nrows() : 0, outputs());
    forward(x, MatMut<T>(y));
    return y;
  }
  void forward(MatRef<T> x, MatMut<T> y) {
    require_batch(x, "input", inputs_);
    require_shape(y, x.nrows(), outputs_, "output");
    check(api::forward(handle_, detail::batch_ref(x), detail::batch_mut(y)));
  }

  /// The batch's mean loss against 0-based class labels (softmax cross-entropy, one label per
  /// row of x); the gradient is kept (gradient(), step()). Parameters are not changed.
  double backward(MatRef<T> x, Span<const uint32_t> labels) { return backward_labels(x, labels, nullptr); }
  /// Also writes dL/dx (B x n_0) to input_grad.
  double backward(MatRef<T> x, Span<const uint32_t> labels, MatMut<T> input_grad) { return backward_labels(x, labels, &input_grad); }
  /// The same against targets (B x n_L) for the squared-error and logistic losses.
  double backward(MatRef<T> x, MatRef<T> targets) { return backward_targets(x, targets, nullptr); }
  double backward(MatRef<T> x, MatRef<T> targets, MatMut<T> input_grad) { return backward_targets(x, targets, &input_grad); }

  /// Vector-Jacobian product with upstream = dE/dy (B x n_L) of any function E of the outputs:
  /// keeps dE/dtheta as the gradient (and writes dE/dx, B x n_0, to input_grad).
  void vjp(MatRef<T> x, MatRef<T> upstream) { vjp_impl(x, upstream, nullptr); }
  void vjp(MatRef<T> x, MatRef<T> upstream, MatMut<T> input_grad) { vjp_impl(x, upstream, &input_grad); }

  /// One optimiser update with the kept gradient (of the last backward or vjp).
  void step() { check(api::step(handle_, nullptr, 0)); }
  /// One optimiser update with `grad` (num_params values laid out as params(), e.g. averaged
  /// over MPI ranks).
  void step(Span<const T> grad) {
    // NULL with length 0 would be the kept-gradient step in C: an empty span is an error here.
    if (handle_ && grad.empty())
      throw error(TSR_ERR_SHAPE_MISMATCH, "`grad` is empty, the network has " + std::to_string(params().size()) +
                                              " parameters (step() steps with the kept gradient)");
    if (handle_) {
      const T* kept = nullptr;
      int64_t n = 0;
      check(api::gradient(handle_, &kept, &n));
      // The handle's own gradient buffer is the kept gradient: the library would copy it onto itself.
      if (grad.data() == kept && static_cast<int64_t>(grad.size()) == n) return step();
    }
    check(api::step(handle_, grad.data(), detail::length_of(grad.size())));
  }

  /// backward then step on one batch; returns the loss before the update.
  double train_step(MatRef<T> x, Span<const uint32_t> labels) {
    require_batch(x, "input", inputs_);
    require_labels(x, labels);
    double loss = 0;
    check(api::train_step(handle_, detail::batch_ref(x), empty_ref(), labels.data(), &loss));
    return loss;
  }
  double train_step(MatRef<T> x, MatRef<T> targets) {
    require_batch(x, "input", inputs_);
    require_shape(targets, x.nrows(), outputs_, "targets");
    double loss = 0;
    check(api::train_step(handle_, detail::batch_ref(x), detail::batch_ref(targets), nullptr, &loss));
    return loss;
  }

  /// The parameter buffer itself (read and write it in place between calls); valid while the
  /// network lives. Layout: layer by layer, weights (column-major) then bias.
  Span<T> params() {
    T* p = nullptr;
    int64_t n = 0;
    check(api::params(handle_, &p, &n));
    return Span<T>(p, static_cast<std::size_t>(n));
  }
  /// The kept gradient (of the last backward pass, vjp or step; zeros before any), laid out as
  /// params(); overwritten by the next pass.
  Span<const T> gradient() {
    const T* g = nullptr;
    int64_t n = 0;
    check(api::gradient(handle_, &g, &n));
    return Span<const T>(g, static_cast<std::size_t>(n));
  }
  /// Views of layer l's (0-based) weights and bias in the parameter buffer.
  Layer<T> layer(int64_t l) {
    typename api::mut w{}, b{};
    check(api::layer(handle_, l, &w, &b));
    return Layer<T>{MatMut<T>(w.ptr, w.nrows, w.ncols, w.row_stride, w.col_stride),
                    MatMut<T>(b.ptr, b.nrows, b.ncols, b.row_stride, b.col_stride)};
  }

  /// The parameter file (docs/nn.md): architecture, loss and parameters (not the optimiser's state).
  std::vector<uint8_t> to_bytes() const {
    int64_t len = 0;
    check(tsr_nn_save_bytes(handle_, nullptr, 0, &len));
    std::vector<uint8_t> out(static_cast<std::size_t>(len));
    check(tsr_nn_save_bytes(handle_, out.data(), len, &len));
    out.resize(static_cast<std::size_t>(len));
    return out;
  }
  void save(const std::string& path) const { check(tsr_nn_save(handle_, path.c_str())); }

  /// The C handle (NULL after a move), still owned by this object.
  const tsr_nn* get() const noexcept { return handle_; }
  tsr_nn* get() noexcept { return handle_; }
  /// Gives up ownership: the caller frees with tsr_nn_free.
  tsr_nn* release() noexcept { return std::exchange(handle_, nullptr); }

 private:
  Network() = default;

  void cache() {
    tsr_nn_info i;
    std::memset(&i, 0, sizeof i);
    i.struct_size = sizeof i;
    check(tsr_nn_get_info(handle_, &i));
    nlayers_ = i.nlayers, inputs_ = i.inputs, outputs_ = i.outputs;
  }
  /// After a load: the file decides the element type, which must be T.
  void adopt() {
    tsr_nn_info i;
    std::memset(&i, 0, sizeof i);
    i.struct_size = sizeof i;
    check(tsr_nn_get_info(handle_, &i));
    if (i.dtype != api::dtype) {
      tsr_nn_free(std::exchange(handle_, nullptr));
      throw error(TSR_ERR_WRONG_DTYPE, std::string("the parameter file holds ") + (i.dtype == TSR_NN_F32 ? "float" : "double") +
                                           " parameters; load it as tessera::Network<" +
                                           (i.dtype == TSR_NN_F32 ? "float" : "double") + ">, not Network<" + api::name + ">");
    }
    nlayers_ = i.nlayers, inputs_ = i.inputs, outputs_ = i.outputs;
  }

  static typename api::ref empty_ref() { return {nullptr, 0, 0, 0, 0}; }
  static typename api::mut empty_mut() { return {nullptr, 0, 0, 0, 0}; }

  // Shape checks in the C++ orientation (B x n); skipped without a handle, so that the
  // library reports the NULL handle. Extents the library rejects anyway (an empty batch) pass.
  void require_batch(const MatRef<T>& x, const char* what, int64_t n) const {
    if (handle_ && x.ncols() != n)
      throw error(TSR_ERR_SHAPE_MISMATCH, std::string(what) + " is " + detail::shape_str(x.nrows(), x.ncols()) +
                                              " (batch x features), the network takes " + std::to_string(n) + " per sample");
  }
  template <class V>
  void require_shape(const V& v, int64_t rows, int64_t cols, const char* what) const {
    if (handle_ && (v.nrows() != rows || v.ncols() != cols))
      throw error(TSR_ERR_SHAPE_MISMATCH, std::string(what) + " is " + detail::shape_str(v.nrows(), v.ncols()) + ", expected " +
                                              detail::shape_str(rows, cols) + " (batch x features)");
  }
  void require_labels(const MatRef<T>& x, Span<const uint32_t> labels) const {
    // The library reads one label per sample: never hand it fewer.
    if (handle_ && static_cast<int64_t>(labels.size()) != x.nrows())
      throw error(TSR_ERR_SHAPE_MISMATCH, std::to_string(labels.size()) + " labels for a batch of " + std::to_string(x.nrows()));
  }

  double backward_labels(MatRef<T> x, Span<const uint32_t> labels, const MatMut<T>* gx) {
    require_batch(x, "input", inputs_);
    require_labels(x, labels);
    if (gx) require_shape(*gx, x.nrows(), inputs_, "input_grad");
    double loss = 0;
    check(api::backward(handle_, detail::batch_ref(x), empty_ref(), labels.data(), gx ? detail::batch_mut(*gx) : empty_mut(), &loss));
    return loss;
  }
  double backward_targets(MatRef<T> x, MatRef<T> targets, const MatMut<T>* gx) {
    require_batch(x, "input", inputs_);
    require_shape(targets, x.nrows(), outputs_, "targets");
    if (gx) require_shape(*gx, x.nrows(), inputs_, "input_grad");
    double loss = 0;
    check(api::backward(handle_, detail::batch_ref(x), detail::batch_ref(targets), nullptr, gx ? detail::batch_mut(*gx) : empty_mut(),
                        &loss));
    return loss;
  }
  void vjp_impl(MatRef<T> x, MatRef<T> upstream, const MatMut<T>* gx) {
    require_batch(x, "input", inputs_);
    require_shape(upstream, x.nrows(), outputs_, "upstream");
    if (gx) require_shape(*gx, x.nrows(), inputs_, "input_grad");
    check(api::vjp(handle_, detail::batch_ref(x), detail::batch_ref(upstream), gx ? detail::batch_mut(*gx) : empty_mut()));
  }

  tsr_nn* handle_ = nullptr;
  int64_t nlayers_ = 0, inputs_ = 0, outputs_ = 0;
};

using NetworkF32 = Network<float>;
using NetworkF64 = Network<double>;

// ---- f-divergence objectives ------------------------------------------------------------

/// The f-GAN divergences (Nowozin, Cseke, Tomioka 2016; docs/fdiv.md).
enum class Divergence : uint32_t {
  kl = TSR_FDIV_KL,
  reverse_kl = TSR_FDIV_REVERSE_KL,
  pearson = TSR_FDIV_PEARSON,
  neyman = TSR_FDIV_NEYMAN,
  squared_hellinger = TSR_FDIV_SQUARED_HELLINGER,
  jensen_shannon = TSR_FDIV_JENSEN_SHANNON,
  gan = TSR_FDIV_GAN,
};

/// The objective and its gradients with respect to the raw critic outputs.
template <class T>
struct FdivGradient {
  double objective = 0;
  std::vector<T> grad_p;  ///< dF/dv_p
  std::vector<T> grad_q;  ///< dF/dv_q
};

/// F = mean_P g_f(v_p) - mean_Q f*(g_f(v_q)) of raw critic outputs v_p (on samples of P) and
/// v_q (on samples of Q). The critic maximises F, the generator minimises it.
template <class T>
double fdiv_objective(Divergence d, const T* v_p, std::size_t np, const T* v_q, std::size_t nq) {
  double f = 0;
  check(detail::nn_api<T>::fdiv(static_cast<uint32_t>(d), detail::length_of(np), v_p, detail::length_of(nq), v_q, &f, nullptr, nullptr));
  return f;
}
template <class T>
double fdiv_objective(Divergence d, const std::vector<T>& v_p, const std::vector<T>& v_q) {
  return fdiv_objective(d, v_p.data(), v_p.size(), v_q.data(), v_q.size());
}

/// F and dF/dv_p (np values), dF/dv_q (nq values) into caller buffers; returns F.
template <class T>
double fdiv_objective_grad(Divergence d, const T* v_p, std::size_t np, const T* v_q, std::size_t nq, T* grad_p, T* grad_q) {
  double f = 0;
  check(detail::nn_api<T>::fdiv(static_cast<uint32_t>(d), detail::length_of(np), v_p, detail::length_of(nq), v_q, &f, grad_p, grad_q));
  return f;
}
template <class T>
FdivGradient<T> fdiv_objective_grad(Divergence d, const std::vector<T>& v_p, const std::vector<T>& v_q) {
  FdivGradient<T> r;
  // One element at least, so that the library sees both outputs and reports the real problem.
  r.grad_p.resize(v_p.empty() ? 1 : v_p.size());
  r.grad_q.resize(v_q.empty() ? 1 : v_q.size());
  r.objective = fdiv_objective_grad(d, v_p.data(), v_p.size(), v_q.data(), v_q.size(), r.grad_p.data(), r.grad_q.data());
  return r;
}

// ---- QSGD -------------------------------------------------------------------------------

enum class QsgdNorm : uint32_t {
  l2 = TSR_QSGD_NORM_L2,    ///< each bucket scaled by its 2-norm (the paper's Q_s)
  max = TSR_QSGD_NORM_MAX,  ///< by its largest magnitude
};

/// tsr_qsgd_options; default-constructed: the library's defaults.
struct QsgdOptions {
  uint32_t levels;      ///< s in 1 .. 2^31 - 1
  int64_t bucket_size;  ///< entries per bucket; 0: one bucket for the whole vector
  QsgdNorm norm;
  uint64_t seed;  ///< of the rounding draws

  QsgdOptions() {
    tsr_qsgd_options o;
    check(tsr_qsgd_options_default(&o));
    levels = o.levels, bucket_size = o.bucket_size, norm = static_cast<QsgdNorm>(o.norm), seed = o.seed;
  }
  tsr_qsgd_options c() const {
    tsr_qsgd_options o;
    check(tsr_qsgd_options_default(&o));
    o.levels = levels, o.bucket_size = bucket_size, o.norm = static_cast<uint32_t>(norm), o.seed = seed;
    return o;
  }
};

/// What a stream's header says (tsr_qsgd_get_stream_info).
struct QsgdStreamInfo {
  uint32_t dtype = 0;  ///< TSR_NN_F32 (float) or TSR_NN_F64 (double)
  int64_t n = 0;       ///< values encoded
  uint32_t levels = 0;
  QsgdNorm norm = QsgdNorm::l2;
  int64_t bucket_size = 0;
  int64_t payload_bits = 0;  ///< without header, padding and checksum
  int64_t total_bytes = 0;
  double bits_per_coordinate = 0;
};

/// Upper bound on the bytes of the stream of any n values of type T with these options.
template <class T>
int64_t qsgd_max_encoded_len(std::size_t n, const QsgdOptions& options = QsgdOptions()) {
  const tsr_qsgd_options o = options.c();
  int64_t len = 0;
  check(detail::nn_api<T>::qsgd_max_len(detail::length_of(n), &o, &len));
  return len;
}

/// Quantises v with Q_s (unbiased stochastic rounding, seeded) and returns its stream.
template <class T>
std::vector<uint8_t> qsgd_encode(const T* v, std::size_t n, const QsgdOptions& options = QsgdOptions()) {
  const tsr_qsgd_options o = options.c();
  int64_t bound = 0, len = 0;
  check(detail::nn_api<T>::qsgd_max_len(detail::length_of(n), &o, &bound));
  std::vector<uint8_t> out(static_cast<std::size_t>(bound > 0 ? bound : 1));
  check(detail::nn_api<T>::qsgd_encode(detail::length_of(n), v, &o, out.data(), bound, &len));
  out.resize(static_cast<std::size_t>(len));
  return out;
}
template <class T>
std::vector<uint8_t> qsgd_encode(const std::vector<T>& v, const QsgdOptions& options = QsgdOptions()) {
  return qsgd_encode(v.data(), v.size(), options);
}

/// Checks a stream's header, length and checksum and describes it.
inline QsgdStreamInfo qsgd_stream_info(const uint8_t* buf, std::size_t len) {
  tsr_qsgd_stream_info i;
  std::memset(&i, 0, sizeof i);
  i.struct_size = sizeof i;
  check(tsr_qsgd_get_stream_info(buf, detail::length_of(len), &i));
  QsgdStreamInfo r;
  r.dtype = i.dtype, r.n = i.n, r.levels = i.levels, r.norm = static_cast<QsgdNorm>(i.norm), r.bucket_size = i.bucket_size;
  r.payload_bits = i.payload_bits, r.total_bytes = i.total_bytes, r.bits_per_coordinate = i.bits_per_coordinate;
  return r;
}
inline QsgdStreamInfo qsgd_stream_info(const std::vector<uint8_t>& buf) { return qsgd_stream_info(buf.data(), buf.size()); }

/// Decodes a stream into out (n values, the stream's length): exactly the Q_s(v) encoded. A
/// stream of the other element type throws TSR_ERR_WRONG_DTYPE, damaged bytes TSR_ERR_BAD_DATA.
template <class T>
void qsgd_decode(const uint8_t* buf, std::size_t len, T* out, std::size_t n) {
  check(detail::nn_api<T>::qsgd_decode(buf, detail::length_of(len), detail::length_of(n), out));
}
/// Decodes a whole stream: qsgd_decode<float>(bytes) or qsgd_decode<double>(bytes).
template <class T>
std::vector<T> qsgd_decode(const uint8_t* buf, std::size_t len) {
  const QsgdStreamInfo info = qsgd_stream_info(buf, len);
  std::vector<T> out(static_cast<std::size_t>(info.n > 0 ? info.n : 1));
  qsgd_decode(buf, len, out.data(), static_cast<std::size_t>(info.n));
  out.resize(static_cast<std::size_t>(info.n));
  return out;
}
template <class T>
std::vector<T> qsgd_decode(const std::vector<uint8_t>& buf) {
  return qsgd_decode<T>(buf.data(), buf.size());
}

/// Q_s(v) itself (what the stream of qsgd_encode with the same options decodes to), into out (n values).
template <class T>
void qsgd_quantize(const T* v, std::size_t n, T* out, const QsgdOptions& options = QsgdOptions()) {
  const tsr_qsgd_options o = options.c();
  check(detail::nn_api<T>::qsgd_quantize(detail::length_of(n), v, &o, out));
}
template <class T>
std::vector<T> qsgd_quantize(const std::vector<T>& v, const QsgdOptions& options = QsgdOptions()) {
  std::vector<T> out(v.empty() ? 1 : v.size());
  qsgd_quantize(v.data(), v.size(), out.data(), options);
  out.resize(v.size());
  return out;
}

}  // namespace tessera
