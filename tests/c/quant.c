/* QSGD encode/decode and the f-divergence objectives through the C ABI: bit-exact round trips,
   unbiasedness over seeds, the paper's variance bound, the f-GAN identities, and every
   bad-input class (status, message, nothing written). */
#include "check.h"

#define N 1000

static void test_qsgd_round_trip(void)
{
    static double v[N], q[N], d[N], mean[N];
    static uint8_t buf[16384];
    tsr_qsgd_options o;
    tsr_qsgd_stream_info info;
    int64_t bound = 0, len = 0;
    double err = 0.0, v2 = 0.0, var = 0.0;
    int i, seed, norm;
    const int draws = 400;
    for (i = 0; i < N; ++i) v[i] = check_uniform() * (1.0 + i % 7);
    for (norm = TSR_QSGD_NORM_L2; norm <= TSR_QSGD_NORM_MAX; ++norm) {
        CHECK_STATUS(tsr_qsgd_options_default(&o), TSR_OK);
        o.levels = 4;
        o.bucket_size = 128;
        o.norm = (uint32_t)norm;
        CHECK_STATUS(tsr_qsgd_max_encoded_len_f64(N, &o, &bound), TSR_OK);
        CHECK(bound > 0 && bound <= (int64_t)sizeof buf);
        CHECK_STATUS(tsr_qsgd_encode_f64(N, v, &o, buf, bound, &len), TSR_OK);
        CHECK(len > 44 && len <= bound);
        CHECK_STATUS(tsr_qsgd_decode_f64(buf, len, N, d), TSR_OK);
        CHECK_STATUS(tsr_qsgd_quantize_f64(N, v, &o, q), TSR_OK);
        CHECK(memcmp(d, q, sizeof d) == 0);
        info.struct_size = sizeof info;
        CHECK_STATUS(tsr_qsgd_get_stream_info(buf, len, &info), TSR_OK);
        CHECK(info.dtype == 2 && info.n == N && info.levels == 4 && info.bucket_size == 128 && info.norm == (uint32_t)norm &&
              info.total_bytes == len && info.bits_per_coordinate > 0.0 && info.bits_per_coordinate < 64.0);
        /* The mean of many draws converges to v (a draw rounding up with probability 1 - p instead of p, as `dice > prob` does, is off by up to scale/s ~ 7). */
        memset(mean, 0, sizeof mean);
        for (seed = 0; seed < draws; ++seed) {
            o.seed = (uint64_t)seed;
            CHECK_STATUS(tsr_qsgd_quantize_f64(N, v, &o, q), TSR_OK);
            for (i = 0; i < N; ++i) mean[i] += q[i] / draws;
        }
        for (i = 0; i < N; ++i) err = fmax(err, fabs(mean[i] - v[i]));
    }
    /* A bucket's scale/s is about 7 here, so one draw's sd is at most ~3.7 per entry and the
       mean of 400 draws is within ~0.2 sd: 1.5 is over 7 sd, while a biased rounding would
       miss by up to ~7. */
    CHECK(err < 1.5);
    /* Lemma 3.1: E||Q(v) - v||^2 <= min(d/s^2, sqrt(d)/s) ||v||^2 per bucket (2-norm). */
    o.norm = TSR_QSGD_NORM_L2;
    for (i = 0; i < N; ++i) v2 += v[i] * v[i];
    for (seed = 0; seed < 50; ++seed) {
        o.seed = (uint64_t)(1000 + seed);
        CHECK_STATUS(tsr_qsgd_quantize_f64(N, v, &o, q), TSR_OK);
        for (i = 0; i < N; ++i) var += (q[i] - v[i]) * (q[i] - v[i]) / 50;
    }
    CHECK(var <= sqrt(128.0) / 4.0 * v2);
    /* f32: the round trip is exact too. */
    {
        static float vf[N], qf[N], df[N];
        for (i = 0; i < N; ++i) vf[i] = (float)v[i];
        CHECK_STATUS(tsr_qsgd_encode_f32(N, vf, NULL, buf, (int64_t)sizeof buf, &len), TSR_OK);
        CHECK_STATUS(tsr_qsgd_decode_f32(buf, len, N, df), TSR_OK);
        CHECK_STATUS(tsr_qsgd_quantize_f32(N, vf, NULL, qf), TSR_OK);
        CHECK(memcmp(df, qf, sizeof df) == 0);
        CHECK_STATUS(tsr_qsgd_decode_f64(buf, len, N, d), TSR_ERR_WRONG_DTYPE);
        CHECK_MESSAGE_SET();
    }
}

