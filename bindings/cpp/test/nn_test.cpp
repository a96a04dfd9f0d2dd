// Tests of the C++ network, f-divergence and QSGD API (tessera_nn.hpp):
// - training: a 2-8-3 tanh network (float and double) on three Gaussian blobs reaches >= 90%
//   training accuracy with Adam; info() and the layer list describe it; forward() equals
//   y = W1 tanh(W0 x + b0) + b1 computed here from the layer(l) weight and bias views;
// - gradients (double): the kept gradient and dL/dx of the squared-error loss against central
//   differences through the in-place params() span (1e-8); vjp with upstream (y - t)/B gives
//   the same gradients; the loss itself against a hand computation;
// - optimisers: step() with the kept gradient equals step(span) with a copy, bit for bit, for
//   SGD, Adam and Path-SGD, and the loss falls; step(gradient()) is the kept-gradient step;
// - files: to_bytes/from_bytes and save/load round trips are bit-exact (parameters, outputs,
//   bytes); a file of the other precision throws TSR_ERR_WRONG_DTYPE;
// - QSGD: decode(encode(v)) == quantize(v) bit for bit (both norms, float and double), stream
//   info, the mean over seeds converges to v (unbiased);
// - f-divergences: the KL bound is tight at the optimal critic of two discrete distributions
//   (F = KL(P||Q) = ln 2 / 4), the GAN objective at P = Q is -ln 4, Pearson against its closed
//   form, gradients against central differences, float against double;
// - bad inputs throw tessera::error with the right status, leaving outputs and parameters alone.
#include "tessera.hpp"
#include "expect.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {

using tessera::Activation;
using tessera::Loss;
using tessera::MatMut;
using tessera::MatRef;
using tessera::Matrix;
using tessera::Network;

constexpr int64_t NIN = 2, NHID = 8, NOUT = 3, NSAMP = 96;
constexpr int64_t NPARAMS = (NIN + 1) * NHID + (NHID + 1) * NOUT;

std::size_t at(int64_t i) { return static_cast<std::size_t>(i); }

/// Uniform in [-1, 1), a fixed sequence on every platform.
struct Rng {
  uint64_t s;
  double uniform() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) * 0x1.0p-52 - 1.0;
  }
};

tessera::NetworkOptions options(uint64_t seed) {
  tessera::NetworkOptions o;
  o.seed = seed;
  o.max_batch = NSAMP;
  o.num_threads = 1;
  return o;
}

/// Three Gaussian-ish blobs in the plane, one per class: NSAMP x NIN, one sample per row.
template <class T>
void blobs(std::vector<T>& x, std::vector<uint32_t>& labels) {
  static const double centre[3][2] = {{-1.0, -0.5}, {1.0, -0.5}, {0.0, 1.0}};
  Rng rng{42};
  x.resize(at(NSAMP * NIN));
  labels.resize(at(NSAMP));
  for (int64_t s = 0; s < NSAMP; ++s) {
    labels[at(s)] = static_cast<uint32_t>(s % 3);
    for (int64_t j = 0; j < NIN; ++j) x[at(s * NIN + j)] = static_cast<T>(centre[s % 3][j] + 0.3 * rng.uniform());
  }
}

template <class T>
Network<T> classifier(uint64_t seed) {
  return Network<T>({NIN, NHID, NOUT}, {Activation::tanh, Activation::identity}, Loss::softmax_cross_entropy, options(seed));
}

