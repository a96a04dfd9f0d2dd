/* Tensor completion, Tucker and components through the C ABI (ffi/src/tensor.rs):
   - a 20 x 15 x 10 tensor of Tucker rank (2,2,2), half of it observed, is recovered to a
     relative error below 1e-2 (dense + mask), and the coordinate-list entry point gives
     bit-identical results for the same observations;
   - Tucker factors are orthonormal and reconstruct the low-rank tensor; the components
     reproduce it through their weights and loadings;
   - every class of bad input returns its exact status, a non-empty message, and leaves every
     output (estimate, info, core, factors) untouched (sentinel-filled and compared);
   - a progress callback cancelling at iteration 3 gives TSR_ERR_CANCELLED with the best iterate
     and info written; with num_threads = 2 the callback runs on the calling thread. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include <pthread.h>
#include <stdint.h>

#define N1 20
#define N2 15
#define N3 10
#define NT (N1 * N2 * N3)
#define SENTINEL (-12345.0)

static const int64_t shape3[3] = {N1, N2, N3};
static double truth[NT];  /* column-major: (i, j, k) at i + N1*(j + N2*k) */
static double values[NT]; /* truth where observed, NaN elsewhere (must not be read) */
static uint8_t mask[NT];
static int64_t coords[NT * 3];
static double obs_values[NT];
static int64_t nobs;

/* The output arena of the bad-input tests: estimate, info, core and factors all live here. */
static double estimate[NT];
static tsr_tensor_info info;

static double rel_error(const double *a, const double *b, size_t n)
{
    double num = 0.0, den = 0.0;
    size_t i;
    for (i = 0; i < n; ++i) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    return sqrt(num / den);
}

static void fill(double *p, size_t n, double v)
{
    size_t i;
    for (i = 0; i < n; ++i) p[i] = v;
}

static int all_equal(const double *p, size_t n, double v)
{
    size_t i;
    for (i = 0; i < n; ++i)
        if (p[i] != v) return 0;
    return 1;
}

/* out = core x1 u1 x2 u2 x3 u3 for a 2x2x2 core and N_k x 2 factors (column-major). */
static void tucker_product(const double *core, const double *u1, const double *u2, const double *u3, double *out)
{
    int i, j, k, a, b, c;
    for (k = 0; k < N3; ++k)
        for (j = 0; j < N2; ++j)
            for (i = 0; i < N1; ++i) {
                double s = 0.0;
                for (c = 0; c < 2; ++c)
                    for (b = 0; b < 2; ++b)
                        for (a = 0; a < 2; ++a)
                            s += core[a + 2 * (b + 2 * c)] * u1[i + N1 * a] * u2[j + N2 * b] * u3[k + N3 * c];
                out[i + N1 * (j + N2 * k)] = s;
            }
}

static void make_problem(void)
{
    double core[8], u1[N1 * 2], u2[N2 * 2], u3[N3 * 2];
    int i, j, k;
    for (i = 0; i < 8; ++i) core[i] = check_uniform() + (i == 0 ? 2.0 : 0.0);
    for (i = 0; i < N1 * 2; ++i) u1[i] = check_uniform();
    for (i = 0; i < N2 * 2; ++i) u2[i] = check_uniform();
    for (i = 0; i < N3 * 2; ++i) u3[i] = check_uniform();
    tucker_product(core, u1, u2, u3, truth);
    nobs = 0;
    for (k = 0; k < N3; ++k)
        for (j = 0; j < N2; ++j)
            for (i = 0; i < N1; ++i) {
                int idx = i + N1 * (j + N2 * k);
                mask[idx] = check_uniform() < 0.0; /* about half */
                values[idx] = mask[idx] ? truth[idx] : NAN;
                if (mask[idx]) {
                    coords[nobs * 3 + 0] = i;
                    coords[nobs * 3 + 1] = j;
                    coords[nobs * 3 + 2] = k;
                    obs_values[nobs] = truth[idx];
                    ++nobs;
                }
            }
}

