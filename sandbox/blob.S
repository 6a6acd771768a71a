/* A static program (BLOB_BIN, built by the Makefile) as bytes inside tank, between the
 * symbols BLOB_SYM and BLOB_SYM_end: the monitor and the exec helper (sandbox/blob.h). */
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
    .section .rodata
    .balign 16
    .global BLOB_SYM
    .global CAT(BLOB_SYM, _end)
BLOB_SYM:
    .incbin BLOB_BIN
CAT(BLOB_SYM, _end):
    .section .note.GNU-stack,"",@progbits
