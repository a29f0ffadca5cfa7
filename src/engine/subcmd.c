/*
 * subcmd.c - see subcmd.h.
 */
#include "subcmd.h"

#include <stdio.h>
#include <unistd.h>

volatile sig_atomic_t subcmd_stop;

static void on_stop(int sig)
{
	(void)sig;
	subcmd_stop = 1;
}

void subcmd_catch_stop(void)
{
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
}

bool subcmd_option(struct subcmd *s, int o, const char *arg)
{
	switch (o) {
	case 'c': s->cfg_file = arg; return true;
	case 'l': s->log_dir = arg; return true;
	case 'e': s->eve = arg; return true;
	case 'S':
		if (s->nsets < (int)(sizeof(s->sets) / sizeof(s->sets[0])))
			s->sets[s->nsets++] = arg;
		return true;
	default: return false;
	}
}

int subcmd_config(struct config *cfg, const struct subcmd *s)
{
	struct verr e = { "" };
	const char *file = s->cfg_file;
	config_init(cfg);
	if (!file && access("/etc/vigil/vigil.yaml", R_OK) == 0)
		file = "/etc/vigil/vigil.yaml";
	int rc = file ? config_load_file(cfg, file, &e) : 0;
	for (int i = 0; rc == 0 && i < s->nsets; i++)
		rc = config_set(cfg, s->sets[i], &e);
	if (rc == 0 && s->log_dir)
		rc = config_set_key(cfg, "default-log-dir", s->log_dir, "-l", 0, &e);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", s->prog, e.msg);
		config_fini(cfg);
		return 2;
	}
	return 0;
}

const char *subcmd_path(const struct config *cfg, const char *path, char *buf, size_t cap)
{
	return config_log_path(cfg, path, buf, cap);
}

const char *subcmd_eve(const struct config *cfg, const struct subcmd *s, char *buf, size_t cap)
{
	if (s->eve) {
		snprintf(buf, cap, "%s", s->eve);
		return buf;
	}
	return subcmd_path(cfg, cfg->eve_filename, buf, cap);
}
