/* Value checks shared by the validator and other parts: names, capabilities,
 * and the enum string tables. */
#include "spec/spec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "base/capability.h"
#include "base/cleanup.h"
#include "base/netaddr.h"
#include "base/parse.h"
#include "spec/spec-int.h"

const char *spec_dns_policy_to_string(enum spec_dns_policy p)
{
    static const char *const names[] = {"ClusterFirst", "ClusterFirstWithHostNet", "Default",
                                        "None"};
    return (unsigned)p < TK_ARRAY_SIZE(names) ? names[p] : "?";
}

const char *spec_rro_to_string(enum spec_rro r)
{
    static const char *const names[] = {"Disabled", "IfPossible", "Enabled"};
    return (unsigned)r < TK_ARRAY_SIZE(names) ? names[r] : "?";
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool spec_is_dns1123_subdomain(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len > 253)
        return false;
    const char *p = s;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        char label[64];
        if (l == 0 || l > 63)
            return false;
        memcpy(label, p, l);
        label[l] = '\0';
        if (!tk_is_dns_label(label))
            return false;
        if (!dot)
            return true;
        p = dot + 1;
    }
}

bool spec_is_env_name(const char *s)
{
    if (!s || !*s)
        return false;
    if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    for (const char *p = s; *p; p++)
        if (!is_alnum(*p) && *p != '_' && *p != '.' && *p != '-')
            return false;
    return true;
}

bool spec_is_label_value(const char *s)
{
    size_t len = strlen(s);
    if (len == 0)
        return true;
    if (len > 63 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

bool spec_is_label_key(const char *s)
{
    const char *slash = strrchr(s, '/');
    if (slash) {
        size_t pl = (size_t)(slash - s);
        char prefix[254];
        if (pl == 0 || pl > 253)
            return false;
        memcpy(prefix, s, pl);
        prefix[pl] = '\0';
        if (!spec_is_dns1123_subdomain(prefix))
            return false;
        s = slash + 1;
    }
    return *s && spec_is_label_value(s);
}

bool spec_is_port_name(const char *s)
{
    size_t len = strlen(s);
    bool letter = false;
    if (len == 0 || len > 15 || s[0] == '-' || s[len - 1] == '-' || strstr(s, "--"))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
        letter |= s[i] >= 'a' && s[i] <= 'z';
    }
    return letter;
}

const char *spec_capability_canonical(const char *name)
{
    return tk_cap_name(tk_cap_from_name(name));
}

bool spec_is_metadata_key_ref(const char *s)
{
    const char *rest = !strncmp(s, "metadata.labels['", 17)        ? s + 17
                       : !strncmp(s, "metadata.annotations['", 22) ? s + 22
                                                                   : NULL;
    size_t l = rest ? strlen(rest) : 0;
    return rest && l > 2 && !strcmp(rest + l - 2, "']");
}
