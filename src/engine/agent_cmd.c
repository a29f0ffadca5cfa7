/*
 * agent_cmd.c - host IDS agents in other VMs and their receiver.
 *
 *   vigil agent --spool DIR (--to COMMAND | --tls HOST:PORT --cert F --key F --ca F)
 *               [--log FILE]... [--journal] [--fim PATH]... [--honeyfile PATH]...
 *   vigil agent-recv (--stdio | --listen [ADDR:]PORT --cert F --key F --ca F)
 *               [--ingest SOCKET] [--rate N] [--burst N]
 *   vigil agent-cert --dir DIR (--name NAME [--server] | --revoke NAME)
 *
 * The agent collects log lines (files followed across rotation, the
 * journal) and file integrity events in its VM and sends them as JSON
 * lines, each with a sequence number: {"seq":7,"type":"log","location":
 * "/var/log/auth.log","line":"..."} or {"seq":8,"type":"fim","event":{...}}.
 * Every record is appended to a spool on disk first and leaves it only
 * when the gateway acknowledges it ({"ack":7}); the gateway asks for the
 * one it expects when a number is missing ({"want":5}).  So nothing is
 * lost or taken twice across restarts of either side, and the order per
 * agent holds.  The spool is bounded: what does not fit is counted and
 * reported as a "dropped" record when there is room again.
 *
 * The link is a child command's stdin and stdout (qrexec-client-vm
 * GATEWAY qubes.VigilEvents, or anything standing in for it) or mutually
 * authenticated TLS.  The receiver, on the gateway, takes the VM's name
 * from QREXEC_REMOTE_DOMAIN (set by qrexec, never by the agent) or from
 * the client certificate's common name, never from the records; it
 * limits each agent's rate, and hands records to the sensor's host IDS
 * over its unix socket (hids.agent-socket), relaying the answers.
 *
 * A log line's record carries where its source was just past it (a
 * file's device, inode and offset; a journal entry's cursor): after a
 * crash the agent resumes after the last record its spool holds, which
 * positions.json (saved every second) may trail.  Certificates are
 * revoked in a CRL beside the CA (ca.crl); the TLS receiver reads it
 * again when the file changes, refuses revoked clients at the handshake
 * and cuts a connected one within a second.
 */
#include "agent_cmd.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "fim.h"
#include "input.h"
#include "json.h"
#include "subcmd.h"
#include "util.h"

#define REC_MAX (512 * 1024)     /* one line on a link, at most */
#define REC_BODY_MAX (256 * 1024) /* one record as spooled: lines are cut to fit */
#define WINDOW 512               /* records sent and not yet acknowledged */
#define RECV_CHILDREN 64         /* agent-recv --listen: agents connected at once */

static volatile sig_atomic_t stop_now;

static void on_stop(int sig)
{
	(void)sig;
	stop_now = 1;
}

/* ---- a link: a child's pipes, or TLS -------------------------------- */

struct link {
	int rfd, wfd;
	pid_t child;
	SSL *ssl;
	SSL_CTX *ctx;
	int sock;
	char why[200];  /* why TLS failed ("" if it did not say) */
	char in[REC_MAX];
	size_t inlen;
};

/* Keeps what TLS says about why it failed (a revoked certificate is
 * known to the agent only from the gateway's alert). */
static void link_tls_why(struct link *l)
{
	unsigned long e = ERR_peek_last_error();
	if (e && ERR_reason_error_string(e))
		snprintf(l->why, sizeof(l->why), "TLS: %s", ERR_reason_error_string(e));
	ERR_clear_error();
}

static void link_close(struct link *l)
{
	if (l->ssl) {
		SSL_shutdown(l->ssl);
		SSL_free(l->ssl);
	}
	if (l->sock >= 0)
		close(l->sock);
	if (l->rfd >= 0)
		close(l->rfd);
	if (l->wfd >= 0 && l->wfd != l->rfd)
		close(l->wfd);
	if (l->child > 0) {
		kill(l->child, SIGTERM);
		waitpid(l->child, NULL, 0);
	}
	SSL_CTX *ctx = l->ctx;
	memset(l, 0, sizeof(*l));
	l->ctx = ctx;
	l->rfd = l->wfd = l->sock = -1;
	l->child = -1;
}