static tsr_tensor_options defaults(void)
{
    tsr_tensor_options o;
    memset(&o, 0, sizeof o);
    CHECK_STATUS(tsr_tensor_options_default(&o), TSR_OK);
    return o;
}

static void recovery(void)
{
    static double est2[NT];
    tsr_tensor_options o = defaults();
    tsr_tensor_info info2;
    double err;
    int k;

    CHECK(o.struct_size == sizeof(tsr_tensor_options));
    CHECK(o.method == TSR_TENSOR_OVERLAPPED && o.weights == TSR_TENSOR_WEIGHTS_ONES);
    CHECK(o.lambda == 0.0 && o.eta == 0.0 && o.tol == 1e-3 && o.max_iter == 2000);
    CHECK(o.progress == NULL && o.gamma == NULL && o.num_threads == 0);

    o.tol = 1e-5;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    CHECK_STATUS(tsr_tensor_complete_dense_f64(3, shape3, values, mask, &o, estimate, &info), TSR_OK);
    CHECK(tsr_last_error_message()[0] == '\0');
    err = rel_error(estimate, truth, NT);
    printf("dense: %lld observed, %lld iterations, gap %.2e, relative error %.2e, ranks %lld %lld %lld\n",
           (long long)nobs, (long long)info.iterations, info.duality_gap, err, (long long)info.ranks[0],
           (long long)info.ranks[1], (long long)info.ranks[2]);
    CHECK(err < 1e-2);
    CHECK(info.struct_size == sizeof info);
    CHECK(info.iterations >= 1 && info.iterations <= o.max_iter);
    CHECK(info.duality_gap < o.tol && info.eta > 0.0);
    CHECK(info.ranks[0] == 2 && info.ranks[1] == 2 && info.ranks[2] == 2);
    for (k = 3; k < TSR_TENSOR_MAX_ORDER; ++k) CHECK(info.ranks[k] == 0 && info.component_ranks[k] == 0);

    /* The same observations as coordinates: identical estimate and report. */
    memset(&info2, 0, sizeof info2);
    info2.struct_size = sizeof info2;
    CHECK_STATUS(tsr_tensor_complete_coo_f64(3, shape3, nobs, coords, obs_values, &o, est2, &info2), TSR_OK);
    CHECK(memcmp(est2, estimate, sizeof estimate) == 0);
    CHECK(info2.iterations == info.iterations && info2.duality_gap == info.duality_gap);

    /* Thread count does not change the result (docs/abi.md "Threads"). */
    o.num_threads = 2;
    CHECK_STATUS(tsr_tensor_complete_dense_f64(3, shape3, values, mask, &o, est2, NULL), TSR_OK);
    CHECK(memcmp(est2, estimate, sizeof estimate) == 0);

    /* The other methods run and fit the observations (lambda = 0). */
    o = defaults();
    o.method = TSR_TENSOR_LATENT;
    o.weights = TSR_TENSOR_WEIGHTS_SCALED;
    CHECK_STATUS(tsr_tensor_complete_dense_f64(3, shape3, values, mask, &o, est2, &info2), TSR_OK);
    CHECK(rel_error(est2, truth, NT) < 0.5);
    o = defaults();
    o.method = TSR_TENSOR_AS_MATRIX;
    o.mode = 2;
    o.lambda = 1e-3;
    {
        double gamma[3] = {1.0, 2.0, 0.5};
        o.weights = TSR_TENSOR_WEIGHTS_CUSTOM;
        o.gamma = gamma;
        CHECK_STATUS(tsr_tensor_complete_dense_f64(3, shape3, values, mask, &o, est2, &info2), TSR_OK);
    }

    /* Every entry observed: denoising. NULL options mean the defaults. */
    {
        static uint8_t all[NT];
        memset(all, 1, sizeof all);
        CHECK_STATUS(tsr_tensor_complete_dense_f64(3, shape3, truth, all, NULL, est2, NULL), TSR_OK);
        CHECK(rel_error(est2, truth, NT) < 1e-2);
    }

    /* Not converged: best iterate and info written, status 100. */
    o = defaults();
    o.max_iter = 2;
    fill(est2, NT, SENTINEL);
    CHECK_STATUS(tsr_tensor_complete_dense_f64(3, shape3, values, mask, &o, est2, &info2), TSR_ERR_NOT_CONVERGED);
    CHECK_MESSAGE_SET();
    CHECK(info2.iterations == 2);
    CHECK(!all_equal(est2, NT, SENTINEL));
}

