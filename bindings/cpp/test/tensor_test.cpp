// Tests of the C++ tensor API (tessera_tensor.hpp): recovery of a low-rank tensor, dense vs
// coordinates, column- vs row-major layouts, Tucker and components reconstruction, progress
// cancellation and exceptions, and errors as tessera::error with the right status.
#include "tessera.hpp"
#include "expect.hpp"

#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <vector>

namespace {

constexpr int64_t A = 20, B = 15, C = 10, N = A * B * C;

std::size_t at(int64_t i) { return static_cast<std::size_t>(i); }

double rel_error(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < b.size(); ++i) num += (a[i] - b[i]) * (a[i] - b[i]), den += b[i] * b[i];
  return std::sqrt(num / den);
}

// Column-major A x B x C tensor of Tucker rank (2,2,2).
std::vector<double> low_rank(unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> core(8), u1(A * 2), u2(B * 2), u3(C * 2), x(at(N));
  for (auto* v : {&core, &u1, &u2, &u3})
    for (double& e : *v) e = u(rng);
  core[0] += 2;
  for (int64_t k = 0; k < C; ++k)
    for (int64_t j = 0; j < B; ++j)
      for (int64_t i = 0; i < A; ++i) {
        double s = 0;
        for (int c = 0; c < 2; ++c)
          for (int b = 0; b < 2; ++b)
            for (int a = 0; a < 2; ++a) s += core[at(a + 2 * (b + 2 * c))] * u1[at(i + A * a)] * u2[at(j + B * b)] * u3[at(k + C * c)];
        x[at(i + A * (j + B * k))] = s;
      }
  return x;
}

}  // namespace

