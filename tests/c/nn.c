/* The network handle through the C ABI: training on built-in data, the forward pass against a
   hand-written one through the parameter views, gradients against finite differences, the
   optimisers, saving and loading, and every bad-input class (status, message, nothing written). */
#include "check.h"
#include <time.h>

#define NIN 2
#define NHID 8
#define NOUT 3
#define NSAMP 96

static tsr_nn *make_net(uint32_t dtype, uint32_t loss, uint32_t out_act, uint64_t seed)
{
    int64_t sizes[3] = {NIN, NHID, NOUT};
    uint32_t acts[2] = {TSR_NN_TANH, 0};
    tsr_nn_options o;
    tsr_nn *net = NULL;
    acts[1] = out_act;
    CHECK_STATUS(tsr_nn_options_default(&o), TSR_OK);
    o.dtype = dtype;
    o.seed = seed;
    o.max_batch = NSAMP;
    o.num_threads = 1;
    CHECK_STATUS(tsr_nn_new(2, sizes, acts, loss, &o, &net), TSR_OK);
    return net;
}

/* Three Gaussian blobs in the plane, one per class: x is 2 x NSAMP column-major. */
static void blobs(double *x, uint32_t *labels)
{
    static const double centre[3][2] = {{-1.0, -0.5}, {1.0, -0.5}, {0.0, 1.0}};
    int s;
    for (s = 0; s < NSAMP; ++s) {
        labels[s] = (uint32_t)(s % 3);
        x[2 * s] = centre[s % 3][0] + 0.3 * check_uniform();
        x[2 * s + 1] = centre[s % 3][1] + 0.3 * check_uniform();
    }
}

static tsr_matref_f64 ref(const double *p, int64_t m, int64_t n) { return tsr_matref_f64_colmajor(p, m, n, m); }
static tsr_matmut_f64 mut(double *p, int64_t m, int64_t n) { return tsr_matmut_f64_colmajor(p, m, n, m); }
static const tsr_matref_f64 NO_REF = {NULL, 0, 0, 0, 0};
static const tsr_matmut_f64 NO_MUT = {NULL, 0, 0, 0, 0};

static void test_training_and_forward(void)
{
    static double x[NIN * NSAMP], y[NOUT * NSAMP];
    static uint32_t labels[NSAMP];
    tsr_nn *net = make_net(TSR_NN_F64, TSR_NN_SOFTMAX_CROSS_ENTROPY, TSR_NN_IDENTITY, 7);
    tsr_matmut_f64 w[2], b[2];
    double first = 0.0, loss = 0.0, worst = 0.0;
    int step, s, i, j, l, correct = 0;
    tsr_nn_optimiser_options opt;
    blobs(x, labels);
    CHECK_STATUS(tsr_nn_optimiser_options_default(&opt), TSR_OK);
    opt.learning_rate = 0.02;
    CHECK_STATUS(tsr_nn_set_optimiser(net, &opt), TSR_OK);
    for (step = 0; step < 300; ++step) {
        CHECK_STATUS(tsr_nn_train_step_f64(net, ref(x, NIN, NSAMP), NO_REF, labels, &loss), TSR_OK);
        if (step == 0) first = loss;
    }
    CHECK(loss < 0.25 * first);
    CHECK_STATUS(tsr_nn_forward_f64(net, ref(x, NIN, NSAMP), mut(y, NOUT, NSAMP)), TSR_OK);
    for (s = 0; s < NSAMP; ++s) {
        int best = 0;
        for (i = 1; i < NOUT; ++i)
            if (y[NOUT * s + i] > y[NOUT * s + best]) best = i;
        correct += best == (int)labels[s];
    }
    CHECK(correct >= NSAMP * 9 / 10);
    /* The same outputs by hand from the parameter views: y = W1 tanh(W0 x + b0) + b1. */
    for (l = 0; l < 2; ++l) CHECK_STATUS(tsr_nn_layer_params_f64(net, l, &w[l], &b[l]), TSR_OK);
    CHECK(w[0].nrows == NHID && w[0].ncols == NIN && w[1].nrows == NOUT && w[1].ncols == NHID && b[1].nrows == NOUT);
    for (s = 0; s < NSAMP; ++s) {
        double h[NHID];
        for (i = 0; i < NHID; ++i) {
            double z = b[0].ptr[i];
            for (j = 0; j < NIN; ++j) z += w[0].ptr[i + j * w[0].col_stride] * x[NIN * s + j];
            h[i] = tanh(z);
        }
        for (i = 0; i < NOUT; ++i) {
            double z = b[1].ptr[i];
            for (j = 0; j < NHID; ++j) z += w[1].ptr[i + j * w[1].col_stride] * h[j];
            worst = fmax(worst, fabs(z - y[NOUT * s + i]));
        }
    }
    CHECK(worst < 1e-12);
    tsr_nn_free(net);
}

