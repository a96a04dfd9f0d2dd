/* Completability through the C ABI (ffi/src/completability.rs):
   - rank 1: a 6 x 5 mask with two components; the closure is exactly "row and column in one
     component", completable entries are estimated to 1e-10 of the truth, the others are NaN
     with infinite variance and no estimators; path and minimum-variance estimates agree on
     exact data;
   - rank 2: a random 9 x 8 rank-2 matrix with most entries observed is finitely completable,
     every queried entry is completed by minors to 1e-8 and has a finite first-order variance;
     a row with a single observation (fewer than r) is pruned and its missing entries are not
     completable (infinite variance); the dense closure agrees with the queries;
   - the phase-transition helper returns fractions in [0, 1] that grow with x;
   - every class of bad input returns its exact status, a non-empty message, and writes nothing
     (sentinel-filled outputs compared). */
#include "check.h"
#include <stdint.h>

#define SENTINEL (-12345.0)
#define M1 6
#define N1 5
#define M2 9
#define N2 8

static double rel(double a, double b) { return fabs(a - b) / fmax(fabs(b), 1e-300); }

static int all_equal(const double *p, size_t n, double v)
{
    size_t i;
    for (i = 0; i < n; ++i)
        if (p[i] != v) return 0;
    return 1;
}

/* Rank 1: rows {0,1,2} x columns {0,1,2} form one component, rows {3,4} x columns {3,4} the
   other; row 5 is unobserved. */
static const int64_t r1_rows[] = {0, 0, 1, 1, 2, 3, 3, 4};
static const int64_t r1_cols[] = {0, 1, 1, 2, 0, 3, 4, 4};
#define R1_NOBS 8
static const double r1_u[M1] = {1.5, -2.0, 0.5, 3.0, -1.0, 2.0};
static const double r1_v[N1] = {2.0, 1.0, -0.5, 4.0, 0.25};

static int r1_component_row(int i) { return i <= 2 ? 0 : (i <= 4 ? 1 : 2 + i); }
static int r1_component_col(int j) { return j <= 2 ? 0 : 1; }

static void rank_one(void)
{
    double values[R1_NOBS];
    int64_t qrows[M1 * N1], qcols[M1 * N1], nq = 0, e;
    int i, j, method;
    for (e = 0; e < R1_NOBS; ++e) values[e] = r1_u[r1_rows[e]] * r1_v[r1_cols[e]];
    for (j = 0; j < N1; ++j)
        for (i = 0; i < M1; ++i) {
            qrows[nq] = i;
            qcols[nq] = j;
            ++nq;
        }

    tsr_completability_closure *closure = NULL;
    CHECK_STATUS(tsr_completability_closure_new(M1, N1, R1_NOBS, r1_rows, r1_cols, 1, NULL, &closure), TSR_OK);
    if (closure == NULL) return;
    uint8_t completable[M1 * N1], dense[M1 * N1];
    CHECK_STATUS(tsr_completability_closure_query(closure, nq, qrows, qcols, completable), TSR_OK);
    CHECK_STATUS(tsr_completability_closure_dense(closure, dense), TSR_OK);
    for (e = 0; e < nq; ++e) {
        int want = r1_component_row((int)qrows[e]) == r1_component_col((int)qcols[e]);
        CHECK(completable[e] == want);
        CHECK(dense[e] == completable[e]); /* queries were listed in column-major order */
    }
    tsr_completability_info info;
    info.struct_size = sizeof info;
    CHECK_STATUS(tsr_completability_closure_info(closure, &info), TSR_OK);
    CHECK(info.rank == 1 && info.finitely_completable == 0);
    CHECK(info.full_rank == M1 + N1 - 1);
    CHECK(info.components == 3); /* two observed components and the empty row 5 */
    CHECK(info.jacobian_rank == M1 + N1 - info.components);
    CHECK(info.deficiency == info.full_rank - info.jacobian_rank);
    tsr_completability_closure_free(closure);

    for (method = 0; method < 2; ++method) {
        tsr_completability_options opts;
        CHECK_STATUS(tsr_completability_options_default(&opts), TSR_OK);
        opts.rank1_method = method == 0 ? TSR_COMPLETABILITY_MIN_VARIANCE : TSR_COMPLETABILITY_PATH;
        double est[M1 * N1], var[M1 * N1];
        int64_t count[M1 * N1];
        CHECK_STATUS(tsr_completability_complete_f64(M1, N1, R1_NOBS, r1_rows, r1_cols, values, NULL, 1, nq, qrows, qcols,
                                                     &opts, est, var, count),
                     TSR_OK);
        for (e = 0; e < nq; ++e) {
            if (completable[e]) {
                CHECK(rel(est[e], r1_u[qrows[e]] * r1_v[qcols[e]]) < 1e-10);
                CHECK(count[e] >= 1 && var[e] >= 0.0 && isfinite(var[e]));
            } else {
                CHECK(isnan(est[e]) && isinf(var[e]) && count[e] == 0);
            }
        }
    }
}

