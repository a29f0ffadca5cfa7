/*
 * subcmd.c - see subcmd.h.
 */
#include "subcmd.h"

#include <stdio.h>
#include <unistd.h>

int subcmd_config(struct config *cfg, const char *file, const char *const *sets, int nsets,
		  const char *prog)
{
	struct verr e = { "" };
	config_init(cfg);
	if (!file && access("/etc/vigil/vigil.yaml", R_OK) == 0)
		file = "/etc/vigil/vigil.yaml";
	if (file && config_load_file(cfg, file, &e) < 0) {
		fprintf(stderr, "%s: %s\n", prog, e.msg);
		config_fini(cfg);
		return 2;
	}
	for (int i = 0; i < nsets; i++)
		if (config_set(cfg, sets[i], &e) < 0) {
			fprintf(stderr, "%s: %s\n", prog, e.msg);
			config_fini(cfg);
			return 2;
		}
	return 0;
}

const char *subcmd_path(const struct config *cfg, const char *log_dir, const char *path, char *buf,
			size_t cap)
{
	if (path[0] == '/')
		snprintf(buf, cap, "%s", path);
	else
		snprintf(buf, cap, "%s/%s", log_dir ? log_dir : cfg->log_dir, path);
	return buf;
}