template <class T>
void training(const char* name, double tol) {
  std::vector<T> x;
  std::vector<uint32_t> labels;
  blobs(x, labels);
  Network<T> net = classifier<T>(7);
  net.set_optimiser(tessera::OptimiserOptions(tessera::Optimiser::adam, 0.02));
  const MatRef<T> X(x, NIN);
  double first = 0, loss = 0;
  for (int step = 0; step < 300; ++step) {
    loss = net.train_step(X, labels);
    if (step == 0) first = loss;
  }
  EXPECT(loss < 0.25 * first);
  const Matrix<T> y = net.forward(X);
  EXPECT(y.nrows() == NSAMP && y.ncols() == NOUT);
  int64_t correct = 0;
  for (int64_t s = 0; s < NSAMP; ++s) {
    int64_t best = 0;
    for (int64_t i = 1; i < NOUT; ++i)
      if (y(s, i) > y(s, best)) best = i;
    correct += best == static_cast<int64_t>(labels[at(s)]);
  }
  EXPECT(correct >= NSAMP * 9 / 10);

  const tessera::NetworkInfo info = net.info();
  EXPECT(info.dtype == tessera::detail::nn_api<T>::dtype && info.nlayers == 2 && info.inputs == NIN && info.outputs == NOUT);
  EXPECT(info.num_params == NPARAMS && info.max_batch == NSAMP && info.num_threads == 1);
  EXPECT(info.loss == Loss::softmax_cross_entropy && info.optimiser == tessera::Optimiser::adam);
  EXPECT((info.sizes == std::vector<int64_t>{NIN, NHID, NOUT}));
  EXPECT(info.activations.size() == 2 && info.activations[0] == Activation::tanh && info.activations[1] == Activation::identity);
  EXPECT(net.inputs() == NIN && net.outputs() == NOUT && net.nlayers() == 2 && net.params().size() == at(NPARAMS));

  // The same outputs by hand from the layer views.
  const tessera::Layer<T> l0 = net.layer(0), l1 = net.layer(1);
  EXPECT(l0.weights.nrows() == NHID && l0.weights.ncols() == NIN && l0.bias.nrows() == NHID && l0.bias.ncols() == 1);
  EXPECT(l1.weights.nrows() == NOUT && l1.weights.ncols() == NHID && l1.bias.nrows() == NOUT);
  EXPECT(l0.weights.data() >= net.params().begin() && l1.bias.data() + NOUT <= net.params().end());
  double worst = 0;
  for (int64_t s = 0; s < NSAMP; ++s) {
    double h[NHID];
    for (int64_t i = 0; i < NHID; ++i) {
      double z = l0.bias(i, 0);
      for (int64_t j = 0; j < NIN; ++j) z += static_cast<double>(l0.weights(i, j)) * static_cast<double>(X(s, j));
      h[i] = std::tanh(z);
    }
    for (int64_t i = 0; i < NOUT; ++i) {
      double z = l1.bias(i, 0);
      for (int64_t j = 0; j < NHID; ++j) z += static_cast<double>(l1.weights(i, j)) * h[j];
      worst = std::fmax(worst, std::fabs(z - static_cast<double>(y(s, i))));
    }
  }
  EXPECT(worst < tol);
  std::printf("training (%s): loss %.4f -> %.4f, accuracy %lld/%lld, forward vs hand %.2e\n", name, first, loss,
              static_cast<long long>(correct), static_cast<long long>(NSAMP), worst);
}

