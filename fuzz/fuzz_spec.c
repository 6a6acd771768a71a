/* The manifest parser and validator: arbitrary bytes as one manifest file (YAML or JSON,
 * several documents). Every valid pod (hashed while parsed) is also copied and freed. */
#include "fuzz/fuzz.h"

#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct spec_set set;
    spec_set_init(&set);
    spec_parse_buffer(&set, "fuzz.yaml", (const char *)data, size);
    for (size_t i = 0; i < set.n_pods; i++) {
        struct spec_pod *dup = spec_pod_dup(set.pods[i]);
        spec_pod_free(dup);
    }
    char msg[512];
    for (size_t i = 0; i < set.n_errors; i++)
        spec_error_format(&set.errors[i], msg, sizeof(msg));
    spec_set_free(&set);
    return 0;
}
