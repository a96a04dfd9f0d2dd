/* Möbius addition through the C ABI against the closed formula, evaluated here in long
   double, over row-major, column-major, transposed, negative-stride and broadcast views. */
#include "check.h"

/* Element (i, j) of a strided view. */
#define AT(p, rs, cs, i, j) ((p)[(ptrdiff_t)(i) * (rs) + (ptrdiff_t)(j) * (cs)])

/* x ⊕_c y = ((1 + 2c<x,y> + c|y|^2) x + (1 - c|x|^2) y) / (1 + 2c<x,y> + c^2 |x|^2 |y|^2). */
static void mobius_ref(long double c, const long double *x, const long double *y, int d, long double *out)
{
    long double xy = 0, xx = 0, yy = 0, a, b, den;
    int j;
    for (j = 0; j < d; ++j) {
        xy += x[j] * y[j];
        xx += x[j] * x[j];
        yy += y[j] * y[j];
    }
    a = 1 + 2 * c * xy + c * yy;
    b = 1 - c * xx;
    den = 1 + 2 * c * xy + c * c * xx * yy;
    for (j = 0; j < d; ++j) out[j] = (a * x[j] + b * y[j]) / den;
}

#define MAXD 16

/* Compares every row of an f64 output view with the reference; returns the worst error. */
static double compare_f64(double c, tsr_matref_f64 x, tsr_matref_f64 y, tsr_matref_f64 out, double tol)
{
    long double xr[MAXD], yr[MAXD], want[MAXD];
    double worst = 0;
    int64_t i, j;
    for (i = 0; i < out.nrows; ++i) {
        for (j = 0; j < out.ncols; ++j) {
            xr[j] = AT(x.ptr, x.row_stride, x.col_stride, i, j);
            yr[j] = AT(y.ptr, y.row_stride, y.col_stride, i, j);
        }
        mobius_ref(c, xr, yr, (int)out.ncols, want);
        for (j = 0; j < out.ncols; ++j) {
            long double got = AT(out.ptr, out.row_stride, out.col_stride, i, j);
            double err = (double)fabsl(got - want[j]) / (1.0 + (double)fabsl(want[j]));
            if (err > worst) worst = err;
        }
    }
    if (worst > tol) fprintf(stderr, "worst relative error %.3g > %.3g\n", worst, tol);
    return worst;
}

static tsr_matref_f64 as_ref(tsr_matmut_f64 m)
{
    tsr_matref_f64 r;
    r.ptr = m.ptr; r.nrows = m.nrows; r.ncols = m.ncols; r.row_stride = m.row_stride; r.col_stride = m.col_stride;
    return r;
}

static const double TOL64 = 1e-13;

static void row_major(tsr_poincare *ball, double c)
{
    enum { N = 9, D = 5 };
    double x[N * D], y[N * D], out[N * D], zero[N * D];
    int i;
    for (i = 0; i < N; ++i) {
        check_random_point(&x[i * D], D, 0.9 / sqrt(c));
        check_random_point(&y[i * D], D, 0.9 / sqrt(c));
    }
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, tsr_matref_f64_rowmajor(x, N, D, D),
                                             tsr_matref_f64_rowmajor(y, N, D, D),
                                             tsr_matmut_f64_rowmajor(out, N, D, D)), TSR_OK);
    CHECK(compare_f64(c, tsr_matref_f64_rowmajor(x, N, D, D), tsr_matref_f64_rowmajor(y, N, D, D),
                      tsr_matref_f64_rowmajor(out, N, D, D), TOL64) <= TOL64);

    /* x ⊕ 0 = x and 0 ⊕ y = y. */
    memset(zero, 0, sizeof zero);
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, tsr_matref_f64_rowmajor(x, N, D, D),
                                             tsr_matref_f64_rowmajor(zero, N, D, D),
                                             tsr_matmut_f64_rowmajor(out, N, D, D)), TSR_OK);
    for (i = 0; i < N * D; ++i) CHECK(fabs(out[i] - x[i]) <= 4e-16 * (1 + fabs(x[i])));
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, tsr_matref_f64_rowmajor(zero, N, D, D),
                                             tsr_matref_f64_rowmajor(y, N, D, D),
                                             tsr_matmut_f64_rowmajor(out, N, D, D)), TSR_OK);
    for (i = 0; i < N * D; ++i) CHECK(fabs(out[i] - y[i]) <= 4e-16 * (1 + fabs(y[i])));
}