static void tucker_and_components(void)
{
    static double core[8], u1[N1 * 2], u2[N2 * 2], u3[N3 * 2], x[NT];
    double *factors[3];
    const int64_t ranks[3] = {2, 2, 2};
    int i, j, k, a, b, c;
    factors[0] = u1;
    factors[1] = u2;
    factors[2] = u3;
    CHECK_STATUS(tsr_tensor_tucker_f64(3, shape3, truth, ranks, 0, core, factors), TSR_OK);
    /* Orthonormal columns. */
    for (a = 0; a < 2; ++a)
        for (b = 0; b < 2; ++b) {
            double s = 0.0;
            for (i = 0; i < N1; ++i) s += u1[i + N1 * a] * u1[i + N1 * b];
            CHECK(fabs(s - (a == b)) < 1e-12);
        }
    /* x = core x1 U1 x2 U2 x3 U3 reproduces the rank-(2,2,2) tensor. */
    tucker_product(core, u1, u2, u3, x);
    CHECK(rel_error(x, truth, NT) < 1e-12);

    /* Components: x ~ sum_c w_c l1_c o l2_c o l3_c. A rank-(2,2,2) core is generically of CP
       rank 2 or 3; with 3 components the fit is essentially exact. */
    {
        tsr_tensor_cp_options co;
        double w[3], fit = -1.0;
        static double l1[N1 * 3], l2[N2 * 3], l3[N3 * 3];
        double *loadings[3];
        loadings[0] = l1;
        loadings[1] = l2;
        loadings[2] = l3;
        CHECK_STATUS(tsr_tensor_cp_options_default(&co), TSR_OK);
        CHECK(co.struct_size == sizeof co && co.rank == 1);
        co.rank = 3;
        co.max_iter = 5000;
        CHECK_STATUS(tsr_tensor_components_f64(3, shape3, truth, ranks, &co, w, loadings, &fit), TSR_OK);
        printf("components: fit %.6f, weights %.3g %.3g %.3g\n", fit, w[0], w[1], w[2]);
        CHECK(fit > 0.99 && fit <= 1.0 + 1e-12);
        for (k = 0; k < N3; ++k)
            for (j = 0; j < N2; ++j)
                for (i = 0; i < N1; ++i) {
                    double s = 0.0;
                    for (c = 0; c < 3; ++c) s += w[c] * l1[i + N1 * c] * l2[j + N2 * c] * l3[k + N3 * c];
                    x[i + N1 * (j + N2 * k)] = s;
                }
        CHECK(rel_error(x, truth, NT) < 1e-2);
        for (c = 0; c < 3; ++c) {
            double s = 0.0;
            for (i = 0; i < N1; ++i) s += l1[i + N1 * c] * l1[i + N1 * c];
            CHECK(fabs(s - 1.0) < 1e-10);
        }
        /* fit may be NULL. */
        CHECK_STATUS(tsr_tensor_components_f64(3, shape3, truth, ranks, &co, w, loadings, NULL), TSR_OK);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Bad input: every call fails with `want`, sets the message and writes nothing. */

static unsigned char snap_est[sizeof estimate], snap_info[sizeof info];

static void arm(void)
{
    fill(estimate, NT, SENTINEL);
    memset(&info, 0xA5, sizeof info);
    info.struct_size = sizeof info;
    memcpy(snap_est, estimate, sizeof estimate);
    memcpy(snap_info, &info, sizeof info);
}

static int untouched(void)
{
    return memcmp(snap_est, estimate, sizeof estimate) == 0 && memcmp(snap_info, &info, sizeof info) == 0;
}

#define EXPECT(call, want)        \
    do {                          \
        CHECK_STATUS(call, want); \
        CHECK_MESSAGE_SET();      \
        CHECK(untouched());       \
        arm();                    \
    } while (0)

#define DENSE(ndim, shp, vals, msk, opts) tsr_tensor_complete_dense_f64(ndim, shp, vals, msk, opts, estimate, &info)
#define COO(ndim, shp, n, crd, vals, opts) tsr_tensor_complete_coo_f64(ndim, shp, n, crd, vals, opts, estimate, &info)

static void bad_input(void)
{
    tsr_tensor_options o;
    static uint8_t none[NT];
    static double vals_nan[NT];
    int64_t shp[17];
    int64_t crd[6];
    double v2[2] = {1.0, 2.0};
    int k;

    arm();
    /* NULL pointers. */
    EXPECT(DENSE(3, NULL, values, mask, NULL), TSR_ERR_NULL_POINTER);
    EXPECT(DENSE(3, shape3, NULL, mask, NULL), TSR_ERR_NULL_POINTER);
    EXPECT(DENSE(3, shape3, values, NULL, NULL), TSR_ERR_NULL_POINTER);
    EXPECT(tsr_tensor_complete_dense_f64(3, shape3, values, mask, NULL, NULL, &info), TSR_ERR_NULL_POINTER);
    EXPECT(COO(3, shape3, nobs, NULL, obs_values, NULL), TSR_ERR_NULL_POINTER);
    EXPECT(COO(3, shape3, nobs, coords, NULL, NULL), TSR_ERR_NULL_POINTER);
    EXPECT(tsr_tensor_complete_coo_f64(3, shape3, nobs, coords, obs_values, NULL, NULL, &info), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_tensor_options_default(NULL), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_tensor_cp_options_default(NULL), TSR_ERR_NULL_POINTER);

    /* Order and extents. */
    for (k = 0; k < 17; ++k) shp[k] = 1;
    EXPECT(DENSE(0, shape3, values, mask, NULL), TSR_ERR_BAD_EXTENT);
    EXPECT(DENSE(-1, shape3, values, mask, NULL), TSR_ERR_BAD_EXTENT);
    EXPECT(DENSE(17, shp, values, mask, NULL), TSR_ERR_BAD_EXTENT);
    EXPECT(COO(17, shp, nobs, coords, obs_values, NULL), TSR_ERR_BAD_EXTENT);
    shp[0] = N1; shp[1] = -N2; shp[2] = N3;
    EXPECT(DENSE(3, shp, values, mask, NULL), TSR_ERR_BAD_EXTENT);
    EXPECT(COO(3, shp, nobs, coords, obs_values, NULL), TSR_ERR_BAD_EXTENT);
    shp[1] = 0;
    EXPECT(DENSE(3, shp, values, mask, NULL), TSR_ERR_BAD_EXTENT);
    EXPECT(COO(3, shp, nobs, coords, obs_values, NULL), TSR_ERR_BAD_EXTENT);
    shp[0] = INT64_C(1) << 32; shp[1] = INT64_C(1) << 32; shp[2] = 2; /* product overflows 64 bits */
    EXPECT(DENSE(3, shp, values, mask, NULL), TSR_ERR_BAD_EXTENT);
    EXPECT(COO(3, shp, nobs, coords, obs_values, NULL), TSR_ERR_BAD_EXTENT);
    shp[0] = INT64_MAX; shp[1] = 1; shp[2] = 1; /* fits, but no buffer can hold it */
    EXPECT(DENSE(3, shp, values, mask, NULL), TSR_ERR_BAD_EXTENT);

    /* Observations. */
    memcpy(vals_nan, values, sizeof values);
    for (k = 0; k < NT && !mask[k]; ++k) {
    }
    vals_nan[k] = NAN; /* an observed entry */
    EXPECT(DENSE(3, shape3, vals_nan, mask, NULL), TSR_ERR_NON_FINITE);
    vals_nan[k] = INFINITY;
    EXPECT(DENSE(3, shape3, vals_nan, mask, NULL), TSR_ERR_NON_FINITE);
    obs_values[5] = NAN;
    EXPECT(COO(3, shape3, nobs, coords, obs_values, NULL), TSR_ERR_NON_FINITE);
    obs_values[5] = truth[coords[15] + N1 * (coords[16] + N2 * coords[17])];
    EXPECT(DENSE(3, shape3, values, none, NULL), TSR_ERR_DOMAIN); /* mask all zero */
    EXPECT(COO(3, shape3, 0, coords, obs_values, NULL), TSR_ERR_DOMAIN);
    EXPECT(COO(3, shape3, -1, coords, obs_values, NULL), TSR_ERR_BAD_EXTENT);
    crd[0] = 0; crd[1] = 0; crd[2] = 0; crd[3] = 1; crd[4] = N2; crd[5] = 0; /* j = N2: out of range */
    EXPECT(COO(3, shape3, 2, crd, v2, NULL), TSR_ERR_DOMAIN);
    crd[4] = -1;
    EXPECT(COO(3, shape3, 2, crd, v2, NULL), TSR_ERR_DOMAIN);
    crd[3] = 0; crd[4] = 0; /* duplicate of the first */
    EXPECT(COO(3, shape3, 2, crd, v2, NULL), TSR_ERR_DOMAIN);

    /* Options. */
    o = defaults(); o.lambda = -1.0;
    EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_INVALID_PARAMETER);
    o = defaults(); o.lambda = NAN;
    EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_INVALID_PARAMETER);
    {
        double gamma[3] = {1.0, 0.0, 1.0};
        o = defaults(); o.weights = TSR_TENSOR_WEIGHTS_CUSTOM; o.gamma = gamma;
        EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_INVALID_PARAMETER);
        gamma[1] = -2.0;
        EXPECT(COO(3, shape3, nobs, coords, obs_values, &o), TSR_ERR_INVALID_PARAMETER);
        o.gamma = NULL;
        EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_NULL_POINTER);
    }
    o = defaults(); o.eta = -1.0;
    EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_INVALID_PARAMETER);
    o = defaults(); o.tol = 0.0;
    EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_INVALID_PARAMETER);
    o = defaults(); o.tol = -1e-3;
    EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_INVALID_PARAMETER);
    o = defaults(); o.max_iter = 0;
    EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_INVALID_PARAMETER);
    o = defaults(); o.rank_threshold = 1.0;
    EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_INVALID_PARAMETER);
    o = defaults(); o.num_threads = -1;
    EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_INVALID_PARAMETER);
    o = defaults(); o.method = 3;
    EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_INVALID_ENUM);
    o = defaults(); o.weights = 3;
    EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_INVALID_ENUM);
    o = defaults(); o.method = TSR_TENSOR_AS_MATRIX; o.mode = 3;
    EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_INVALID_PARAMETER);
    o.mode = -1;
    EXPECT(COO(3, shape3, nobs, coords, obs_values, &o), TSR_ERR_INVALID_PARAMETER);
    o = defaults(); o.struct_size = 4;
    EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_STRUCT_SIZE);
    o.struct_size = 0;
    EXPECT(DENSE(3, shape3, values, mask, &o), TSR_ERR_STRUCT_SIZE);

    /* info->struct_size too small: nothing written, not even the info. */
    info.struct_size = sizeof info - 8;
    memcpy(snap_info, &info, sizeof info);
    EXPECT(DENSE(3, shape3, values, mask, NULL), TSR_ERR_STRUCT_SIZE);

    /* Aliasing: estimate over an input. */
    {
        static double buf[NT];
        static uint8_t m2[NT];
        memcpy(buf, truth, sizeof buf);
        memcpy(m2, mask, sizeof m2);
        CHECK_STATUS(tsr_tensor_complete_dense_f64(3, shape3, buf, m2, NULL, buf, NULL), TSR_ERR_ALIASING);
        CHECK_MESSAGE_SET();
        CHECK(memcmp(buf, truth, sizeof buf) == 0);
        CHECK_STATUS(tsr_tensor_complete_dense_f64(3, shape3, buf, m2, NULL, buf + 1, NULL), TSR_ERR_ALIASING);
        CHECK(memcmp(buf, truth, sizeof buf) == 0);
        CHECK_STATUS(tsr_tensor_complete_coo_f64(3, shape3, nobs, coords, obs_values, NULL, obs_values, NULL), TSR_ERR_ALIASING);
        CHECK(obs_values[0] == truth[coords[0] + N1 * (coords[1] + N2 * coords[2])]);
        arm();
    }

    /* Tucker and components. */
    {
        static double core[8], u1[N1 * 2], u2[N2 * 2], u3[N3 * 2];
        double *factors[3];
        int64_t ranks[3] = {2, 2, 2};
        tsr_tensor_cp_options co;
        double w[2], fit = SENTINEL;
        factors[0] = u1; factors[1] = u2; factors[2] = u3;
        fill(core, 8, SENTINEL); fill(u1, N1 * 2, SENTINEL); fill(u2, N2 * 2, SENTINEL); fill(u3, N3 * 2, SENTINEL);
#define TUCKER_UNTOUCHED() CHECK(all_equal(core, 8, SENTINEL) && all_equal(u1, N1 * 2, SENTINEL) && all_equal(u3, N3 * 2, SENTINEL))
        CHECK_STATUS(tsr_tensor_tucker_f64(3, shape3, NULL, ranks, 0, core, factors), TSR_ERR_NULL_POINTER);
        CHECK_MESSAGE_SET();
        CHECK_STATUS(tsr_tensor_tucker_f64(3, shape3, truth, NULL, 0, core, factors), TSR_ERR_NULL_POINTER);
        CHECK_STATUS(tsr_tensor_tucker_f64(3, shape3, truth, ranks, 0, NULL, factors), TSR_ERR_NULL_POINTER);
        CHECK_STATUS(tsr_tensor_tucker_f64(3, shape3, truth, ranks, 0, core, NULL), TSR_ERR_NULL_POINTER);
        factors[1] = NULL;
        CHECK_STATUS(tsr_tensor_tucker_f64(3, shape3, truth, ranks, 0, core, factors), TSR_ERR_NULL_POINTER);
        factors[1] = u1; /* two factors in one buffer */
        CHECK_STATUS(tsr_tensor_tucker_f64(3, shape3, truth, ranks, 0, core, factors), TSR_ERR_ALIASING);
        factors[1] = u2;
        ranks[2] = 0;
        CHECK_STATUS(tsr_tensor_tucker_f64(3, shape3, truth, ranks, 0, core, factors), TSR_ERR_INVALID_PARAMETER);
        ranks[2] = N3 + 1;
        CHECK_STATUS(tsr_tensor_tucker_f64(3, shape3, truth, ranks, 0, core, factors), TSR_ERR_INVALID_PARAMETER);
        ranks[2] = 2;
        CHECK_STATUS(tsr_tensor_tucker_f64(3, shape3, truth, ranks, -1, core, factors), TSR_ERR_INVALID_PARAMETER);
        CHECK_STATUS(tsr_tensor_tucker_f64(0, shape3, truth, ranks, 0, core, factors), TSR_ERR_BAD_EXTENT);
        CHECK_STATUS(tsr_tensor_tucker_f64(3, shape3, values, ranks, 0, core, factors), TSR_ERR_NON_FINITE);
        CHECK_MESSAGE_SET();
        TUCKER_UNTOUCHED();

        CHECK_STATUS(tsr_tensor_cp_options_default(&co), TSR_OK);
        co.rank = 2;
        CHECK_STATUS(tsr_tensor_components_f64(3, shape3, values, ranks, &co, w, factors, &fit), TSR_ERR_NON_FINITE);
        CHECK_MESSAGE_SET();
        co.rank = 0;
        CHECK_STATUS(tsr_tensor_components_f64(3, shape3, truth, ranks, &co, w, factors, &fit), TSR_ERR_INVALID_PARAMETER);
        co.rank = 2; co.tol = -1.0;
        CHECK_STATUS(tsr_tensor_components_f64(3, shape3, truth, ranks, &co, w, factors, &fit), TSR_ERR_INVALID_PARAMETER);
        co.tol = 1e-10; co.struct_size = 4;
        CHECK_STATUS(tsr_tensor_components_f64(3, shape3, truth, ranks, &co, w, factors, &fit), TSR_ERR_STRUCT_SIZE);
        co.struct_size = sizeof co;
        CHECK_STATUS(tsr_tensor_components_f64(3, shape3, truth, ranks, &co, NULL, factors, &fit), TSR_ERR_NULL_POINTER);
        CHECK_STATUS(tsr_tensor_components_f64(3, shape3, truth, ranks, &co, w, NULL, &fit), TSR_ERR_NULL_POINTER);
        CHECK_STATUS(tsr_tensor_components_f64(3, shape3, truth, ranks, &co, u1, factors, &fit), TSR_ERR_ALIASING);
        CHECK_STATUS(tsr_tensor_components_f64(3, shape3, truth, ranks, &co, w, factors, (double *)(void *)truth), TSR_ERR_ALIASING);
        CHECK(fit == SENTINEL);
        TUCKER_UNTOUCHED();
#undef TUCKER_UNTOUCHED
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Progress callback. */

struct watch {
    pthread_t caller;
    int64_t calls;
    int64_t last_iteration;
    int64_t cancel_at;
    int wrong_thread;
    int bad_report;
};

static int32_t on_progress(void *user, const tsr_progress *p)
{
    struct watch *w = (struct watch *)user;
    ++w->calls;
    if (!pthread_equal(pthread_self(), w->caller)) w->wrong_thread = 1;
    if (p == NULL || p->struct_size < sizeof(tsr_progress) || p->iteration != w->last_iteration + 1 || !(p->gap >= 0.0))
        w->bad_report = 1;
    if (p != NULL) w->last_iteration = p->iteration;
    return p != NULL && p->iteration >= w->cancel_at;
}

static void progress(void)
{
    int threads;
    for (threads = 1; threads <= 2; ++threads) {
        tsr_tensor_options o = defaults();
        struct watch w;
        memset(&w, 0, sizeof w);
        w.caller = pthread_self();
        w.cancel_at = 3;
        o.progress = on_progress;
        o.progress_user = &w;
        o.num_threads = threads;
        o.tol = 1e-12;
        fill(estimate, NT, SENTINEL);
        memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        CHECK_STATUS(tsr_tensor_complete_dense_f64(3, shape3, values, mask, &o, estimate, &info), TSR_ERR_CANCELLED);
        CHECK_MESSAGE_SET();
        CHECK(w.calls == 3 && w.last_iteration == 3);
        CHECK(info.iterations == 3);
        CHECK(!w.wrong_thread && !w.bad_report);
        CHECK(!all_equal(estimate, NT, SENTINEL));
        {
            int finite = 1, i;
            for (i = 0; i < NT; ++i) finite &= isfinite(estimate[i]) != 0;
            CHECK(finite);
        }
        /* A callback that never cancels sees every iteration; the result equals a run without it. */
        {
            static double plain[NT];
            w.calls = 0; w.last_iteration = 0; w.cancel_at = INT64_MAX;
            o.tol = 1e-3;
            CHECK_STATUS(tsr_tensor_complete_coo_f64(3, shape3, nobs, coords, obs_values, &o, estimate, &info), TSR_OK);
            CHECK(w.calls == info.iterations && !w.wrong_thread && !w.bad_report);
            o.progress = NULL;
            CHECK_STATUS(tsr_tensor_complete_coo_f64(3, shape3, nobs, coords, obs_values, &o, plain, NULL), TSR_OK);
            CHECK(memcmp(plain, estimate, sizeof plain) == 0);
        }
    }
}

int main(void)
{
    make_problem();
    recovery();
    tucker_and_components();
    bad_input();
    progress();
    return check_report("tensor");
}