static void test_qsgd_bad_input(void)
{
    static double v[N], out[N];
    static uint8_t buf[16384], bad[16384];
    tsr_qsgd_options o;
    tsr_qsgd_stream_info info;
    int64_t len = 0, small = -5;
    int i;
    for (i = 0; i < N; ++i) { v[i] = check_uniform(); out[i] = -9.0; }
    CHECK_STATUS(tsr_qsgd_encode_f64(N, v, NULL, buf, (int64_t)sizeof buf, &len), TSR_OK);
    /* Truncated and padded streams, every single-bit flip at a spread of positions. */
    for (i = 0; i < len; i += 3) CHECK_STATUS(tsr_qsgd_decode_f64(buf, i, N, out), TSR_ERR_BAD_DATA);
    CHECK_STATUS(tsr_qsgd_decode_f64(buf, len + 1, N, out), TSR_ERR_BAD_DATA);
    for (i = 0; i < len; i += 11) {
        tsr_status s;
        memcpy(bad, buf, (size_t)len);
        bad[i] ^= (uint8_t)(1u << (i % 8));
        s = tsr_qsgd_decode_f64(bad, len, N, out);
        CHECK(s == TSR_ERR_BAD_DATA || s == TSR_ERR_WRONG_DTYPE || s == TSR_ERR_SHAPE_MISMATCH);
    }
    CHECK_MESSAGE_SET();
    CHECK_STATUS(tsr_qsgd_decode_f64(buf, len, N - 1, out), TSR_ERR_SHAPE_MISMATCH);
    CHECK_STATUS(tsr_qsgd_decode_f64(NULL, len, N, out), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_qsgd_decode_f64(buf, len, N, NULL), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_qsgd_decode_f64(buf, -1, N, out), TSR_ERR_BAD_EXTENT);
    CHECK_STATUS(tsr_qsgd_decode_f64(buf, len, N, (double *)(void *)(buf + 8)), TSR_ERR_ALIASING);
    for (i = 0; i < N; ++i) CHECK(out[i] == -9.0);
    info.struct_size = 3;
    CHECK_STATUS(tsr_qsgd_get_stream_info(buf, len, &info), TSR_ERR_STRUCT_SIZE);
    /* Encoding. */
    CHECK_STATUS(tsr_qsgd_encode_f64(N, v, NULL, buf, 10, &small), TSR_ERR_BAD_EXTENT);
    CHECK(small == len); /* only the length is written */
    CHECK_STATUS(tsr_qsgd_encode_f64(N, v, NULL, buf, (int64_t)sizeof buf, NULL), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_qsgd_encode_f64(N, v, NULL, (uint8_t *)(void *)v, (int64_t)sizeof buf, &len), TSR_ERR_ALIASING);
    CHECK_STATUS(tsr_qsgd_encode_f64(-1, v, NULL, buf, (int64_t)sizeof buf, &len), TSR_ERR_BAD_EXTENT);
    v[17] = NAN;
    CHECK_STATUS(tsr_qsgd_encode_f64(N, v, NULL, buf, (int64_t)sizeof buf, &len), TSR_ERR_NON_FINITE);
    CHECK_STATUS(tsr_qsgd_quantize_f64(N, v, NULL, out), TSR_ERR_NON_FINITE);
    v[17] = 0.5;
    CHECK_STATUS(tsr_qsgd_options_default(&o), TSR_OK);
    o.levels = 0;
    CHECK_STATUS(tsr_qsgd_quantize_f64(N, v, &o, out), TSR_ERR_INVALID_PARAMETER);
    o.levels = 4;
    o.norm = 7;
    CHECK_STATUS(tsr_qsgd_quantize_f64(N, v, &o, out), TSR_ERR_INVALID_ENUM);
    o.norm = TSR_QSGD_NORM_L2;
    o.bucket_size = -2;
    CHECK_STATUS(tsr_qsgd_quantize_f64(N, v, &o, out), TSR_ERR_INVALID_PARAMETER);
    o.bucket_size = 64;
    o.struct_size = 8;
    CHECK_STATUS(tsr_qsgd_max_encoded_len_f64(N, &o, &len), TSR_ERR_STRUCT_SIZE);
    /* 2-norm of huge finite entries overflows; the max norm does not. */
    {
        double huge[4] = {1e308, 1e308, -1e308, 1e308};
        double qh[4];
        CHECK_STATUS(tsr_qsgd_quantize_f64(4, huge, NULL, qh), TSR_ERR_DOMAIN);
        CHECK_STATUS(tsr_qsgd_options_default(&o), TSR_OK);
        o.norm = TSR_QSGD_NORM_MAX;
        CHECK_STATUS(tsr_qsgd_quantize_f64(4, huge, &o, qh), TSR_OK);
    }
    for (i = 0; i < N; ++i) CHECK(out[i] == -9.0);
}

/* The raw output v* with g_f(v*) = f'(1): the optimal critic when P = Q. */
static const double optimum[7] = {1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};