static void column_major(tsr_poincare *ball, double c)
{
    /* n x d batch stored column-major with leading dimension LD > N; the padding rows of the
       output must stay untouched. */
    enum { N = 6, D = 4, LD = 8 };
    double x[LD * D], y[LD * D], out[LD * D], row[D];
    int i, j;
    for (i = 0; i < LD * D; ++i) x[i] = y[i] = out[i] = -777.0;
    for (i = 0; i < N; ++i) {
        check_random_point(row, D, 0.9 / sqrt(c));
        for (j = 0; j < D; ++j) x[i + j * LD] = row[j];
        check_random_point(row, D, 0.9 / sqrt(c));
        for (j = 0; j < D; ++j) y[i + j * LD] = row[j];
    }
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, tsr_matref_f64_colmajor(x, N, D, LD),
                                             tsr_matref_f64_colmajor(y, N, D, LD),
                                             tsr_matmut_f64_colmajor(out, N, D, LD)), TSR_OK);
    CHECK(compare_f64(c, tsr_matref_f64_colmajor(x, N, D, LD), tsr_matref_f64_colmajor(y, N, D, LD),
                      tsr_matref_f64_colmajor(out, N, D, LD), TOL64) <= TOL64);
    for (j = 0; j < D; ++j)
        for (i = N; i < LD; ++i) CHECK(out[i + j * LD] == -777.0);
}

static void transposed_and_negative(tsr_poincare *ball, double c)
{
    /* x: a D x N row-major array read transposed (row_stride 1, col_stride N);
       y: row-major read bottom-up (negative row stride);
       out: row-major written right-to-left (negative column stride). */
    enum { N = 7, D = 3 };
    double xt[D * N], y[N * D], out[N * D], row[D];
    tsr_matref_f64 xv, yv;
    tsr_matmut_f64 ov;
    int i, j;
    for (i = 0; i < N; ++i) {
        check_random_point(row, D, 0.9 / sqrt(c));
        for (j = 0; j < D; ++j) xt[j * N + i] = row[j];
        check_random_point(&y[i * D], D, 0.9 / sqrt(c));
    }
    xv.ptr = xt; xv.nrows = N; xv.ncols = D; xv.row_stride = 1; xv.col_stride = N;
    yv.ptr = &y[(N - 1) * D]; yv.nrows = N; yv.ncols = D; yv.row_stride = -D; yv.col_stride = 1;
    ov.ptr = &out[D - 1]; ov.nrows = N; ov.ncols = D; ov.row_stride = D; ov.col_stride = -1;
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, xv, yv, ov), TSR_OK);
    CHECK(compare_f64(c, xv, yv, as_ref(ov), TOL64) <= TOL64);
}

static void broadcast(tsr_poincare *ball, double c)
{
    /* y is one row repeated over all N rows (row_stride 0), x likewise on a second call. */
    enum { N = 5, D = 4 };
    double x[N * D], y[D], out[N * D];
    tsr_matref_f64 yv, xv;
    int i;
    for (i = 0; i < N; ++i) check_random_point(&x[i * D], D, 0.9 / sqrt(c));
    check_random_point(y, D, 0.9 / sqrt(c));
    yv.ptr = y; yv.nrows = N; yv.ncols = D; yv.row_stride = 0; yv.col_stride = 1;
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, tsr_matref_f64_rowmajor(x, N, D, D), yv,
                                             tsr_matmut_f64_rowmajor(out, N, D, D)), TSR_OK);
    CHECK(compare_f64(c, tsr_matref_f64_rowmajor(x, N, D, D), yv, tsr_matref_f64_rowmajor(out, N, D, D), TOL64) <= TOL64);
    xv = yv;
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, xv, tsr_matref_f64_rowmajor(x, N, D, D),
                                             tsr_matmut_f64_rowmajor(out, N, D, D)), TSR_OK);
    CHECK(compare_f64(c, xv, tsr_matref_f64_rowmajor(x, N, D, D), tsr_matref_f64_rowmajor(out, N, D, D), TOL64) <= TOL64);
}

