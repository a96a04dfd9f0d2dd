/* Concurrency: 8 threads call Möbius addition at the same time on the same inputs, each on
   its own ball with num_threads = 2 (a handle is used by one thread at a time, docs/abi.md;
   all 8 calls then share the library's one pool of 2 threads). Every result must equal, bit
   for bit, the result of a single-threaded ball (num_threads = 1). */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include <pthread.h>

#define NPTS 100000
#define DIM 16
#define NTHREADS 8

static double *xs, *ys, *reference;
struct job {
    tsr_poincare *ball;
    double *out;
    tsr_status status;
};

static void *worker(void *arg)
{
    struct job *job = (struct job *)arg;
    job->status = tsr_poincare_mobius_add_f64(job->ball, tsr_matref_f64_rowmajor(xs, NPTS, DIM, DIM),
                                              tsr_matref_f64_rowmajor(ys, NPTS, DIM, DIM),
                                              tsr_matmut_f64_rowmajor(job->out, NPTS, DIM, DIM));
    return NULL;
}

int main(void)
{
    tsr_poincare *seq = NULL;
    tsr_poincare_options opts;
    pthread_t threads[NTHREADS];
    struct job jobs[NTHREADS];
    size_t bytes = (size_t)NPTS * DIM * sizeof(double);
    int i;

    xs = malloc(bytes);
    ys = malloc(bytes);
    reference = malloc(bytes);
    CHECK(xs != NULL && ys != NULL && reference != NULL);
    if (xs == NULL || ys == NULL || reference == NULL) return check_report("threads");
    for (i = 0; i < NPTS; ++i) {
        check_random_point(&xs[(size_t)i * DIM], DIM, 0.95);
        check_random_point(&ys[(size_t)i * DIM], DIM, 0.95);
    }

    CHECK_STATUS(tsr_poincare_options_default(&opts), TSR_OK);
    opts.num_threads = 1;
    CHECK_STATUS(tsr_poincare_new(1.0, &opts, &seq), TSR_OK);
    if (seq == NULL) return check_report("threads");

    CHECK_STATUS(tsr_poincare_mobius_add_f64(seq, tsr_matref_f64_rowmajor(xs, NPTS, DIM, DIM),
                                             tsr_matref_f64_rowmajor(ys, NPTS, DIM, DIM),
                                             tsr_matmut_f64_rowmajor(reference, NPTS, DIM, DIM)), TSR_OK);

    opts.num_threads = 2;
    for (i = 0; i < NTHREADS; ++i) {
        jobs[i].ball = NULL;
        CHECK_STATUS(tsr_poincare_new(1.0, &opts, &jobs[i].ball), TSR_OK);
        jobs[i].out = malloc(bytes);
        jobs[i].status = 12345;
        CHECK(jobs[i].out != NULL);
        if (jobs[i].out == NULL || jobs[i].ball == NULL) return check_report("threads");
        memset(jobs[i].out, 0, bytes);
        CHECK(pthread_create(&threads[i], NULL, worker, &jobs[i]) == 0);
    }
    for (i = 0; i < NTHREADS; ++i) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK_STATUS(jobs[i].status, TSR_OK);
        CHECK(memcmp(jobs[i].out, reference, bytes) == 0);
        free(jobs[i].out);
        tsr_poincare_free(jobs[i].ball);
    }

    tsr_poincare_free(seq);
    free(xs);
    free(ys);
    free(reference);
    return check_report("threads");
}