void gradients() {
  constexpr int64_t B = 5;
  Rng rng{3};
  std::vector<double> x(at(B * NIN)), t(at(B * NOUT));
  for (double& v : x) v = rng.uniform();
  for (double& v : t) v = 0.5 + 0.5 * rng.uniform();
  Network<double> net({NIN, NHID, NOUT}, {Activation::tanh, Activation::sigmoid}, Loss::squared_error, options(3));
  const MatRef<double> X(x, NIN), T(t, NOUT);
  Matrix<double> gx(B, NIN);
  const double loss = net.backward(X, T, gx);
  // The loss by hand: (1/B) sum_b 1/2 ||y_b - t_b||^2.
  const Matrix<double> y = net.forward(X);
  double by_hand = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < NOUT; ++i) by_hand += 0.5 * (y(b, i) - T(b, i)) * (y(b, i) - T(b, i)) / B;
  EXPECT(std::fabs(loss - by_hand) < 1e-15);

  tessera::Span<double> params = net.params();
  const std::vector<double> saved = params.to_vector();
  const std::vector<double> g = net.gradient().to_vector();
  EXPECT(g.size() == at(NPARAMS));
  const double h = 1e-6;
  double worst = 0;
  for (std::size_t k = 0; k < params.size(); ++k) {
    params[k] = saved[k] + h;
    const double up = net.backward(X, T);
    params[k] = saved[k] - h;
    const double down = net.backward(X, T);
    params[k] = saved[k];
    worst = std::fmax(worst, std::fabs((up - down) / (2 * h) - g[k]));
  }
  EXPECT(worst < 1e-8);
  double worst_x = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    const double keep = x[k];
    x[k] = keep + h;
    const double up = net.backward(X, T);
    x[k] = keep - h;
    const double down = net.backward(X, T);
    x[k] = keep;
    worst_x = std::fmax(worst_x, std::fabs((up - down) / (2 * h) - gx.data()[k]));
  }
  EXPECT(worst_x < 1e-8);
  // The VJP with upstream (y - t)/B is the same gradient, for the parameters and the inputs.
  Matrix<double> up(B, NOUT), gx2(B, NIN);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < NOUT; ++i) up(b, i) = (y(b, i) - T(b, i)) / B;
  net.vjp(X, up, gx2);
  double diff = 0;
  for (std::size_t k = 0; k < x.size(); ++k) diff = std::fmax(diff, std::fabs(gx2.data()[k] - gx.data()[k]));
  const tessera::Span<const double> g2 = net.gradient();
  for (std::size_t k = 0; k < g.size(); ++k) diff = std::fmax(diff, std::fabs(g2[k] - g[k]));
  EXPECT(diff < 1e-15);
  net.vjp(X, up);  // parameter gradient only
  EXPECT(std::memcmp(net.gradient().data(), g2.data(), g.size() * sizeof(double)) == 0);
  std::printf("gradients (double): parameters vs central differences %.2e, inputs %.2e, vjp vs backward %.2e\n", worst, worst_x, diff);
}

bool same_params(Network<double>& a, Network<double>& b) {
  const tessera::Span<double> pa = a.params(), pb = b.params();
  return pa.size() == pb.size() && std::memcmp(pa.data(), pb.data(), pa.size() * sizeof(double)) == 0;
}

