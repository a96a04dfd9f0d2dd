// Tests of the C++ binding: results against closed forms, f32 and f64, views of every kind,
// RAII ownership and errors as tessera::error with the right status. Exit status: failures.
#include "tessera.hpp"
#include "expect.hpp"

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace {

const double C = 0.7;

// x ⊕_c y for one pair of rows, computed independently of the library.
std::vector<double> mobius_add_ref(const double* x, const double* y, int d) {
  double xy = 0, x2 = 0, y2 = 0;
  for (int j = 0; j < d; ++j) xy += x[j] * y[j], x2 += x[j] * x[j], y2 += y[j] * y[j];
  const double den = 1 + 2 * C * xy + C * C * x2 * y2;
  std::vector<double> r(static_cast<std::size_t>(d));
  for (int j = 0; j < d; ++j) r[static_cast<std::size_t>(j)] = ((1 + 2 * C * xy + C * y2) * x[j] + (1 - C * x2) * y[j]) / den;
  return r;
}

std::vector<double> points(int n, int d, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  std::uniform_real_distribution<double> u(0.0, 0.9 / std::sqrt(C));
  std::vector<double> v(static_cast<std::size_t>(n * d));
  for (int i = 0; i < n; ++i) {
    double norm = 0;
    for (int j = 0; j < d; ++j) norm += std::pow(v[static_cast<std::size_t>(i * d + j)] = g(rng), 2);
    const double r = u(rng) / std::sqrt(norm);
    for (int j = 0; j < d; ++j) v[static_cast<std::size_t>(i * d + j)] *= r;
  }
  return v;
}

double max_diff_to_ref(tessera::MatRef<double> out, const std::vector<double>& x, tessera::MatRef<double> y) {
  const int d = static_cast<int>(out.ncols());
  double worst = 0;
  std::vector<double> yi(static_cast<std::size_t>(d));
  for (int64_t i = 0; i < out.nrows(); ++i) {
    for (int j = 0; j < d; ++j) yi[static_cast<std::size_t>(j)] = y(i, j);
    const auto r = mobius_add_ref(&x[static_cast<std::size_t>(i * d)], yi.data(), d);
    for (int j = 0; j < d; ++j) worst = std::fmax(worst, std::fabs(out(i, j) - r[static_cast<std::size_t>(j)]));
  }
  return worst;
}

}  // namespace

