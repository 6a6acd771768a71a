/* The static monitor program (built from sandbox/monitor/main.c) as bytes inside tank. */
    .section .rodata
    .balign 16
    .global sandbox_monitor_blob
    .global sandbox_monitor_blob_end
sandbox_monitor_blob:
    .incbin MONITOR_BIN
sandbox_monitor_blob_end:
    .section .note.GNU-stack,"",@progbits