void optimisers_and_files() {
  std::vector<double> x;
  std::vector<uint32_t> labels;
  blobs(x, labels);
  const MatRef<double> X(x, NIN);
  Network<double> a = classifier<double>(11);
  const std::vector<uint8_t> bytes = a.to_bytes();
  Network<double> b = Network<double>::from_bytes(bytes);
  EXPECT(same_params(a, b) && b.to_bytes() == bytes);
  const tessera::NetworkInfo info = b.info();
  EXPECT(info.dtype == TSR_NN_F64 && info.nlayers == 2 && info.inputs == NIN && info.outputs == NOUT && info.num_params == NPARAMS);
  EXPECT(info.loss == Loss::softmax_cross_entropy && info.optimiser == tessera::Optimiser::adam && info.max_batch == 256);

  const tessera::Optimiser kinds[] = {tessera::Optimiser::sgd, tessera::Optimiser::adam, tessera::Optimiser::path_sgd};
  for (tessera::Optimiser kind : kinds) {
    const tessera::OptimiserOptions opt(kind, kind == tessera::Optimiser::adam ? 0.01 : 0.1);
    a.set_optimiser(opt);
    b.set_optimiser(opt);
    Network<double> c = Network<double>::from_bytes(a.to_bytes());
    c.set_optimiser(opt);
    std::memcpy(b.params().data(), a.params().data(), at(NPARAMS) * sizeof(double));
    double l0 = 0, l = 0;
    for (int i = 0; i < 20; ++i) {
      l = a.backward(X, labels);
      if (i == 0) l0 = l;
      a.step();
      b.backward(X, labels);
      const std::vector<double> copy = b.gradient().to_vector();
      b.step(copy);
      c.backward(X, labels);
      c.step(c.gradient());  // the handle's own buffer: the kept-gradient step
    }
    EXPECT(same_params(a, b) && same_params(a, c));
    EXPECT(l < l0);
    EXPECT(a.info().optimiser == kind);
  }

  // Files: save, load, the same outputs and bytes bit for bit (a name of this process's own).
  char path[96];
  std::snprintf(path, sizeof path, "nn_cpp_test_%lx_%lx.bin", static_cast<unsigned long>(std::clock()),
                static_cast<unsigned long>(reinterpret_cast<std::uintptr_t>(&path)));
  a.save(path);
  Network<double> c = Network<double>::load(path);
  const Matrix<double> y1 = a.forward(X), y2 = c.forward(X);
  EXPECT(std::memcmp(y1.data(), y2.data(), at(NSAMP * NOUT) * sizeof(double)) == 0);
  EXPECT(same_params(a, c) && c.to_bytes() == a.to_bytes());
  EXPECT_ERROR(TSR_ERR_WRONG_DTYPE, Network<float>::load(path));
  std::remove(path);
  EXPECT_ERROR(TSR_ERR_WRONG_DTYPE, Network<float>::from_bytes(bytes));
  EXPECT_ERROR(TSR_ERR_IO, Network<double>::load(path));

  // float: a logistic network through bytes, bit for bit.
  Network<float> f({NIN, NHID, NOUT}, {Activation::relu, Activation::identity}, Loss::logistic, options(5));
  std::vector<float> xf(x.begin(), x.end()), tf(at(NSAMP * NOUT));
  for (std::size_t i = 0; i < tf.size(); ++i) tf[i] = static_cast<float>(i % 2);
  const double lf = f.train_step(MatRef<float>(xf, NIN), MatRef<float>(tf, NOUT));
  EXPECT(lf > 0 && std::isfinite(lf));
  Network<float> g = Network<float>::from_bytes(f.to_bytes(), options(0));
  const Matrix<float> yf = f.forward(MatRef<float>(xf, NIN)), yg = g.forward(MatRef<float>(xf, NIN));
  EXPECT(std::memcmp(yf.data(), yg.data(), at(NSAMP * NOUT) * sizeof(float)) == 0);
  EXPECT(g.info().dtype == TSR_NN_F32 && g.info().loss == Loss::logistic && g.info().max_batch == NSAMP);
  EXPECT_ERROR(TSR_ERR_WRONG_DTYPE, Network<double>::from_bytes(g.to_bytes()));
  std::printf("optimisers and files: kept-gradient steps bit-exact for SGD, Adam, Path-SGD; %zu-byte file round trips bit-exact\n",
              bytes.size());
}

