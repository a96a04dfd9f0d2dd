/* A panic inside the library becomes TSR_ERR_INTERNAL with a message, prints nothing, and
   the process (and the library) carry on. Uses the test hook tsr_debug_force_panic, on the
   calling thread and on a thread of the library's pool. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include <stdio.h>
#include <unistd.h>

/* Runs tsr_debug_force_panic(on_worker) with stderr sent to a temporary file, and returns the
   number of bytes the library wrote there. */
static long silent_panic(int32_t on_worker, tsr_status *status)
{
    FILE *tmp = tmpfile();
    int saved;
    long written;
    if (tmp == NULL) return -1;
    fflush(stderr);
    saved = dup(STDERR_FILENO);
    dup2(fileno(tmp), STDERR_FILENO);
    *status = tsr_debug_force_panic(on_worker);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fseek(tmp, 0, SEEK_END);
    written = ftell(tmp);
    fclose(tmp);
    return written;
}

int main(void)
{
    int32_t on_worker;
    int round;
    for (round = 0; round < 3; ++round) {
        for (on_worker = 0; on_worker <= 1; ++on_worker) {
            tsr_status status = TSR_OK;
            long printed = silent_panic(on_worker, &status);
            CHECK_STATUS(status, TSR_ERR_INTERNAL);
            CHECK_MESSAGE_SET();
            CHECK(printed == 0);
            if (printed != 0) fprintf(stderr, "the library printed %ld bytes on a caught panic\n", printed);
        }
    }
    printf("panic message: %s\n", tsr_last_error_message());
    /* The library still works afterwards. */
    {
        double x[2] = {0.1, 0.2}, y[2] = {-0.3, 0.05}, out[2] = {0, 0};
        tsr_poincare *ball = NULL;
        CHECK_STATUS(tsr_poincare_new(1.0, NULL, &ball), TSR_OK);
        CHECK_STATUS(tsr_poincare_mobius_add_f64(ball, tsr_matref_f64_rowmajor(x, 1, 2, 2), tsr_matref_f64_rowmajor(y, 1, 2, 2),
                                                 tsr_matmut_f64_rowmajor(out, 1, 2, 2)), TSR_OK);
        CHECK(tsr_last_error_message()[0] == '\0');
        CHECK(out[0] != 0.0);
        tsr_poincare_free(ball);
    }
    return check_report("panic");
}
