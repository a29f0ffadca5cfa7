/*
 * web_cmd.c - `vigil web`: the dashboard (web.h) with its access token and
 * its store follower.
 *
 *   vigil web [-c CONFIG] [-l LOGDIR] [--eve FILE] [--db FILE] [--listen ADDR]
 *             [--port N] [--no-follow] [--init] [--set KEY=VALUE]
 */
#include "web_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "overrides.h"
#include "respond.h"
#include "subcmd.h"
#include "web.h"

static void usage(FILE *f)
{
	fputs("usage: vigil web [-c CONFIG] [-l LOGDIR] [--eve FILE] [--db FILE] [--listen ADDR]\n"
	      "                 [--port N] [--no-follow] [--init] [--set KEY=VALUE]\n"
	      "\n"
	      "Serves the dashboard on web.listen:web.port (127.0.0.1:8081) and follows eve.json\n"
	      "into the event store (store.path).  Every request needs the token in\n"
	      "web.token-file; the first start makes one and prints it once.  --init: make\n"
	      "the token file and exit.\n",
	      f);
}

/* Reads the token, or makes one (32 random bytes, hex) in a new file of
 * mode 0600; *made says which.  A file others may read is refused. */
static int token_get(const char *path, char *tok, size_t cap, bool *made)
{
	*made = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		struct stat st;
		ssize_t n = fstat(fd, &st) == 0 ? read(fd, tok, cap - 1) : -1;
		close(fd);
		if (n <= 0)
			return fprintf(stderr, "vigil web: %s: cannot read the token\n", path), -1;
		if (st.st_mode & 077) {
			fprintf(stderr, "vigil web: %s is readable by others (mode %o); chmod 600 it\n",
				path, (unsigned)(st.st_mode & 0777));
			return -1;
		}
		tok[n] = '\0';
		tok[strcspn(tok, "\r\n \t")] = '\0';
		if (strlen(tok) < 16)
			return fprintf(stderr, "vigil web: %s: the token is shorter than 16 characters\n",
				       path), -1;
		return 0;
	}
	if (errno != ENOENT)
		return fprintf(stderr, "vigil web: %s: %s\n", path, strerror(errno)), -1;
	unsigned char r[32];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return fprintf(stderr, "vigil web: no random bytes for the token\n"), -1;
	for (size_t i = 0; i < sizeof(r) && 2 * i + 2 < cap; i++)
		snprintf(tok + 2 * i, 3, "%02x", r[i]);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return fprintf(stderr, "vigil web: %s: %s\n", path, strerror(errno)), -1;
	bool ok = write(fd, tok, strlen(tok)) == (ssize_t)strlen(tok) && write(fd, "\n", 1) == 1;
	if (close(fd) < 0 || !ok) {
		unlink(path);
		return fprintf(stderr, "vigil web: %s: cannot write the token\n", path), -1;
	}
	*made = true;
	return 0;
}

