/*
 * control.h - the control thread (engine-internal): rule, identity and
 * list reloads, and the control socket that vigil ctl and the dashboard
 * talk to.
 *
 * Reloads run on this thread so that packets keep flowing: it builds the
 * new rule engine, identity map or list, publishes it (rules_state), then
 * waits until every worker has switched (workers switch between packets,
 * or while idle) before freeing the old one.
 *
 * The control socket speaks JSON lines, in the spirit of Suricata's
 * unix-command socket: each request is one line
 *     {"command": "flows", "arguments": {"vm": "work", "limit": 20}}
 * and each answer one line, {"return": "OK", "message": ...} or
 * {"return": "NOK", "message": "what was wrong"}.  docs/control.md lists
 * the commands.  The thread polls the socket between its reload steps, so
 * the socket needs no thread of its own and commands never race a reload.
 */
#ifndef VIGIL_CONTROL_H
#define VIGIL_CONTROL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <time.h>

#include "engine.h"
#include "json.h"
#include "overrides.h"
#include "sink.h"
#include "util.h"
#include "worker.h"

#define CTL_MAX_CLIENTS 16
#define CTL_MAX_LINE 65536

struct ctl_client {
	int fd;               /* -1: free */
	char *in;             /* bytes of the request line so far */
	size_t inlen;
	struct jbuf out;      /* answers not yet sent */
	size_t outoff;
	bool closing;         /* close once out is sent */
	uid_t uid;
	pid_t pid;
};

/* Replaced identity maps and blocklists wait here until every worker has
 * seen the gen that replaced them. */
#define RETIRED_MAX 8
struct retired {
	void *v[RETIRED_MAX];
	void (*free[RETIRED_MAX])(void *);
	unsigned gen[RETIRED_MAX];
	unsigned n;
};

struct control {
	bool opened;          /* control_open ran: control_stop has work */
	pthread_t tid;
	atomic_bool done;
	const struct config *cfg;
	const struct strlist *files;
	struct rules_state *rules;
	struct worker **ws;
	unsigned n;
	bool detect;          /* rules are loaded: they can be reloaded */
	struct sink *eve;     /* control records go to the event stream */
	struct hids_run *hids; /* the host IDS thread, or NULL */
	double t0;            /* start, for uptime */
	/* reload state */
	struct detect_engine *old;
	unsigned old_gen;
	struct retired ret;
	struct timespec seen;  /* identity.file's mtime */
	bool id_due;           /* the identity file changed: reload it */
	struct timers timers;  /* periodic work on wall time (timer.h) */
	uint64_t failed_stamp; /* list files when a list reload failed */
	int list_from;         /* a list reload pass: the next list to look at */
	bool list_all;         /* ... every list, not only changed ones */
	/* the socket */
	int lfd;               /* -1: none */
	char path[4096];
	struct ctl_client cl[CTL_MAX_CLIENTS];
	/* run-time policy changes (overrides.h) */
	struct overrides ovr;
	char ovr_path[4096], blk_ip[4096], blk_dom[4096];
};

void rules_state_init(struct rules_state *rs);

/* Before the rule engine and lists load, while still privileged: creates
 * the state files and, if control.enabled says so for this run (live:
 * a live or inline source), binds the socket.  0, or an error naming what
 * failed (a corrupt overrides.json, a socket path in use). */
int control_open(struct control *ct, const struct config *cfg, bool live, struct verr *e);
/* Starts the control thread over the n workers; false if it could not be
 * started (the socket is then closed). */
bool control_start(struct control *ct, const struct engine_opts *opts, struct rules_state *rs,
		   struct worker **ws, unsigned n, struct sink *eve);
/* Stops the thread (if started), frees what waits to be freed, closes and
 * removes the socket. */
void control_stop(struct control *ct, bool started);
/* Answers one request line from client c into c->out (and sends it if c
 * has a socket); the socket calls it, and so does the fuzz target. */
void control_handle_line(struct control *ct, struct ctl_client *c, const char *line, size_t len);

#endif
