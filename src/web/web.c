/*
 * web.c - see web.h.  libmicrohttpd, one thread per connection (a live
 * tail holds its connection), each request with its own SQLite
 * connection in WAL mode, so readers never wait for the follower.
 */
#include "web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "api.h"
#include "json.h"
#include "log.h"
#include "store.h"
#include "unixline.h"
#include "util.h"

#define BODY_MAX 65536

struct web {
	struct web_cfg c;
	struct MHD_Daemon *d;
	unsigned port;
	pthread_t follower;
	bool following;
	volatile int stop;
	atomic_bool stopping;
	char host_ok[3][80];   /* the Host headers accepted */
};

/* ---- helpers ---- */

static sqlite3 *db_open(struct web *w)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(w->c.db, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 3000);
	return db;
}

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status, const char *type,
				const void *data, size_t len, bool copy)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, (void *)data, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; style-src 'self'; "
				"frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, struct jbuf *jb)
{
	if (jb->oom)
		return send_buf(c, 500, "application/json", "{\"error\":\"out of memory\"}", 25, false);
	return send_buf(c, status, "application/json", jb->buf ? jb->buf : "{}",
			jb->buf ? jb->len : 2, true);
}

static enum MHD_Result send_err(struct MHD_Connection *c, unsigned status, const char *msg)
{
	struct jbuf jb = { 0 };
	jb_open_object(&jb, NULL);
	jb_str(&jb, "error", msg);
	jb_close(&jb);
	enum MHD_Result r = send_json(c, status, &jb);
	jb_fini(&jb);
	return r;
}

/* Constant-time comparison of a presented token with ours. */
static bool token_ok(const struct web *w, const char *t)
{
	if (!t)
		return false;
	size_t a = strlen(t), b = strlen(w->c.token);
	unsigned char diff = a != b;
	for (size_t i = 0; i < b; i++)
		diff |= (unsigned char)(t[i < a ? i : 0] ^ w->c.token[i]);
	return diff == 0 && b >= 16;
}

static bool authed(struct web *w, struct MHD_Connection *c)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (auth && !strncmp(auth, "Bearer ", 7) && token_ok(w, auth + 7))
		return true;
	return token_ok(w, MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "vigil_token"));
}

static bool host_ok(const struct web *w, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	for (int i = 0; h && i < 3; i++)
		if (w->host_ok[i][0] && !strcmp(h, w->host_ok[i]))
			return true;
	return false;
}

static int64_t arg_int(struct MHD_Connection *c, const char *k)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
	if (!v || !*v)
		return 0;
	char *end;
	long long x = strtoll(v, &end, 10);
	return *end ? -1 : x;
}

static const char *arg_str(struct MHD_Connection *c, const char *k)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
	return v && *v ? v : NULL;
}

/* ---- the control socket (policy actions) ---- */

/* The sensor's answer line (1 MiB at most, 30 s per wait). */
static int ctl_call(const char *path, const char *req, struct jbuf *ans)
{
	return unixline_call(path, req, 30000, 1u << 20, ans) == UL_OK ? 0 : -1;
}

/* POST /api/action {"action": "allow"|"deny"|"block"|"suppress"|"unallow"|...,
 * "vm", "target", "sid", "gid"}: one control socket command, recorded */
