/*
 * kinship's entry point. The command line lives in src/cli/: the command
 * table (commands.c), its dispatcher (cli.c) and the commands' handlers.
 */
#include "cli/cli.h"
#include "core/secret.h"

int main(int argc, char **argv)
{
    secret_init();
    return cli_main(argc, argv);
}
