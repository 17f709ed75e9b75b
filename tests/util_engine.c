/*
 * util_engine.c - the one test helper that reaches inside the library
 * (the overlapped engine), kept apart so that util.c also serves the
 * tests linked with the shared library (test_layered).
 */
#include "util.h"

#include <stdio.h>

#include "engine/engine.h"

int ws2t_engine_or_skip(void)
{
    if (ws2__engine_start() != 0) {
        printf("SKIP: no overlapped engine could start\n");
        return 77;
    }
    printf("# engine: %s\n", ws2__engine_name());
    return 0;
}