static enum MHD_Result do_action(struct web *w, struct MHD_Connection *c, json_t *body)
{
	static const char *const ok[] = { "allow", "unallow", "deny", "undeny", "block", "unblock",
					   "suppress", "unsuppress" };
	json_t *act = json_object_get(body, "action");
	const char *a = json_is_string(act) ? json_string_value(act) : "";
	size_t i = 0;
	while (i < ARRAY_SIZE(ok) && strcmp(ok[i], a))
		i++;
	if (i == ARRAY_SIZE(ok))
		return send_err(c, 400, "action is allow, deny, block, suppress or their un- forms");
	json_t *args = json_object();
	static const char *const keys[] = { "vm", "target", "sid", "gid" };
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		json_t *v = json_object_get(body, keys[k]);
		if (json_is_string(v) || json_is_integer(v))
			json_object_set(args, keys[k], v);
	}
	json_t *req = json_object();
	json_object_set_new(req, "command", json_string(a));
	json_object_set_new(req, "arguments", args);
	char *line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	struct jbuf ans = { 0 };
	char *l2 = line ? malloc(strlen(line) + 2) : NULL;
	int rc = -1;
	if (l2) {
		sprintf(l2, "%s\n", line);
		rc = ctl_call(w->c.ctl_socket, l2, &ans);
	}
	enum MHD_Result r;
	if (rc < 0) {
		r = send_err(c, 502, "the sensor's control socket does not answer");
	} else {
		jb_append(&ans, "", 0);
		/* recorded in the store beside the sensor's own control record */
		sqlite3 *db = db_open(w);
		sqlite3_stmt *st;
		if (db && sqlite3_prepare_v2(db, "INSERT INTO actions(ts, what, result) VALUES (?, ?, ?)",
					     -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, (int64_t)now_wall());
			sqlite3_bind_text(st, 2, line, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 3, ans.buf, (int)ans.len, SQLITE_TRANSIENT);
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
		sqlite3_close(db);
		r = send_buf(c, 200, "application/json", ans.buf, ans.len, true);
	}
	jb_fini(&ans);
	free(l2);
	free(line);
	return r;
}

/* POST /api/group {"gid", "sid", "vm", "state", "escalated", "note"} */
static enum MHD_Result do_group(struct web *w, struct MHD_Connection *c, json_t *body)
{
	json_t *gid = json_object_get(body, "gid"), *sid = json_object_get(body, "sid");
	json_t *vm = json_object_get(body, "vm"), *state = json_object_get(body, "state");
	json_t *esc = json_object_get(body, "escalated"), *note = json_object_get(body, "note");
	if (!json_is_integer(gid) || !json_is_integer(sid) || !json_is_string(vm))
		return send_err(c, 400, "gid, sid and vm name the group");
	if (json_is_string(note) && strlen(json_string_value(note)) > 4000)
		return send_err(c, 400, "a note has at most 4000 characters");
	sqlite3 *db = db_open(w);
	if (!db)
		return send_err(c, 503, "the store cannot be opened");
	struct jbuf jb = { 0 };
	int rc = api_set_group(db, json_integer_value(gid), json_integer_value(sid),
			       json_string_value(vm), json_is_string(state) ? json_string_value(state) : NULL,
			       json_is_boolean(esc) ? json_is_true(esc) : -1,
			       json_is_string(note) ? json_string_value(note) : NULL, &jb);
	sqlite3_close(db);
	enum MHD_Result r = send_json(c, rc < 0 ? 400 : 200, &jb);
	jb_fini(&jb);
	return r;
}

/* ---- the live tail: server-sent events ---- */

struct live {
	struct web *w;
	sqlite3 *db;
	int64_t last;
	struct jbuf buf;
	size_t off;
	double last_send;
};