void qsgd() {
  constexpr std::size_t N = 1000;
  Rng rng{9};
  std::vector<double> v(N);
  for (std::size_t i = 0; i < N; ++i) v[i] = rng.uniform() * static_cast<double>(1 + i % 7);
  double err = 0;
  for (tessera::QsgdNorm norm : {tessera::QsgdNorm::l2, tessera::QsgdNorm::max}) {
    tessera::QsgdOptions o;
    o.levels = 4;
    o.bucket_size = 128;
    o.norm = norm;
    const std::vector<uint8_t> bytes = tessera::qsgd_encode(v, o);
    const std::vector<double> d = tessera::qsgd_decode<double>(bytes), q = tessera::qsgd_quantize(v, o);
    EXPECT(d.size() == N && q.size() == N && std::memcmp(d.data(), q.data(), N * sizeof(double)) == 0);
    EXPECT(d != v);
    EXPECT(static_cast<int64_t>(bytes.size()) <= tessera::qsgd_max_encoded_len<double>(N, o));
    const tessera::QsgdStreamInfo info = tessera::qsgd_stream_info(bytes);
    EXPECT(info.dtype == TSR_NN_F64 && info.n == static_cast<int64_t>(N) && info.levels == 4 && info.bucket_size == 128);
    EXPECT(info.norm == norm && info.total_bytes == static_cast<int64_t>(bytes.size()));
    EXPECT(info.bits_per_coordinate > 0 && info.bits_per_coordinate < 64);
    // Unbiased: the mean of many draws converges to v (scale/s is at most ~7 here; 400 draws).
    std::vector<double> mean(N, 0.0), out(N);
    for (uint64_t seed = 0; seed < 400; ++seed) {
      o.seed = seed;
      tessera::qsgd_quantize(v.data(), N, out.data(), o);
      for (std::size_t i = 0; i < N; ++i) mean[i] += out[i] / 400;
    }
    for (std::size_t i = 0; i < N; ++i) err = std::fmax(err, std::fabs(mean[i] - v[i]));
  }
  EXPECT(err < 1.5);
  // float, default options, and the pointer forms.
  std::vector<float> vf(v.begin(), v.end()), df(N);
  const std::vector<uint8_t> fb = tessera::qsgd_encode(vf.data(), N);
  tessera::qsgd_decode(fb.data(), fb.size(), df.data(), N);
  const std::vector<float> qf = tessera::qsgd_quantize(vf);
  EXPECT(std::memcmp(df.data(), qf.data(), N * sizeof(float)) == 0);
  EXPECT(tessera::qsgd_stream_info(fb).dtype == TSR_NN_F32);
  EXPECT_ERROR(TSR_ERR_WRONG_DTYPE, tessera::qsgd_decode<double>(fb));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, tessera::qsgd_decode(fb.data(), fb.size(), df.data(), N - 1));
  // Damaged streams and bad options.
  std::vector<uint8_t> bad(fb.begin(), fb.end() - 1);
  EXPECT_ERROR(TSR_ERR_BAD_DATA, tessera::qsgd_decode<float>(bad));
  EXPECT_ERROR(TSR_ERR_BAD_DATA, tessera::qsgd_stream_info(bad));
  bad = fb;
  bad[bad.size() / 2] ^= 0x20;
  EXPECT_ERROR(TSR_ERR_BAD_DATA, tessera::qsgd_decode<float>(bad));
  EXPECT_ERROR(TSR_ERR_BAD_DATA, tessera::qsgd_decode<float>(std::vector<uint8_t>()));
  tessera::QsgdOptions o;
  o.levels = 0;
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::qsgd_encode(v, o));
  o = tessera::QsgdOptions();
  o.norm = static_cast<tessera::QsgdNorm>(7);
  EXPECT_ERROR(TSR_ERR_INVALID_ENUM, tessera::qsgd_quantize(v, o));
  o = tessera::QsgdOptions();
  o.bucket_size = -2;
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::qsgd_max_encoded_len<double>(N, o));
  std::vector<double> w = v;
  w[17] = NAN;
  EXPECT_ERROR(TSR_ERR_NON_FINITE, tessera::qsgd_encode(w));
  EXPECT_ERROR(TSR_ERR_DOMAIN, tessera::qsgd_quantize(std::vector<double>{1e308, 1e308, -1e308, 1e308}));
  std::printf("qsgd: decode == quantize bit for bit (L2, max, float); mean of 400 draws within %.3f of v\n", err);
}

