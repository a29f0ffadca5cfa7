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
	struct subcmd s = { .prog = "vigil store" };
	const char *db = NULL;
	bool once = false;
	static const struct option lo[] = { SUBCMD_OPTIONS,
					    { "db", required_argument, NULL, 'd' },
					    { "once", no_argument, NULL, 'o' },
					    { NULL, 0, NULL, 0 } };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, SUBCMD_SHORT, lo, NULL)) != -1) {
		if (subcmd_option(&s, o, optarg))
			continue;
		switch (o) {
		case 'd': db = optarg; break;
		case 'o': once = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	struct config cfg;
	if (subcmd_config(&cfg, &s))
		return 2;
	char evepath[4096], dbpath[4096];
	subcmd_eve(&cfg, &s, evepath, sizeof(evepath));
	if (db)
		snprintf(dbpath, sizeof(dbpath), "%s", db);
	else
		subcmd_path(&cfg, cfg.store_path, dbpath, sizeof(dbpath));
	struct store_follow_cfg sc = { .eve = evepath,
				       .db = dbpath,
				       .max_age = cfg.store_max_age,
				       .max_bytes = cfg.store_max_size,
				       .batch = cfg.store_batch ? (unsigned)cfg.store_batch : 20000,
				       .once = once };
	subcmd_catch_stop();
	struct verr e = { "" };
	log_info("store: %s -> %s", evepath, dbpath);
	int rc = store_follow(&sc, &subcmd_stop, &e);
	if (rc < 0)
		fprintf(stderr, "vigil store: %s\n", e.msg);
	config_fini(&cfg);
	return rc < 0 ? 1 : 0;
}