/* Loss of the batch with the current parameters (squared error, targets t). */
static double loss_of(tsr_nn *net, const double *x, const double *t, int64_t batch)
{
    double loss = NAN;
    CHECK_STATUS(tsr_nn_backward_f64(net, ref(x, NIN, batch), ref(t, NOUT, batch), NULL, NO_MUT, &loss), TSR_OK);
    return loss;
}

static void test_gradients(void)
{
    enum { B = 5 };
    double x[NIN * B], t[NOUT * B], gx[NIN * B], loss, worst = 0.0;
    double *params;
    const double *grad;
    double saved[(NIN + 1) * NHID + (NHID + 1) * NOUT];
    int64_t n = 0, k;
    int i;
    tsr_nn *net = make_net(TSR_NN_F64, TSR_NN_SQUARED_ERROR, TSR_NN_SIGMOID, 3);
    for (i = 0; i < NIN * B; ++i) x[i] = check_uniform();
    for (i = 0; i < NOUT * B; ++i) t[i] = 0.5 + 0.5 * check_uniform();
    CHECK_STATUS(tsr_nn_backward_f64(net, ref(x, NIN, B), ref(t, NOUT, B), NULL, mut(gx, NIN, B), &loss), TSR_OK);
    CHECK_STATUS(tsr_nn_params_f64(net, &params, &n), TSR_OK);
    CHECK(n == (int64_t)(sizeof saved / sizeof saved[0]));
    memcpy(saved, params, sizeof saved);
    CHECK_STATUS(tsr_nn_gradient_f64(net, &grad, NULL), TSR_OK);
    {
        double g[sizeof saved / sizeof saved[0]];
        memcpy(g, grad, sizeof g);
        /* Central differences through the in-place parameter buffer. */
        for (k = 0; k < n; ++k) {
            const double h = 1e-6;
            double up, down;
            params[k] = saved[k] + h;
            up = loss_of(net, x, t, B);
            params[k] = saved[k] - h;
            down = loss_of(net, x, t, B);
            params[k] = saved[k];
            worst = fmax(worst, fabs((up - down) / (2 * h) - g[k]));
        }
    }
    CHECK(worst < 1e-8);
    worst = 0.0;
    for (k = 0; k < NIN * B; ++k) {
        const double h = 1e-6, keep = x[k];
        double up, down;
        x[k] = keep + h;
        up = loss_of(net, x, t, B);
        x[k] = keep - h;
        down = loss_of(net, x, t, B);
        x[k] = keep;
        worst = fmax(worst, fabs((up - down) / (2 * h) - gx[k]));
    }
    CHECK(worst < 1e-8);
    /* The VJP with upstream (y - t)/B is the same gradient. */
    {
        double y[NOUT * B], up[NOUT * B], gx2[NIN * B], diff = 0.0;
        CHECK_STATUS(tsr_nn_forward_f64(net, ref(x, NIN, B), mut(y, NOUT, B)), TSR_OK);
        for (i = 0; i < NOUT * B; ++i) up[i] = (y[i] - t[i]) / B;
        CHECK_STATUS(tsr_nn_vjp_f64(net, ref(x, NIN, B), ref(up, NOUT, B), mut(gx2, NIN, B)), TSR_OK);
        for (i = 0; i < NIN * B; ++i) diff = fmax(diff, fabs(gx2[i] - gx[i]));
        CHECK(diff < 1e-15);
    }
    tsr_nn_free(net);
}

