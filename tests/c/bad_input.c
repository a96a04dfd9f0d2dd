/* Every class of bad input of docs/abi.md ("Arrays", "Handles and options"): each call must
   return its exact status, leave a non-empty tsr_last_error_message(), and write nothing
   (every output lives in `arena`, which is compared with a snapshot after each call). */
#include "check.h"
#include <stdint.h>

#define N 4
#define D 3

static double arena[512];
static unsigned char snapshot[sizeof arena];
static double x[N * D], y[N * D], g[N * D];

static void arm(void) { memcpy(snapshot, arena, sizeof arena); }
static int untouched(void) { return memcmp(snapshot, arena, sizeof arena) == 0; }

static void fill_sentinel(void)
{
    size_t i;
    for (i = 0; i < sizeof arena / sizeof arena[0]; ++i) arena[i] = -12345.0 - (double)i;
}

/* `call` must fail with `want`, leave a message and leave the arena unchanged. */
#define EXPECT(call, want)              \
    do {                                \
        arm();                          \
        CHECK_STATUS(call, want);       \
        CHECK_MESSAGE_SET();            \
        CHECK(untouched());             \
    } while (0)

/* As EXPECT for a call on `ball`: the handle's own message is set as well. */
#define EXPECT_ON(ball, call, want)                                        \
    do {                                                                   \
        EXPECT(call, want);                                                \
        CHECK(tsr_poincare_last_error_message(ball)[0] != '\0');           \
        CHECK(strcmp(tsr_poincare_last_error_message(ball), tsr_last_error_message()) == 0); \
    } while (0)

static tsr_matref_f64 ref(const double *p, int64_t m, int64_t n, int64_t rs, int64_t cs)
{
    tsr_matref_f64 v;
    v.ptr = p; v.nrows = m; v.ncols = n; v.row_stride = rs; v.col_stride = cs;
    return v;
}

static tsr_matmut_f64 mut(double *p, int64_t m, int64_t n, int64_t rs, int64_t cs)
{
    tsr_matmut_f64 v;
    v.ptr = p; v.nrows = m; v.ncols = n; v.row_stride = rs; v.col_stride = cs;
    return v;
}

#define X ref(x, N, D, D, 1)
#define Y ref(y, N, D, D, 1)
#define G ref(g, N, D, D, 1)
#define OUT mut(arena, N, D, D, 1)
#define OUT2 mut(arena + 64, N, D, D, 1)

static void null_pointers(tsr_poincare *ball)
{
    /* NULL with a non-zero extent. */
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(NULL, N, D, D, 1), Y, OUT), TSR_ERR_NULL_POINTER);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, ref(NULL, N, D, D, 1), OUT), TSR_ERR_NULL_POINTER);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, Y, mut(NULL, N, D, D, 1)), TSR_ERR_NULL_POINTER);
    EXPECT_ON(ball, tsr_poincare_mobius_add_vjp_f64(ball, X, Y, ref(NULL, N, D, D, 1), OUT, OUT2), TSR_ERR_NULL_POINTER);
    EXPECT_ON(ball, tsr_poincare_mobius_add_vjp_f64(ball, X, Y, G, OUT, mut(NULL, N, D, D, 1)), TSR_ERR_NULL_POINTER);
    /* NULL with a zero extent is fine, and a success clears the message. */
    arm();
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, ref(NULL, 0, D, D, 1), ref(NULL, 0, D, D, 1), mut(NULL, 0, D, D, 1)), TSR_OK);
    CHECK(tsr_last_error_message()[0] == '\0');
    CHECK(tsr_poincare_last_error_message(ball)[0] == '\0');
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, ref(NULL, N, 0, 0, 1), ref(NULL, N, 0, 0, 1), mut(NULL, N, 0, 0, 1)), TSR_OK);
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, ref(NULL, 0, 0, 0, 0), ref(NULL, 0, 0, 0, 0), mut(NULL, 0, 0, 0, 0)), TSR_OK);
    CHECK_STATUS(tsr_poincare_mobius_add_vjp_f64(ball, ref(NULL, 0, D, D, 1), ref(NULL, 0, D, D, 1), ref(NULL, 0, D, D, 1),
                                                 mut(NULL, 0, D, D, 1), mut(NULL, 0, D, D, 1)), TSR_OK);
    CHECK(untouched());
    /* NULL handle, NULL out-pointers. */
    EXPECT(tsr_poincare_mobius_add_f64(NULL, X, Y, OUT), TSR_ERR_NULL_POINTER);
    EXPECT(tsr_poincare_mobius_add_vjp_f64(NULL, X, Y, G, OUT, OUT2), TSR_ERR_NULL_POINTER);
    EXPECT(tsr_poincare_options_default(NULL), TSR_ERR_NULL_POINTER);
    EXPECT(tsr_poincare_new(1.0, NULL, NULL), TSR_ERR_NULL_POINTER);
}

