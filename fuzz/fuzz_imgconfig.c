/* Image configs and user resolution: the input is CONFIG-JSON \0 PASSWD \0 GROUP. The config
 * goes through img_config_parse(); its User (or, when absent, the first line of PASSWD
 * read as a user spec) is resolved against the PASSWD and GROUP texts, and its StopSignal
 * parsed, as a container start would. */
#include "fuzz/fuzz.h"

#include "image/internal.h"
#include "image/user.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = memchr(data, 0, size);
    size_t jlen = p ? (size_t)(p - data) : size;
    const char *json = (const char *)data;
    data += p ? jlen + 1 : jlen;
    size -= p ? jlen + 1 : jlen;
    char *passwd = fuzz_take(&data, &size, 0);
    char *group = fuzz_take(&data, &size, 0);

    struct image_config cfg;
    char **diff_ids = NULL;
    size_t n_ids = 0;
    struct tk_err err = {0};
    if (img_config_parse(json, jlen, &cfg, &diff_ids, &n_ids, &err) == 0) {
        if (img_strv_len(diff_ids) != n_ids)
            abort();
        if (cfg.stop_signal)
            image_parse_signal(cfg.stop_signal);
        struct image_user u = {0};
        const char *spec = cfg.user;
        char *line = NULL;
        if (!spec) {
            line = strndup(passwd, strcspn(passwd, "\n"));
            spec = line;
        }
        if (image_user_resolve(spec, passwd, group, &u, &err) == 0) {
            for (size_t i = 1; i < u.n_groups; i++)
                if (u.groups[i - 1] > u.groups[i])
                    abort(); /* documented as sorted */
        }
        image_user_free(&u);
        free(line);
        img_config_free(&cfg);
        img_strv_free(diff_ids);
    }
    free(passwd);
    free(group);
    return 0;
}