/* Rank 2: A = U V^T with every entry observed except a few, and row 8 observed only once. */
static void rank_two(void)
{
    double u[M2][2], v[N2][2], a[M2][N2];
    int64_t rows[M2 * N2], cols[M2 * N2], nobs = 0, qrows[M2 * N2], qcols[M2 * N2], nq = 0;
    double values[M2 * N2];
    int i, j, k;
    for (i = 0; i < M2; ++i)
        for (k = 0; k < 2; ++k) u[i][k] = check_uniform();
    for (j = 0; j < N2; ++j)
        for (k = 0; k < 2; ++k) v[j][k] = check_uniform();
    for (i = 0; i < M2; ++i)
        for (j = 0; j < N2; ++j) a[i][j] = u[i][0] * v[j][0] + u[i][1] * v[j][1];
    for (j = 0; j < N2; ++j)
        for (i = 0; i < M2; ++i) {
            int hidden = (i + 2 * j) % 5 == 0 || (i == M2 - 1 && j != 0);
            if (hidden) {
                qrows[nq] = i;
                qcols[nq] = j;
                ++nq;
            } else {
                rows[nobs] = i;
                cols[nobs] = j;
                values[nobs] = a[i][j];
                ++nobs;
            }
        }

    tsr_completability_closure *closure = NULL;
    CHECK_STATUS(tsr_completability_closure_new(M2, N2, nobs, rows, cols, 2, NULL, &closure), TSR_OK);
    if (closure == NULL) return;
    tsr_completability_info info;
    info.struct_size = sizeof info;
    CHECK_STATUS(tsr_completability_closure_info(closure, &info), TSR_OK);
    CHECK(info.finitely_completable == 0 && info.pruned_rows == 1 && info.pruned_cols == 0);
    /* The 8 x 8 core is completable: its rank is 2 (8 + 8 - 2); row 8 adds its one entry. */
    CHECK(info.jacobian_rank == 2 * (8 + N2 - 2) + 1);
    uint8_t completable[M2 * N2], dense[M2 * N2];
    CHECK_STATUS(tsr_completability_closure_query(closure, nq, qrows, qcols, completable), TSR_OK);
    CHECK_STATUS(tsr_completability_closure_dense(closure, dense), TSR_OK);
    for (k = 0; k < nq; ++k) {
        CHECK(completable[k] == (qrows[k] != M2 - 1));
        CHECK(dense[qrows[k] + M2 * qcols[k]] == completable[k]);
    }
    for (k = 0; k < nobs; ++k) CHECK(dense[rows[k] + M2 * cols[k]] == 1);
    tsr_completability_closure_free(closure);

    double est[M2 * N2], var[M2 * N2], fo[M2 * N2];
    int64_t count[M2 * N2];
    CHECK_STATUS(tsr_completability_complete_f64(M2, N2, nobs, rows, cols, values, NULL, 2, nq, qrows, qcols, NULL, est,
                                                 var, count),
                 TSR_OK);
    CHECK_STATUS(tsr_completability_variance_f64(M2, N2, nobs, rows, cols, values, NULL, 2, nq, qrows, qcols, NULL, fo),
                 TSR_OK);
    for (k = 0; k < nq; ++k) {
        if (completable[k]) {
            CHECK(count[k] >= 1 && rel(est[k], a[qrows[k]][qcols[k]]) < 1e-8);
            CHECK(isfinite(fo[k]) && fo[k] > 0.0);
        } else {
            CHECK(count[k] == 0 && isnan(est[k]));
            CHECK(isinf(fo[k]));
        }
    }
}