static void test_fdiv(void)
{
    enum { NP = 6, NQ = 9 };
    double vp[NP], vq[NQ], gp[NP], gq[NQ], f = 0.0;
    uint32_t div;
    int i;
    for (div = TSR_FDIV_KL; div <= TSR_FDIV_GAN; ++div) {
        double worst = 0.0;
        for (i = 0; i < NP; ++i) vp[i] = optimum[div];
        for (i = 0; i < NQ; ++i) vq[i] = optimum[div];
        CHECK_STATUS(tsr_fdiv_objective_f64(div, NP, vp, NQ, vq, &f, NULL, NULL), TSR_OK);
        CHECK(fabs(f - (div == TSR_FDIV_GAN ? -log(4.0) : 0.0)) < 1e-15);
        /* At the optimum, the gradients balance: dF/dv_p sums to minus dF/dv_q's sum. */
        CHECK_STATUS(tsr_fdiv_objective_f64(div, NP, vp, NQ, vq, &f, gp, gq), TSR_OK);
        {
            double sp = 0.0, sq = 0.0;
            for (i = 0; i < NP; ++i) sp += gp[i];
            for (i = 0; i < NQ; ++i) sq += gq[i];
            CHECK(fabs(sp + sq) < 1e-15);
        }
        /* Gradients against central differences at random outputs. */
        for (i = 0; i < NP; ++i) vp[i] = 0.8 * check_uniform();
        for (i = 0; i < NQ; ++i) vq[i] = 0.8 * check_uniform();
        CHECK_STATUS(tsr_fdiv_objective_f64(div, NP, vp, NQ, vq, &f, gp, gq), TSR_OK);
        for (i = 0; i < NP + NQ; ++i) {
            double *x = i < NP ? &vp[i] : &vq[i - NP], keep = *x, up, down;
            const double h = 1e-6;
            *x = keep + h;
            CHECK_STATUS(tsr_fdiv_objective_f64(div, NP, vp, NQ, vq, &up, NULL, NULL), TSR_OK);
            *x = keep - h;
            CHECK_STATUS(tsr_fdiv_objective_f64(div, NP, vp, NQ, vq, &down, NULL, NULL), TSR_OK);
            *x = keep;
            worst = fmax(worst, fabs((up - down) / (2 * h) - (i < NP ? gp[i] : gq[i - NP])));
        }
        CHECK(worst < 1e-8);
        /* f32 agrees with f64 to single precision. */
        {
            float vpf[NP], vqf[NQ];
            double ff;
            for (i = 0; i < NP; ++i) vpf[i] = (float)vp[i];
            for (i = 0; i < NQ; ++i) vqf[i] = (float)vq[i];
            CHECK_STATUS(tsr_fdiv_objective_f32(div, NP, vpf, NQ, vqf, &ff, NULL, NULL), TSR_OK);
            CHECK(fabs(ff - f) < 1e-5 * (1.0 + fabs(f)));
        }
    }
    /* Bad input. */
    f = 42.0;
    for (i = 0; i < NP; ++i) gp[i] = -3.0;
    CHECK_STATUS(tsr_fdiv_objective_f64(7, NP, vp, NQ, vq, &f, gp, gq), TSR_ERR_INVALID_ENUM);
    CHECK_MESSAGE_SET();
    CHECK_STATUS(tsr_fdiv_objective_f64(0, 0, vp, NQ, vq, &f, gp, gq), TSR_ERR_BAD_EXTENT);
    CHECK_STATUS(tsr_fdiv_objective_f64(0, -1, vp, NQ, vq, &f, gp, gq), TSR_ERR_BAD_EXTENT);
    CHECK_STATUS(tsr_fdiv_objective_f64(0, NP, NULL, NQ, vq, &f, gp, gq), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_fdiv_objective_f64(0, NP, vp, NQ, vq, NULL, gp, gq), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_fdiv_objective_f64(0, NP, vp, NQ, vq, &f, gp, NULL), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_fdiv_objective_f64(0, NP, vp, NQ, vq, &f, vp, gq), TSR_ERR_ALIASING);
    CHECK_STATUS(tsr_fdiv_objective_f64(0, NP, vp, NQ, vq, &f, gp, gp), TSR_ERR_ALIASING);
    vq[2] = INFINITY;
    CHECK_STATUS(tsr_fdiv_objective_f64(0, NP, vp, NQ, vq, &f, gp, gq), TSR_ERR_NON_FINITE);
    CHECK(f == 42.0);
    for (i = 0; i < NP; ++i) CHECK(gp[i] == -3.0);
}

int main(void)
{
    test_qsgd_round_trip();
    test_qsgd_bad_input();
    test_fdiv();
    return check_report("quant");
}
