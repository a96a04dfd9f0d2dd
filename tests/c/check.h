/* Minimal checking helpers shared by the C tests (C99, no dependencies). */
#ifndef TESSERA_TEST_CHECK_H
#define TESSERA_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "tessera.h"

static int check_failures = 0;
static int check_count = 0;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        ++check_count;                                                               \
        if (!(cond)) {                                                               \
            ++check_failures;                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

/* Checks a status against the expected one, printing both names and the message. */
#define CHECK_STATUS(expr, want)                                                          \
    do {                                                                                  \
        tsr_status got_ = (expr);                                                         \
        ++check_count;                                                                    \
        if (got_ != (tsr_status)(want)) {                                                 \
            ++check_failures;                                                             \
            fprintf(stderr, "%s:%d: %s\n  returned %s (%u), expected %s; message: %s\n",  \
                    __FILE__, __LINE__, #expr, tsr_status_str(got_), (unsigned)got_,      \
                    tsr_status_str((tsr_status)(want)), tsr_last_error_message());        \
        }                                                                                 \
    } while (0)

/* A failing call must leave a non-empty thread-local message. */
#define CHECK_MESSAGE_SET()                                                             \
    do {                                                                                \
        const char *m_ = tsr_last_error_message();                                      \
        ++check_count;                                                                  \
        if (m_ == NULL || m_[0] == '\0') {                                              \
            ++check_failures;                                                           \
            fprintf(stderr, "%s:%d: tsr_last_error_message() is empty\n", __FILE__, __LINE__); \
        }                                                                               \
    } while (0)

/* Prints the tally and gives the exit status of the test program. */
static inline int check_report(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_count - check_failures, check_failures);
    return check_failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Deterministic uniform numbers in [-1, 1) (splitmix64). */
static unsigned long long check_rng_state = 0x243f6a8885a308d3ULL;
static inline double check_uniform(void)
{
    unsigned long long z = (check_rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

/* Fills row `i` of an n x d row-major array with a point of norm < max_norm. */
static inline void check_random_point(double *row, int d, double max_norm)
{
    double s = 0.0;
    int j;
    for (j = 0; j < d; ++j) {
        row[j] = check_uniform();
        s += row[j] * row[j];
    }
    if (s > 0.0) {
        double r = max_norm * (0.5 + 0.5 * (check_uniform() + 1.0) / 2.0) / sqrt(s);
        for (j = 0; j < d; ++j) row[j] *= r;
    }
}

#endif
