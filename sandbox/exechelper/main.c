/* The exec helper as a small static program, embedded into tank (sandbox/blob.S) and run
 * from a sealed memfd by sandbox_container_exec(). See sandbox/exec_helper.c. */
#include "sandbox/exec-int.h"

int main(int argc, char **argv)
{
    return sandbox_exec_helper_main(argc, argv);
}
