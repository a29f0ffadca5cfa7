/*
 * cli.h - the command line's one option table (options.def) and what is
 * generated from it: getopt's tables, --help, the vigil(8) man page and
 * --version's build information.
 */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include <getopt.h>
#include <stdio.h>

enum cli_opt {
#define X(id, sc, ln, arg, help) CLI_##id,
#include "options.def"
#undef X
	CLI_MAX
};

struct cli_row {
	int id;            /* enum cli_opt */
	char sc;           /* short letter, or 0 */
	const char *ln;    /* long name, or NULL */
	const char *arg;   /* argument name, or NULL for none */
	const char *help;
};

extern const struct cli_row cli_rows[CLI_MAX];

/* Fills getopt_long's short string (cap >= 3 * CLI_MAX + 1) and option
 * array (CLI_MAX + 1 entries, zero-terminated).  A long option returns
 * its short letter if it has one, else 256 + its id. */
void cli_getopt_tables(char *shortopts, struct option *longopts);

/* getopt_long's return value -> enum cli_opt, or -1 for '?' and unknowns. */
int cli_lookup(int c);

void cli_usage(FILE *f);
void cli_man(FILE *f);
void cli_version(FILE *f);

#endif