void fdiv() {
  using tessera::Divergence;
  // KL(P||Q) of two distributions on three atoms, from batches holding them exactly: the
  // optimal critic T* = f'(p/q) = 1 + ln(p/q) (g_f = identity for KL) makes the bound tight.
  const double p[3] = {0.5, 0.25, 0.25}, q[3] = {0.25, 0.25, 0.5};
  const int sp[4] = {0, 0, 1, 2}, sq[4] = {0, 1, 2, 2};
  std::vector<double> vp(4), vq(4);
  for (int i = 0; i < 4; ++i) vp[at(i)] = 1 + std::log(p[sp[i]] / q[sp[i]]), vq[at(i)] = 1 + std::log(p[sq[i]] / q[sq[i]]);
  const double kl = std::log(2.0) / 4;
  const double f_opt = tessera::fdiv_objective(Divergence::kl, vp, vq);
  EXPECT(std::fabs(f_opt - kl) < 1e-15);
  std::vector<double> off = vp, offq = vq;
  for (double& v : off) v += 0.1;
  for (double& v : offq) v += 0.1;
  EXPECT(tessera::fdiv_objective(Divergence::kl, off, offq) < kl);  // any other critic is below
  // GAN at P = Q with the optimal critic v = 0: F = f(1) = -ln 4.
  const std::vector<double> zeros(6, 0.0), zq(9, 0.0);
  const tessera::FdivGradient<double> gan = tessera::fdiv_objective_grad(Divergence::gan, zeros, zq);
  EXPECT(std::fabs(gan.objective + std::log(4.0)) < 1e-15);
  double net = 0;
  for (double g : gan.grad_p) net += g;
  for (double g : gan.grad_q) net += g;
  EXPECT(std::fabs(net) < 1e-15);  // stationary at the optimum
  // Pearson: g_f(v) = v, f*(g_f(v)) = v (v/4 + 1).
  Rng rng{5};
  std::vector<double> a(6), b(9);
  for (double& v : a) v = 0.8 * rng.uniform();
  for (double& v : b) v = 0.8 * rng.uniform();
  double closed = 0;
  for (double v : a) closed += v / 6;
  for (double v : b) closed -= v * (v / 4 + 1) / 9;
  EXPECT(std::fabs(tessera::fdiv_objective(Divergence::pearson, a, b) - closed) < 1e-15);
  // Gradients against central differences, float against double, for every divergence.
  double worst = 0, worst32 = 0;
  for (uint32_t d = TSR_FDIV_KL; d <= TSR_FDIV_GAN; ++d) {
    const Divergence div = static_cast<Divergence>(d);
    const tessera::FdivGradient<double> r = tessera::fdiv_objective_grad(div, a, b);
    for (std::size_t i = 0; i < a.size() + b.size(); ++i) {
      double* x = i < a.size() ? &a[i] : &b[i - a.size()];
      const double keep = *x, h = 1e-6;
      *x = keep + h;
      const double up = tessera::fdiv_objective(div, a, b);
      *x = keep - h;
      const double down = tessera::fdiv_objective(div, a, b);
      *x = keep;
      worst = std::fmax(worst, std::fabs((up - down) / (2 * h) - (i < a.size() ? r.grad_p[i] : r.grad_q[i - a.size()])));
    }
    const std::vector<float> af(a.begin(), a.end()), bf(b.begin(), b.end());
    const double f32 = tessera::fdiv_objective(div, af, bf);
    worst32 = std::fmax(worst32, std::fabs(f32 - r.objective) / (1 + std::fabs(r.objective)));
  }
  EXPECT(worst < 1e-8 && worst32 < 1e-5);
  // Bad input.
  EXPECT_ERROR(TSR_ERR_INVALID_ENUM, tessera::fdiv_objective(static_cast<Divergence>(7), a, b));
  EXPECT_ERROR(TSR_ERR_BAD_EXTENT, tessera::fdiv_objective(Divergence::kl, std::vector<double>(), b));
  EXPECT_ERROR(TSR_ERR_BAD_EXTENT, tessera::fdiv_objective_grad(Divergence::kl, a, std::vector<double>()));
  std::vector<double> g(a.size(), -3.0), gq(b.size(), -3.0);
  EXPECT_ERROR(TSR_ERR_ALIASING, tessera::fdiv_objective_grad(Divergence::kl, a.data(), a.size(), b.data(), b.size(), a.data(), gq.data()));
  b[2] = INFINITY;
  EXPECT_ERROR(TSR_ERR_NON_FINITE, tessera::fdiv_objective_grad(Divergence::kl, a.data(), a.size(), b.data(), b.size(), g.data(), gq.data()));
  for (double v : g) EXPECT(v == -3.0);
  std::printf("fdiv: KL bound tight at the optimal critic (%.2e), GAN at P = Q %.17g, gradients vs differences %.2e\n",
              std::fabs(f_opt - kl), gan.objective, worst);
}