static void extents(tsr_poincare *ball)
{
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(x, -1, D, D, 1), Y, OUT), TSR_ERR_BAD_EXTENT);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, ref(y, N, -3, D, 1), OUT), TSR_ERR_BAD_EXTENT);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, Y, mut(arena, N, INT64_MIN, D, 1)), TSR_ERR_BAD_EXTENT);
    /* Extents whose product overflows 64 bits, or the address space once multiplied by the
       element size. */
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(x, INT64_MAX, INT64_MAX, 1, 1), Y, OUT), TSR_ERR_BAD_EXTENT);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(x, (int64_t)1 << 32, (int64_t)1 << 32, 1, 1), Y, OUT), TSR_ERR_BAD_EXTENT);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, Y, mut(arena, (int64_t)1 << 61, 1, 1, 1)), TSR_ERR_BAD_EXTENT);
}

static void strides(tsr_poincare *ball)
{
    /* Spans that run past the end or below the start of the address space. */
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(x, N, D, INT64_MAX / 2, 1), Y, OUT), TSR_ERR_BAD_STRIDE);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(x, N, D, INT64_MAX, INT64_MAX), Y, OUT), TSR_ERR_BAD_STRIDE);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, ref(y, N, D, D, INT64_MIN), OUT), TSR_ERR_BAD_STRIDE);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, ref(y, N, D, -((int64_t)1 << 60), 1), OUT), TSR_ERR_BAD_STRIDE);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, Y, mut(arena, N, D, (int64_t)1 << 59, 1)), TSR_ERR_BAD_STRIDE);
    /* A zero stride on an output with more than one row (fine on an input: broadcasting). */
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, Y, mut(arena, N, D, 0, 1)), TSR_ERR_BAD_STRIDE);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, Y, mut(arena, N, D, D, 0)), TSR_ERR_BAD_STRIDE);
    /* Self-overlapping output strides. */
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(x, D, D, D, 1), ref(y, D, D, D, 1), mut(arena, D, D, 1, 1)), TSR_ERR_BAD_STRIDE);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(x, D, D, D, 1), ref(y, D, D, D, 1), mut(arena, D, D, 2, 1)), TSR_ERR_BAD_STRIDE);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(x, D, D, D, 1), ref(y, D, D, D, 1), mut(arena + 20, D, D, -1, -1)), TSR_ERR_BAD_STRIDE);
    EXPECT_ON(ball, tsr_poincare_mobius_add_vjp_f64(ball, X, Y, G, OUT, mut(arena + 64, N, D, 0, 1)), TSR_ERR_BAD_STRIDE);
    /* Counter-checks: a zero stride on a one-row output, and interleaved outputs, are fine. */
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, ref(x, 1, D, D, 1), ref(y, 1, D, D, 1), mut(arena + 200, 1, D, 0, 1)), TSR_OK);
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, ref(x, D, D, D, 1), ref(y, D, D, D, 1), mut(arena + 200, D, D, 1, D)), TSR_OK);
    fill_sentinel();
}