static void test_optimisers_and_files(void)
{
    static double x[NIN * NSAMP], y1[NOUT * NSAMP], y2[NOUT * NSAMP];
    static uint32_t labels[NSAMP];
    static uint8_t bytes[4096];
    tsr_nn *a = make_net(TSR_NN_F64, TSR_NN_SOFTMAX_CROSS_ENTROPY, TSR_NN_IDENTITY, 11), *b = NULL, *c = NULL;
    tsr_nn_optimiser_options opt;
    tsr_nn_info info;
    int64_t len = 0, nb = 0, sizes[3];
    uint32_t acts[2];
    const double *g;
    double *pa, *pb;
    char path[64];
    int kind, i;
    blobs(x, labels);
    CHECK_STATUS(tsr_nn_save_bytes(a, NULL, 0, &len), TSR_OK);
    CHECK(len > 0 && len <= (int64_t)sizeof bytes);
    CHECK_STATUS(tsr_nn_save_bytes(a, bytes, (int64_t)sizeof bytes, &nb), TSR_OK);
    CHECK(nb == len);
    CHECK_STATUS(tsr_nn_load_bytes(bytes, len, NULL, &b), TSR_OK);
    info.struct_size = sizeof info;
    CHECK_STATUS(tsr_nn_get_info(b, &info), TSR_OK);
    CHECK(info.dtype == TSR_NN_F64 && info.nlayers == 2 && info.inputs == NIN && info.outputs == NOUT &&
          info.loss == TSR_NN_SOFTMAX_CROSS_ENTROPY && info.num_params == (NIN + 1) * NHID + (NHID + 1) * NOUT &&
          info.optimiser == TSR_NN_ADAM && info.max_batch == 256);
    CHECK_STATUS(tsr_nn_layers(b, 2, sizes, acts), TSR_OK);
    CHECK(sizes[0] == NIN && sizes[1] == NHID && sizes[2] == NOUT && acts[0] == TSR_NN_TANH && acts[1] == TSR_NN_IDENTITY);
    /* Every optimiser: a step with the kept gradient equals a step with that gradient passed in,
       bit for bit, and the loss goes down over a few steps. */
    for (kind = TSR_NN_SGD; kind <= TSR_NN_PATH_SGD; ++kind) {
        double l0 = 0.0, l = 0.0;
        int64_t n;
        CHECK_STATUS(tsr_nn_optimiser_options_default(&opt), TSR_OK);
        opt.kind = (uint32_t)kind;
        opt.learning_rate = kind == TSR_NN_ADAM ? 0.01 : 0.1;
        CHECK_STATUS(tsr_nn_set_optimiser(a, &opt), TSR_OK);
        CHECK_STATUS(tsr_nn_set_optimiser(b, &opt), TSR_OK);
        CHECK_STATUS(tsr_nn_params_f64(a, &pa, &n), TSR_OK);
        CHECK_STATUS(tsr_nn_params_f64(b, &pb, NULL), TSR_OK);
        memcpy(pb, pa, (size_t)n * sizeof *pa);
        for (i = 0; i < 20; ++i) {
            CHECK_STATUS(tsr_nn_backward_f64(a, ref(x, NIN, NSAMP), NO_REF, labels, NO_MUT, &l), TSR_OK);
            if (i == 0) l0 = l;
            CHECK_STATUS(tsr_nn_step_f64(a, NULL, 0), TSR_OK);
            CHECK_STATUS(tsr_nn_backward_f64(b, ref(x, NIN, NSAMP), NO_REF, labels, NO_MUT, NULL), TSR_OK);
            CHECK_STATUS(tsr_nn_gradient_f64(b, &g, NULL), TSR_OK);
            if (i % 2 == 0) {
                double copy[(NIN + 1) * NHID + (NHID + 1) * NOUT];
                memcpy(copy, g, sizeof copy);
                CHECK_STATUS(tsr_nn_step_f64(b, copy, n), TSR_OK);
            } else {
                CHECK_STATUS(tsr_nn_step_f64(b, g, n), TSR_OK); /* the kept gradient itself */
            }
        }
        CHECK(memcmp(pa, pb, (size_t)n * sizeof *pa) == 0);
        CHECK(l < l0);
        CHECK_STATUS(tsr_nn_get_info(a, &info), TSR_OK);
        CHECK(info.optimiser == (uint32_t)kind);
    }
    /* Files: save, load, same outputs bit for bit (a name of this process's own: the test
       variants may run at the same time in one directory). */
    sprintf(path, "nn_test_%lx_%lx.bin", (unsigned long)clock(), (unsigned long)(size_t)&path);
    CHECK_STATUS(tsr_nn_save(a, path), TSR_OK);
    CHECK_STATUS(tsr_nn_load(path, NULL, &c), TSR_OK);
    CHECK_STATUS(tsr_nn_forward_f64(a, ref(x, NIN, NSAMP), mut(y1, NOUT, NSAMP)), TSR_OK);
    CHECK_STATUS(tsr_nn_forward_f64(c, ref(x, NIN, NSAMP), mut(y2, NOUT, NSAMP)), TSR_OK);
    CHECK(memcmp(y1, y2, sizeof y1) == 0);
    remove(path);
    tsr_nn_free(a);
    tsr_nn_free(b);
    tsr_nn_free(c);
}