void bad_inputs() {
  constexpr int64_t B = 8;
  Rng rng{1};
  std::vector<double> x(at(B * NOUT)), t(at(B * NOUT), 0.0);  // x: room for an aliasing B x NOUT output
  for (double& v : x) v = rng.uniform();
  std::vector<uint32_t> labels = {0, 1, 2, 0, 1, 2, 0, 1};
  const MatRef<double> X(x.data(), B, NIN);
  Network<double> net = classifier<double>(1);
  const std::vector<double> before = net.params().to_vector();
  Matrix<double> y(B, NOUT);
  for (int64_t i = 0; i < B; ++i)
    for (int64_t j = 0; j < NOUT; ++j) y(i, j) = -7.0;

  // Specs.
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, Network<double>({NIN, NHID, NOUT}, {Activation::relu}, Loss::squared_error));
  EXPECT_ERROR(TSR_ERR_BAD_EXTENT, Network<double>({NIN}, {}, Loss::squared_error));
  EXPECT_ERROR(TSR_ERR_BAD_EXTENT, Network<double>({}, {}, Loss::squared_error));
  EXPECT_ERROR(TSR_ERR_BAD_EXTENT, Network<double>({NIN, 0, NOUT}, {Activation::relu, Activation::identity}, Loss::squared_error));
  EXPECT_ERROR(TSR_ERR_INVALID_ENUM,
               Network<double>({NIN, NHID, NOUT}, {static_cast<Activation>(99), Activation::identity}, Loss::squared_error));
  EXPECT_ERROR(TSR_ERR_INVALID_ENUM, Network<float>({NIN, NHID, NOUT}, {Activation::relu, Activation::identity}, static_cast<Loss>(17)));
  tessera::NetworkOptions o;
  o.max_batch = 0;
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, Network<double>({NIN, NOUT}, {Activation::identity}, Loss::squared_error, o));

  // Passes: nothing written, parameters unchanged.
  labels[3] = NOUT;
  EXPECT_ERROR(TSR_ERR_DOMAIN, net.train_step(X, labels));
  labels[3] = 0;
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, net.train_step(X, tessera::Span<const uint32_t>(labels.data(), 7)));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, net.backward(X, tessera::Span<const uint32_t>(labels.data(), 9)));
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, net.train_step(X, MatRef<double>(t.data(), B, NOUT)));
  Network<double> sq({NIN, NHID, NOUT}, {Activation::relu, Activation::sigmoid}, Loss::logistic, options(2));
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, sq.backward(X, labels));
  t[2] = 1.5;
  EXPECT_ERROR(TSR_ERR_DOMAIN, sq.train_step(X, MatRef<double>(t.data(), B, NOUT)));
  t[2] = 0.0;
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, sq.train_step(X, MatRef<double>(t.data(), B - 1, NOUT)));
  x[5] = NAN;
  EXPECT_ERROR(TSR_ERR_NON_FINITE, net.train_step(X, labels));
  EXPECT_ERROR(TSR_ERR_NON_FINITE, net.forward(X, y));
  x[5] = 0.25;
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, net.forward(MatRef<double>(x.data(), B, NIN + 1)));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, net.forward(X, MatMut<double>(y.data(), B - 1, NOUT)));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, net.forward(X, MatMut<double>(y.data(), NOUT, B)));  // the C orientation
  EXPECT_ERROR(TSR_ERR_BAD_EXTENT, net.forward(MatRef<double>(x.data(), 0, NIN)));
  EXPECT_ERROR(TSR_ERR_NULL_POINTER, net.forward(MatRef<double>(nullptr, B, NIN), y));
  EXPECT_ERROR(TSR_ERR_BAD_STRIDE, net.forward(X, MatMut<double>(y.data(), B, NOUT, 0, 1)));
  EXPECT_ERROR(TSR_ERR_ALIASING, net.forward(X, MatMut<double>(x.data(), B, NOUT)));
  EXPECT_ERROR(TSR_ERR_ALIASING, net.forward(X, MatMut<double>(net.params().data(), B, NOUT)));
  EXPECT_ERROR(TSR_ERR_ALIASING, net.backward(X, labels, MatMut<double>(x.data(), B, NIN)));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, net.backward(X, labels, MatMut<double>(y.data(), B, NOUT)));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, net.vjp(X, MatRef<double>(t.data(), B, NOUT - 1)));
  EXPECT_ERROR(TSR_ERR_ALIASING, net.step(net.params()));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, net.step(std::vector<double>(5, 0.0)));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, net.step(std::vector<double>()));  // not the kept-gradient step
  std::vector<double> g(at(NPARAMS), 0.0);
  g[4] = NAN;
  EXPECT_ERROR(TSR_ERR_NON_FINITE, net.step(g));
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, net.layer(2));
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, net.layer(-1));
  std::vector<double> big(at((NSAMP + 1) * NIN), 0.0);
  EXPECT_ERROR(TSR_ERR_BAD_EXTENT, net.train_step(MatRef<double>(big, NIN), std::vector<uint32_t>(at(NSAMP + 1), 0)));
  tessera::OptimiserOptions opt(tessera::Optimiser::sgd);
  opt.momentum = 1.0;
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, net.set_optimiser(opt));
  opt = tessera::OptimiserOptions(tessera::Optimiser::path_sgd);
  opt.path_p = 0.5;
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, net.set_optimiser(opt));
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, net.set_optimiser(tessera::OptimiserOptions(tessera::Optimiser::adam, -1.0)));
  EXPECT_ERROR(TSR_ERR_INVALID_ENUM, net.set_optimiser(tessera::OptimiserOptions(static_cast<tessera::Optimiser>(9))));
  bool untouched = true;
  for (int64_t i = 0; i < B; ++i)
    for (int64_t j = 0; j < NOUT; ++j) untouched = untouched && y(i, j) == -7.0;
  EXPECT(untouched);
  EXPECT(net.params().to_vector() == before);
  // A non-finite parameter written in place is caught by the next pass.
  net.params()[at(NPARAMS - 1)] = NAN;
  EXPECT_ERROR(TSR_ERR_NON_FINITE, net.forward(X));
  net.params()[at(NPARAMS - 1)] = before.back();

  // Parameter files: truncated, corrupted, empty, missing, unwritable.
  const std::vector<uint8_t> bytes = net.to_bytes();
  EXPECT_ERROR(TSR_ERR_BAD_DATA, Network<double>::from_bytes(bytes.data(), bytes.size() - 1));
  EXPECT_ERROR(TSR_ERR_BAD_DATA, Network<double>::from_bytes(std::vector<uint8_t>()));
  std::vector<uint8_t> bad = bytes;
  bad[bad.size() / 2] ^= 0x10;
  EXPECT_ERROR(TSR_ERR_BAD_DATA, Network<double>::from_bytes(bad));
  EXPECT_ERROR(TSR_ERR_IO, Network<double>::load("/nonexistent/dir/params.bin"));
  EXPECT_ERROR(TSR_ERR_IO, net.save("/nonexistent/dir/params.bin"));

  // A moved-from network holds no handle: the library reports it.
  Network<double> moved = std::move(net);
  EXPECT(net.get() == nullptr && net.inputs() == 0 && moved.inputs() == NIN);
  EXPECT_ERROR(TSR_ERR_NULL_POINTER, net.forward(X));
  EXPECT_ERROR(TSR_ERR_NULL_POINTER, net.info());
  EXPECT_ERROR(TSR_ERR_NULL_POINTER, net.params());
  EXPECT(moved.forward(X).nrows() == B);
  tsr_nn* raw = moved.release();
  EXPECT(raw != nullptr && moved.get() == nullptr);
  tsr_nn_free(raw);
  std::printf("bad inputs: checked\n");
}

}  // namespace

int main() {
  try {
    training<double>("double", 1e-12);
    training<float>("float", 1e-5);
    gradients();
    optimisers_and_files();
    qsgd();
    fdiv();
    bad_inputs();
  } catch (const tessera::error& e) {
    std::fprintf(stderr, "unexpected tessera::error: %s\n", e.what());
    ++failures;
  }
  std::printf("nn_test: %s\n", failures ? "FAILED" : "ok");
  return failures;
}