static void aliasing(tsr_poincare *ball)
{
    /* Inputs placed inside the arena: the output is the same buffer, or overlaps it partly. */
    double *in = arena + 100;
    memcpy(in, x, sizeof x);
    memcpy(arena + 300, y, sizeof y);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(in, N, D, D, 1), Y, mut(in, N, D, D, 1)), TSR_ERR_ALIASING);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, ref(in, N, D, D, 1), mut(in, N, D, D, 1)), TSR_ERR_ALIASING);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(in, N, D, D, 1), Y, mut(in + 5, N, D, D, 1)), TSR_ERR_ALIASING);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(in, N, D, D, 1), Y, mut(in - 5, N, D, D, 1)), TSR_ERR_ALIASING);
    /* Overlap through a reversed (negative-stride) view of the same storage. */
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, ref(in, N, D, D, 1), mut(in + N * D - 1, N, D, -D, -1)), TSR_ERR_ALIASING);
    /* The same memory given as both inputs is fine (inputs may alias each other). */
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, ref(in, N, D, D, 1), ref(in, N, D, D, 1), mut(arena, N, D, D, 1)), TSR_OK);
    fill_sentinel();
    memcpy(in, x, sizeof x);
    /* Two outputs (vjp) that are the same buffer, or overlap partly; an output on an input. */
    EXPECT_ON(ball, tsr_poincare_mobius_add_vjp_f64(ball, X, Y, G, OUT, OUT), TSR_ERR_ALIASING);
    EXPECT_ON(ball, tsr_poincare_mobius_add_vjp_f64(ball, X, Y, G, OUT, mut(arena + 7, N, D, D, 1)), TSR_ERR_ALIASING);
    EXPECT_ON(ball, tsr_poincare_mobius_add_vjp_f64(ball, ref(in, N, D, D, 1), Y, G, OUT, mut(in + 2, N, D, D, 1)), TSR_ERR_ALIASING);
    memcpy(in, g, sizeof g);
    EXPECT_ON(ball, tsr_poincare_mobius_add_vjp_f64(ball, X, Y, ref(in, N, D, D, 1), mut(in, N, D, D, 1), OUT2), TSR_ERR_ALIASING);
    fill_sentinel();
}

static void non_finite(tsr_poincare *ball)
{
    double bad[N * D];
    const double specials[3] = {NAN, INFINITY, -INFINITY};
    int k;
    for (k = 0; k < 3; ++k) {
        memcpy(bad, x, sizeof x);
        bad[N * D - 1] = specials[k]; /* last row: validation must precede every write */
        EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(bad, N, D, D, 1), Y, OUT), TSR_ERR_NON_FINITE);
        EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, ref(bad, N, D, D, 1), OUT), TSR_ERR_NON_FINITE);
        EXPECT_ON(ball, tsr_poincare_mobius_add_vjp_f64(ball, X, Y, ref(bad, N, D, D, 1), OUT, OUT2), TSR_ERR_NON_FINITE);
    }
    {
        float xf[N * D], yf[N * D];
        int i;
        for (i = 0; i < N * D; ++i) {
            xf[i] = (float)x[i];
            yf[i] = (float)y[i];
        }
        yf[5] = NAN;
        EXPECT_ON(ball, tsr_poincare_mobius_add_f32(ball, tsr_matref_f32_rowmajor(xf, N, D, D), tsr_matref_f32_rowmajor(yf, N, D, D),
                                                    tsr_matmut_f32_rowmajor((float *)(void *)arena, N, D, D)), TSR_ERR_NON_FINITE);
        yf[5] = 0.0f;
        xf[0] = INFINITY;
        EXPECT_ON(ball, tsr_poincare_mobius_add_f32(ball, tsr_matref_f32_rowmajor(xf, N, D, D), tsr_matref_f32_rowmajor(yf, N, D, D),
                                                    tsr_matmut_f32_rowmajor((float *)(void *)arena, N, D, D)), TSR_ERR_NON_FINITE);
    }
}

