/* Version, status names, options defaults and the global thread count. */
#include "check.h"

int main(void)
{
    char expected[64];
    tsr_status code;
    int named = 0;
    tsr_poincare_options opts;

    /* Version: header macros == tsr_version() == tsr_version_string(). */
    CHECK(TSR_VERSION == TSR_VERSION_MAJOR * 1000000 + TSR_VERSION_MINOR * 1000 + TSR_VERSION_PATCH);
    CHECK(tsr_version() == (uint32_t)TSR_VERSION);
    sprintf(expected, "%d.%d.%d", TSR_VERSION_MAJOR, TSR_VERSION_MINOR, TSR_VERSION_PATCH);
    CHECK(tsr_version_string() != NULL);
    CHECK(strcmp(tsr_version_string(), expected) == 0);

    /* Every defined status code has its own name; unknown codes say so. */
    {
        static const struct { tsr_status code; const char *name; } all[] = {
            {TSR_OK, "TSR_OK"},
            {TSR_ERR_NULL_POINTER, "TSR_ERR_NULL_POINTER"},
            {TSR_ERR_MISALIGNED, "TSR_ERR_MISALIGNED"},
            {TSR_ERR_BAD_EXTENT, "TSR_ERR_BAD_EXTENT"},
            {TSR_ERR_BAD_STRIDE, "TSR_ERR_BAD_STRIDE"},
            {TSR_ERR_SHAPE_MISMATCH, "TSR_ERR_SHAPE_MISMATCH"},
            {TSR_ERR_ALIASING, "TSR_ERR_ALIASING"},
            {TSR_ERR_NON_FINITE, "TSR_ERR_NON_FINITE"},
            {TSR_ERR_DOMAIN, "TSR_ERR_DOMAIN"},
            {TSR_ERR_INVALID_PARAMETER, "TSR_ERR_INVALID_PARAMETER"},
            {TSR_ERR_INVALID_ENUM, "TSR_ERR_INVALID_ENUM"},
            {TSR_ERR_STRUCT_SIZE, "TSR_ERR_STRUCT_SIZE"},
            {TSR_ERR_INVALID_HANDLE, "TSR_ERR_INVALID_HANDLE"},
            {TSR_ERR_BAD_DATA, "TSR_ERR_BAD_DATA"},
            {TSR_ERR_WRONG_DTYPE, "TSR_ERR_WRONG_DTYPE"},
            {TSR_ERR_NOT_CONVERGED, "TSR_ERR_NOT_CONVERGED"},
            {TSR_ERR_CANCELLED, "TSR_ERR_CANCELLED"},
            {TSR_ERR_OUT_OF_MEMORY, "TSR_ERR_OUT_OF_MEMORY"},
            {TSR_ERR_THREADS, "TSR_ERR_THREADS"},
            {TSR_ERR_IO, "TSR_ERR_IO"},
            {TSR_ERR_INTERNAL, "TSR_ERR_INTERNAL"},
        };
        size_t i;
        for (i = 0; i < sizeof all / sizeof all[0]; ++i) {
            const char *s = tsr_status_str(all[i].code);
            CHECK(s != NULL);
            if (s != NULL && strcmp(s, all[i].name) != 0) {
                fprintf(stderr, "tsr_status_str(%u) = %s, expected %s\n", (unsigned)all[i].code, s, all[i].name);
                CHECK(0);
            }
        }
        /* Scan the whole numbering space in use: every code that has a name has a distinct,
           well-formed one, and the count matches the list above. */
        for (code = 0; code < 1000; ++code) {
            const char *s = tsr_status_str(code);
            CHECK(s != NULL);
            if (strcmp(s, "TSR_ERR_UNKNOWN") != 0) {
                ++named;
                CHECK(strncmp(s, "TSR_", 4) == 0);
            }
        }
        CHECK(named == (int)(sizeof all / sizeof all[0]));
        CHECK(strcmp(tsr_status_str(99), "TSR_ERR_UNKNOWN") == 0);
        CHECK(strcmp(tsr_status_str(0xFFFFFFFFu), "TSR_ERR_UNKNOWN") == 0);
    }

    /* Options defaults. */
    memset(&opts, 0xAB, sizeof opts);
    CHECK_STATUS(tsr_poincare_options_default(&opts), TSR_OK);
    CHECK(opts.struct_size == sizeof opts);
    CHECK(opts.num_threads == 0);
    CHECK(tsr_last_error_message() != NULL && tsr_last_error_message()[0] == '\0');

    /* Global thread count: explicit, then back to automatic (>= 1). */
    CHECK_STATUS(tsr_set_num_threads(3), TSR_OK);
    CHECK(tsr_get_num_threads() == 3);
    CHECK_STATUS(tsr_set_num_threads(0), TSR_OK);
    CHECK(tsr_get_num_threads() >= 1);

    /* A handle round trip, and freeing NULL. */
    {
        tsr_poincare *ball = NULL;
        CHECK_STATUS(tsr_poincare_new(0.5, &opts, &ball), TSR_OK);
        CHECK(ball != NULL);
        CHECK(tsr_poincare_c(ball) == 0.5);
        CHECK(strcmp(tsr_poincare_last_error_message(ball), "") == 0);
        tsr_poincare_free(ball);
        CHECK_STATUS(tsr_poincare_new(2.0, NULL, &ball), TSR_OK);
        CHECK(tsr_poincare_c(ball) == 2.0);
        tsr_poincare_free(ball);
        tsr_poincare_free(NULL);
        CHECK(tsr_poincare_c(NULL) != tsr_poincare_c(NULL)); /* NaN */
    }

    return check_report("basics");
}
