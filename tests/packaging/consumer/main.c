/* An out-of-tree program using an installed Tessera: prints the version and adds two points
   of the Poincaré ball. Exit status 0 when the result matches the closed formula. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <tessera.h>

int main(void)
{
    const double x[2] = {0.3, -0.2}, y[2] = {0.1, 0.4};
    double out[2] = {0.0, 0.0};
    double xy = x[0] * y[0] + x[1] * y[1], xx = x[0] * x[0] + x[1] * x[1], yy = y[0] * y[0] + y[1] * y[1];
    double den = 1 + 2 * xy + xx * yy;
    double want0 = ((1 + 2 * xy + yy) * x[0] + (1 - xx) * y[0]) / den;
    double want1 = ((1 + 2 * xy + yy) * x[1] + (1 - xx) * y[1]) / den;
    tsr_poincare *ball = NULL;
    tsr_status st;
    char compiled[32];

    sprintf(compiled, "%d.%d.%d", TSR_VERSION_MAJOR, TSR_VERSION_MINOR, TSR_VERSION_PATCH);
    printf("tessera %s (header %s, code %u)\n", tsr_version_string(), compiled, (unsigned)tsr_version());
    if (tsr_version() != (uint32_t)TSR_VERSION || strcmp(compiled, tsr_version_string()) != 0) {
        fprintf(stderr, "header and library versions differ\n");
        return 1;
    }
    st = tsr_poincare_new(1.0, NULL, &ball);
    if (st != TSR_OK) {
        fprintf(stderr, "tsr_poincare_new: %s: %s\n", tsr_status_str(st), tsr_last_error_message());
        return 1;
    }
    st = tsr_poincare_mobius_add_f64(ball, tsr_matref_f64_rowmajor(x, 1, 2, 2), tsr_matref_f64_rowmajor(y, 1, 2, 2),
                                     tsr_matmut_f64_rowmajor(out, 1, 2, 2));
    tsr_poincare_free(ball);
    if (st != TSR_OK) {
        fprintf(stderr, "mobius_add: %s: %s\n", tsr_status_str(st), tsr_last_error_message());
        return 1;
    }
    printf("x + y = (%.15f, %.15f)\n", out[0], out[1]);
    if (fabs(out[0] - want0) > 1e-14 || fabs(out[1] - want1) > 1e-14) {
        fprintf(stderr, "expected (%.15f, %.15f)\n", want0, want1);
        return 1;
    }
    return 0;
}
