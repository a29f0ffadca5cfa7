/*
 * subcmd.h - what the reader subcommands (vigil notify, vigil store)
 * share: their configuration (-c, default /etc/vigil/vigil.yaml when it
 * exists, then --set) and the paths they derive from it.
 */
#ifndef VIGIL_SUBCMD_H
#define VIGIL_SUBCMD_H

#include <stddef.h>

#include "config.h"

/* Loads file (or the installed configuration) and the KEY=VALUE sets over
 * the defaults; 0, or 2 after printing the error prefixed with prog. */
int subcmd_config(struct config *cfg, const char *file, const char *const *sets, int nsets,
		  const char *prog);
/* path if absolute, else default-log-dir (or log_dir if not NULL) / path. */
const char *subcmd_path(const struct config *cfg, const char *log_dir, const char *path, char *buf,
			size_t cap);

#endif
