/*
 * fim_cmd.c - `vigil fim`: src/hids/fim.c driven from the command line.
 * One scan of the trees against the baseline; with --watch, inotify (and
 * fanotify for honeyfiles) until SIGTERM or SIGINT, with a full scan every
 * --interval seconds.  Each event is one eve record on stdout, flushed at
 * once so that a reader sees it as it happens:
 *
 *   {"timestamp":"...","event_type":"fim","fim":{"event":"changed",...}}
 */
#include "fim_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fim.h"
#include "json.h"
#include "subcmd.h"
#include "util.h"

#define FIM_CMD_MAX_LIST 256

static void usage(FILE *f)
{
	fputs("usage: vigil fim --db FILE [--watch] [--interval SECS] [--ignore GLOB]...\n"
	      "                 [--honeyfile PATH]... [--diff] [--diff-size BYTES]\n"
	      "                 [--max-files N] [--max-depth N] [--report-initial]\n"
	      "                 [--no-fanotify] PATH...\n"
	      "\n"
	      "File integrity monitoring: scans the trees under each PATH against the\n"
	      "baseline in --db (SQLite, created if absent) and prints one eve record per\n"
	      "event on stdout: added, removed, changed (with before, after and\n"
	      "changed_attributes), renamed, coverage_lost, scan_summary.  The first scan\n"
	      "of an empty baseline records without \"added\" events (--report-initial:\n"
	      "report them).  Symlinks are recorded, never followed.\n"
	      "\n"
	      "  --watch            keep watching (inotify) until SIGTERM or SIGINT\n"
	      "  --interval SECS    with --watch, a full scan every SECS seconds (0: none)\n"
	      "  --ignore GLOB      skip paths matching GLOB (fnmatch on the full path;\n"
	      "                     '*' matches '/' too), and below them\n"
	      "  --honeyfile PATH   a bait file: any open, read or write of it raises\n"
	      "                     honeyfile_access (level 12) with the process (fanotify\n"
	      "                     as root; inotify otherwise, without the process)\n"
	      "  --diff             a unified diff in changed events of small text files,\n"
	      "                     secrets masked (password=, passwd:, secret, token, key=,\n"
	      "                     PEM private keys)\n"
	      "  --diff-size BYTES  the largest file diffed (default 64kb, at most 1mb)\n"
	      "  --max-files N      baseline cap (default 1000000): beyond it, coverage_lost\n"
	      "  --max-depth N      directory levels walked below each PATH (default 128)\n"
	      "  --report-initial   \"added\" events on the first scan too\n"
	      "  --no-fanotify      honeyfiles through inotify even when fanotify is allowed\n",
	      f);
}

static void emit(void *ctx, const char *json, size_t len)
{
	struct jbuf *jb = ctx;
	char ts[32];
	jb_reset(jb);
	jb_open_object(jb, NULL);
	jb_str(jb, "timestamp", vtime_format(now_wall(), ts));
	jb_str(jb, "event_type", "fim");
	jb_append(jb, ",\"fim\":", 7);
	jb_append(jb, json, len);
	jb_close(jb);
	jb_append(jb, "\n", 1);
	if (jb->oom)
		return;
	fwrite(jb->buf, 1, jb->len, stdout);
	fflush(stdout);
}

/* path made absolute against the working directory (not resolved: a
 * symlink given is recorded as a symlink).  NULL on failure. */
static char *absolute(const char *path)
{
	if (path[0] == '/')
		return strdup(path);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	size_t n = strlen(cwd) + strlen(path) + 2;
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "%s/%s", cwd, path);
	return out;
}

static bool push(const char **v, size_t *cnt, const char *s, const char *what)
{
	if (*cnt >= FIM_CMD_MAX_LIST) {
		fprintf(stderr, "vigil fim: more than %d %s\n", FIM_CMD_MAX_LIST, what);
		return false;
	}
	v[(*cnt)++] = s;
	return true;
}