static int link_exec(struct link *l, const char *cmd)
{
	int to[2], from[2];
	if (pipe2(to, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(from, O_CLOEXEC) < 0) {
		close(to[0]);
		close(to[1]);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(to[0]);
		close(to[1]);
		close(from[0]);
		close(from[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	l->child = pid;
	l->wfd = to[1];
	l->rfd = from[0];
	fcntl(l->rfd, F_SETFL, O_NONBLOCK);
	return 0;
}

static int tcp_connect(const char *hostport)
{
	char host[256];
	str_lcpy(host, hostport, sizeof(host));
	char *colon = strrchr(host, ':');
	if (!colon)
		return -1;
	*colon = 0;
	const char *port = colon + 1;
	char *h = host;
	if (*h == '[') {
		h++;
		char *b = strchr(h, ']');
		if (b)
			*b = 0;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	if (getaddrinfo(h, port, &hints, &res))
		return -1;
	int fd = -1;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static SSL_CTX *tls_ctx(bool server, const char *cert, const char *key, const char *ca, char *err,
			size_t cap)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		goto fail;
	/* both ends prove who they are */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	return ctx;
fail:
	snprintf(err, cap, "TLS setup: %s", ERR_reason_error_string(ERR_get_error()));
	SSL_CTX_free(ctx);
	return NULL;
}

static int link_tls(struct link *l, const char *hostport, const char *server_name)
{
	l->sock = tcp_connect(hostport);
	if (l->sock < 0) {
		snprintf(l->why, sizeof(l->why), "%s: cannot connect", hostport);
		return -1;
	}
	l->ssl = SSL_new(l->ctx);
	if (!l->ssl)
		return -1;
	SSL_set_fd(l->ssl, l->sock);
	/* the gateway's certificate must carry this name */
	SSL_set1_host(l->ssl, server_name);
	SSL_set_tlsext_host_name(l->ssl, server_name);
	if (SSL_connect(l->ssl) != 1) {
		link_tls_why(l);
		return -1;
	}
	fcntl(l->sock, F_SETFL, O_NONBLOCK);
	return 0;
}

static int link_fd(const struct link *l)
{
	return l->ssl ? l->sock : l->rfd;
}

/* Writes all of buf (blocking until it is out).  -1 when the link broke. */
static int link_write(struct link *l, const char *buf, size_t len)
{
	while (len) {
		ssize_t w;
		if (l->ssl) {
			int r = SSL_write(l->ssl, buf, (int)len);
			if (r <= 0) {
				int e = SSL_get_error(l->ssl, r);
				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
					struct pollfd pf = { l->sock, e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, 0 };
					poll(&pf, 1, 1000);
					continue;
				}
				if (e == SSL_ERROR_SSL)
					link_tls_why(l);
				return -1;
			}
			w = r;
		} else {
			w = write(l->wfd, buf, len);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Reads what is there; calls fn for each whole line.  -1: closed. */
static int link_read(struct link *l, void (*fn)(void *ctx, char *line, size_t len), void *ctx)
{
	for (;;) {
		ssize_t r;
		if (l->ssl) {
			int n = SSL_read(l->ssl, l->in + l->inlen, (int)(sizeof(l->in) - l->inlen));
			if (n <= 0) {
				int e = SSL_get_error(l->ssl, n);
				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
					return 0;
				if (e == SSL_ERROR_SSL)
					link_tls_why(l);
				return -1;
			}
			r = n;
		} else {
			r = read(l->rfd, l->in + l->inlen, sizeof(l->in) - l->inlen);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				return 0;
			if (r <= 0)
				return -1;
		}
		l->inlen += (size_t)r;
		char *s = l->in, *nl;
		while ((nl = memchr(s, '\n', l->inlen - (size_t)(s - l->in)))) {
			*nl = 0;
			fn(ctx, s, (size_t)(nl - s));
			s = nl + 1;
		}
		l->inlen -= (size_t)(s - l->in);
		memmove(l->in, s, l->inlen);
		if (l->inlen == sizeof(l->in))
			return -1; /* a line that long is not ours */
	}
}

/* ---- the agent's spool ---------------------------------------------- */

struct rec {
	uint64_t seq;
	char *line;     /* with its '\n' */
	size_t len;
};

struct spool {
	char dir[4096];
	FILE *f;            /* spool.jsonl, appended */
	struct rec *r;      /* not yet acknowledged, by seq */
	size_t n, cap, head;
	uint64_t next, acked, sent, dropped;
	size_t bytes, max_bytes;
	uint64_t file_recs; /* records in the file */
	char epoch[40];     /* this spool's: a new spool (a recreated VM) starts afresh */
	json_t *resume;     /* path -> [dev, ino, off] of the last line spooled,
			     * "journald" -> the last entry's cursor */
};

static void path_in(const struct spool *s, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", s->dir, name);
}

static int spool_state_save(struct spool *s)
{
	char p[4200], buf[256];
	path_in(s, "state.json", p, sizeof(p));
	int n = snprintf(buf, sizeof(buf), "{\"next\":%llu,\"acked\":%llu,\"dropped\":%llu,\"epoch\":\"%s\"}\n",
			 (unsigned long long)s->next, (unsigned long long)s->acked,
			 (unsigned long long)s->dropped, s->epoch);
	return file_write_atomic(p, buf, (size_t)n, 0600);
}

static int spool_push(struct spool *s, uint64_t seq, const char *line, size_t len)
{
	if (s->head + s->n == s->cap) {
		if (s->head) {
			memmove(s->r, s->r + s->head, s->n * sizeof(*s->r));
			s->head = 0;
		} else {
			size_t nc = s->cap ? s->cap * 2 : 1024;
			struct rec *nr = realloc(s->r, nc * sizeof(*nr));
			if (!nr)
				return -1;
			s->r = nr;
			s->cap = nc;
		}
	}
	char *c = malloc(len);
	if (!c)
		return -1;
	memcpy(c, line, len);
	s->r[s->head + s->n++] = (struct rec){ seq, c, len };
	s->bytes += len;
	return 0;
}

static int spool_open(struct spool *s, const char *dir, size_t max_bytes, char *err, size_t cap)
{
	memset(s, 0, sizeof(*s));
	str_lcpy(s->dir, dir, sizeof(s->dir));
	s->max_bytes = max_bytes;
	s->next = 1;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, cap, "%s: %s", dir, strerror(errno));
		return -1;
	}
	char p[4200];
	path_in(s, "state.json", p, sizeof(p));
	json_error_t je;
	json_t *st = json_load_file(p, 0, &je);
	if (st) {
		s->next = (uint64_t)json_integer_value(json_object_get(st, "next"));
		s->acked = (uint64_t)json_integer_value(json_object_get(st, "acked"));
		s->dropped = (uint64_t)json_integer_value(json_object_get(st, "dropped"));
		const char *ep = json_string_value(json_object_get(st, "epoch"));
		if (ep)
			str_lcpy(s->epoch, ep, sizeof(s->epoch));
		if (!s->next)
			s->next = 1;
		json_decref(st);
	}
	if (!s->epoch[0]) {
		unsigned char rnd[12];
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			snprintf(err, cap, "no randomness for the spool's epoch");
			return -1;
		}
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(s->epoch + 2 * i, 3, "%02x", rnd[i]);
		if (spool_state_save(s) < 0) {
			snprintf(err, cap, "%s/state.json: %s", dir, strerror(errno));
			return -1;
		}
	}
	/* what was not acknowledged goes again, in order */
	path_in(s, "spool.jsonl", p, sizeof(p));
	FILE *f = fopen(p, "r");
	off_t whole = 0;   /* the end of the last complete record */
	if (f) {
		char *line = NULL;
		size_t lc = 0;
		ssize_t n;
		while ((n = getline(&line, &lc, f)) > 0) {
			if (line[n - 1] != '\n')
				break; /* a record cut by a crash: it was never sent */
			whole += n;
			json_t *r = json_loadb(line, (size_t)n, 0, &je);
			uint64_t seq = (uint64_t)json_integer_value(json_object_get(r, "seq"));
			/* where each file (the journal) was when its last line
			 * (entry) was spooled */
			json_t *src = json_object_get(r, "src");
			const char *loc = json_string_value(json_object_get(r, "location"));
			if ((json_is_array(src) || json_is_string(src)) && loc) {
				if (!s->resume)
					s->resume = json_object();
				json_object_set(s->resume, loc, src);
			}
			json_decref(r);
			s->file_recs++;
			if (seq > s->acked && (!s->n || seq > s->r[s->head + s->n - 1].seq))
				spool_push(s, seq, line, (size_t)n);
			if (seq >= s->next)
				s->next = seq + 1;
		}
		free(line);
		fclose(f);
		/* what a crash cut is dropped, or the next record would be glued to it */
		if (truncate(p, whole) < 0) {
			snprintf(err, cap, "%s: %s", p, strerror(errno));
			return -1;
		}
	}
	s->f = fopen(p, "a");
	if (!s->f) {
		snprintf(err, cap, "%s: %s", p, strerror(errno));
		return -1;
	}
	chmod(p, 0600);
	s->sent = s->acked;
	return 0;
}

/* Adds a record (body: a JSON object without "seq").  Counted as dropped
 * when the spool is full. */
static void spool_add(struct spool *s, json_t *body)
{
	if (s->bytes >= s->max_bytes) {
		s->dropped++;
		return;
	}
	if (s->dropped) {
		/* there is room again: say how many did not fit, first */
		uint64_t d = s->dropped;
		s->dropped = 0;
		json_t *dr = json_pack("{s:s,s:I}", "type", "dropped", "count", (json_int_t)d);
		spool_add(s, dr);
		json_decref(dr);
	}
	json_object_set_new(body, "seq", json_integer((json_int_t)s->next));
	json_object_set_new(body, "epoch", json_string(s->epoch));
	if (!json_object_get(body, "time"))
		json_object_set_new(body, "time", json_integer((json_int_t)now_wall()));
	char *line = json_dumps(body, JSON_COMPACT);
	/* too long once encoded (control bytes grow six-fold): the log line
	 * is cut until the record fits what the gateway reads */
	for (int tries = 0; line && strlen(line) >= REC_BODY_MAX && tries < 8; tries++) {
		json_t *l = json_object_get(body, "line");
		size_t ll = json_string_length(l);
		free(line);
		line = NULL;
		if (!json_is_string(l) || ll < 2)
			break;
		char *cut = strndup(json_string_value(l), ll / 2);
		if (!cut)
			break;
		json_object_set_new(body, "line", json_string(cut));
		free(cut);
		line = json_dumps(body, JSON_COMPACT);
	}
	if (!line || strlen(line) >= REC_BODY_MAX) {
		free(line);
		s->dropped++;
		return;
	}
	size_t len = strlen(line);
	line[len++] = '\n'; /* json_dumps leaves room: it was the NUL */
	if (fwrite(line, 1, len, s->f) != len || spool_push(s, s->next, line, len) < 0) {
		free(line);
		s->dropped++;
		return;
	}
	s->file_recs++;
	s->next++;
	free(line);
}

static void spool_ack(struct spool *s, uint64_t seq)
{
	if (seq <= s->acked)
		return;
	s->acked = seq;
	while (s->n && s->r[s->head].seq <= seq) {
		s->bytes -= s->r[s->head].len;
		free(s->r[s->head].line);
		s->head++;
		s->n--;
	}
	if (s->sent < s->acked)
		s->sent = s->acked;
}

/* Writes the file again with only what is unacknowledged, when it has
 * grown well past that. */
static void spool_compact(struct spool *s)
{
	fflush(s->f);
	if (s->file_recs < 4096 || s->file_recs < 4 * (s->n + 1))
		return;
	char p[4200], t[4200];
	path_in(s, "spool.jsonl", p, sizeof(p));
	path_in(s, "spool.tmp", t, sizeof(t));
	FILE *f = fopen(t, "w");
	if (!f)
		return;
	for (size_t i = 0; i < s->n; i++)
		fwrite(s->r[s->head + i].line, 1, s->r[s->head + i].len, f);
	if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(t, p)) {
		unlink(t);
		return;
	}
	FILE *nf = fopen(p, "a");
	if (!nf)
		return; /* the old stream still writes to the renamed-over inode: kept */
	fclose(s->f);
	s->f = nf;
	s->file_recs = s->n;
}

static void spool_close(struct spool *s)
{
	if (s->f) {
		fflush(s->f);
		fsync(fileno(s->f));
		fclose(s->f);
	}
	spool_state_save(s);
	for (size_t i = 0; i < s->n; i++)
		free(s->r[s->head + i].line);
	free(s->r);
	json_decref(s->resume);
}

/* ---- vigil agent ---------------------------------------------------- */

struct agent {
	struct spool sp;
	struct link ln;
	bool up;
	struct hids_inputs *in;
	uint64_t gap_from;   /* the gateway wants this, and it is gone: a gap record */
	double up_since, next_try, backoff;
	char said[200];      /* the last reason the link failed that was logged */
};

/* The link broke, or did not come up: it is tried again after the
 * back-off, which doubles up to 30 s unless the link had held 10 s (a
 * gateway that refuses this agent, after a TLS 1.3 handshake that
 * looked fine from here, is not asked every second).  A reason TLS gave
 * is logged once, until the gateway answers again. */
static void agent_link_down(struct agent *a)
{
	double now = now_mono();
	if (a->up && now - a->up_since >= 10)
		a->backoff = 1;
	if (a->ln.why[0] && strcmp(a->ln.why, a->said)) {
		fprintf(stderr, "vigil agent: the link to the gateway: %s\n", a->ln.why);
		str_lcpy(a->said, a->ln.why, sizeof(a->said));
	}
	link_close(&a->ln);
	a->up = false;
	a->next_try = now + a->backoff;
	a->backoff = a->backoff < 30 ? a->backoff * 2 : 30;
}

/* Bytes that are not UTF-8 become '?' (JSON strings must be UTF-8; a line
 * must not vanish for a stray byte: an attacker would put one there). */
static char *utf8_clean(const char *s, size_t len)
{
	char *o = malloc(len + 1);
	if (!o)
		return NULL;
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k = 0;
	while (i < len) {
		unsigned char c = p[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 && c >= 0xc2 ? 2 : (c & 0xf0) == 0xe0 ? 3
			   : (c & 0xf8) == 0xf0 && c <= 0xf4 ? 4 : 0;
		bool ok = n && i + n <= len && c;
		for (size_t j = 1; ok && j < n; j++)
			ok = (p[i + j] & 0xc0) == 0x80;
		if (ok && n == 3)
			ok = !(c == 0xe0 && p[i + 1] < 0xa0) && !(c == 0xed && p[i + 1] >= 0xa0);
		if (ok && n == 4)
			ok = !(c == 0xf0 && p[i + 1] < 0x90) && !(c == 0xf4 && p[i + 1] >= 0x90);
		if (!ok) {
			o[k++] = '?';
			i++;
			continue;
		}
		memcpy(o + k, p + i, n);
		k += n;
		i += n;
	}
	o[k] = 0;
	return o;
}

static void on_log(void *ctx, const char *location, const char *line, size_t len)
{
	struct agent *a = ctx;
	char *clean = utf8_clean(line, len), *cloc = utf8_clean(location, strlen(location));
	json_t *r = clean && cloc ? json_pack("{s:s,s:s,s:s}", "type", "log", "location", cloc, "line", clean) : NULL;
	free(clean);
	free(cloc);
	if (!r)
		a->sp.dropped++;
	/* the file's position (the journal entry's cursor) goes with the
	 * line: after a crash the agent resumes after the last line its
	 * spool holds, not before */
	uint64_t dev, ino, off;
	const char *jc;
	if (r && hids_inputs_line_end(a->in, &dev, &ino, &off))
		json_object_set_new(r, "src", json_pack("[I,I,I]", (json_int_t)dev, (json_int_t)ino, (json_int_t)off));
	else if (r && (jc = hids_inputs_line_cursor(a->in)))
		json_object_set_new(r, "src", json_string(jc));
	if (r)
		spool_add(&a->sp, r);
	json_decref(r);
}

static void on_fim(void *ctx, const char *js, size_t len)
{
	struct agent *a = ctx;
	json_error_t je;
	json_t *ev = json_loadb(js, len, 0, &je);
	json_t *r = ev ? json_pack("{s:s,s:o}", "type", "fim", "event", ev) : NULL;
	if (r)
		spool_add(&a->sp, r);
	json_decref(r);
}

static void on_answer(void *ctx, char *line, size_t len)
{
	struct agent *a = ctx;
	json_error_t je;
	json_t *r = json_loadb(line, len, 0, &je);
	json_t *ack = json_object_get(r, "ack"), *want = json_object_get(r, "want");
	a->said[0] = 0; /* the gateway takes us: a failure later is news */
	if (json_is_integer(ack))
		spool_ack(&a->sp, (uint64_t)json_integer_value(ack));
	if (json_is_integer(want)) {
		/* the gateway has everything before want: resend from there */
		uint64_t w = (uint64_t)json_integer_value(want);
		if (w > 0 && w - 1 >= a->sp.acked) {
			spool_ack(&a->sp, w - 1);
			a->sp.sent = w - 1;
		} else if (w > 0) {
			/* it wants what it acknowledged once and lost (its state went
			 * back): those are gone from here; say so, and go on */
			a->gap_from = w;
		}
	}
	json_decref(r);
}

static void agent_usage(FILE *f)
{
	fputs("usage: vigil agent --spool DIR (--to COMMAND | --tls HOST:PORT --cert FILE --key FILE --ca FILE\n"
	      "                   [--server-name NAME]) [--log FILE]... [--journal] [--journal-dir DIR]\n"
	      "                   [--from-start]\n"
	      "                   [--fim PATH]... [--fim-db FILE] [--fim-ignore GLOB]... [--honeyfile PATH]...\n"
	      "                   [--max-spool SIZE]\n"
	      "\n"
	      "Collects log lines and file integrity events in this VM and sends them to the\n"
	      "gateway's vigil, through COMMAND's stdin and stdout (e.g. \"qrexec-client-vm\n"
	      "gateway qubes.VigilEvents\") or mutually authenticated TLS (certificates from\n"
	      "vigil agent-cert).  Records wait in the spool until the gateway acknowledges\n"
	      "them; the spool holds --max-spool bytes (64mb), and what does not fit is\n"
	      "counted and reported.  SIGTERM stops it.\n",
	      f);
}

int agent_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "spool", required_argument, NULL, 's' }, { "to", required_argument, NULL, 't' },
		{ "tls", required_argument, NULL, 'T' }, { "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' }, { "ca", required_argument, NULL, 'A' },
		{ "server-name", required_argument, NULL, 'N' }, { "log", required_argument, NULL, 'l' },
		{ "journal", no_argument, NULL, 'j' }, { "from-start", no_argument, NULL, 'S' },
		{ "journal-dir", required_argument, NULL, 'J' },
		{ "fim", required_argument, NULL, 'f' }, { "fim-db", required_argument, NULL, 'd' },
		{ "fim-ignore", required_argument, NULL, 'i' }, { "honeyfile", required_argument, NULL, 'H' },
		{ "max-spool", required_argument, NULL, 'm' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *spool = NULL, *to = NULL, *tls = NULL, *cert = NULL, *key = NULL, *ca = NULL;
	const char *server_name = "vigil-gateway", *fim_db = NULL;
	const char *logs[64], *trees[64], *ign[64], *honey[64];
	size_t nlogs = 0, ntrees = 0, nign = 0, nhoney = 0;
	bool journal = false, from_start = false;
	const char *journal_dir = NULL;
	uint64_t max_spool = 64u << 20;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 's': spool = optarg; break;
		case 't': to = optarg; break;
		case 'T': tls = optarg; break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		case 'A': ca = optarg; break;
		case 'N': server_name = optarg; break;
		case 'l': if (nlogs < 64) logs[nlogs++] = optarg; break;
		case 'j': journal = true; break;
		case 'J': journal = true; journal_dir = optarg; break;
		case 'S': from_start = true; break;
		case 'f': if (ntrees < 64) trees[ntrees++] = optarg; break;
		case 'd': fim_db = optarg; break;
		case 'i': if (nign < 64) ign[nign++] = optarg; break;
		case 'H': if (nhoney < 64) honey[nhoney++] = optarg; break;
		case 'm':
			if (parse_size(optarg, &max_spool) < 0) {
				fprintf(stderr, "vigil agent: bad --max-spool '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': agent_usage(stdout); return 0;
		default: agent_usage(stderr); return 2;
		}
	}
	if (!spool || (!to == !tls) || (tls && (!cert || !key || !ca))) {
		agent_usage(stderr);
		return 2;
	}
	struct agent *a = calloc(1, sizeof(*a));
	char err[4400] = "";
	int rc = 1;
	struct hids_inputs *in = NULL;
	struct fim *fim = NULL;
	if (!a)
		return 1;
	a->ln.rfd = a->ln.wfd = a->ln.sock = -1;
	a->ln.child = -1;
	if (spool_open(&a->sp, spool, (size_t)max_spool, err, sizeof(err)) < 0) {
		fprintf(stderr, "vigil agent: %s\n", err);
		free(a);
		return 1;
	}
	if (tls && !(a->ln.ctx = tls_ctx(false, cert, key, ca, err, sizeof(err)))) {
		fprintf(stderr, "vigil agent: %s\n", err);
		goto out;
	}
	char pos[4200];
	snprintf(pos, sizeof(pos), "%s/positions.json", spool);
	in = hids_inputs_new(pos, from_start);
	a->in = in;
	struct verr e = { "" };
	for (size_t i = 0; in && i < nlogs; i++)
		if (hids_inputs_add_file(in, logs[i], &e) < 0) {
			fprintf(stderr, "vigil agent: %s\n", e.msg);
			goto out;
		}
	const char *rk;
	json_t *rv;
	json_object_foreach(a->sp.resume, rk, rv) {
		if (in && json_is_array(rv))
			hids_inputs_resume(in, rk, (uint64_t)json_integer_value(json_array_get(rv, 0)),
					   (uint64_t)json_integer_value(json_array_get(rv, 1)),
					   (uint64_t)json_integer_value(json_array_get(rv, 2)));
		else if (in && journal && json_is_string(rv) && !strcmp(rk, "journald") &&
			 hids_inputs_resume_journal(in, json_string_value(rv)) < 0) {
			fprintf(stderr, "vigil agent: out of memory\n");
			goto out;
		}
	}
	if (in && journal && hids_inputs_add_journal(in, journal_dir, &e) < 0) {
		fprintf(stderr, "vigil agent: %s\n", e.msg);
		goto out;
	}
	if (ntrees || nhoney) {
		char db[4200];
		snprintf(db, sizeof(db), "%s/fim.db", spool);
		struct fim_config fc = { .trees = trees, .tree_cnt = ntrees, .ignore = ign, .ignore_cnt = nign,
					 .honeyfiles = honey, .honeyfile_cnt = nhoney,
					 .db_path = fim_db ? fim_db : db, .realtime = true, .interval = 3600,
					 .emit = on_fim, .emit_ctx = a };
		if (fim_new(&fim, &fc, &e) < 0 || fim_scan(fim, &e) < 0) {
			fprintf(stderr, "vigil agent: %s\n", e.msg);
			goto out;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { 0 };
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	double last_save = now_mono();
	a->backoff = 1;
	while (!stop_now) {
		double now = now_mono();
		if (!a->up && now >= a->next_try) {
			int r = to ? link_exec(&a->ln, to) : link_tls(&a->ln, tls, server_name);
			if (r == 0) {
				a->up = true;
				a->up_since = now;
				a->sp.sent = a->sp.acked; /* everything unacknowledged, again */
			} else {
				agent_link_down(a);
			}
		}
		if (in)
			hids_inputs_poll(in, 512, on_log, a);
		if (a->up && a->gap_from) {
			char g[200];
			int gl = snprintf(g, sizeof(g), "{\"seq\":%llu,\"type\":\"gap\",\"from\":%llu,\"epoch\":\"%s\"}\n",
					  (unsigned long long)a->sp.acked, (unsigned long long)a->gap_from, a->sp.epoch);
			a->gap_from = 0;
			if (link_write(&a->ln, g, (size_t)gl) < 0)
				agent_link_down(a);
		}
		/* send what the window allows */
		while (a->up && a->sp.n && a->sp.sent < a->sp.r[a->sp.head + a->sp.n - 1].seq &&
		       a->sp.sent - a->sp.acked < WINDOW) {
			uint64_t want = a->sp.sent + 1;
			/* numbers run without gaps: the index is the difference */
			size_t i = want > a->sp.r[a->sp.head].seq ? (size_t)(want - a->sp.r[a->sp.head].seq) : 0;
			if (i >= a->sp.n || a->sp.r[a->sp.head + i].seq != want)
				for (i = 0; i < a->sp.n && a->sp.r[a->sp.head + i].seq < want; i++)
					;
			if (i == a->sp.n)
				break;
			struct rec *rr = &a->sp.r[a->sp.head + i];
			fflush(a->sp.f); /* on disk before it leaves */
			if (link_write(&a->ln, rr->line, rr->len) < 0) {
				agent_link_down(a);
				break;
			}
			a->sp.sent = rr->seq;
		}
		struct pollfd pf[2];
		nfds_t n = 0;
		if (a->up) {
			pf[n].fd = link_fd(&a->ln);
			pf[n++].events = POLLIN;
		}
		if (fim && fim_fd(fim) >= 0) {
			pf[n].fd = fim_fd(fim);
			pf[n++].events = POLLIN;
		}
		int t = 100;
		if (fim && fim_timeout_ms(fim) >= 0 && fim_timeout_ms(fim) < t)
			t = fim_timeout_ms(fim);
		poll(pf, n, t);
		if (a->up && link_read(&a->ln, on_answer, a) < 0)
			agent_link_down(a);
		if (fim)
			fim_process(fim, &e);
		if (now_mono() - last_save > 1) {
			/* spool first, then the positions that it covers, then the
			 * spool may lose what was acknowledged */
			fflush(a->sp.f);
			if (spool_state_save(&a->sp) == 0 && (!in || hids_inputs_save(in, &e) == 0))
				spool_compact(&a->sp);
			last_save = now_mono();
		}
	}
	rc = 0;
out:
	if (in)
		hids_inputs_save(in, &e);
	fim_free(fim);
	hids_inputs_free(in);
	link_close(&a->ln);
	SSL_CTX_free(a->ln.ctx);
	spool_close(&a->sp);
	free(a);
	return rc;
}

/* ---- the agents' revocation list ------------------------------------ */

/* ca.crl, beside the CA's certificate: vigil agent-cert --revoke writes
 * it, signed by the CA; agent-recv --listen reads it again whenever the
 * file changes, so a revocation needs no restart. */

static X509 *cert_load(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	X509 *c = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return c;
}

static void serial_hex(const ASN1_INTEGER *sn, char *out, size_t cap)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL;
	snprintf(out, cap, "%s", h ? h : "?");
	OPENSSL_free(h);
	BN_free(bn);
}

/* The CRL's path for the CA certificate at ca: the same directory. */
static void crl_path(const char *ca, char *out, size_t cap)
{
	const char *slash = strrchr(ca, '/');
	if (slash)
		snprintf(out, cap, "%.*s/ca.crl", (int)(slash - ca), ca);
	else
		snprintf(out, cap, "ca.crl");
}

/* Reads the CRL at path and checks that ca signed it.  0 with *out set;
 * 0 with *out NULL when there is no such file; -1 when it cannot be read,
 * is not a PEM CRL or is not ca's (err says which, naming the file). */
static int crl_read(const char *path, X509 *ca, X509_CRL **out, char *err, size_t cap)
{
	*out = NULL;
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		return -1;
	}
	X509_CRL *crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	EVP_PKEY *pk = X509_get0_pubkey(ca);
	if (!crl) {
		snprintf(err, cap, "%s: not a certificate revocation list (PEM)", path);
	} else if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca)) || !pk ||
		   X509_CRL_verify(crl, pk) != 1) {
		snprintf(err, cap, "%s: a revocation list the agents' CA did not sign", path);
		X509_CRL_free(crl);
		crl = NULL;
	}
	ERR_clear_error();
	if (!crl)
		return -1;
	*out = crl;
	return 0;
}

/* Where the CRL file was when it was last read: a change of any of these
 * (replaced, written, gone, back) means reading it again. */
struct crl_watch {
	char path[4200];
	X509 *ca;
	bool present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

/* true when the file is not as it was; *st is what it is now. */
static bool crl_changed(const struct crl_watch *w, struct stat *st, bool *present)
{
	*present = stat(w->path, st) == 0;
	if (*present != w->present)
		return true;
	return *present && (st->st_dev != w->dev || st->st_ino != w->ino || st->st_size != w->size ||
			    st->st_mtim.tv_sec != w->mtime.tv_sec || st->st_mtim.tv_nsec != w->mtime.tv_nsec ||
			    st->st_ctim.tv_sec != w->ctime.tv_sec || st->st_ctim.tv_nsec != w->ctime.tv_nsec);
}

static void crl_seen(struct crl_watch *w, const struct stat *st, bool present)
{
	w->present = present;
	if (present) {
		w->dev = st->st_dev;
		w->ino = st->st_ino;
		w->size = st->st_size;
		w->mtime = st->st_mtim;
		w->ctime = st->st_ctim;
	}
}

/* ---- vigil agent-recv ----------------------------------------------- */

struct relay {
	const char *vm;
	char sock[4096];      /* the sensor's hids.agent-socket */
	struct link *agent;
	int ingest;
	char ibuf[REC_MAX];
	size_t ilen;
	double tokens, rate, burst, last;
	bool broken;
	/* --listen: the client's certificate, checked again whenever the
	 * CRL changes (an established link is cut when it is revoked) */
	struct crl_watch *crl;
	const ASN1_INTEGER *serial;
	const char *peer;
	double crl_checked;
};

static void to_ingest(void *ctx, char *line, size_t len)
{
	struct relay *r = ctx;
	if (r->broken)
		return;
	json_error_t je;
	json_t *rec = json_loadb(line, len, 0, &je);
	if (!json_is_object(rec)) {
		json_decref(rec);
		return; /* not a record: ignored */
	}
	/* the VM is the channel's, whatever the record says */
	json_object_set_new(rec, "vm", json_string(r->vm));
	/* the rate limit: wait for a token (the agent's own spool holds
	 * what waits) */
	for (;;) {
		double now = now_mono();
		r->tokens += (now - r->last) * r->rate;
		r->last = now;
		if (r->tokens > r->burst)
			r->tokens = r->burst;
		if (r->tokens >= 1)
			break;
		usleep((useconds_t)((1 - r->tokens) / r->rate * 1e6) + 1000);
	}
	r->tokens -= 1;
	char *out = json_dumps(rec, JSON_COMPACT);
	json_decref(rec);
	if (!out)
		return;
	size_t ol = strlen(out);
	out[ol++] = '\n';
	for (size_t off = 0; off < ol;) {
		ssize_t w = write(r->ingest, out + off, ol - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r->broken = true;
			break;
		}
		off += (size_t)w;
	}
	free(out);
}

static int ingest_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* true when the CRL changed and now lists the client's certificate. */
static bool relay_revoked(struct relay *r)
{
	struct stat st;
	bool present;
	if (!r->crl || now_mono() - r->crl_checked < 1)
		return false;
	r->crl_checked = now_mono();
	if (!crl_changed(r->crl, &st, &present))
		return false;
	X509_CRL *crl = NULL;
	char err[4400];
	int rc = crl_read(r->crl->path, r->crl->ca, &crl, err, sizeof(err));
	crl_seen(r->crl, &st, present);
	if (rc < 0)
		return false; /* the listener says why, at its next connection */
	X509_REVOKED *rev;
	bool revoked = crl && X509_CRL_get0_by_serial(crl, &rev, r->serial) == 1;
	X509_CRL_free(crl);
	if (revoked) {
		char sn[80];
		serial_hex(r->serial, sn, sizeof(sn));
		fprintf(stderr, "vigil agent-recv: %s: certificate \"%s\" (serial %s) revoked: connection closed\n",
			r->peer, r->vm, sn);
	}
	return revoked;
}

/* Relays one agent's records to the sensor and the answers back, until
 * either side goes.  Returns 0. */
static int relay_run(struct relay *r)
{
	for (int i = 0; (r->ingest = ingest_connect(r->sock)) < 0; i++) {
		/* the sensor is not there (yet): the agent keeps its records */
		if (i > 50 || stop_now)
			return 1;
		usleep(200 * 1000);
	}
	r->last = now_mono();
	r->tokens = r->burst;
	while (!stop_now && !r->broken && !relay_revoked(r)) {
		struct pollfd pf[2] = { { link_fd(r->agent), POLLIN, 0 }, { r->ingest, POLLIN, 0 } };
		if (r->agent->ssl && SSL_pending(r->agent->ssl))
			pf[0].revents = POLLIN;
		else if (poll(pf, 2, 500) <= 0)
			continue;
		if (pf[0].revents && link_read(r->agent, to_ingest, r) < 0)
			break;
		if (pf[1].revents) {
			ssize_t n = read(r->ingest, r->ibuf + r->ilen, sizeof(r->ibuf) - r->ilen);
			if (n <= 0)
				break;
			r->ilen += (size_t)n;
			char *nl = memrchr(r->ibuf, '\n', r->ilen);
			if (nl) {
				size_t whole = (size_t)(nl - r->ibuf) + 1;
				if (link_write(r->agent, r->ibuf, whole) < 0)
					break;
				r->ilen -= whole;
				memmove(r->ibuf, r->ibuf + whole, r->ilen);
			}
			if (r->ilen == sizeof(r->ibuf))
				break;
		}
	}
	close(r->ingest);
	return 0;
}

static void recv_usage(FILE *f)
{
	fputs("usage: vigil agent-recv (--stdio | --listen [ADDR:]PORT --cert FILE --key FILE --ca FILE)\n"
	      "                        [--ingest SOCKET] [-c CONFIG] [--rate N] [--burst N]\n"
	      "\n"
	      "The gateway's end of vigil agent: hands an agent's records to the sensor's host\n"
	      "IDS (hids.agent-socket) and its answers back.  --stdio: the qrexec service\n"
	      "(qubes.VigilEvents): the agent is on stdin and stdout and its VM is\n"
	      "QREXEC_REMOTE_DOMAIN.  --listen: mutually authenticated TLS (ADDR defaults to\n"
	      "127.0.0.1); the VM is the client certificate's common name, and the CA's\n"
	      "revocation list (ca.crl beside --ca, from vigil agent-cert --revoke) is read\n"
	      "again when it changes.  --rate: records a second per agent (500), --burst: how\n"
	      "many may come at once (2000).\n",
	      f);
}

static bool vm_name_ok(const char *s)
{
	if (!*s || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* The client's certificate as its handshake saw it, for the log when it
 * is refused (one client per child process). */
static char peer_cn[128], peer_sn[80];

static int recv_verify(int ok, X509_STORE_CTX *x)
{
	X509 *c = X509_STORE_CTX_get_current_cert(x);
	if (c && X509_STORE_CTX_get_error_depth(x) == 0) {
		if (X509_NAME_get_text_by_NID(X509_get_subject_name(c), NID_commonName, peer_cn, sizeof(peer_cn)) <= 0 ||
		    !vm_name_ok(peer_cn))
			str_lcpy(peer_cn, "?", sizeof(peer_cn)); /* the name is the client's word: not logged */
		serial_hex(X509_get0_serialNumber(c), peer_sn, sizeof(peer_sn));
	}
	return ok;
}

/* The store that verifies clients: the CA and, when there is one, its
 * CRL (then every client's certificate is checked against it). */
static int recv_store_set(SSL_CTX *ctx, const char *ca, X509_CRL *crl)
{
	X509_STORE *st = X509_STORE_new();
	int rc = -1;
	if (!st || X509_STORE_load_file(st, ca) != 1 || (crl && X509_STORE_add_crl(st, crl) != 1))
		goto out;
	if (crl)
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	if (SSL_CTX_set1_verify_cert_store(ctx, st) == 1)
		rc = 0;
out:
	X509_STORE_free(st);
	return rc;
}

/* Reads the CRL again when its file changed.  At the start (first) a
 * file that is there and bad is an error (-1); later it is logged and
 * the revocations read before still hold.  0 otherwise. */
static int recv_crl_update(struct crl_watch *w, SSL_CTX *ctx, const char *ca, bool first)
{
	struct stat st;
	bool present;
	if (!crl_changed(w, &st, &present) && !first)
		return 0;
	X509_CRL *crl = NULL;
	char err[4400];
	int rc = crl_read(w->path, w->ca, &crl, err, sizeof(err));
	if (rc == 0 && recv_store_set(ctx, ca, crl) < 0) {
		const char *why = ERR_reason_error_string(ERR_get_error());
		snprintf(err, sizeof(err), "%s: cannot use it: %s", w->path, why ? why : "out of memory");
		rc = -1;
	}
	if (rc < 0) {
		fprintf(stderr, "vigil agent-recv: %s%s\n", err, first ? "" : " (kept the revocations read before)");
		X509_CRL_free(crl);
		if (first)
			return -1;
		crl_seen(w, &st, present); /* said once, not at every connection */
		return 0;
	}
	int n = crl ? sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) : 0;
	if (crl)
		fprintf(stderr, "vigil agent-recv: %s: %d certificate%s revoked\n", w->path, n < 0 ? 0 : n,
			n == 1 ? "" : "s");
	else if (!first)
		fprintf(stderr, "vigil agent-recv: %s is gone: no certificate is revoked\n", w->path);
	crl_seen(w, &st, crl != NULL);
	X509_CRL_free(crl);
	return 0;
}

int agent_recv_main(int argc, char **argv)
{
	static const struct option opts[] = {
		SUBCMD_OPTIONS,
		{ "stdio", no_argument, NULL, 's' }, { "listen", required_argument, NULL, 'L' },
		{ "cert", required_argument, NULL, 'C' }, { "key", required_argument, NULL, 'K' },
		{ "ca", required_argument, NULL, 'A' }, { "ingest", required_argument, NULL, 'I' },
		{ "rate", required_argument, NULL, 'r' }, { "burst", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	struct subcmd sc = { .prog = "vigil agent-recv" };
	const char *listen_on = NULL, *cert = NULL, *key = NULL, *ca = NULL, *ingest = NULL;
	bool stdio = false;
	double rate = 500, burst = 2000;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, SUBCMD_SHORT, opts, NULL)) != -1) {
		if (subcmd_option(&sc, o, optarg))
			continue;
		switch (o) {
		case 's': stdio = true; break;
		case 'L': listen_on = optarg; break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		case 'A': ca = optarg; break;
		case 'I': ingest = optarg; break;
		case 'r': rate = atof(optarg); break;
		case 'b': burst = atof(optarg); break;
		case 'h': recv_usage(stdout); return 0;
		default: recv_usage(stderr); return 2;
		}
	}
	if (stdio == !!listen_on || (listen_on && (!cert || !key || !ca)) || rate <= 0 || burst < 1) {
		recv_usage(stderr);
		return 2;
	}
	char sock[4096];
	if (ingest) {
		str_lcpy(sock, ingest, sizeof(sock));
	} else {
		struct config cfg;
		if (subcmd_config(&cfg, &sc))
			return 2;
		if (!subcmd_path(&cfg, cfg.hids_agent_socket, sock, sizeof(sock)) || !*cfg.hids_agent_socket) {
			fprintf(stderr, "vigil agent-recv: hids.agent-socket is empty\n");
			config_fini(&cfg);
			return 2;
		}
		config_fini(&cfg);
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { 0 };
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	static struct link ln;
	memset(&ln, 0, sizeof(ln));
	ln.rfd = ln.wfd = ln.sock = -1;
	ln.child = -1;
	static struct relay r;
	if (stdio) {
		const char *vm = getenv("QREXEC_REMOTE_DOMAIN");
		if (!vm || !vm_name_ok(vm)) {
			fprintf(stderr, "vigil agent-recv: QREXEC_REMOTE_DOMAIN is %s\n", vm ? "not a VM name" : "not set");
			return 2;
		}
		ln.rfd = 0;
		ln.wfd = 1;
		fcntl(0, F_SETFL, O_NONBLOCK);
		r = (struct relay){ .vm = vm, .agent = &ln, .rate = rate, .burst = burst };
		str_lcpy(r.sock, sock, sizeof(r.sock));
		return relay_run(&r);
	}
	char err[256];
	SSL_CTX *ctx = tls_ctx(true, cert, key, ca, err, sizeof(err));
	if (!ctx) {
		fprintf(stderr, "vigil agent-recv: %s\n", err);
		return 1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, recv_verify);
	/* the CRL beside the CA, when there is one */
	static struct crl_watch crlw;
	memset(&crlw, 0, sizeof(crlw));
	crl_path(ca, crlw.path, sizeof(crlw.path));
	if (!(crlw.ca = cert_load(ca))) {
		fprintf(stderr, "vigil agent-recv: %s: not a PEM certificate\n", ca);
		SSL_CTX_free(ctx);
		return 1;
	}
	if (recv_crl_update(&crlw, ctx, ca, true) < 0) {
		X509_free(crlw.ca);
		SSL_CTX_free(ctx);
		return 1;
	}
	char host[256] = "127.0.0.1";
	const char *port = listen_on;
	const char *colon = strrchr(listen_on, ':');
	if (colon) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen_on), listen_on);
		port = colon + 1;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res = NULL;
	int lfd = -1, one = 1;
	if (getaddrinfo(host, port, &hints, &res) || !res ||
	    (lfd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, res->ai_addr, res->ai_addrlen) < 0 || listen(lfd, 64) < 0) {
		fprintf(stderr, "vigil agent-recv: cannot listen on %s: %s\n", listen_on, strerror(errno));
		if (res)
			freeaddrinfo(res);
		X509_free(crlw.ca);
		SSL_CTX_free(ctx);
		return 1;
	}
	freeaddrinfo(res);
	unsigned live = 0; /* children: one per agent, at most RECV_CHILDREN */
	while (!stop_now) {
		while (live && waitpid(-1, NULL, WNOHANG) > 0)
			live--;
		if (live >= RECV_CHILDREN) {
			usleep(100 * 1000);
			continue;
		}
		struct sockaddr_storage pa;
		socklen_t pal = sizeof(pa);
		int fd = accept4(lfd, (struct sockaddr *)&pa, &pal, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		/* a revocation since the last client counts for this one */
		recv_crl_update(&crlw, ctx, ca, false);
		pid_t pid = fork();
		if (pid != 0) {
			if (pid > 0)
				live++;
			close(fd);
			continue;
		}
		/* a client that never finishes its handshake goes */
		struct timeval tv = { 10, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		close(lfd);
		char peer_at[INET6_ADDRSTRLEN + 8] = "?", h[INET6_ADDRSTRLEN], sv[8];
		if (!getnameinfo((struct sockaddr *)&pa, pal, h, sizeof(h), sv, sizeof(sv), NI_NUMERICHOST | NI_NUMERICSERV))
			snprintf(peer_at, sizeof(peer_at), "%s:%s", h, sv);
		SSL *ssl = SSL_new(ctx);
		SSL_set_fd(ssl, fd);
		char cn[128] = "";
		X509 *peer = NULL;
		const char *why = NULL;
		if (SSL_accept(ssl) != 1) {
			long vr = SSL_get_verify_result(ssl);
			const char *e = ERR_reason_error_string(ERR_peek_last_error());
			why = vr != X509_V_OK ? X509_verify_cert_error_string(vr) : e ? e : "the TLS handshake failed";
		} else if (!(peer = SSL_get1_peer_certificate(ssl))) {
			why = "no certificate";
		} else if (X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn)) <= 0 ||
			   !vm_name_ok(cn)) {
			why = "the certificate's common name is not a VM name";
		}
		if (why) {
			if (peer_sn[0])
				fprintf(stderr, "vigil agent-recv: %s: certificate \"%s\" (serial %s) refused: %s\n",
					peer_at, peer_cn, peer_sn, why);
			else
				fprintf(stderr, "vigil agent-recv: %s: refused: %s\n", peer_at, why);
			X509_free(peer);
			SSL_free(ssl);
			close(fd);
			_exit(1);
		}
		ln.ssl = ssl;
		ln.sock = fd;
		fcntl(fd, F_SETFL, O_NONBLOCK);
		r = (struct relay){ .vm = cn, .agent = &ln, .rate = rate, .burst = burst, .crl = &crlw,
				    .serial = X509_get0_serialNumber(peer), .peer = peer_at,
				    .crl_checked = now_mono() };
		str_lcpy(r.sock, sock, sizeof(r.sock));
		relay_run(&r);
		X509_free(peer);
		SSL_shutdown(ssl);
		SSL_free(ssl);
		close(fd);
		_exit(0);
	}
	close(lfd);
	X509_free(crlw.ca);
	SSL_CTX_free(ctx);
	return 0;
}

/* ---- vigil agent-cert ----------------------------------------------- */

static EVP_PKEY *key_load_or_make(const char *path, bool *made)
{
	FILE *f = fopen(path, "r");
	*made = false;
	if (f) {
		EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		return k;
	}
	EVP_PKEY *k = EVP_EC_gen("P-256");
	if (!k)
		return NULL;
	mode_t old = umask(0077); /* the private key: its owner's only */
	f = fopen(path, "w");
	umask(old);
	if (!f || !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL)) {
		if (f)
			fclose(f);
		EVP_PKEY_free(k);
		return NULL;
	}
	fclose(f);
	chmod(path, 0600);
	*made = true;
	return k;
}

