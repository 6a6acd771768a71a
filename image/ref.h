#pragma once
/*
 * Image references, normalised as Docker does:
 *   busybox                      -> docker.io/library/busybox:latest
 *   user/app:1.2                 -> docker.io/user/app:1.2
 *   127.0.0.1:5000/app@sha256:…  -> registry 127.0.0.1:5000, repository app, digest
 *   host/app:tag@sha256:…        -> both kept; the digest decides what is pulled
 *   oci:/path/to/layout[:tag]    -> a local OCI image layout directory (tag default "latest")
 */
#include "base/err.h"

enum image_ref_kind { IMAGE_REF_REGISTRY, IMAGE_REF_OCI_LAYOUT };

struct image_ref {
    enum image_ref_kind kind;
    char *registry;   /* "docker.io", "127.0.0.1:5000"; NULL for OCI layouts */
    char *repository; /* "library/busybox"; the layout path for OCI layouts */
    char *tag;        /* "latest" when neither tag nor digest was given; may be NULL */
    char *digest;     /* "sha256:<64 hex>" or NULL */
    char *canonical;  /* the full normalised form, used as the image record key */
};

/* Parse s. On failure returns -EINVAL with err saying what is wrong
 * ("invalid reference 'Foo': repository name must be lowercase"). */
int image_ref_parse(const char *s, struct image_ref *out, struct tk_err *err);
void image_ref_free(struct image_ref *ref);

/* Is s a well-formed digest "sha256:<64 lowercase hex>" (other algorithms rejected)? */
int image_digest_valid(const char *s);