static void domain(tsr_poincare *ball)
{
    /* Points outside, and exactly on, the boundary of the unit ball (c = 1). */
    double bad[N * D];
    tsr_poincare *ball4 = NULL;
    memcpy(bad, x, sizeof x);
    bad[(N - 1) * D] = 1.5;
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(bad, N, D, D, 1), Y, OUT), TSR_ERR_DOMAIN);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, ref(bad, N, D, D, 1), OUT), TSR_ERR_DOMAIN);
    bad[(N - 1) * D] = 1.0; bad[(N - 1) * D + 1] = 0.0; bad[(N - 1) * D + 2] = 0.0;
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(bad, N, D, D, 1), Y, OUT), TSR_ERR_DOMAIN);
    EXPECT_ON(ball, tsr_poincare_mobius_add_vjp_f64(ball, X, ref(bad, N, D, D, 1), G, OUT, OUT2), TSR_ERR_DOMAIN);
    bad[(N - 1) * D] = 0.6; bad[(N - 1) * D + 1] = -0.8; /* the doubles nearest 0.6, 0.8: exact norm just above 1 */
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(bad, N, D, D, 1), Y, OUT), TSR_ERR_DOMAIN);
    /* Radius 1/2 for c = 4: (0.5, 0, 0) is exactly on the boundary. */
    CHECK_STATUS(tsr_poincare_new(4.0, NULL, &ball4), TSR_OK);
    memset(bad, 0, sizeof bad);
    bad[0] = 0.5;
    EXPECT_ON(ball4, tsr_poincare_mobius_add_f64(ball4, ref(bad, N, D, D, 1), ref(bad, N, D, D, 1), OUT), TSR_ERR_DOMAIN);
    bad[0] = 0.4999;
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball4, ref(bad, N, D, D, 1), ref(bad, N, D, D, 1), mut(arena + 400, N, D, D, 1)), TSR_OK);
    tsr_poincare_free(ball4);
    fill_sentinel();
}

static void shapes(tsr_poincare *ball)
{
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, ref(y, N - 1, D, D, 1), OUT), TSR_ERR_SHAPE_MISMATCH);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, ref(y, N, D - 1, D, 1), OUT), TSR_ERR_SHAPE_MISMATCH);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, Y, mut(arena, N + 1, D, D, 1)), TSR_ERR_SHAPE_MISMATCH);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, Y, mut(arena, N, D + 1, D + 1, 1)), TSR_ERR_SHAPE_MISMATCH);
    EXPECT_ON(ball, tsr_poincare_mobius_add_vjp_f64(ball, X, Y, ref(g, N - 1, D, D, 1), OUT, OUT2), TSR_ERR_SHAPE_MISMATCH);
    EXPECT_ON(ball, tsr_poincare_mobius_add_vjp_f64(ball, X, Y, G, OUT, mut(arena + 64, N, D - 1, D, 1)), TSR_ERR_SHAPE_MISMATCH);
    /* An empty and a non-empty argument disagree too. */
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, ref(NULL, 0, D, D, 1), OUT), TSR_ERR_SHAPE_MISMATCH);
}

static void misaligned(tsr_poincare *ball)
{
    /* Pointers one byte (two for f32) past an element boundary. The view is only passed, never
       dereferenced here, so no misaligned access happens in this program. */
    static double buf[N * D + 1];
    const double *mx = (const double *)(const void *)((const char *)buf + 1);
    double *mo = (double *)(void *)((char *)arena + 1);
    float xf[N * D + 1];
    memcpy(buf, x, sizeof x);
    memset(xf, 0, sizeof xf);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, ref(mx, N, D, D, 1), Y, OUT), TSR_ERR_MISALIGNED);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f64(ball, X, Y, mut(mo, N, D, D, 1)), TSR_ERR_MISALIGNED);
    EXPECT_ON(ball, tsr_poincare_mobius_add_f32(ball, tsr_matref_f32_rowmajor((const float *)(const void *)((const char *)xf + 2), N, D, D),
                                                tsr_matref_f32_rowmajor(xf, N, D, D),
                                                tsr_matmut_f32_rowmajor((float *)(void *)arena, N, D, D)), TSR_ERR_MISALIGNED);
}