static void ext(X509 *c, X509 *issuer, int nid, const char *v)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, c, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v);
	if (e) {
		X509_add_ext(c, e, -1);
		X509_EXTENSION_free(e);
	}
}

/* A certificate for key, named cn, signed by (ca, cakey) or self-signed. */
static X509 *cert_make(EVP_PKEY *key, const char *cn, X509 *ca, EVP_PKEY *cakey, int kind)
{
	X509 *c = X509_new();
	unsigned char serial[16];
	if (!c || RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
	BN_free(bn);
	X509_set_version(c, 2);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), (long)(kind == 0 ? 3650 : 825) * 86400);
	X509_set_pubkey(c, key);
	X509_NAME *n = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"vigil", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, ca ? X509_get_subject_name(ca) : n);
	X509 *iss = ca ? ca : c;
	if (kind == 0) {
		ext(c, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
		ext(c, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		ext(c, iss, NID_basic_constraints, "critical,CA:FALSE");
		ext(c, iss, NID_key_usage, "critical,digitalSignature");
		ext(c, iss, NID_ext_key_usage, kind == 1 ? "serverAuth" : "clientAuth");
		char san[300];
		snprintf(san, sizeof(san), "DNS:%s", cn);
		ext(c, iss, NID_subject_alt_name, san);
	}
	ext(c, iss, NID_subject_key_identifier, "hash");
	if (!X509_sign(c, ca ? cakey : key, EVP_sha256()))
		goto fail;
	return c;
fail:
	X509_free(c);
	return NULL;
}

static int cert_write(const char *path, X509 *c)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int ok = PEM_write_X509(f, c);
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* Adds c's serial to the CRL at path (made on first use), signed by the
 * CA: the list is issued whole again, numbered one more, with fresh
 * dates, and written atomically, mode 0644 (agent-recv reads it).  Its
 * nextUpdate is the CA's end: the receiver reads the file, not a
 * distribution point, and a CRL past its nextUpdate would refuse every
 * agent.  *cnt: the serials it lists.  0, or -1 with err set. */
static int crl_revoke(const char *path, X509 *ca, EVP_PKEY *cakey, X509 *c, bool *already, int *cnt,
		      char *err, size_t cap)
{
	X509_CRL *old = NULL, *crl = NULL;
	ASN1_TIME *now = NULL;
	ASN1_INTEGER *num = NULL;
	BIGNUM *bn = NULL;
	BIO *mem = NULL;
	int rc = -1;
	*already = false;
	if (crl_read(path, ca, &old, err, cap) < 0)
		goto out;
	crl = X509_CRL_new();
	now = X509_gmtime_adj(NULL, 0);
	if (!crl || !now || !X509_CRL_set_version(crl, 1) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) || !X509_CRL_set1_lastUpdate(crl, now) ||
	    !X509_CRL_set1_nextUpdate(crl, X509_get0_notAfter(ca)))
		goto fail;
	STACK_OF(X509_REVOKED) *was = old ? X509_CRL_get_REVOKED(old) : NULL;
	for (int i = 0; i < sk_X509_REVOKED_num(was); i++) {
		X509_REVOKED *rv = X509_REVOKED_dup(sk_X509_REVOKED_value(was, i));
		if (!rv || !X509_CRL_add0_revoked(crl, rv)) {
			X509_REVOKED_free(rv);
			goto fail;
		}
	}
	X509_REVOKED *found;
	*already = old && X509_CRL_get0_by_serial(old, &found, X509_get0_serialNumber(c)) == 1;
	if (!*already) {
		X509_REVOKED *rv = X509_REVOKED_new();
		if (!rv || !X509_REVOKED_set_serialNumber(rv, (ASN1_INTEGER *)X509_get0_serialNumber(c)) ||
		    !X509_REVOKED_set_revocationDate(rv, now) || !X509_CRL_add0_revoked(crl, rv)) {
			X509_REVOKED_free(rv);
			goto fail;
		}
	}
	/* the CRL number grows with every issue (RFC 5280, 5.2.3) */
	num = old ? X509_CRL_get_ext_d2i(old, NID_crl_number, NULL, NULL) : NULL;
	bn = num ? ASN1_INTEGER_to_BN(num, NULL) : BN_new();
	ASN1_INTEGER_free(num);
	num = NULL;
	if (!bn || !BN_add_word(bn, 1) || !(num = BN_to_ASN1_INTEGER(bn, NULL)) ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
		goto fail;
	X509V3_CTX v3;
	X509V3_set_ctx(&v3, ca, NULL, NULL, crl, 0);
	X509_EXTENSION *aki = X509V3_EXT_conf_nid(NULL, &v3, NID_authority_key_identifier, "keyid:always");
	if (!aki || !X509_CRL_add_ext(crl, aki, -1)) {
		X509_EXTENSION_free(aki);
		goto fail;
	}
	X509_EXTENSION_free(aki);
	char *data;
	long len;
	if (!X509_CRL_sort(crl) || !X509_CRL_sign(crl, cakey, EVP_sha256()) || !(mem = BIO_new(BIO_s_mem())) ||
	    !PEM_write_bio_X509_CRL(mem, crl) || (len = BIO_get_mem_data(mem, &data)) <= 0)
		goto fail;
	if (file_write_atomic(path, data, (size_t)len, 0644) < 0 || chmod(path, 0644) < 0) {
		snprintf(err, cap, "%s: %s", path, strerror(errno));
		goto out;
	}
	*cnt = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
	rc = 0;
	goto out;
fail:
	snprintf(err, cap, "%s: cannot make the revocation list: %s", path,
		 ERR_reason_error_string(ERR_get_error()) ? ERR_reason_error_string(ERR_get_error()) : "out of memory");
out:
	BIO_free(mem);
	BN_free(bn);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(now);
	X509_CRL_free(crl);
	X509_CRL_free(old);
	return rc;
}

/* vigil agent-cert --revoke NAME: DIR/NAME.crt's serial into DIR/ca.crl. */
static int agent_cert_revoke(const char *dir, const char *name)
{
	char p[4200], crlp[4200], err[4600], sn[80];
	int rc = 1, cnt = 0;
	bool already;
	snprintf(p, sizeof(p), "%s/ca.key", dir);
	FILE *f = fopen(p, "r");
	EVP_PKEY *cakey = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	snprintf(p, sizeof(p), "%s/ca.crt", dir);
	X509 *ca = cakey ? cert_load(p) : NULL, *c = NULL;
	if (!ca) {
		fprintf(stderr, "vigil agent-cert: %s: no agents' CA there (ca.crt and ca.key)\n", dir);
		goto out;
	}
	snprintf(p, sizeof(p), "%s/%s.crt", dir, name);
	if (!(c = cert_load(p))) {
		fprintf(stderr, "vigil agent-cert: %s: %s\n", p, errno == ENOENT ? "no such certificate" : "not a PEM certificate");
		goto out;
	}
	if (X509_verify(c, X509_get0_pubkey(ca)) != 1) {
		fprintf(stderr, "vigil agent-cert: %s: not issued by the CA in %s\n", p, dir);
		goto out;
	}
	snprintf(crlp, sizeof(crlp), "%s/ca.crl", dir);
	if (crl_revoke(crlp, ca, cakey, c, &already, &cnt, err, sizeof(err)) < 0) {
		fprintf(stderr, "vigil agent-cert: %s\n", err);
		goto out;
	}
	serial_hex(X509_get0_serialNumber(c), sn, sizeof(sn));
	printf("%s (serial %s) %s; %s lists %d\n", p, sn, already ? "was revoked already" : "revoked", crlp, cnt);
	rc = 0;
out:
	ERR_clear_error();
	X509_free(c);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	return rc;
}

int agent_cert_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' }, { "name", required_argument, NULL, 'n' },
		{ "server", no_argument, NULL, 's' }, { "revoke", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *name = NULL, *revoke = NULL;
	bool server = false;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': dir = optarg; break;
		case 'n': name = optarg; break;
		case 's': server = true; break;
		case 'r': revoke = optarg; break;
		case 'h':
			fputs("usage: vigil agent-cert --dir DIR (--name NAME [--server] | --revoke NAME)\n"
			      "\n"
			      "Issues a certificate and key for an agent (its VM's name as the common\n"
			      "name) or, with --server, for the gateway's agent-recv, from the agents' CA\n"
			      "in DIR (made on first use: ca.crt, and ca.key readable by its owner\n"
			      "only).  Writes DIR/NAME.crt and DIR/NAME.key.  --revoke: adds DIR/NAME.crt\n"
			      "to the CA's revocation list, DIR/ca.crl (0644), which agent-recv --listen\n"
			      "reads again when it changes: that agent is refused, and cut if connected.\n",
			      stdout);
			return 0;
		default: return 2;
		}
	}
	const char *nm = revoke ? revoke : name;
	if (!dir || !nm || (revoke && (name || server)) || !vm_name_ok(nm) || !strcmp(nm, "ca")) {
		fprintf(stderr, "usage: vigil agent-cert --dir DIR (--name NAME [--server] | --revoke NAME)"
			" (NAME: letters, digits, -_.; not \"ca\")\n");
		return 2;
	}
	if (revoke)
		return agent_cert_revoke(dir, revoke);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "vigil agent-cert: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	char p[4200];
	bool made;
	snprintf(p, sizeof(p), "%s/ca.key", dir);
	EVP_PKEY *cakey = key_load_or_make(p, &made);
	snprintf(p, sizeof(p), "%s/ca.crt", dir);
	X509 *ca = made ? NULL : cert_load(p);
	if (cakey && !ca && (!(ca = cert_make(cakey, "vigil agents CA", NULL, NULL, 0)) || cert_write(p, ca) < 0)) {
		X509_free(ca);
		ca = NULL;
	}
	snprintf(p, sizeof(p), "%s/%s.key", dir, name);
	unlink(p);
	EVP_PKEY *k = cakey && ca ? key_load_or_make(p, &made) : NULL;
	X509 *c = k ? cert_make(k, name, ca, cakey, server ? 1 : 2) : NULL;
	snprintf(p, sizeof(p), "%s/%s.crt", dir, name);
	int rc = c && cert_write(p, c) == 0 ? 0 : 1;
	if (rc)
		fprintf(stderr, "vigil agent-cert: cannot make the certificate: %s\n",
			ERR_reason_error_string(ERR_get_error()));
	else
		printf("%s/%s.crt, %s/%s.key (CA: %s/ca.crt)\n", dir, name, dir, name, dir);
	X509_free(c);
	EVP_PKEY_free(k);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	return rc;
}