int web_main(int argc, char **argv)
{
	struct subcmd sc = { .prog = "vigil web" };
	const char *db = NULL, *listen = NULL;
	int port = -1;
	bool follow = true, init = false;
	static const struct option lo[] = {
		SUBCMD_OPTIONS,
		{ "db", required_argument, NULL, 'd' },     { "listen", required_argument, NULL, 'L' },
		{ "port", required_argument, NULL, 'p' },   { "no-follow", no_argument, NULL, 'n' },
		{ "init", no_argument, NULL, 'i' },         { NULL, 0, NULL, 0 }
	};
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, SUBCMD_SHORT, lo, NULL)) != -1) {
		if (subcmd_option(&sc, o, optarg))
			continue;
		switch (o) {
		case 'd': db = optarg; break;
		case 'L': listen = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'n': follow = false; break;
		case 'i': init = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	struct config cfg;
	if (subcmd_config(&cfg, &sc))
		return 2;
	char evepath[4096], dbpath[4096], tokpath[4096], sock[4096], dir[4096];
	subcmd_eve(&cfg, &sc, evepath, sizeof(evepath));
	if (db)
		snprintf(dbpath, sizeof(dbpath), "%s", db);
	else
		subcmd_path(&cfg, cfg.store_path, dbpath, sizeof(dbpath));
	subcmd_path(&cfg, cfg.control_socket, sock, sizeof(sock));
	if (cfg.web_token_file[0] == '/')
		snprintf(tokpath, sizeof(tokpath), "%s", cfg.web_token_file);
	else
		policy_state_path(&cfg, cfg.web_token_file, tokpath, sizeof(tokpath));
	policy_state_path(&cfg, "", dir, sizeof(dir));
	mkdir(dir, 0750);
	char token[128];
	bool made;
	if (token_get(tokpath, token, sizeof(token), &made) < 0) {
		config_fini(&cfg);
		return 1;
	}
	unsigned p = port >= 0 ? (unsigned)port : (unsigned)cfg.web_port;
	const char *addr = listen ? listen : cfg.web_listen;
	if (made)
		fprintf(stderr,
			"vigil web: the dashboard's token, shown this once (it is kept in %s, mode 0600):\n"
			"  %s\n",
			tokpath, token);
	if (init) {
		if (!made)
			fprintf(stderr, "vigil web: the token is already in %s\n", tokpath);
		config_fini(&cfg);
		return 0;
	}
	/* the rule files, as the sensor resolves them */
	const char *rf[256];
	char rpaths[256][512];
	unsigned nrf = 0;
	for (size_t i = 0; i < cfg.rule_files.cnt && nrf < 256; i++, nrf++) {
		const char *fn = cfg.rule_files.v[i];
		if (fn[0] == '/')
			snprintf(rpaths[nrf], sizeof(rpaths[nrf]), "%s", fn);
		else
			snprintf(rpaths[nrf], sizeof(rpaths[nrf]), "%s/%s", cfg.rule_path, fn);
		rf[nrf] = rpaths[nrf];
	}
	struct web_cfg wc = { .listen = addr,
			      .rule_files = rf,
			      .nrule_files = nrf,
			      .port = p,
			      .token = token,
			      .db = dbpath,
			      .eve = follow ? evepath : NULL,
			      .ctl_socket = sock,
			      .max_age = cfg.store_max_age,
			      .max_bytes = cfg.store_max_size,
			      .batch = (unsigned)cfg.store_batch };
	struct verr e = { "" };
	/* the store and the port are made as the caller; then, from root, the
	 * web.user (the store's files become its) */
	struct web *w = web_start(&wc, &e);
	if (!w) {
		fprintf(stderr, "vigil web: %s\n", e.msg);
		config_fini(&cfg);
		return 1;
	}
	if (cfg.web_user && *cfg.web_user && geteuid() == 0) {
		uid_t uid;
		gid_t gid;
		const char *sfx[] = { "", "-wal", "-shm" };
		if (privs_lookup(cfg.web_user, NULL, &uid, &gid, &e) == 0)
			for (size_t i = 0; i < 3; i++) {
				char f[4200];
				snprintf(f, sizeof(f), "%s%s", dbpath, sfx[i]);
				if (chown(f, uid, gid) < 0 && errno != ENOENT)
					log_warn("%s: %s", f, strerror(errno));
			}
		if (privs_drop(cfg.web_user, NULL, 0, &e) < 0) {
			fprintf(stderr, "vigil web: %s\n", e.msg);
			web_stop(w);
			config_fini(&cfg);
			return 1;
		}
	}
	bool v6 = strchr(addr, ':') != NULL;
	fprintf(stderr, "vigil web: the dashboard is at http://%s%s%s:%u/ (token in %s)\n",
		v6 ? "[" : "", addr, v6 ? "]" : "", web_port(w), tokpath);
	if (made)
		fprintf(stderr, "vigil web: open http://%s%s%s:%u/login?token=%s\n", v6 ? "[" : "", addr,
			v6 ? "]" : "", web_port(w), token);
	subcmd_catch_stop();
	signal(SIGPIPE, SIG_IGN);
	while (!subcmd_stop)
		pause();
	web_stop(w);
	config_fini(&cfg);
	return 0;
}