static void phase_transition(void)
{
    const double x[3] = {0.3, 1.0, 3.0};
    double fraction[3];
    int64_t full[3];
    int p;
    CHECK_STATUS(tsr_completability_phase_transition(20, 2, 3, x, 3, NULL, fraction, full), TSR_OK);
    for (p = 0; p < 3; ++p) CHECK(fraction[p] >= 0.0 && fraction[p] <= 1.0 && full[p] >= 0 && full[p] <= 3);
    CHECK(fraction[0] <= fraction[1] && fraction[1] <= fraction[2]);
    CHECK(fraction[0] < 0.5 && fraction[2] > 0.9);
}

/* Each bad call: the expected status, a message, and the estimate output untouched. */
#define EXPECT_BAD(call, status)                          \
    do {                                                  \
        int q_;                                           \
        for (q_ = 0; q_ < 4; ++q_) out[q_] = SENTINEL;    \
        CHECK_STATUS(call, status);                       \
        CHECK_MESSAGE_SET();                              \
        CHECK(all_equal(out, 4, SENTINEL));               \
    } while (0)

static void bad_input(void)
{
    const int64_t rows[] = {0, 0, 1, 1, 2};
    const int64_t cols[] = {0, 1, 1, 2, 0};
    const int64_t dup_cols[] = {0, 1, 1, 1, 0};
    const int64_t far_rows[] = {0, 0, 1, 1, 7};
    const double values[] = {1.0, 2.0, 4.0, 8.0, 0.5};
    const double nan_values[] = {1.0, NAN, 4.0, 8.0, 0.5};
    const double zero_values[] = {0.0, 0.0, 4.0, 8.0, 0.5};
    const double bad_var[] = {1.0, 1.0, -1.0, 1.0, 1.0};
    const int64_t qrows[] = {2, 1, 0, 2};
    const int64_t qcols[] = {2, 0, 2, 1};
    const int64_t far_q[] = {2, 1, 0, 3};
    double out[8];
    tsr_completability_options opts;
    tsr_completability_closure *closure = NULL;

    /* NULL pointers with non-zero extents, negative extents. */
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, NULL, cols, values, NULL, 1, 4, qrows, qcols, NULL, out, NULL, NULL), TSR_ERR_NULL_POINTER);
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, NULL, NULL, 1, 4, qrows, qcols, NULL, out, NULL, NULL), TSR_ERR_NULL_POINTER);
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, values, NULL, 1, 4, NULL, qcols, NULL, out, NULL, NULL), TSR_ERR_NULL_POINTER);
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, values, NULL, 1, 4, qrows, qcols, NULL, NULL, NULL, NULL), TSR_ERR_NULL_POINTER);
    EXPECT_BAD(tsr_completability_complete_f64(-3, 3, 5, rows, cols, values, NULL, 1, 4, qrows, qcols, NULL, out, NULL, NULL), TSR_ERR_BAD_EXTENT);
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, -5, rows, cols, values, NULL, 1, 4, qrows, qcols, NULL, out, NULL, NULL), TSR_ERR_BAD_EXTENT);
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, values, NULL, 1, -4, qrows, qcols, NULL, out, NULL, NULL), TSR_ERR_BAD_EXTENT);
    EXPECT_BAD(tsr_completability_complete_f64(0, 3, 5, rows, cols, values, NULL, 1, 4, qrows, qcols, NULL, out, NULL, NULL), TSR_ERR_BAD_EXTENT);
    /* Empty mask, indices out of range, duplicates. */
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 0, rows, cols, values, NULL, 1, 4, qrows, qcols, NULL, out, NULL, NULL), TSR_ERR_DOMAIN);
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, far_rows, cols, values, NULL, 1, 4, qrows, qcols, NULL, out, NULL, NULL), TSR_ERR_DOMAIN);
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, dup_cols, values, NULL, 1, 4, qrows, qcols, NULL, out, NULL, NULL), TSR_ERR_DOMAIN);
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, values, NULL, 1, 4, qrows, far_q, NULL, out, NULL, NULL), TSR_ERR_DOMAIN);
    /* r = 0, r >= min(m, n). */
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, values, NULL, 0, 4, qrows, qcols, NULL, out, NULL, NULL), TSR_ERR_INVALID_PARAMETER);
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, values, NULL, 3, 4, qrows, qcols, NULL, out, NULL, NULL), TSR_ERR_INVALID_PARAMETER);
    EXPECT_BAD(tsr_completability_variance_f64(3, 3, 5, rows, cols, values, NULL, -1, 4, qrows, qcols, NULL, out), TSR_ERR_INVALID_PARAMETER);
    /* Non-finite values, non-positive variances, and zeros the estimate must divide by:
       a[0][0] = a[0][1] = 0 (u_0 = 0), so query (1, 0) = a[1][1] a[0][0] / a[0][1] = 0/0. */
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, nan_values, NULL, 1, 4, qrows, qcols, NULL, out, NULL, NULL), TSR_ERR_NON_FINITE);
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, values, bad_var, 1, 4, qrows, qcols, NULL, out, NULL, NULL), TSR_ERR_DOMAIN);
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, zero_values, NULL, 1, 4, qrows, qcols, NULL, out, NULL, NULL), TSR_ERR_DOMAIN);
    /* Outputs aliasing inputs or each other. */
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, values, NULL, 1, 4, qrows, qcols, NULL, (double *)values, NULL, NULL), TSR_ERR_ALIASING);
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, values, NULL, 1, 4, qrows, qcols, NULL, out, out + 2, NULL), TSR_ERR_ALIASING);
    /* Misaligned output. */
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, values, NULL, 1, 4, qrows, qcols, NULL, (double *)((char *)out + 1), NULL, NULL), TSR_ERR_MISALIGNED);
    /* Options: struct_size too small, invalid enum, invalid parameters. */
    tsr_completability_options_default(&opts);
    opts.struct_size = 4;
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, values, NULL, 1, 4, qrows, qcols, &opts, out, NULL, NULL), TSR_ERR_STRUCT_SIZE);
    tsr_completability_options_default(&opts);
    opts.rank1_method = 7;
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, values, NULL, 1, 4, qrows, qcols, &opts, out, NULL, NULL), TSR_ERR_INVALID_ENUM);
    tsr_completability_options_default(&opts);
    opts.tol = -1.0;
    EXPECT_BAD(tsr_completability_complete_f64(3, 3, 5, rows, cols, values, NULL, 1, 4, qrows, qcols, &opts, out, NULL, NULL), TSR_ERR_INVALID_PARAMETER);
    tsr_completability_options_default(&opts);
    opts.trials = 0;
    CHECK_STATUS(tsr_completability_closure_new(3, 3, 5, rows, cols, 1, &opts, &closure), TSR_ERR_INVALID_PARAMETER);
    CHECK(closure == NULL);
    /* Phase transition: x < 0, trials < 1, n too small for the rank. */
    {
        const double x[2] = {1.0, -1.0};
        EXPECT_BAD(tsr_completability_phase_transition(10, 2, 2, x, 2, NULL, out, NULL), TSR_ERR_INVALID_PARAMETER);
        EXPECT_BAD(tsr_completability_phase_transition(10, 2, 1, x, 0, NULL, out, NULL), TSR_ERR_INVALID_PARAMETER);
        EXPECT_BAD(tsr_completability_phase_transition(2, 2, 1, x, 1, NULL, out, NULL), TSR_ERR_INVALID_PARAMETER);
    }

    /* Handles: NULL out, NULL handle, info struct_size too small, query out of range. */
    CHECK_STATUS(tsr_completability_closure_new(3, 3, 5, rows, cols, 1, NULL, NULL), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_completability_closure_new_dense(3, 3, NULL, 1, NULL, &closure), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_completability_closure_new(3, 3, 5, rows, cols, 1, NULL, &closure), TSR_OK);
    {
        uint8_t flags[4] = {7, 7, 7, 7};
        tsr_completability_info info;
        memset(&info, 0x5a, sizeof info);
        info.struct_size = 8;
        CHECK_STATUS(tsr_completability_closure_info(closure, &info), TSR_ERR_STRUCT_SIZE);
        CHECK(info.rank == (int64_t)0x5a5a5a5a5a5a5a5aLL);
        CHECK_STATUS(tsr_completability_closure_query(closure, 4, qrows, far_q, flags), TSR_ERR_DOMAIN);
        CHECK(flags[0] == 7 && flags[3] == 7);
        CHECK(tsr_completability_closure_last_error_message(closure)[0] != '\0');
        CHECK_STATUS(tsr_completability_closure_query(NULL, 4, qrows, qcols, flags), TSR_ERR_NULL_POINTER);
        CHECK_STATUS(tsr_completability_closure_query(closure, 4, qrows, qcols, flags), TSR_OK);
        CHECK(tsr_completability_closure_last_error_message(closure)[0] == '\0');
    }
    tsr_completability_closure_free(closure);
    tsr_completability_closure_free(NULL);
}

int main(void)
{
    rank_one();
    rank_two();
    phase_transition();
    bad_input();
    return check_report("completability");
}