int main() {
  const std::vector<int64_t> shape{A, B, C};
  const std::vector<double> x = low_rank(7);
  std::vector<uint8_t> mask(at(N));
  std::vector<double> y(at(N));
  std::vector<int64_t> coords;
  std::vector<double> obs;
  std::mt19937_64 rng(11);
  for (int64_t k = 0; k < C; ++k)
    for (int64_t j = 0; j < B; ++j)
      for (int64_t i = 0; i < A; ++i) {
        const std::size_t idx = at(i + A * (j + B * k));
        mask[idx] = rng() % 2;
        y[idx] = mask[idx] ? x[idx] : NAN;  // unobserved entries are never read
        if (mask[idx]) {
          coords.insert(coords.end(), {i, j, k});
          obs.push_back(x[idx]);
        }
      }

  // Defaults mirror the C ones.
  tessera::TensorOptions opt;
  EXPECT(opt.method == tessera::TensorMethod::overlapped && opt.weights == tessera::TensorWeights::ones);
  EXPECT(opt.tol == 1e-3 && opt.max_iter == 2000 && opt.lambda == 0 && opt.eta == 0 && !opt.progress);

  // Recovery, dense and coordinates agree bit for bit.
  opt.tol = 1e-4;
  tessera::TensorResult r = tessera::complete(y, mask, shape, opt);
  std::printf("complete: %lld iterations, relative error %.2e\n", static_cast<long long>(r.iterations), rel_error(r.estimate, x));
  EXPECT(r.converged() && r.status == TSR_OK && r.message.empty());
  EXPECT(rel_error(r.estimate, x) < 1e-2);
  EXPECT(r.ranks == (std::vector<int64_t>{2, 2, 2}) && r.component_ranks.size() == 3 && r.shape == shape);
  tessera::TensorResult rc = tessera::complete_coo(shape, coords, obs, opt);
  EXPECT(rc.estimate == r.estimate && rc.iterations == r.iterations);

  // Row-major: the same numbers as a C array x[k][j][i] of shape {C, B, A}... is the same
  // memory, so the estimate is identical and the ranks come back in the row-major order.
  tessera::TensorResult rr = tessera::complete(y.data(), mask.data(), {C, B, A}, opt, tessera::Layout::row_major);
  EXPECT(rr.estimate == r.estimate && rr.shape == (std::vector<int64_t>{C, B, A}));
  {
    std::vector<int64_t> rcoords(coords.size());
    for (std::size_t o = 0; o < obs.size(); ++o)
      for (std::size_t m = 0; m < 3; ++m) rcoords[3 * o + m] = coords[3 * o + 2 - m];
    tessera::TensorResult rrc = tessera::complete_coo({C, B, A}, rcoords, obs, opt, tessera::Layout::row_major);
    EXPECT(rrc.estimate == r.estimate);
  }
  // as_matrix's mode follows the layout: mode 0 of {C,B,A} row-major is mode 2 column-major.
  {
    tessera::TensorOptions m = opt;
    m.method = tessera::TensorMethod::as_matrix;
    m.mode = 2;
    m.weights = tessera::TensorWeights::custom;
    m.gamma = {1.0, 2.0, 3.0};
    const auto a = tessera::complete(y, mask, shape, m);
    m.mode = 0;
    m.gamma = {3.0, 2.0, 1.0};
    const auto b = tessera::complete(y.data(), mask.data(), {C, B, A}, m, tessera::Layout::row_major);
    EXPECT(a.estimate == b.estimate);
  }

  // Tucker: orthonormal factors reconstructing x; row-major gives the reversed factors.
  {
    tessera::Tucker t = tessera::tucker(x, shape, {2, 2, 2});
    EXPECT(t.core.size() == 8 && t.factors.size() == 3 && t.factors[0].nrows() == A && t.factors[2].ncols() == 2);
    std::vector<double> z(at(N));
    for (int64_t k = 0; k < C; ++k)
      for (int64_t j = 0; j < B; ++j)
        for (int64_t i = 0; i < A; ++i) {
          double s = 0;
          for (int c = 0; c < 2; ++c)
            for (int b = 0; b < 2; ++b)
              for (int a = 0; a < 2; ++a) s += t.core[at(a + 2 * (b + 2 * c))] * t.factors[0](i, a) * t.factors[1](j, b) * t.factors[2](k, c);
          z[at(i + A * (j + B * k))] = s;
        }
    EXPECT(rel_error(z, x) < 1e-12);
    tessera::Tucker tr = tessera::tucker(x.data(), {C, B, A}, {2, 2, 2}, 2, tessera::Layout::row_major);
    EXPECT(tr.core == t.core && tr.factors[0].vector() == t.factors[2].vector() && tr.factors[2].vector() == t.factors[0].vector());
  }

  // Components.
  {
    tessera::ComponentOptions co;
    EXPECT(co.rank == 1);
    co.rank = 3;
    co.max_iter = 5000;
    tessera::Components c = tessera::components(x, shape, {2, 2, 2}, co);
    EXPECT(c.weights.size() == 3 && c.loadings.size() == 3 && c.loadings[1].nrows() == B && c.loadings[1].ncols() == 3);
    EXPECT(c.fit > 0.99);
    std::vector<double> z(at(N));
    for (int64_t k = 0; k < C; ++k)
      for (int64_t j = 0; j < B; ++j)
        for (int64_t i = 0; i < A; ++i) {
          double s = 0;
          for (int64_t q = 0; q < 3; ++q) s += c.weights[at(q)] * c.loadings[0](i, q) * c.loadings[1](j, q) * c.loadings[2](k, q);
          z[at(i + A * (j + B * k))] = s;
        }
    EXPECT(rel_error(z, x) < 1e-2);
  }

  // Progress: cancellation returns the best iterate; exceptions propagate.
  for (int32_t threads : {1, 2}) {
    tessera::TensorOptions p = opt;
    p.num_threads = threads;
    p.tol = 1e-12;
    std::vector<int64_t> seen;
    p.progress = [&](const tessera::Progress& pr) {
      seen.push_back(pr.iteration);
      return pr.iteration >= 3;
    };
    tessera::TensorResult c = tessera::complete(y, mask, shape, p);
    EXPECT(c.status == TSR_ERR_CANCELLED && !c.converged() && !c.message.empty());
    EXPECT(seen == (std::vector<int64_t>{1, 2, 3}) && c.iterations == 3);
    for (double v : c.estimate) EXPECT(std::isfinite(v));
    p.progress = [](const tessera::Progress& pr) -> bool { throw std::runtime_error("stop " + std::to_string(pr.iteration)); };
    bool caught = false;
    try {
      tessera::complete(y, mask, shape, p);
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "stop 1";
    }
    EXPECT(caught);
  }
  {
    tessera::TensorOptions p = opt;
    p.max_iter = 2;
    tessera::TensorResult c = tessera::complete(y, mask, shape, p);
    EXPECT(c.status == TSR_ERR_NOT_CONVERGED && c.iterations == 2 && !c.message.empty());
  }

  // Errors.
  {
    std::vector<double> bad = y;
    for (std::size_t i = 0; i < bad.size(); ++i)
      if (mask[i]) {
        bad[i] = NAN;
        break;
      }
    EXPECT_ERROR(TSR_ERR_NON_FINITE, tessera::complete(bad, mask, shape));
    EXPECT_ERROR(TSR_ERR_DOMAIN, tessera::complete(y, std::vector<uint8_t>(at(N), 0), shape));
    EXPECT_ERROR(TSR_ERR_BAD_EXTENT, tessera::complete(y.data(), mask.data(), {}, opt));
    EXPECT_ERROR(TSR_ERR_BAD_EXTENT, tessera::complete(y.data(), mask.data(), std::vector<int64_t>(17, 1), opt));
    EXPECT_ERROR(TSR_ERR_BAD_EXTENT, tessera::complete(y.data(), mask.data(), {A, -B, C}, opt));
    EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, tessera::complete(y, mask, {A, B, C + 1}));
    std::vector<int64_t> cc = coords;
    cc[1] = B;
    EXPECT_ERROR(TSR_ERR_DOMAIN, tessera::complete_coo(shape, cc, obs));
    cc = coords;
    cc[3] = cc[0], cc[4] = cc[1], cc[5] = cc[2];
    EXPECT_ERROR(TSR_ERR_DOMAIN, tessera::complete_coo(shape, cc, obs));
    EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, tessera::complete_coo(shape, coords, std::vector<double>(3, 1.0)));
    tessera::TensorOptions o;
    o.lambda = -1;
    EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::complete(y, mask, shape, o));
    o = tessera::TensorOptions();
    o.tol = 0;
    EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::complete(y, mask, shape, o));
    o = tessera::TensorOptions();
    o.max_iter = 0;
    EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::complete(y, mask, shape, o));
    o = tessera::TensorOptions();
    o.method = static_cast<tessera::TensorMethod>(9);
    EXPECT_ERROR(TSR_ERR_INVALID_ENUM, tessera::complete(y, mask, shape, o));
    o = tessera::TensorOptions();
    o.weights = tessera::TensorWeights::custom;
    o.gamma = {1.0, 2.0};  // too short: caught before the C call reads three
    EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, tessera::complete(y, mask, shape, o));
    o.gamma = {1.0, -2.0, 1.0};
    EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::complete(y, mask, shape, o));
    o = tessera::TensorOptions();
    o.method = tessera::TensorMethod::as_matrix;
    o.mode = 3;
    EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::complete(y, mask, shape, o));
    EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::tucker(x, shape, {2, 0, 2}));
    EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, tessera::tucker(x, shape, {2, 2}));
    EXPECT_ERROR(TSR_ERR_NON_FINITE, tessera::tucker(bad, shape, {2, 2, 2}));
    tessera::ComponentOptions co;
    co.rank = 0;
    EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::components(x, shape, {2, 2, 2}, co));
  }

  std::printf("tensor_test: %s\n", failures ? "FAILED" : "ok");
  return failures;
}
