/*
 * subcmd.h - what the reader subcommands (vigil notify, vigil store,
 * vigil web) share: their common options (-c, -l, --eve, --set), their
 * configuration (-c, default /etc/vigil/vigil.yaml when it exists, then
 * --set and -l), the paths they derive from it, and stopping on SIGTERM
 * or SIGINT.
 */
#ifndef VIGIL_SUBCMD_H
#define VIGIL_SUBCMD_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* The common options, first in each subcommand's getopt_long table (each
 * handles 'h' with its own usage). */
#define SUBCMD_OPTIONS                                                                  \
	{ "config", required_argument, NULL, 'c' }, { "log-dir", required_argument, NULL, 'l' }, \
	{ "eve", required_argument, NULL, 'e' }, { "set", required_argument, NULL, 'S' },        \
	{ "help", no_argument, NULL, 'h' }
#define SUBCMD_SHORT "c:l:h"

struct subcmd {
	const char *prog;          /* "vigil notify", for messages */
	const char *cfg_file, *log_dir, *eve;
	const char *sets[32];
	int nsets;
};

/* Takes getopt_long's o (with optarg) if it is a common option. */
bool subcmd_option(struct subcmd *s, int o, const char *arg);
/* Loads the configuration; 0, or 2 after printing the error. */
int subcmd_config(struct config *cfg, const struct subcmd *s);
/* path if absolute, else default-log-dir / path. */
const char *subcmd_path(const struct config *cfg, const char *path, char *buf, size_t cap);
/* --eve as given, else default-log-dir / outputs.eve.filename. */
const char *subcmd_eve(const struct config *cfg, const struct subcmd *s, char *buf, size_t cap);

/* Set by SIGTERM and SIGINT once subcmd_catch_stop has run. */
extern volatile sig_atomic_t subcmd_stop;
void subcmd_catch_stop(void);

#endif