static void test_f32(void)
{
    float x[NIN * 4], y[NOUT * 4], t[NOUT * 4];
    double y64[NOUT * 4];
    float *p;
    int64_t n;
    int i;
    double loss;
    tsr_nn *net = make_net(TSR_NN_F32, TSR_NN_LOGISTIC, TSR_NN_IDENTITY, 5);
    for (i = 0; i < NIN * 4; ++i) x[i] = (float)check_uniform();
    for (i = 0; i < NOUT * 4; ++i) t[i] = (float)(i % 2);
    CHECK_STATUS(tsr_nn_forward_f32(net, tsr_matref_f32_colmajor(x, NIN, 4, NIN), tsr_matmut_f32_colmajor(y, NOUT, 4, NOUT)), TSR_OK);
    CHECK_STATUS(tsr_nn_train_step_f32(net, tsr_matref_f32_colmajor(x, NIN, 4, NIN), tsr_matref_f32_colmajor(t, NOUT, 4, NOUT), NULL, &loss), TSR_OK);
    CHECK(loss > 0.0 && isfinite(loss));
    CHECK_STATUS(tsr_nn_params_f32(net, &p, &n), TSR_OK);
    CHECK(n == (NIN + 1) * NHID + (NHID + 1) * NOUT);
    /* The f64 entry points refuse an f32 network. */
    CHECK_STATUS(tsr_nn_forward_f64(net, ref((const double *)(const void *)x, NIN, 4), mut(y64, NOUT, 4)), TSR_ERR_WRONG_DTYPE);
    CHECK_MESSAGE_SET();
    CHECK(strlen(tsr_nn_last_error_message(net)) > 0);
    tsr_nn_free(net);
}

