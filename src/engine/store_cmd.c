/*
 * store_cmd.c - `vigil store`: fills the event store from eve.json
 * (store.h) and keeps it within store.max-age and store.max-size.  vigil
 * web runs the same follower; this runs it alone (a SIEM-less box that
 * wants the history, a benchmark, a test).
 *
 *   vigil store [-c CONFIG] [-l LOGDIR] [--eve FILE] [--db FILE] [--once] [--set KEY=VALUE]
 */
#include "store_cmd.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "subcmd.h"

static volatile int stop;
static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fputs("usage: vigil store [-c CONFIG] [-l LOGDIR] [--eve FILE] [--db FILE] [--once]\n"
	      "                   [--set KEY=VALUE]\n"
	      "\n"
	      "Follows eve.json into the event store (store.path), from where it left off,\n"
	      "across rotation, keeping it within store.max-age and store.max-size.  --once:\n"
	      "to the end of eve.json, then exit.\n",
	      f);
}

int store_main(int argc, char **argv)
{
	const char *cfg_file = NULL, *log_dir = NULL, *eve = NULL, *db = NULL;
	const char *sets[32];
	int nsets = 0;
	bool once = false;
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' }, { "log-dir", required_argument, NULL, 'l' },
		{ "eve", required_argument, NULL, 'e' },    { "db", required_argument, NULL, 'd' },
		{ "once", no_argument, NULL, 'o' },         { "set", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 }
	};
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "c:l:h", lo, NULL)) != -1) {
		switch (o) {
		case 'c': cfg_file = optarg; break;
		case 'l': log_dir = optarg; break;
		case 'e': eve = optarg; break;
		case 'd': db = optarg; break;
		case 'o': once = true; break;
		case 'S':
			if (nsets < 32)
				sets[nsets++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	struct config cfg;
	if (subcmd_config(&cfg, cfg_file, sets, nsets, "vigil store"))
		return 2;
	char evepath[4096], dbpath[4096];
	if (eve)
		snprintf(evepath, sizeof(evepath), "%s", eve);
	else
		subcmd_path(&cfg, log_dir, cfg.eve_filename, evepath, sizeof(evepath));
	if (db)
		snprintf(dbpath, sizeof(dbpath), "%s", db);
	else
		subcmd_path(&cfg, log_dir, cfg.store_path, dbpath, sizeof(dbpath));
	struct store_follow_cfg sc = { .eve = evepath,
				       .db = dbpath,
				       .max_age = cfg.store_max_age,
				       .max_bytes = cfg.store_max_size,
				       .batch = cfg.store_batch ? (unsigned)cfg.store_batch : 5000,
				       .once = once };
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	struct verr e = { "" };
	log_info("store: %s -> %s", evepath, dbpath);
	int rc = store_follow(&sc, &stop, &e);
	if (rc < 0)
		fprintf(stderr, "vigil store: %s\n", e.msg);
	config_fini(&cfg);
	return rc < 0 ? 1 : 0;
}