static ssize_t live_read(void *cls, uint64_t pos, char *out, size_t max)
{
	(void)pos;
	struct live *l = cls;
	for (;;) {
		if (atomic_load(&l->w->stopping))
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (l->off < l->buf.len) {
			size_t n = MIN(max, l->buf.len - l->off);
			memcpy(out, l->buf.buf + l->off, n);
			l->off += n;
			return (ssize_t)n;
		}
		jb_reset(&l->buf);
		l->off = 0;
		struct jbuf rows = { 0 };
		int n = api_live(l->db, l->last, 100, &l->last, &rows);
		if (n < 0) {
			jb_fini(&rows);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		/* one SSE event per record: "data: {...}\n\n" */
		for (size_t s = 0, i = 0; i < rows.len; i++)
			if (rows.buf[i] == '\n') {
				jb_append(&l->buf, "data: ", 6);
				jb_append(&l->buf, rows.buf + s, i - s);
				jb_append(&l->buf, "\n\n", 2);
				s = i + 1;
			}
		jb_fini(&rows);
		if (l->buf.len) {
			l->last_send = now_mono();
			continue;
		}
		if (now_mono() - l->last_send > 15) {
			jb_append(&l->buf, ": keep-alive\n\n", 14);
			l->last_send = now_mono();
			continue;
		}
		struct timespec d = { 0, 100 * 1000000 };
		nanosleep(&d, NULL);
	}
}

static void live_free(void *cls)
{
	struct live *l = cls;
	sqlite3_close(l->db);
	jb_fini(&l->buf);
	v_free(l);
}

static enum MHD_Result do_live(struct web *w, struct MHD_Connection *c)
{
	struct live *l = v_calloc(1, sizeof(*l));
	if (!l || !(l->db = db_open(w))) {
		v_free(l);
		return send_err(c, 503, "the store cannot be opened");
	}
	l->w = w;
	l->last_send = now_mono();
	/* from now on (or from ?after=ID, to catch up after a pause) */
	int64_t after = arg_int(c, "after");
	sqlite3_stmt *st;
	if (after > 0) {
		l->last = after;
	} else if (sqlite3_prepare_v2(l->db, "SELECT coalesce(max(id), 0) FROM events", -1, &st, NULL) ==
		   SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			l->last = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	jb_append(&l->buf, "retry: 2000\n\n", 13);
	struct MHD_Response *r =
		MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, live_read, l, live_free);
	if (!r) {
		live_free(l);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	enum MHD_Result rc = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return rc;
}

/* ---- an alert's rule, from the sensor's rule files ---- */

/* The text of the rule gid:sid: the first line of the rule files that
 * carries "sid:SID;" (and "gid:GID;" when GID is not 1).  The sensor
 * keeps no rule text in memory (ET Open's would be 15 MB), so the files
 * are read, a line at a time. */
static enum MHD_Result do_rule(struct web *w, struct MHD_Connection *c)
{
	int64_t sid = arg_int(c, "sid"), gid = arg_int(c, "gid");
	if (sid <= 0 || gid < 0)
		return send_err(c, 400, "sid (and gid) are numbers");
	char want[40], wantg[40];
	snprintf(want, sizeof(want), "sid:%lld;", (long long)sid);
	snprintf(wantg, sizeof(wantg), "gid:%lld;", (long long)gid);
	char *line = NULL;
	size_t cap = 0;
	for (unsigned i = 0; i < w->c.nrule_files; i++) {
		FILE *f = fopen(w->c.rule_files[i], "r");
		if (!f)
			continue;
		ssize_t n;
		while ((n = getline(&line, &cap, f)) > 0) {
			/* "sid:" with or without a space after the colon */
			char *p = strstr(line, "sid:");
			if (!p)
				continue;
			char norm[64];
			long long v = strtoll(p + 4, NULL, 10);
			snprintf(norm, sizeof(norm), "sid:%lld;", v);
			if (strcmp(norm, want))
				continue;
			if (gid > 1 && !strstr(line, wantg))
				continue;
			while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
				line[--n] = '\0';
			fclose(f);
			struct jbuf jb = { 0 };
			jb_open_object(&jb, NULL);
			jb_str(&jb, "rule", line);
			jb_str(&jb, "file", w->c.rule_files[i]);
			jb_close(&jb);
			free(line);
			enum MHD_Result r = send_json(c, 200, &jb);
			jb_fini(&jb);
			return r;
		}
		fclose(f);
	}
	free(line);
	return send_err(c, 404, "not in the rule files");
}

/* ---- routing ---- */

struct upload {
	char *data;
	size_t len;
	bool too_big;
};

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct upload *u = *con_cls;
	if (u) {
		v_free(u->data);
		v_free(u);
	}
	*con_cls = NULL;
}

static const char login_page[] =
	"<!doctype html><html><head><meta charset=\"utf-8\"><title>vigil</title>"
	"<link rel=\"stylesheet\" href=\"/app.css\"></head><body class=\"login\">"
	"<form method=\"get\" action=\"/login\"><h1>vigil</h1>"
	"<p>The dashboard's token (shown when vigil web first started; kept in the token file):</p>"
	"<input name=\"token\" type=\"password\" autofocus size=\"40\">"
	"<button type=\"submit\">Open</button></form></body></html>";

static enum MHD_Result api_get(struct web *w, struct MHD_Connection *c, const char *url)
{
	struct api_args a = { 0 };
	a.type = arg_str(c, "type");
	a.vm = arg_str(c, "vm");
	a.q = arg_str(c, "q");
	a.state = arg_str(c, "state");
	a.name = arg_str(c, "name");
	a.before = arg_int(c, "before");
	a.limit = arg_int(c, "limit");
	a.offset = arg_int(c, "offset");
	a.sid = arg_int(c, "sid");
	a.flow_id = arg_int(c, "flow_id");
	a.id = arg_int(c, "id");
	a.minutes = arg_int(c, "minutes");
	if (a.before < 0 || a.limit < 0 || a.offset < 0 || a.sid < 0 || a.id < 0 || a.minutes < 0)
		return send_err(c, 400, "numbers only");
	static const struct {
		const char *path;
		int (*fn)(sqlite3 *, const struct api_args *, struct jbuf *);
	} routes[] = {
		{ "/api/events", api_events }, { "/api/event", api_event },
		{ "/api/alerts", api_alert_groups }, { "/api/vm", api_vm }, { "/api/vms", api_vms },
		{ "/api/timeline", api_timeline }, { "/api/summary", api_summary },
	};
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		if (strcmp(url, routes[i].path))
			continue;
		sqlite3 *db = db_open(w);
		if (!db)
			return send_err(c, 503, "the store cannot be opened");
		struct jbuf jb = { 0 };
		int rc = routes[i].fn(db, &a, &jb);
		sqlite3_close(db);
		enum MHD_Result r = send_json(c, rc < 0 ? 400 : 200, &jb);
		jb_fini(&jb);
		return r;
	}
	if (!strcmp(url, "/api/policy")) {
		/* the VM's policy as the sensor holds it (control socket "vm") */
		const char *name = arg_str(c, "name");
		if (!name)
			return send_err(c, 400, "which VM?");
		json_t *req = json_pack("{s:s,s:{s:s}}", "command", "vm", "arguments", "name", name);
		char *line = req ? json_dumps(req, JSON_COMPACT) : NULL;
		json_decref(req);
		struct jbuf ans = { 0 };
		char l2[1024];
		int rc = line && strlen(line) < sizeof(l2) - 2 ? 0 : -1;
		if (rc == 0) {
			snprintf(l2, sizeof(l2), "%s\n", line);
			rc = ctl_call(w->c.ctl_socket, l2, &ans);
		}
		free(line);
		enum MHD_Result r = rc < 0 ? send_err(c, 502, "the sensor's control socket does not answer")
					   : send_buf(c, 200, "application/json", ans.buf, ans.len, true);
		jb_fini(&ans);
		return r;
	}
	if (!strcmp(url, "/api/live"))
		return do_live(w, c);
	if (!strcmp(url, "/api/rule"))
		return do_rule(w, c);
	return send_err(c, 404, "no such API");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	(void)version;
	struct web *w = cls;
	bool post = !strcmp(method, "POST");
	if (post && !*con_cls) {
		/* first call: headers only */
		struct upload *u = v_calloc(1, sizeof(*u));
		if (!u)
			return MHD_NO;
		*con_cls = u;
		return MHD_YES;
	}
	if (post && *upload_size) {
		struct upload *u = *con_cls;
		if (u->len + *upload_size > BODY_MAX) {
			u->too_big = true;
		} else if (!u->too_big) {
			char *nd = v_realloc(u->data, u->len + *upload_size + 1);
			if (!nd)
				return MHD_NO;
			u->data = nd;
			memcpy(u->data + u->len, upload, *upload_size);
			u->len += *upload_size;
			u->data[u->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (!host_ok(w, c))
		return send_err(c, 421, "unexpected Host header");
	if (!post && strcmp(method, "GET") && strcmp(method, "HEAD"))
		return send_err(c, 405, "GET or POST");
	if (!strcmp(url, "/login")) {
		const char *t = arg_str(c, "token");
		if (!token_ok(w, t))
			return send_buf(c, 401, "text/html; charset=utf-8", login_page,
					sizeof(login_page) - 1, false);
		struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		char cookie[256];
		snprintf(cookie, sizeof(cookie),
			 "vigil_token=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000", w->c.token);
		MHD_add_response_header(r, "Set-Cookie", cookie);
		MHD_add_response_header(r, "Location", "/");
		MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
		enum MHD_Result rc = MHD_queue_response(c, 303, r);
		MHD_destroy_response(r);
		return rc;
	}
	bool ok = authed(w, c);
	if (!ok && !strcmp(url, "/app.css")) {
		/* the login page's style */
		ok = true;
	}
	if (!ok) {
		if (!strncmp(url, "/api/", 5))
			return send_err(c, 401, "the token is missing or wrong");
		return send_buf(c, 401, "text/html; charset=utf-8", login_page, sizeof(login_page) - 1,
				false);
	}
	if (post) {
		struct upload *u = *con_cls;
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		/* JSON only: a cross-site form cannot send it without CORS,
		 * which this server never allows */
		if (!ct || strncmp(ct, "application/json", 16))
			return send_err(c, 415, "send JSON (Content-Type: application/json)");
		if (u->too_big)
			return send_err(c, 413, "request body over 64 KiB");
		json_error_t je;
		json_t *body = u->data ? json_loads(u->data, 0, &je) : NULL;
		enum MHD_Result r;
		if (!json_is_object(body))
			r = send_err(c, 400, "the body is a JSON object");
		else if (!strcmp(url, "/api/action"))
			r = do_action(w, c, body);
		else if (!strcmp(url, "/api/group"))
			r = do_group(w, c, body);
		else
			r = send_err(c, 404, "no such API");
		json_decref(body);
		return r;
	}
	if (!strncmp(url, "/api/", 5))
		return api_get(w, c, url);
	const char *path = !strcmp(url, "/") ? "/index.html" : url;
	for (unsigned i = 0; i < web_nassets; i++)
		if (!strcmp(web_assets[i].path, path))
			return send_buf(c, 200, web_assets[i].type, web_assets[i].data, web_assets[i].len,
					false);
	return send_err(c, 404, "not found");
}

static void *follow_main(void *arg)
{
	struct web *w = arg;
	struct store_follow_cfg sc = { .eve = w->c.eve,
				       .db = w->c.db,
				       .max_age = w->c.max_age,
				       .max_bytes = w->c.max_bytes,
				       .batch = w->c.batch ? w->c.batch : 5000,
				       .quiet = true };
	struct verr e = { "" };
	while (!w->stop) {
		if (store_follow(&sc, &w->stop, &e) < 0) {
			log_err("store: %s; retrying in 5 s", e.msg);
			for (int i = 0; i < 50 && !w->stop; i++) {
				struct timespec d = { 0, 100 * 1000000 };
				nanosleep(&d, NULL);
			}
		}
	}
	return NULL;
}

struct web *web_start(const struct web_cfg *c, struct verr *e)
{
	struct web *w = v_calloc(1, sizeof(*w));
	if (!w) {
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	w->c = *c;
	/* the store exists (schema) before the first request */
	struct store *s = store_open(c->db, e);
	if (!s) {
		v_free(w);
		return NULL;
	}
	store_close(s);
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
	if (inet_pton(AF_INET, c->listen, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)c->port);
	} else if (inet_pton(AF_INET6, c->listen, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)c->port);
		flags |= MHD_USE_IPv6;
	} else {
		verr_set(e, V_EINVAL, "web.listen: \"%s\" is not an address", c->listen);
		v_free(w);
		return NULL;
	}
	w->d = MHD_start_daemon(flags, (uint16_t)c->port, NULL, NULL, handler, w, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 64u,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, 32u, MHD_OPTION_CONNECTION_TIMEOUT,
				120u, MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL, MHD_OPTION_END);
	if (!w->d) {
		verr_set(e, V_EIO, "cannot listen on %s port %u (in use?)", c->listen, c->port);
		v_free(w);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
	w->port = info ? info->port : c->port;
	bool v6 = strchr(c->listen, ':') != NULL;
	snprintf(w->host_ok[0], sizeof(w->host_ok[0]), v6 ? "[%s]:%u" : "%s:%u", c->listen, w->port);
	if (!strcmp(c->listen, "127.0.0.1") || !strcmp(c->listen, "::1"))
		snprintf(w->host_ok[1], sizeof(w->host_ok[1]), "localhost:%u", w->port);
	if (c->eve) {
		if (pthread_create(&w->follower, NULL, follow_main, w) == 0)
			w->following = true;
		else
			log_warn("web: cannot start the store follower");
	}
	return w;
}

unsigned web_port(const struct web *w) { return w->port; }

void web_stop(struct web *w)
{
	if (!w)
		return;
	atomic_store(&w->stopping, true);
	w->stop = 1;
	MHD_stop_daemon(w->d);
	if (w->following)
		pthread_join(w->follower, NULL);
	v_free(w);
}