int fim_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "watch", no_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "ignore", required_argument, NULL, 'x' },
		{ "honeyfile", required_argument, NULL, 'H' },
		{ "diff", no_argument, NULL, 'D' },
		{ "diff-size", required_argument, NULL, 's' },
		{ "max-files", required_argument, NULL, 'm' },
		{ "max-depth", required_argument, NULL, 'L' },
		{ "report-initial", no_argument, NULL, 'r' },
		{ "no-fanotify", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *trees[FIM_CMD_MAX_LIST], *ignore[FIM_CMD_MAX_LIST], *honey[FIM_CMD_MAX_LIST];
	char *owned[2 * FIM_CMD_MAX_LIST];
	size_t nowned = 0;
	struct fim_config cfg = { 0 };
	struct jbuf jb = { 0 };
	struct fim *f = NULL;
	struct verr err = { "" };
	bool watch = false;
	uint64_t v;
	int o, rc = 2;

	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': cfg.db_path = optarg; break;
		case 'w': watch = true; break;
		case 'i':
			if (parse_uint(optarg, 365u * 86400u, &v)) {
				fprintf(stderr, "vigil fim: --interval: \"%s\" is not a number of seconds\n",
					optarg);
				goto out;
			}
			cfg.interval = (unsigned)v;
			break;
		case 'x':
			if (!push(ignore, &cfg.ignore_cnt, optarg, "--ignore"))
				goto out;
			break;
		case 'H': {
			char *a = absolute(optarg);
			if (!a || !push(honey, &cfg.honeyfile_cnt, a, "--honeyfile")) {
				free(a);
				goto out;
			}
			owned[nowned++] = a;
			break;
		}
		case 'D': cfg.diff = true; break;
		case 's':
			if (parse_size(optarg, &v) || !v || v > FIM_MAX_DIFF_MAX) {
				fprintf(stderr, "vigil fim: --diff-size: \"%s\" is not a size up to 1mb\n",
					optarg);
				goto out;
			}
			cfg.diff_max_len = (size_t)v;
			break;
		case 'm':
			if (parse_uint(optarg, UINT64_MAX, &v) || !v) {
				fprintf(stderr, "vigil fim: --max-files: \"%s\" is not a positive number\n",
					optarg);
				goto out;
			}
			cfg.max_files = v;
			break;
		case 'L':
			if (parse_uint(optarg, FIM_MAX_DEPTH, &v) || !v) {
				fprintf(stderr, "vigil fim: --max-depth: \"%s\" is not 1 to %u\n", optarg,
					FIM_MAX_DEPTH);
				goto out;
			}
			cfg.max_depth = (unsigned)v;
			break;
		case 'r': cfg.report_initial = true; break;
		case 'F': cfg.no_fanotify = true; break;
		case 'h': usage(stdout); rc = 0; goto out;
		default: usage(stderr); goto out;
		}
	}
	if (!cfg.db_path) {
		fprintf(stderr, "vigil fim: --db FILE is required\n");
		usage(stderr);
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		char *a = absolute(argv[i]);
		if (!a || !push(trees, &cfg.tree_cnt, a, "paths")) {
			free(a);
			goto out;
		}
		owned[nowned++] = a;
	}
	if (!cfg.tree_cnt && !(watch && cfg.honeyfile_cnt)) {
		fprintf(stderr, "vigil fim: no PATH to scan\n");
		usage(stderr);
		goto out;
	}
	cfg.trees = trees;
	cfg.ignore = ignore;
	cfg.honeyfiles = honey;
	cfg.realtime = watch;
	cfg.emit = emit;
	cfg.emit_ctx = &jb;
	/* before the first scan: a stop during it ends the watch after it */
	if (watch)
		subcmd_catch_stop();
	if (fim_new(&f, &cfg, &err) || fim_scan(f, &err)) {
		fprintf(stderr, "vigil %s\n", err.msg);
		rc = 1;
		goto out;
	}
	rc = 0;
	if (!watch)
		goto out;
	struct fim_stats st;
	fim_get_stats(f, &st);
	if (cfg.honeyfile_cnt && !st.fanotify)
		fprintf(stderr, "vigil fim: honeyfiles watched through inotify: accesses are "
				"reported without the process\n");
	while (!subcmd_stop) {
		struct pollfd p = { .fd = fim_fd(f), .events = POLLIN };
		int n = poll(&p, 1, fim_timeout_ms(f));
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "vigil fim: poll: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		if (subcmd_stop)
			break;
		if (fim_process(f, &err)) {
			fprintf(stderr, "vigil %s\n", err.msg);
			rc = 1;
			break;
		}
	}
out:
	fim_free(f);
	jb_fini(&jb);
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	return rc;
}