/* FNV-1a over n bytes, as the parameter file's checksum. */
static unsigned long long fnv1a(const uint8_t *p, size_t n)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    size_t i;
    for (i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static void test_bad_input(void)
{
    static double x[NIN * 8], y[NOUT * 8], t[NOUT * 8];
    static uint8_t bytes[4096], bad[4096];
    uint32_t labels[8] = {0, 1, 2, 0, 1, 2, 0, 1};
    int64_t sizes[3] = {NIN, NHID, NOUT}, len = 0, n;
    uint32_t acts[2] = {TSR_NN_RELU, TSR_NN_IDENTITY};
    tsr_nn_options o;
    tsr_nn_optimiser_options opt;
    tsr_nn *net = make_net(TSR_NN_F64, TSR_NN_SOFTMAX_CROSS_ENTROPY, TSR_NN_IDENTITY, 1), *out = NULL, *sq;
    double *params, before[(NIN + 1) * NHID + (NHID + 1) * NOUT], loss = 42.0;
    int i;
    for (i = 0; i < NIN * 8; ++i) x[i] = check_uniform();
    for (i = 0; i < NOUT * 8; ++i) { y[i] = -7.0; t[i] = 0.0; }
    CHECK_STATUS(tsr_nn_params_f64(net, &params, &n), TSR_OK);
    memcpy(before, params, sizeof before);

    /* Specs. */
    CHECK_STATUS(tsr_nn_new(0, sizes, acts, 0, NULL, &out), TSR_ERR_BAD_EXTENT);
    CHECK_MESSAGE_SET();
    CHECK_STATUS(tsr_nn_new(2, NULL, acts, 0, NULL, &out), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_nn_new(2, sizes, NULL, 0, NULL, &out), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_nn_new(2, sizes, acts, 0, NULL, NULL), TSR_ERR_NULL_POINTER);
    sizes[1] = 0;
    CHECK_STATUS(tsr_nn_new(2, sizes, acts, 0, NULL, &out), TSR_ERR_BAD_EXTENT);
    sizes[1] = -3;
    CHECK_STATUS(tsr_nn_new(2, sizes, acts, 0, NULL, &out), TSR_ERR_BAD_EXTENT);
    sizes[1] = NHID;
    acts[0] = 99;
    CHECK_STATUS(tsr_nn_new(2, sizes, acts, 0, NULL, &out), TSR_ERR_INVALID_ENUM);
    acts[0] = TSR_NN_RELU;
    CHECK_STATUS(tsr_nn_new(2, sizes, acts, 17, NULL, &out), TSR_ERR_INVALID_ENUM);
    CHECK_STATUS(tsr_nn_options_default(&o), TSR_OK);
    o.dtype = 3;
    CHECK_STATUS(tsr_nn_new(2, sizes, acts, 0, &o, &out), TSR_ERR_INVALID_ENUM);
    o.dtype = TSR_NN_F64;
    o.max_batch = 0;
    CHECK_STATUS(tsr_nn_new(2, sizes, acts, 0, &o, &out), TSR_ERR_INVALID_PARAMETER);
    o.max_batch = 8;
    o.struct_size = 4;
    CHECK_STATUS(tsr_nn_new(2, sizes, acts, 0, &o, &out), TSR_ERR_STRUCT_SIZE);
    CHECK(out == NULL);

    /* Passes: nothing written, parameters unchanged. */
    labels[3] = NOUT;
    CHECK_STATUS(tsr_nn_train_step_f64(net, ref(x, NIN, 8), NO_REF, labels, &loss), TSR_ERR_DOMAIN);
    CHECK_MESSAGE_SET();
    labels[3] = 0;
    CHECK_STATUS(tsr_nn_train_step_f64(net, ref(x, NIN, 8), ref(t, NOUT, 8), labels, &loss), TSR_ERR_INVALID_PARAMETER);
    CHECK_STATUS(tsr_nn_train_step_f64(net, ref(x, NIN, 8), NO_REF, NULL, &loss), TSR_ERR_NULL_POINTER);
    x[5] = NAN;
    CHECK_STATUS(tsr_nn_train_step_f64(net, ref(x, NIN, 8), NO_REF, labels, &loss), TSR_ERR_NON_FINITE);
    CHECK_STATUS(tsr_nn_forward_f64(net, ref(x, NIN, 8), mut(y, NOUT, 8)), TSR_ERR_NON_FINITE);
    x[5] = 0.25;
    CHECK_STATUS(tsr_nn_forward_f64(net, ref(x, NIN, 8), mut(y, NOUT, 7)), TSR_ERR_SHAPE_MISMATCH);
    CHECK_STATUS(tsr_nn_forward_f64(net, ref(x, NIN + 1, 8), mut(y, NOUT, 8)), TSR_ERR_SHAPE_MISMATCH);
    CHECK_STATUS(tsr_nn_forward_f64(net, ref(x, NIN, 0), mut(y, NOUT, 0)), TSR_ERR_BAD_EXTENT);
    CHECK_STATUS(tsr_nn_forward_f64(net, ref(x, NIN, -1), mut(y, NOUT, 8)), TSR_ERR_BAD_EXTENT);
    CHECK_STATUS(tsr_nn_forward_f64(net, ref(NULL, NIN, 8), mut(y, NOUT, 8)), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_nn_forward_f64(net, ref(x, NIN, 8), tsr_matmut_f64_colmajor(y, NOUT, 8, 0)), TSR_ERR_BAD_STRIDE);
    CHECK_STATUS(tsr_nn_forward_f64(net, ref(x, NIN, 8), mut(x, NOUT, 8)), TSR_ERR_ALIASING);
    CHECK_STATUS(tsr_nn_forward_f64(net, ref(x, NIN, 8), mut(params, NOUT, 8)), TSR_ERR_ALIASING);
    CHECK_STATUS(tsr_nn_forward_f64(net, ref(x, NIN, 8), mut((double *)(void *)((char *)y + 1), NOUT, 7)), TSR_ERR_MISALIGNED);
    CHECK_STATUS(tsr_nn_backward_f64(net, ref(x, NIN, 8), NO_REF, labels, mut(x, NIN, 8), NULL), TSR_ERR_ALIASING);
    CHECK_STATUS(tsr_nn_backward_f64(net, ref(x, NIN, 8), NO_REF, labels, NO_MUT, &x[3]), TSR_ERR_ALIASING);
    CHECK_STATUS(tsr_nn_step_f64(net, params, n), TSR_ERR_ALIASING);
    {
        const double *kept;
        CHECK_STATUS(tsr_nn_gradient_f64(net, &kept, NULL), TSR_OK);
        CHECK_STATUS(tsr_nn_step_f64(net, kept + 1, n - 1), TSR_ERR_SHAPE_MISMATCH);
        CHECK_STATUS(tsr_nn_step_f64(net, kept + 1, n), TSR_ERR_ALIASING);
        /* Passes write the kept gradient (and a training step the parameters): no input may
           live there. */
        CHECK_STATUS(tsr_nn_backward_f64(net, ref(kept, NIN, 8), NO_REF, labels, NO_MUT, NULL), TSR_ERR_ALIASING);
        CHECK_STATUS(tsr_nn_vjp_f64(net, ref(x, NIN, 8), ref(kept, NOUT, 8), NO_MUT), TSR_ERR_ALIASING);
        CHECK_STATUS(tsr_nn_train_step_f64(net, ref(params, NIN, 8), NO_REF, labels, NULL), TSR_ERR_ALIASING);
        CHECK_STATUS(tsr_nn_backward_f64(net, ref(params, NIN, 8), NO_REF, labels, NO_MUT, NULL), TSR_OK);
    }
    CHECK_STATUS(tsr_nn_step_f64(net, y, 5), TSR_ERR_SHAPE_MISMATCH);
    y[0] = INFINITY;
    {
        double g[(NIN + 1) * NHID + (NHID + 1) * NOUT] = {0};
        g[4] = NAN;
        CHECK_STATUS(tsr_nn_step_f64(net, g, n), TSR_ERR_NON_FINITE);
    }
    y[0] = -7.0;
    CHECK_STATUS(tsr_nn_layer_params_f64(net, 2, NULL, NULL), TSR_ERR_INVALID_PARAMETER);
    CHECK_STATUS(tsr_nn_layers(net, 3, sizes, acts), TSR_ERR_SHAPE_MISMATCH);
    CHECK(loss == 42.0);
    for (i = 0; i < NOUT * 8; ++i) CHECK(y[i] == -7.0);
    CHECK(memcmp(before, params, sizeof before) == 0);
    /* A batch above max_batch (NSAMP). */
    {
        static double big[NIN * (NSAMP + 1)];
        static uint32_t big_labels[NSAMP + 1];
        CHECK_STATUS(tsr_nn_train_step_f64(net, ref(big, NIN, NSAMP + 1), NO_REF, big_labels, NULL), TSR_ERR_BAD_EXTENT);
    }
    /* Targets for a loss that takes values; logistic targets outside [0, 1]. */
    sq = make_net(TSR_NN_F64, TSR_NN_LOGISTIC, TSR_NN_IDENTITY, 2);
    CHECK_STATUS(tsr_nn_train_step_f64(sq, ref(x, NIN, 8), ref(t, NOUT, 8), labels, NULL), TSR_ERR_INVALID_PARAMETER);
    t[2] = 1.5;
    CHECK_STATUS(tsr_nn_train_step_f64(sq, ref(x, NIN, 8), ref(t, NOUT, 8), NULL, NULL), TSR_ERR_DOMAIN);
    t[2] = NAN;
    CHECK_STATUS(tsr_nn_train_step_f64(sq, ref(x, NIN, 8), ref(t, NOUT, 8), NULL, NULL), TSR_ERR_NON_FINITE);
    t[2] = 0.0;
    CHECK_STATUS(tsr_nn_train_step_f64(sq, ref(x, NIN, 8), ref(t, NOUT, 7), NULL, NULL), TSR_ERR_SHAPE_MISMATCH);
    tsr_nn_free(sq);
    /* Optimisers. */
    CHECK_STATUS(tsr_nn_optimiser_options_default(&opt), TSR_OK);
    opt.kind = 9;
    CHECK_STATUS(tsr_nn_set_optimiser(net, &opt), TSR_ERR_INVALID_ENUM);
    opt.kind = TSR_NN_SGD;
    opt.momentum = 1.0;
    CHECK_STATUS(tsr_nn_set_optimiser(net, &opt), TSR_ERR_INVALID_PARAMETER);
    opt.kind = TSR_NN_PATH_SGD;
    opt.path_p = 0.5;
    CHECK_STATUS(tsr_nn_set_optimiser(net, &opt), TSR_ERR_INVALID_PARAMETER);
    opt.kind = TSR_NN_ADAM;
    opt.path_p = 2.0;
    opt.learning_rate = -1.0;
    CHECK_STATUS(tsr_nn_set_optimiser(net, &opt), TSR_ERR_INVALID_PARAMETER);
    opt.struct_size = 0;
    CHECK_STATUS(tsr_nn_set_optimiser(net, &opt), TSR_ERR_STRUCT_SIZE);
    CHECK(strlen(tsr_nn_last_error_message(net)) > 0);
    /* A non-finite parameter written in place (the last bias) is caught by the next pass. */
    params[n - 1] = NAN;
    CHECK_STATUS(tsr_nn_forward_f64(net, ref(x, NIN, 8), mut(y, NOUT, 8)), TSR_ERR_NON_FINITE);
    for (i = 0; i < NOUT * 8; ++i) CHECK(y[i] == -7.0);
    params[n - 1] = before[n - 1];
    /* So is one whose effect the activation hides (tanh(-inf) = -1 for either sign of the
       input: the outputs stay finite), by every call that reads the parameters. */
    params[0] = -INFINITY;
    CHECK_STATUS(tsr_nn_forward_f64(net, ref(x, NIN, 8), mut(y, NOUT, 8)), TSR_ERR_NON_FINITE);
    CHECK_MESSAGE_SET();
    CHECK_STATUS(tsr_nn_train_step_f64(net, ref(x, NIN, 8), NO_REF, labels, &loss), TSR_ERR_NON_FINITE);
    CHECK_STATUS(tsr_nn_step_f64(net, NULL, 0), TSR_ERR_NON_FINITE);
    CHECK_STATUS(tsr_nn_save_bytes(net, bytes, (int64_t)sizeof bytes, &len), TSR_ERR_NON_FINITE);
    CHECK(loss == 42.0);
    for (i = 0; i < NOUT * 8; ++i) CHECK(y[i] == -7.0);
    CHECK(params[0] == -INFINITY && memcmp(before + 1, params + 1, sizeof before - sizeof before[0]) == 0);
    params[0] = before[0];
    /* Handles. */
    CHECK_STATUS(tsr_nn_forward_f64(NULL, ref(x, NIN, 8), mut(y, NOUT, 8)), TSR_ERR_NULL_POINTER);
    {
        unsigned long long fake[16] = {0};
        CHECK_STATUS(tsr_nn_forward_f64((tsr_nn *)(void *)fake, ref(x, NIN, 8), mut(y, NOUT, 8)), TSR_ERR_INVALID_HANDLE);
    }
    tsr_nn_free(NULL);

    /* Parameter files: truncated, corrupted, foreign, non-chaining, missing. */
    CHECK_STATUS(tsr_nn_save_bytes(net, bytes, (int64_t)sizeof bytes, &len), TSR_OK);
    CHECK_STATUS(tsr_nn_save_bytes(net, bytes, 10, &len), TSR_ERR_BAD_EXTENT);
    CHECK_STATUS(tsr_nn_save_bytes(net, bytes, -1, &len), TSR_ERR_BAD_EXTENT);
    for (i = 0; i < len; i += 7) {
        CHECK_STATUS(tsr_nn_load_bytes(bytes, i, NULL, &out), TSR_ERR_BAD_DATA);
    }
    for (i = 0; i < len; i += 5) {
        memcpy(bad, bytes, (size_t)len);
        bad[i] ^= 0x10;
        {
            tsr_status s = tsr_nn_load_bytes(bad, len, NULL, &out);
            if (s != TSR_ERR_BAD_DATA) fprintf(stderr, "byte %d: %s %s\n", i, tsr_status_str(s), tsr_last_error_message());
            CHECK(s == TSR_ERR_BAD_DATA);
        }
    }
    memcpy(bad, bytes, (size_t)len);
    bad[len] = 0;
    CHECK_STATUS(tsr_nn_load_bytes(bad, len + 1, NULL, &out), TSR_ERR_BAD_DATA);
    /* Layer 1 takes 7 inputs while layer 0 has 8 outputs, with a valid checksum. */
    memcpy(bad, bytes, (size_t)len);
    bad[24 + 24] = 7;
    {
        unsigned long long h = fnv1a(bad, (size_t)len - 8);
        for (i = 0; i < 8; ++i) bad[len - 8 + i] = (uint8_t)(h >> (8 * i));
    }
    CHECK_STATUS(tsr_nn_load_bytes(bad, len, NULL, &out), TSR_ERR_SHAPE_MISMATCH);
    CHECK_MESSAGE_SET();
    CHECK_STATUS(tsr_nn_load_bytes(NULL, len, NULL, &out), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_nn_load("/nonexistent/dir/params.bin", NULL, &out), TSR_ERR_IO);
    CHECK_STATUS(tsr_nn_load(NULL, NULL, &out), TSR_ERR_NULL_POINTER);
    CHECK_STATUS(tsr_nn_save(net, "/nonexistent/dir/params.bin"), TSR_ERR_IO);
    CHECK(out == NULL);
    tsr_nn_free(net);
}

int main(void)
{
    test_training_and_forward();
    test_gradients();
    test_optimisers_and_files();
    test_f32();
    test_bad_input();
    return check_report("nn");
}
