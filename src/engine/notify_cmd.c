/*
 * notify_cmd.c - `vigil notify`: follows eve.json (tail.h, from a saved
 * position) and shows desktop notifications (notify.h, deliver.h).  It
 * runs as the desktop's user, apart from the sensor: it reads the event
 * stream and nothing else.
 *
 *   vigil notify [-c CONFIG] [-l LOGDIR] [--eve FILE] [--via dbus|qrexec|command]
 *                [--position FILE] [--from-start] [--once] [--set KEY=VALUE]
 */
#include "notify_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "deliver.h"
#include "json.h"
#include "log.h"
#include "notify.h"
#include "subcmd.h"
#include "tail.h"
#include "util.h"

static void usage(FILE *f)
{
	fputs("usage: vigil notify [-c CONFIG] [-l LOGDIR] [--eve FILE] [--via dbus|qrexec|command]\n"
	      "                    [--position FILE] [--from-start] [--once] [--set KEY=VALUE]\n"
	      "\n"
	      "Follows eve.json and shows desktop notifications for alerts at or above\n"
	      "notify.severity and for policy alerts, grouped and rate-limited (the notify.*\n"
	      "keys).  It keeps its place in the position file; the first run starts at the\n"
	      "end of the file (--from-start: at its start).  --once: read to the end, show\n"
	      "what is grouped, and exit.\n",
	      f);
}

/* The record's own time (its "timestamp"), or -1. */
static double record_time(const char *rec, size_t len)
{
	char ts[48];
	int64_t us = json_head_str(rec, len, "timestamp", ts, sizeof(ts)) ? vtime_parse(ts) : -1;
	return us < 0 ? -1 : (double)us / 1e6;
}

static bool pos_read(const char *path, struct tail_pos *p)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	unsigned long long d, i, o;
	bool ok = fscanf(f, "%llu %llu %llu", &d, &i, &o) == 3;
	fclose(f);
	if (ok) {
		p->dev = d;
		p->ino = i;
		p->off = o;
	}
	return ok;
}

static void pos_write(const char *path, const struct tail_pos *p)
{
	char b[80];
	int n = snprintf(b, sizeof(b), "%llu %llu %llu\n", (unsigned long long)p->dev,
			 (unsigned long long)p->ino, (unsigned long long)p->off);
	if (file_write_atomic(path, b, (size_t)n, 0644) < 0)
		log_warn("%s: %s", path, strerror(errno));
}

/* mkdir -p of path's directory */
static void make_dirs(const char *path)
{
	char d[4096];
	str_lcpy(d, path, sizeof(d));
	for (char *p = d + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(d, 0700);
			*p = '/';
		}
}

int notify_main(int argc, char **argv)
{
	struct subcmd sc = { .prog = "vigil notify" };
	const char *via_s = NULL, *posf = NULL;
	bool from_start = false, once = false;
	static const struct option lo[] = {
		SUBCMD_OPTIONS,
		{ "via", required_argument, NULL, 'v' },     { "position", required_argument, NULL, 'p' },
		{ "from-start", no_argument, NULL, 's' },    { "once", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, SUBCMD_SHORT, lo, NULL)) != -1) {
		if (subcmd_option(&sc, o, optarg))
			continue;
		switch (o) {
		case 'v': via_s = optarg; break;
		case 'p': posf = optarg; break;
		case 's': from_start = true; break;
		case 'o': once = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	struct config cfg;
	struct verr e = { "" };
	if (subcmd_config(&cfg, &sc))
		return 2;
	if (via_s && config_set_key(&cfg, "notify.via", via_s, "--via", 0, &e) < 0) {
		fprintf(stderr, "vigil notify: %s\n", e.msg);
		return 2;
	}
	char evepath[4096], pospath[4096];
	subcmd_eve(&cfg, &sc, evepath, sizeof(evepath));
	if (posf)
		snprintf(pospath, sizeof(pospath), "%s", posf);
	else if (cfg.notify_position_file && *cfg.notify_position_file)
		snprintf(pospath, sizeof(pospath), "%s", cfg.notify_position_file);
	else if (getenv("XDG_STATE_HOME") && *getenv("XDG_STATE_HOME"))
		snprintf(pospath, sizeof(pospath), "%s/vigil/notify.pos", getenv("XDG_STATE_HOME"));
	else
		snprintf(pospath, sizeof(pospath), "%s/.local/state/vigil/notify.pos",
			 getenv("HOME") ? getenv("HOME") : ".");
	make_dirs(pospath);
	struct deliverer *d = deliverer_new((enum deliver_via)cfg.notify_via, cfg.notify_command,
					    cfg.notify_qrexec, &e);
	if (!d) {
		fprintf(stderr, "vigil notify: %s\n", e.msg);
		config_fini(&cfg);
		return 2;
	}
	struct notify_cfg nc = { .severity = (unsigned)cfg.notify_severity,
				 .policy = cfg.notify_policy,
				 .group_window = (double)cfg.notify_group_window,
				 .max_per_minute = (unsigned)cfg.notify_max_per_minute,
				 .summary_interval = (double)MAX(cfg.notify_summary_interval, 1) };
	struct notifier *nf = notifier_new(&nc, deliverer_send, d);
	struct tail_pos pos = { 0 }, at = { 0 };
	bool have = pos_read(pospath, &pos);
	if (!have && !from_start) {
		/* the first run starts at the end: history is not news */
		struct stat st;
		if (stat(evepath, &st) == 0)
			pos = (struct tail_pos){ (uint64_t)st.st_dev, (uint64_t)st.st_ino,
						 (uint64_t)st.st_size };
	}
	struct tail *t = nf ? tail_open(evepath, &pos, &e) : NULL;
	if (!t) {
		fprintf(stderr, "vigil notify: %s\n", *e.msg ? e.msg : "out of memory");
		notifier_free(nf);
		deliverer_free(d);
		config_fini(&cfg);
		return 2;
	}
	subcmd_catch_stop();
	log_info("notify: following %s, delivering through %s", evepath, deliverer_name(d));
	at = pos;
	double last_rec = -1;
	while (!subcmd_stop) {
		size_t len;
		struct tail_pos after;
		const char *line;
		bool any = false;
		while ((line = tail_next(t, &len, &after))) {
			double now = (double)now_wall() / 1e6;
			if (once) {
				double rt = record_time(line, len);
				if (rt > 0)
					last_rec = rt;
				now = last_rec > 0 ? last_rec : now;
			}
			notifier_record(nf, line, len, now);
			at = after;
			any = true;
			if (subcmd_stop)
				break;
		}
		if (any)
			pos_write(pospath, &at);
		if (once) {
			notifier_flush(nf);
			break;
		}
		notifier_tick(nf, (double)now_wall() / 1e6);
		struct timespec ts = { 0, 200 * 1000000 };
		nanosleep(&ts, NULL);
	}
	if (!once)
		notifier_flush(nf); /* what is still grouped */
	struct notify_stats st;
	notifier_stats(nf, &st);
	log_info("notify: %llu records, %llu to notify about, %llu notifications (%llu records "
		 "grouped, %llu summarized), %llu not delivered",
		 (unsigned long long)st.records, (unsigned long long)st.matched,
		 (unsigned long long)st.delivered, (unsigned long long)st.grouped,
		 (unsigned long long)st.summarized, (unsigned long long)deliverer_failures(d));
	tail_close(t);
	notifier_free(nf);
	deliverer_free(d);
	config_fini(&cfg);
	return 0;
}