int main() {
  static_assert(!std::is_copy_constructible<tessera::PoincareBall>::value, "move-only");
  static_assert(std::is_nothrow_move_constructible<tessera::PoincareBall>::value, "movable");
  const int n = 64, d = 5;
  const auto x = points(n, d, 1), y = points(n, d, 2);
  tessera::PoincareBall ball(C, 1);
  EXPECT(std::fabs(ball.c() - C) < 1e-15);
  EXPECT(tessera::version() == std::to_string(TSR_VERSION_MAJOR) + "." + std::to_string(TSR_VERSION_MINOR) + "." +
                                   std::to_string(TSR_VERSION_PATCH));

  // Against the closed form: std::vector views, allocating form.
  tessera::Matrix<double> z = ball.mobius_add(tessera::MatRef<double>(x, d), tessera::MatRef<double>(y, d));
  EXPECT(z.nrows() == n && z.ncols() == d);
  EXPECT(max_diff_to_ref(z, x, tessera::MatRef<double>(y, d)) < 1e-14);

  // x ⊕ 0 = x and (-x) ⊕ x = 0: pointer + shape views, writing into caller memory.
  std::vector<double> zeros(x.size(), 0.0), neg(x.size()), out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) neg[i] = -x[i];
  ball.mobius_add(tessera::MatRef<double>(x.data(), n, d), tessera::MatRef<double>(zeros.data(), n, d),
                  tessera::MatMut<double>(out.data(), n, d));
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT(std::fabs(out[i] - x[i]) < 1e-15);
  ball.mobius_add(tessera::MatRef<double>(neg, d), tessera::MatRef<double>(x, d), tessera::MatMut<double>(out, d));
  for (double v : out) EXPECT(std::fabs(v) < 1e-14);

  // Broadcast one point (zero row stride), and a column-major transpose view of y.
  const double* y0 = y.data();
  auto zb = ball.mobius_add(tessera::MatRef<double>(x, d), tessera::MatRef<double>::broadcast_row(y0, n, d));
  EXPECT(max_diff_to_ref(zb, x, tessera::MatRef<double>::broadcast_row(y0, n, d)) < 1e-14);
  std::vector<double> yt(y.size());  // y stored column-major: element (i, j) at j * n + i
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) yt[static_cast<std::size_t>(j * n + i)] = y[static_cast<std::size_t>(i * d + j)];
  auto zt = ball.mobius_add(tessera::MatRef<double>(x, d), tessera::MatRef<double>::colmajor(yt.data(), n, d, n));
  EXPECT(max_diff_to_ref(zt, x, tessera::MatRef<double>(y, d)) < 1e-14);

  // f32 overloads agree with f64.
  std::vector<float> xf(x.begin(), x.end()), yf(y.begin(), y.end());
  tessera::Matrix<float> zf = ball.mobius_add(tessera::MatRef<float>(xf, d), tessera::MatRef<float>(yf, d));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) EXPECT(std::fabs(zf(i, j) - z(i, j)) < 1e-5);

  // VJP: against central differences of the closed form.
  std::vector<double> g = points(n, d, 3);
  auto [gx, gy] = ball.mobius_add_vjp(tessera::MatRef<double>(x, d), tessera::MatRef<double>(y, d), tessera::MatRef<double>(g, d));
  const double h = 1e-6;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < d; ++j) {
      auto xp = std::vector<double>(x.begin() + i * d, x.begin() + (i + 1) * d), xm = xp;
      auto yp = std::vector<double>(y.begin() + i * d, y.begin() + (i + 1) * d), ym = yp;
      xp[static_cast<std::size_t>(j)] += h, xm[static_cast<std::size_t>(j)] -= h;
      yp[static_cast<std::size_t>(j)] += h, ym[static_cast<std::size_t>(j)] -= h;
      const double* yi = &y[static_cast<std::size_t>(i * d)];
      const double* xi = &x[static_cast<std::size_t>(i * d)];
      auto fxp = mobius_add_ref(xp.data(), yi, d), fxm = mobius_add_ref(xm.data(), yi, d);
      auto fyp = mobius_add_ref(xi, yp.data(), d), fym = mobius_add_ref(xi, ym.data(), d);
      double nx = 0, ny = 0;
      for (int k = 0; k < d; ++k) {
        const double gk = g[static_cast<std::size_t>(i * d + k)];
        nx += gk * (fxp[static_cast<std::size_t>(k)] - fxm[static_cast<std::size_t>(k)]) / (2 * h);
        ny += gk * (fyp[static_cast<std::size_t>(k)] - fym[static_cast<std::size_t>(k)]) / (2 * h);
      }
      EXPECT(std::fabs(gx(i, j) - nx) < 1e-7);
      EXPECT(std::fabs(gy(i, j) - ny) < 1e-7);
    }

  // Errors: each becomes tessera::error with its status and a message.
  std::vector<double> outside(x.size(), 2.0), nan(x), short_y(y.begin(), y.end() - d);
  nan[3] = std::nan("");
  EXPECT_ERROR(TSR_ERR_DOMAIN, ball.mobius_add(tessera::MatRef<double>(outside, d), tessera::MatRef<double>(y, d)));
  EXPECT_ERROR(TSR_ERR_NON_FINITE, ball.mobius_add(tessera::MatRef<double>(nan, d), tessera::MatRef<double>(y, d)));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, ball.mobius_add(tessera::MatRef<double>(x, d), tessera::MatRef<double>(short_y, d)));
  EXPECT_ERROR(TSR_ERR_SHAPE_MISMATCH, tessera::MatRef<double>(x, 7));  // 320 elements are not rows of 7
  EXPECT_ERROR(TSR_ERR_ALIASING, ball.mobius_add(tessera::MatRef<double>(out, d), tessera::MatRef<double>(y, d),
                                                 tessera::MatMut<double>(out, d)));
  EXPECT_ERROR(TSR_ERR_BAD_STRIDE, ball.mobius_add(tessera::MatRef<double>(x, d), tessera::MatRef<double>(y, d),
                                                   tessera::MatMut<double>(out.data(), n, d, 0, 1)));
  EXPECT_ERROR(TSR_ERR_NULL_POINTER, ball.mobius_add(tessera::MatRef<double>(nullptr, n, d), tessera::MatRef<double>(y, d)));
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::PoincareBall(-1.0));
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::PoincareBall(1.0, -3));
  EXPECT_ERROR(TSR_ERR_INVALID_PARAMETER, tessera::set_num_threads(-1));

  // Ownership: a moved-from ball holds NULL and its calls fail cleanly; the new owner works.
  tessera::PoincareBall moved = std::move(ball);
  EXPECT(ball.get() == nullptr && moved.get() != nullptr);
  EXPECT_ERROR(TSR_ERR_NULL_POINTER, ball.mobius_add(tessera::MatRef<double>(x, d), tessera::MatRef<double>(y, d)));
  EXPECT(moved.mobius_add(tessera::MatRef<double>(x, d), tessera::MatRef<double>(y, d)).nrows() == n);
  tessera::PoincareBall other(2.0);
  other = std::move(moved);
  EXPECT(std::fabs(other.c() - C) < 1e-15);
  tsr_poincare* raw = other.release();
  EXPECT(other.get() == nullptr && tsr_poincare_c(raw) == C);
  tsr_poincare_free(raw);

  if (failures) {
    std::fprintf(stderr, "%d failure(s)\n", failures);
    return 1;
  }
  std::printf("test_tessera (C++): all passed\n");
  return 0;
}
