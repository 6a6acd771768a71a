#pragma once
/*
 * The small static programs embedded in tank (sandbox/blob.S): the per-container monitor
 * (sandbox/monitor) and the exec helper (sandbox/exechelper). Each runs from a sealed memfd,
 * so that it costs a few hundred KiB and an execve instead of a copy of its caller.
 */
enum sandbox_blob { SANDBOX_BLOB_MONITOR, SANDBOX_BLOB_EXEC_HELPER, SANDBOX_BLOB_N };

/* A sealed, close-on-exec memfd holding the program, made once per process and kept (for
 * fexecve). -1 when it cannot be made (the caller then forks and runs the code itself). */
int sandbox_blob_memfd(enum sandbox_blob which);