static void handles_and_options(void)
{
    tsr_poincare *sentinel = (tsr_poincare *)(void *)&arena[500];
    tsr_poincare *out = sentinel;
    tsr_poincare_options opts;
    static const double bad_c[] = {0.0, -0.0, -1.0, NAN, INFINITY, -INFINITY};
    /* A zeroed block that is no live handle (aligned for any type). */
    static union { long double ld; uint64_t u[512]; } fake;
    size_t k;

    CHECK_STATUS(tsr_poincare_options_default(&opts), TSR_OK);
    for (k = 0; k < sizeof bad_c / sizeof bad_c[0]; ++k) {
        out = sentinel;
        EXPECT(tsr_poincare_new(bad_c[k], &opts, &out), TSR_ERR_INVALID_PARAMETER);
        CHECK(out == sentinel);
    }
    /* struct_size smaller than the first published struct. */
    opts.struct_size = 0;
    EXPECT(tsr_poincare_new(1.0, &opts, &out), TSR_ERR_STRUCT_SIZE);
    CHECK(out == sentinel);
    opts.struct_size = 4;
    EXPECT(tsr_poincare_new(1.0, &opts, &out), TSR_ERR_STRUCT_SIZE);
    CHECK(out == sentinel);
    /* Negative thread counts, per ball and global. */
    CHECK_STATUS(tsr_poincare_options_default(&opts), TSR_OK);
    opts.num_threads = -1;
    EXPECT(tsr_poincare_new(1.0, &opts, &out), TSR_ERR_INVALID_PARAMETER);
    CHECK(out == sentinel);
    CHECK_STATUS(tsr_set_num_threads(2), TSR_OK);
    EXPECT(tsr_set_num_threads(-2), TSR_ERR_INVALID_PARAMETER);
    CHECK(tsr_get_num_threads() == 2);
    CHECK_STATUS(tsr_set_num_threads(0), TSR_OK);
    /* Handles that are not live balls. */
    EXPECT(tsr_poincare_mobius_add_f64((const tsr_poincare *)(const void *)&fake, X, Y, OUT), TSR_ERR_INVALID_HANDLE);
    EXPECT(tsr_poincare_mobius_add_f64((const tsr_poincare *)(const void *)((const char *)&fake + 1), X, Y, OUT), TSR_ERR_INVALID_HANDLE);
    CHECK(tsr_poincare_c((const tsr_poincare *)(const void *)&fake) != tsr_poincare_c((const tsr_poincare *)(const void *)&fake));
    CHECK(strcmp(tsr_poincare_last_error_message(NULL), "") == 0);
}

int main(void)
{
    tsr_poincare *ball = NULL;
    tsr_poincare_options opts;
    int i;
    for (i = 0; i < N; ++i) {
        check_random_point(&x[i * D], D, 0.9);
        check_random_point(&y[i * D], D, 0.9);
    }
    for (i = 0; i < N * D; ++i) g[i] = check_uniform();
    fill_sentinel();

    CHECK_STATUS(tsr_poincare_options_default(&opts), TSR_OK);
    opts.num_threads = 1;
    CHECK_STATUS(tsr_poincare_new(1.0, &opts, &ball), TSR_OK);
    if (ball == NULL) return check_report("bad_input");

    null_pointers(ball);
    extents(ball);
    strides(ball);
    aliasing(ball);
    non_finite(ball);
    domain(ball);
    shapes(ball);
    misaligned(ball);
    handles_and_options();

    /* After all that, the ball still works. */
    CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, X, Y, OUT), TSR_OK);
    CHECK(tsr_poincare_last_error_message(ball)[0] == '\0');
    tsr_poincare_free(ball);
    return check_report("bad_input");
}