static void single_precision(tsr_poincare *ball, double c)
{
    enum { N = 8, D = 6 };
    float x[N * D], y[N * D], out[N * D], zero[N * D];
    double row[D];
    long double xr[D], yr[D], want[D];
    double worst = 0;
    int i, j;
    for (i = 0; i < N; ++i) {
        check_random_point(row, D, 0.9 / sqrt(c));
        for (j = 0; j < D; ++j) x[i * D + j] = (float)row[j];
        check_random_point(row, D, 0.9 / sqrt(c));
        for (j = 0; j < D; ++j) y[i * D + j] = (float)row[j];
    }
    CHECK_STATUS(tsr_poincare_mobius_add_f32(ball, tsr_matref_f32_rowmajor(x, N, D, D),
                                             tsr_matref_f32_rowmajor(y, N, D, D),
                                             tsr_matmut_f32_rowmajor(out, N, D, D)), TSR_OK);
    for (i = 0; i < N; ++i) {
        for (j = 0; j < D; ++j) {
            xr[j] = x[i * D + j];
            yr[j] = y[i * D + j];
        }
        mobius_ref(c, xr, yr, D, want);
        for (j = 0; j < D; ++j) {
            double err = (double)fabsl(out[i * D + j] - want[j]) / (1.0 + (double)fabsl(want[j]));
            if (err > worst) worst = err;
        }
    }
    if (worst > 1e-6) fprintf(stderr, "f32: worst relative error %.3g\n", worst);
    CHECK(worst <= 1e-6);
    memset(zero, 0, sizeof zero);
    CHECK_STATUS(tsr_poincare_mobius_add_f32(ball, tsr_matref_f32_rowmajor(x, N, D, D),
                                             tsr_matref_f32_rowmajor(zero, N, D, D),
                                             tsr_matmut_f32_rowmajor(out, N, D, D)), TSR_OK);
    for (i = 0; i < N * D; ++i) CHECK(fabsf(out[i] - x[i]) <= 2.4e-7f * (1 + fabsf(x[i])));
}

/* <g, x ⊕ y> in long double, for finite differences. */
static long double objective(long double c, const long double *x, const long double *y, const long double *g, int d)
{
    long double o[MAXD], s = 0;
    int j;
    mobius_ref(c, x, y, d, o);
    for (j = 0; j < d; ++j) s += g[j] * o[j];
    return s;
}

static void vjp(tsr_poincare *ball, double c)
{
    /* Gradients against central differences of the long-double closed formula. */
    enum { N = 4, D = 3 };
    double x[N * D], y[N * D], g[N * D], gx[N * D], gy[N * D];
    long double xr[D], yr[D], gr[D];
    const long double h = 1e-6L;
    double worst = 0;
    int i, j, k;
    for (i = 0; i < N; ++i) {
        check_random_point(&x[i * D], D, 0.8 / sqrt(c));
        check_random_point(&y[i * D], D, 0.8 / sqrt(c));
        for (j = 0; j < D; ++j) g[i * D + j] = check_uniform();
    }
    CHECK_STATUS(tsr_poincare_mobius_add_vjp_f64(ball, tsr_matref_f64_rowmajor(x, N, D, D), tsr_matref_f64_rowmajor(y, N, D, D),
                                                 tsr_matref_f64_rowmajor(g, N, D, D), tsr_matmut_f64_rowmajor(gx, N, D, D),
                                                 tsr_matmut_f64_rowmajor(gy, N, D, D)), TSR_OK);
    for (i = 0; i < N; ++i) {
        for (k = 0; k < D; ++k) {
            long double fx, fy;
            for (j = 0; j < D; ++j) {
                xr[j] = x[i * D + j];
                yr[j] = y[i * D + j];
                gr[j] = g[i * D + j];
            }
            xr[k] += h; fx = objective(c, xr, yr, gr, D);
            xr[k] -= 2 * h; fx -= objective(c, xr, yr, gr, D);
            xr[k] += h;
            yr[k] += h; fy = objective(c, xr, yr, gr, D);
            yr[k] -= 2 * h; fy -= objective(c, xr, yr, gr, D);
            fx /= 2 * h;
            fy /= 2 * h;
            if (fabs(gx[i * D + k] - (double)fx) / (1 + fabs((double)fx)) > worst) worst = fabs(gx[i * D + k] - (double)fx) / (1 + fabs((double)fx));
            if (fabs(gy[i * D + k] - (double)fy) / (1 + fabs((double)fy)) > worst) worst = fabs(gy[i * D + k] - (double)fy) / (1 + fabs((double)fy));
        }
    }
    if (worst > 1e-7) fprintf(stderr, "vjp: worst relative difference %.3g\n", worst);
    CHECK(worst <= 1e-7);
}

int main(void)
{
    static const double curvatures[] = {1.0, 0.25, 3.0};
    size_t k;
    for (k = 0; k < sizeof curvatures / sizeof curvatures[0]; ++k) {
        double c = curvatures[k];
        tsr_poincare *ball = NULL;
        tsr_poincare_options opts;
        CHECK_STATUS(tsr_poincare_options_default(&opts), TSR_OK);
        opts.num_threads = 1;
        CHECK_STATUS(tsr_poincare_new(c, &opts, &ball), TSR_OK);
        if (ball == NULL) break;
        row_major(ball, c);
        column_major(ball, c);
        transposed_and_negative(ball, c);
        broadcast(ball, c);
        single_precision(ball, c);
        vjp(ball, c);
        tsr_poincare_free(ball);
    }
    return check_report("mobius");
}
