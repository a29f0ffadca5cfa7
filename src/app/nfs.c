/*
 * nfs.c - NFS versions 2, 3 and 4 (RFC 1094, 1813, 7530/8881) over ONC
 * RPC (RFC 5531), TCP (with record marking) and UDP, port 2049, as
 * Suricata 8 reads, logs and matches it.
 *
 * An RPC message on TCP follows a record mark (RFC 5531 11):
 *
 *   +-+-----------------------------+-----------------------------...
 *   |L|   fragment length (31 bit)  |  xid, message type, ...
 *   +-+-----------------------------+-----------------------------...
 *
 * a call then carries the RPC version, program (100003 is NFS), program
 * version, procedure, credentials (AUTH_UNIX: machine name, uid, gid) and
 * verifier before the procedure's arguments; a reply the xid, whether it
 * was accepted, a verifier and the accept status before the results.
 *
 * Transactions follow Suricata's model: each call and its reply (by xid)
 * is one, except READ and WRITE, whose chunks make one file transaction
 * per file handle and direction (the file's data goes to the file
 * tracking: fileinfo records, file.data, filestore).  File names come
 * from LOOKUP, CREATE, READDIRPLUS (v3), OPEN and LOOKUP (v4), kept by
 * file handle.  A transaction is written as an nfs record (with an rpc
 * object) when its reply came, when its file ended, when both sides
 * closed, or at flow end.  NFSv2's procedures keep their own numbers and
 * names (Suricata 8 compares them with v3's, so reads no v2 LOOKUP; vigil
 * does; like Suricata it follows no v2 WRITE as a file); NFSv4 COMPOUNDs are read op by op until an op vigil does not
 * know (Suricata drops the whole COMPOUND then).
 *
 * Trade-off: everything a flow keeps is in fixed tables (NFS_MAX_* in
 * app_int.h: transactions, calls awaiting replies, handle names, open
 * files); a TCP record is gathered whole up to NFS_REC_MAX, a larger one
 * (a big READ or WRITE) only its head, its file data then streamed.  The
 * state and the record buffers are charged to the app-layer memcap.  After
 * a hole in the stream a direction is not read further (no record
 * boundary to find again; Suricata searches for one).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "app_int.h"
#include "cursor.h"
#include "json.h"
#include "util.h"

#define RPC_PROG_NFS 100003
#define RPC_AUTH_MAX 400          /* RFC 5531: credential bodies up to 400 bytes */
#define NFS_HEAD_LEN 1024         /* of a record over NFS_REC_MAX: what is gathered */
#define NFS_V4_MAX_OPS 64         /* ops read of one COMPOUND */
#define NFS_MAX_DIRENTS 512       /* READDIRPLUS entries read of one reply */
#define NFS_FILE_CHUNK_MAX (16u << 20) /* a READ/WRITE larger than this is not a file chunk (Suricata's) */

enum { P3_NULL, P3_GETATTR, P3_SETATTR, P3_LOOKUP, P3_ACCESS, P3_READLINK, P3_READ, P3_WRITE,
       P3_CREATE, P3_MKDIR, P3_SYMLINK, P3_MKNOD, P3_REMOVE, P3_RMDIR, P3_RENAME, P3_LINK,
       P3_READDIR, P3_READDIRPLUS, P3_FSSTAT, P3_FSINFO, P3_PATHCONF, P3_COMMIT, P3_NONE = 99 };
enum { OP4_CLOSE = 4, OP4_COMMIT = 5, OP4_CREATE = 6, OP4_GETFH = 10, OP4_LOOKUP = 15,
       OP4_OPEN = 18, OP4_PUTFH = 22, OP4_PUTROOTFH = 24, OP4_READ = 25, OP4_REMOVE = 28,
       OP4_WRITE = 38 };

/* ---- names ---- */

static const char *const v3_procs[22] = { "NULL", "GETATTR", "SETATTR", "LOOKUP", "ACCESS",
	"READLINK", "READ", "WRITE", "CREATE", "MKDIR", "SYMLINK", "MKNOD", "REMOVE", "RMDIR",
	"RENAME", "LINK", "READDIR", "READDIRPLUS", "FSSTAT", "FSINFO", "PATHCONF", "COMMIT" };
static const char *const v2_procs[18] = { "NULL", "GETATTR", "SETATTR", "ROOT", "LOOKUP",
	"READLINK", "READ", "WRITECACHE", "WRITE", "CREATE", "REMOVE", "RENAME", "LINK",
	"SYMLINK", "MKDIR", "RMDIR", "READDIR", "STATFS" };
static const char *const v4_procs[59] = { "NULL", "COMPOUND", NULL, "ACCESS", "CLOSE", "COMMIT",
	"CREATE", "DELEGPURGE", "DELEGRETURN", "GETATTR", "GETFH", "LINK", "LOCK", "LOCKT",
	"LOCKU", "LOOKUP", "LOOKUPP", "NVERIFY", "OPEN", "OPENATTR", "OPEN_CONFIRM",
	"OPEN_DOWNGRADE", "PUTFH", "PUTPUBFH", "PUTROOTFH", "READ", "READDIR", "READLINK",
	"REMOVE", "RENAME", "RENEW", "RESTOREFH", "SAVEFH", "SECINFO", "SETATTR", "SETCLIENTID",
	"SETCLIENTID_CONFIRM", "VERIFY", "WRITE", "RELEASE_LOCKOWNER", "BACKCHANNEL_CTL",
	"BIND_CONN_TO_SESSION", "EXCHANGE_ID", "CREATE_SESSION", "DESTROY_SESSION",
	"FREE_STATEID", "GET_DIR_DELEGATION", "GETDEVICEINFO", "GETDEVICELIST", "LAYOUTCOMMIT",
	"LAYOUTGET", "LAYOUTRETURN", "SECINFO_NO_NAME", "SEQUENCE", "SET_SSV", "TEST_STATEID",
	"WANT_DELEGATION", "DESTROY_CLIENTID", "RECLAIM_COMPLETE" };

static const char *proc_name(uint8_t version, uint32_t p, char buf[static 16])
{
	const char *n = NULL;
	if (version == 2)
		n = p < ARRAY_SIZE(v2_procs) ? v2_procs[p] : NULL;
	else if (version == 4)
		n = p < ARRAY_SIZE(v4_procs) ? v4_procs[p] : NULL;
	else
		n = p < ARRAY_SIZE(v3_procs) ? v3_procs[p] : NULL;
	if (n)
		return n;
	snprintf(buf, 16, "%u", p);
	return buf;
}

int nfs_procedure_lookup(const char *name, uint8_t version)
{
	const char *const *t = version == 2 ? v2_procs : version == 4 ? v4_procs : v3_procs;
	size_t n = version == 2 ? ARRAY_SIZE(v2_procs) : version == 4 ? ARRAY_SIZE(v4_procs)
								   : ARRAY_SIZE(v3_procs);
	for (size_t i = 0; i < n; i++)
		if (t[i] && !strcasecmp(t[i], name))
			return (int)i;
	return -1;
}

static const char *status_name(uint32_t s, char buf[static 16])
{
	static const struct { uint32_t v; const char *n; } names[] = {
		{ 0, "OK" }, { 1, "PERM" }, { 2, "NOENT" }, { 5, "IO" }, { 6, "NXIO" },
		{ 13, "ACCES" }, { 17, "EXIST" }, { 18, "XDEV" }, { 19, "NODEV" }, { 20, "NOTDIR" },
		{ 21, "ISDIR" }, { 22, "INVAL" }, { 27, "FBIG" }, { 28, "NOSPC" }, { 30, "ROFS" },
		{ 31, "MLINK" }, { 63, "NAMETOOLONG" }, { 66, "NOTEMPTY" }, { 69, "DQUOT" },
		{ 70, "STALE" }, { 71, "REMOTE" }, { 10001, "BADHANDLE" }, { 10002, "NOT_SYNC" },
		{ 10003, "BAD_COOKIE" }, { 10004, "NOTSUPP" }, { 10005, "TOOSMALL" },
		{ 10006, "SERVERFAULT" }, { 10007, "BADTYPE" }, { 10008, "JUKEBOX" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].v == s)
			return names[i].n;
	snprintf(buf, 16, "%u", s);
	return buf;
}

/* ---- XDR ---- */

/* An opaque or string of at most max bytes (and its padding); NULL and
 * the cursor in error when it is longer or cut short. */
static const uint8_t *xdr_opaque(struct cursor *c, uint32_t *len, uint32_t max)
{
	uint32_t n = cur_be32(c);
	if (c->err || n > max) {
		cur_fail(c);
		return NULL;
	}
	const uint8_t *p = cur_bytes(c, n);
	cur_skip(c, (4 - (n & 3)) & 3);
	*len = n;
	return c->err ? NULL : p;
}

struct fh {
	uint8_t v[NFS_FH_MAX];
	uint8_t len;
};

static bool read_fh(struct cursor *c, uint8_t version, struct fh *h)
{
	uint32_t n = 32;
	const uint8_t *p = version == 2 ? cur_bytes(c, 32) : xdr_opaque(c, &n, NFS_FH_MAX);
	if (!p)
		return false;
	memcpy(h->v, p, n);
	h->len = (uint8_t)n;
	return true;
}

struct name {
	char v[NFS_NAME_MAX];
	uint16_t len;
};

static bool read_name(struct cursor *c, struct name *nm)
{
	uint32_t n;
	const uint8_t *p = xdr_opaque(c, &n, 1u << 20);
	if (!p)
		return false;
	nm->len = (uint16_t)(n < NFS_NAME_MAX ? n : NFS_NAME_MAX);
	memcpy(nm->v, p, nm->len);
	return true;
}

/* ---- RPC ---- */

struct rpc_msg {
	uint32_t xid, type;
	uint32_t prog, vers, proc, flavor;
	bool has_unix;
	uint32_t uid, gid;
	struct name machine;
	uint32_t reply_state, accept_state;
	struct cursor body;       /* the procedure's arguments or results */
};

static bool rpc_parse(const uint8_t *d, uint32_t n, struct rpc_msg *m)
{
	struct cursor c;
	cur_init(&c, d, n);
	memset(m, 0, sizeof(*m));
	m->xid = cur_be32(&c);
	m->type = cur_be32(&c);
	if (c.err || m->type > 1)
		return false;
	uint32_t len;
	if (m->type == 0) {
		uint32_t rpcvers = cur_be32(&c);
		m->prog = cur_be32(&c);
		m->vers = cur_be32(&c);
		m->proc = cur_be32(&c);
		m->flavor = cur_be32(&c);
		const uint8_t *cred = xdr_opaque(&c, &len, RPC_AUTH_MAX);
		if (!cred || rpcvers != 2)
			return false;
		if (m->flavor == 1) { /* AUTH_UNIX: stamp, machine name, uid, gid, gids */
			struct cursor u;
			cur_init(&u, cred, len);
			cur_skip(&u, 4);
			if (read_name(&u, &m->machine)) {
				m->uid = cur_be32(&u);
				m->gid = cur_be32(&u);
				m->has_unix = !u.err;
			}
		}
		cur_skip(&c, 4); /* verifier */
		if (!xdr_opaque(&c, &len, RPC_AUTH_MAX) && c.err)
			return false;
	} else {
		m->reply_state = cur_be32(&c);
		if (c.err)
			return false;
		if (m->reply_state == 0) {
			cur_skip(&c, 4);
			xdr_opaque(&c, &len, RPC_AUTH_MAX);
			m->accept_state = cur_be32(&c);
			if (c.err)
				return false;
		}
	}
	m->body = c;
	return true;
}

/* Suricata's probe: an RPC call of the NFS program, versions 2 to 4 (to
 * the server), or a well-formed reply (to the client).  Over TCP the
 * first 16 bytes decide when no more came yet (an RPC call or reply, on
 * port 2049): detection decides on that many. */
bool nfs_probe(const uint8_t *d, uint32_t n, bool tcp, int dir)
{
	struct cursor c;
	cur_init(&c, d, n);
	if (tcp) {
		uint32_t mark = cur_be32(&c);
		if (c.err || (mark & 0x7fffffff) < 24)
			return false;
	}
	cur_skip(&c, 4);
	uint32_t type = cur_be32(&c);
	if (dir == 0) {
		uint32_t rpcvers = cur_be32(&c);
		if (c.err || type != 0 || rpcvers != 2)
			return false;
		if (tcp && cur_left(&c) < 8)
			return true;
		uint32_t prog = cur_be32(&c), vers = cur_be32(&c);
		return !c.err && prog == RPC_PROG_NFS && vers >= 2 && vers <= 4;
	}
	uint32_t rs = cur_be32(&c);
	return !c.err && type == 1 && rs <= 1;
}

/* ---- the state ---- */

static void name_put(struct nfs_state *s, const struct fh *h, const char *nm, uint16_t len)
{
	if (!h->len)
		return;
	struct nfs_name *slot = NULL;
	for (unsigned i = 0; i < NFS_MAX_NAMES && !slot; i++)
		if (s->names[i].used && s->names[i].fh_len == h->len &&
		    !memcmp(s->names[i].fh, h->v, h->len))
			slot = &s->names[i];
	if (!slot) { /* the oldest goes */
		slot = &s->names[s->name_next++ % NFS_MAX_NAMES];
		slot->used = true;
		slot->fh_len = h->len;
		memcpy(slot->fh, h->v, h->len);
	}
	slot->name_len = len;
	memcpy(slot->name, nm, len);
}

static const struct nfs_name *name_get(const struct nfs_state *s, const uint8_t *fh, uint8_t len)
{
	for (unsigned i = 0; len && i < NFS_MAX_NAMES; i++)
		if (s->names[i].used && s->names[i].fh_len == len && !memcmp(s->names[i].fh, fh, len))
			return &s->names[i];
	return NULL;
}

static void xid_name_from_fh(const struct nfs_state *s, struct nfs_xid *x)
{
	const struct nfs_name *nm = name_get(s, x->fh, x->fh_len);
	if (nm) {
		memcpy(x->name, nm->name, nm->name_len);
		x->name_len = nm->name_len;
	}
}

static struct nfs_xid *xid_new(struct nfs_state *s, uint32_t xid)
{
	struct nfs_xid *slot = NULL;
	for (unsigned i = 0; i < NFS_MAX_XID; i++) {
		if (s->xids[i].used && s->xids[i].xid == xid) {
			slot = &s->xids[i];
			break;
		}
		if (!s->xids[i].used && !slot)
			slot = &s->xids[i];
	}
	if (!slot) /* full: the oldest call is forgotten */
		slot = &s->xids[s->xid_next++ % NFS_MAX_XID];
	memset(slot, 0, sizeof(*slot));
	slot->used = true;
	slot->xid = xid;
	return slot;
}

static struct nfs_xid *xid_find(struct nfs_state *s, uint32_t xid)
{
	for (unsigned i = 0; i < NFS_MAX_XID; i++)
		if (s->xids[i].used && s->xids[i].xid == xid)
			return &s->xids[i];
	return NULL;
}

/* Transactions written on an earlier packet are free again, and so is
 * the file.data of files closed on an earlier packet. */
static void tx_reap(struct app_ctx *a, struct nfs_state *s)
{
	for (unsigned i = 0; i < NFS_MAX_TX; i++) {
		struct nfs_tx *t = &s->tx[i];
		if (t->used && t->logged && s->tx_seq[i] != a->pkt_seq)
			t->used = false;
	}
	for (unsigned i = 0; i < NFS_MAX_FILES; i++) {
		struct nfs_file *f = &s->files[i];
		if (!f->used && f->body.buf && f->closed_seq != a->pkt_seq + 1)
			body_free(a, &f->body);
	}
}

static void tx_show(struct app_ctx *a, struct nfs_tx *t, int dir);
static void tx_log(struct app_ctx *a, struct nfs_state *s, struct nfs_tx *t);

static struct nfs_tx *tx_new(struct app_ctx *a, struct nfs_state *s, const struct rpc_msg *m,
			     uint8_t version, uint32_t proc, bool creds)
{
	struct nfs_tx *t = NULL;
	unsigned idx = 0;
	for (unsigned i = 0; i < NFS_MAX_TX && !t; i++)
		if (!s->tx[i].used) {
			t = &s->tx[i];
			idx = i;
		}
	if (!t) {
		/* full: the oldest transaction without an open file is written
		 * as it is (its slot is free from the next packet on), and this
		 * one is not followed */
		app_event(a, APP_EV_NFS_TOO_MANY_TX);
		unsigned old = NFS_MAX_TX;
		for (unsigned i = 0; i < NFS_MAX_TX; i++)
			if (!s->tx[i].logged && s->tx[i].file < 0 && /* (not an open file) */
			    (old == NFS_MAX_TX || s->tx[i].id < s->tx[old].id))
				old = i;
		if (old < NFS_MAX_TX)
			tx_log(a, s, &s->tx[old]);
		return NULL;
	}
	memset(t, 0, sizeof(*t));
	t->used = true;
	t->id = ++s->next_id;
	t->xid = m->xid;
	t->version = version;
	t->procedure = proc;
	t->file = -1;
	if (m->type == 0 && creds) {
		t->auth_type = m->flavor;
		if (m->has_unix) {
			t->has_creds = true;
			t->uid = m->uid;
			t->gid = m->gid;
			t->machine_len = m->machine.len;
			memcpy(t->machine, m->machine.v, m->machine.len);
		}
	}
	s->tx_seq[idx] = 0;
	app_count_tx(a, s->udp, ALP_NFS);
	return t;
}

/* Into the packet's view for the rules, once per direction. */
static void tx_show(struct app_ctx *a, struct nfs_tx *t, int dir)
{
	if (t->shown & (1u << dir) || a->tx.nnfs >= APP_NFS_PER_PKT)
		return;
	t->shown |= (uint8_t)(1u << dir);
	a->tx.nfs[a->tx.nnfs++] = t;
	a->tx.alproto = ALP_NFS;
}

/* Its record is written on this packet. */
static void tx_log(struct app_ctx *a, struct nfs_state *s, struct nfs_tx *t)
{
	/* Suricata does not log NFSv2/3 GETATTR */
	bool filtered = t->version <= 3 && !t->file_tx && t->procedure == P3_GETATTR; /* (v2's too) */
	if (t->logged || (!filtered && a->tx.nnfslog >= APP_NFS_PER_PKT))
		return; /* (too many on this packet: written when both sides close, or at flow end) */
	t->logged = true;
	s->tx_seq[t - s->tx] = a->pkt_seq;
	if (!filtered)
		a->tx.nfslog[a->tx.nnfslog++] = t;
}

static void tx_done_check(struct app_ctx *a, struct nfs_state *s, struct nfs_tx *t)
{
	if (t->req_done && t->resp_done)
		tx_log(a, s, t);
}

/* ---- files ---- */

static struct nfs_tx *file_tx_find(struct nfs_state *s, const struct fh *h, bool to_client)
{
	for (unsigned i = 0; i < NFS_MAX_TX; i++) {
		struct nfs_tx *t = &s->tx[i];
		if (t->used && t->file_tx && !t->file_closed && t->file_to_client == to_client &&
		    t->fh_len == h->len && !memcmp(t->fh, h->v, h->len))
			return t;
	}
	return NULL;
}

/* The file of transaction t as fileinfo and the file keywords see it
 * (its digests finished). */
static void file_fill(struct app_file *fi, struct nfs_file *f, struct nfs_tx *t, bool truncated)
{
	memset(fi, 0, sizeof(*fi));
	memcpy(fi->name, t->name, t->name_len);
	fi->name_len = t->name_len;
	fi->size = f->size;
	fi->truncated = truncated;
	fi->to_client = t->file_to_client;
	fi->nfs_tx = t;
	fi->tx_id = (uint32_t)(t->id - 1);
	file_track_end(&f->ft, &fi->facts, !truncated);
}

static void file_close(struct app_ctx *a, struct nfs_state *s, struct nfs_tx *t, bool truncated)
{
	if (t->file < 0)
		return;
	struct nfs_file *f = &s->files[t->file];
	struct app_file *fi = app_file_slot(a);
	if (fi) {
		file_fill(fi, f, t, truncated);
		if (f->body.len) {
			fi->data = f->body.buf;
			fi->data_len = f->body.len;
			a->tx.http_fresh |= HTTP_P_REQ_BODY | HTTP_P_RESP_BODY;
		}
	}
	file_track_free(&f->ft);
	f->used = false;
	f->closed_seq = a->pkt_seq + 1; /* its file.data is read on this packet */
	t->file = -1;
	t->file_closed = true;
}

/* (Suricata's file transactions carry the call's credentials only when
 * an NFSv3 READ call starts them: creds) */
static struct nfs_tx *file_tx_new(struct app_ctx *a, struct nfs_state *s, const struct rpc_msg *m,
				  uint8_t version, uint32_t proc, const struct fh *h,
				  const char *name, uint16_t name_len, bool to_client, bool creds)
{
	int slot = -1;
	for (unsigned i = 0; i < NFS_MAX_FILES && slot < 0; i++)
		if (!s->files[i].used && s->files[i].closed_seq != a->pkt_seq + 1)
			slot = (int)i;
	if (slot < 0) {
		app_event(a, APP_EV_NFS_TOO_MANY_TX);
		return NULL;
	}
	struct nfs_tx *t = tx_new(a, s, m, version, proc, creds);
	if (!t)
		return NULL;
	t->file_tx = true;
	t->file_to_client = to_client;
	t->is_first = true;
	memcpy(t->fh, h->v, h->len);
	t->fh_len = h->len;
	memcpy(t->name, name, name_len);
	t->name_len = name_len;
	struct nfs_file *f = &s->files[slot];
	body_free(a, &f->body);
	memset(f, 0, sizeof(*f));
	f->used = true;
	file_track_begin(&f->ft);
	body_start(a, &f->body, NULL, to_client ? a->resp_body_limit : a->req_body_limit, false, false);
	t->file = slot;
	return t;
}

/* Data of t's file at offset off (bytes before what was seen are dropped,
 * bytes missing are a gap). */
static void file_data(struct app_ctx *a, struct nfs_state *s, struct nfs_tx *t, uint64_t off,
		      const uint8_t *d, uint32_t n)
{
	if (!t || t->file < 0 || !n)
		return;
	struct nfs_file *f = &s->files[t->file];
	if (off < f->next_off) {
		uint64_t dup = f->next_off - off;
		if (dup >= n)
			return;
		d += dup;
		n -= (uint32_t)dup;
		off = f->next_off;
	}
	if (off > f->next_off)
		file_track_gap(&f->ft);
	f->next_off = off + n;
	f->size += n;
	file_track_add(&f->ft, d, n);
	if (body_add(a, &f->body, d, n)) {
		int dir = t->file_to_client ? 1 : 0;
		a->tx.body[dir] = f->body.buf;
		a->tx.body_len[dir] = f->body.len;
	}
}

/* A READ's or WRITE's chunk: count bytes at off, of which the record
 * holds d/n (the rest follows on TCP); last closes the file. */
static void file_chunk(struct app_ctx *a, struct nfs_state *s, int dir, struct nfs_tx *t,
		       uint32_t xid, uint64_t off, const uint8_t *d, uint32_t n, uint32_t count,
		       bool last)
{
	if (!t)
		return;
	t->chunks++;
	file_data(a, s, t, off, d, n);
	tx_show(a, t, dir);
	struct nfs_dir *dd = &s->dir[dir];
	if (n < count && s->partial) { /* the rest of the record follows */
		dd->file_tx = (int)(t - s->tx);
		dd->file_id = t->id;
		dd->file_off = off + n;
		dd->file_left = count - n;
		dd->file_last = last;
		if (last) {
			t->last_xid = xid;
			t->is_last = true;
		}
		return;
	}
	if (last) {
		t->last_xid = xid;
		t->is_last = true;
		t->req_done = true;
		if (dir == 1)
			t->resp_done = true;
		file_close(a, s, t, false);
		tx_done_check(a, s, t);
	}
}

/* ---- NFSv2 and v3 ---- */

/* v2's procedure numbers as v3's, for reading them */
static uint32_t v2_as_v3(uint32_t p)
{
	static const uint8_t map[18] = { P3_NULL, P3_GETATTR, P3_SETATTR, P3_NONE, P3_LOOKUP,
		P3_READLINK, P3_READ, P3_NONE, P3_WRITE, P3_CREATE, P3_REMOVE, P3_RENAME, P3_LINK,
		P3_SYMLINK, P3_MKDIR, P3_RMDIR, P3_READDIR, P3_FSSTAT };
	return p < ARRAY_SIZE(map) ? map[p] : P3_NONE;
}

static void v3_write(struct app_ctx *a, struct nfs_state *s, const struct rpc_msg *m,
		     struct cursor *c, uint8_t v)
{
	struct fh h;
	if (!read_fh(c, v, &h))
		goto bad;
	uint64_t off = (uint64_t)cur_be32(c) << 32;
	off |= cur_be32(c);
	cur_skip(c, 4);
	uint32_t stable = cur_be32(c);
	uint32_t count = cur_be32(c);
	if (c->err)
		goto bad;
	if (count == 0 || count > NFS_FILE_CHUNK_MAX)
		return;
	uint32_t have = (uint32_t)(cur_left(c) < count ? cur_left(c) : count);
	const uint8_t *d = cur_bytes(c, have);
	const struct nfs_name *nm = name_get(s, h.v, h.len);
	struct nfs_tx *t = file_tx_find(s, &h, false);
	if (!t)
		t = file_tx_new(a, s, m, v, m->proc, &h, nm ? nm->name : "", nm ? nm->name_len : 0,
				false, false);
	file_chunk(a, s, 0, t, m->xid, off, d, have, count, stable == 2);
	return;
bad:
	app_event(a, APP_EV_NFS_MALFORMED);
}

static void v3_request(struct app_ctx *a, struct nfs_state *s, const struct rpc_msg *m)
{
	uint8_t v = (uint8_t)m->vers;
	uint32_t p = v == 2 ? v2_as_v3(m->proc) : m->proc;
	if (v == 2 && p == P3_WRITE)
		p = P3_NONE; /* (Suricata 8 follows no NFSv2 WRITE as a file) */
	struct cursor c = m->body;
	struct nfs_xid *x = xid_new(s, m->xid);
	x->version = v;
	x->procedure = p;
	struct fh h = { .len = 0 };
	struct name nm = { .len = 0 }, to = { .len = 0 };
	bool ok = true;
	switch (p) {
	case P3_LOOKUP: case P3_CREATE: case P3_REMOVE: case P3_MKDIR: case P3_RMDIR:
		ok = read_fh(&c, v, &h) && read_name(&c, &nm);
		memcpy(x->name, nm.v, nm.len);
		x->name_len = nm.len;
		if (p != P3_LOOKUP) {
			memcpy(x->fh, h.v, h.len);
			x->fh_len = h.len;
		}
		break;
	case P3_RENAME:
		ok = read_fh(&c, v, &h) && read_name(&c, &nm) && read_fh(&c, v, &(struct fh){ 0 }) &&
		     read_name(&c, &to);
		memcpy(x->fh, h.v, h.len);
		x->fh_len = h.len;
		memcpy(x->name, nm.v, nm.len);
		x->name_len = nm.len;
		break;
	case P3_ACCESS: case P3_GETATTR: case P3_READDIRPLUS:
		ok = read_fh(&c, v, &h);
		memcpy(x->fh, h.v, h.len);
		x->fh_len = h.len;
		xid_name_from_fh(s, x);
		break;
	case P3_READ:
		ok = read_fh(&c, v, &h);
		if (v == 2) {
			x->offset = cur_be32(&c);
		} else {
			x->offset = (uint64_t)cur_be32(&c) << 32;
			x->offset |= cur_be32(&c);
		}
		ok = ok && !c.err;
		memcpy(x->fh, h.v, h.len);
		x->fh_len = h.len;
		xid_name_from_fh(s, x);
		/* NFSv3: the file transaction starts with the call (with its
		 * credentials), as Suricata's */
		if (ok && v == 3 && !file_tx_find(s, &h, true)) {
			struct nfs_tx *t = file_tx_new(a, s, m, v, P3_READ, &h, x->name, x->name_len,
						       true, true);
			if (t)
				t->xid = m->xid;
		}
		break;
	case P3_WRITE:
		v3_write(a, s, m, &c, v);
		x->used = false; /* (its reply only acknowledges) */
		return;
	case P3_COMMIT: {
		ok = read_fh(&c, v, &h);
		struct nfs_tx *t = ok ? file_tx_find(s, &h, false) : NULL;
		if (t) {
			t->chunks++;
			t->commit = true;
			t->last_xid = m->xid;
			t->is_last = true;
			t->req_done = true;
			file_close(a, s, t, false);
			tx_show(a, t, 0);
		}
		break;
	}
	}
	if (!ok)
		app_event(a, APP_EV_NFS_MALFORMED);
	if (p == P3_COMMIT || p == P3_READ)
		return; /* (READ: its file transaction at the reply) */
	struct nfs_tx *t = tx_new(a, s, m, v, m->proc, true);
	if (!t)
		return;
	t->req_done = true;
	memcpy(t->name, x->name, x->name_len);
	t->name_len = x->name_len;
	memcpy(t->fh, x->fh, x->fh_len);
	t->fh_len = x->fh_len;
	if (p == P3_RENAME) {
		t->rename = true;
		memcpy(t->to_name, to.v, to.len);
		t->to_name_len = to.len;
	}
	tx_show(a, t, 0);
}

/* A READ reply: status, attributes, (v3: count, eof), data. */
static void v3_read_reply(struct app_ctx *a, struct nfs_state *s, const struct rpc_msg *m,
			  struct nfs_xid *x, struct cursor *c, uint32_t *status)
{
	*status = cur_be32(c);
	if (c->err)
		goto bad;
	if (*status != 0)
		return;
	bool eof = false;
	uint32_t count;
	uint64_t fsize = 0;
	if (x->version == 2) {
		struct cursor at = cur_sub(c, 68);
		cur_skip(&at, 20);
		fsize = cur_be32(&at);
		count = cur_be32(c);
	} else {
		if (cur_be32(c))
			cur_skip(c, 84);
		cur_skip(c, 4);
		eof = cur_be32(c) != 0;
		count = cur_be32(c);
	}
	if (c->err)
		goto bad;
	if (count == 0 || count > NFS_FILE_CHUNK_MAX)
		return;
	if (x->version == 2 && fsize == x->offset + count)
		eof = true; /* (v2 has no eof: Suricata's test of the size) */
	uint32_t have = (uint32_t)(cur_left(c) < count ? cur_left(c) : count);
	const uint8_t *d = cur_bytes(c, have);
	struct fh h;
	memcpy(h.v, x->fh, x->fh_len);
	h.len = x->fh_len;
	struct nfs_tx *t = file_tx_find(s, &h, true);
	if (!t) {
		t = file_tx_new(a, s, m, x->version, x->version == 2 ? 6 : P3_READ, &h, x->name,
				x->name_len, true, false);
		if (t)
			t->xid = m->xid;
	}
	if (t && eof) {
		t->rpc_status = m->reply_state;
		t->nfs_status = *status;
	}
	file_chunk(a, s, 1, t, m->xid, x->offset, d, have, count, eof);
	return;
bad:
	app_event(a, APP_EV_NFS_MALFORMED);
}

static void v3_readdirplus(struct nfs_state *s, struct cursor *c)
{
	if (cur_be32(c))
		cur_skip(c, 84);
	cur_skip(c, 8);
	for (unsigned n = 0; n < NFS_MAX_DIRENTS && !c->err; n++) {
		if (!cur_be32(c))
			return;
		cur_skip(c, 8);
		struct name nm;
		if (!read_name(c, &nm))
			return;
		cur_skip(c, 8);
		if (cur_be32(c))
			cur_skip(c, 84);
		struct fh h;
		if (cur_be32(c) && read_fh(c, 3, &h))
			name_put(s, &h, nm.v, nm.len);
	}
}

static void v3_reply(struct app_ctx *a, struct nfs_state *s, const struct rpc_msg *m,
		     struct nfs_xid *x)
{
	struct cursor c = m->body;
	uint32_t status = 0;
	struct fh h = { .len = 0 };
	if (m->reply_state != 0 || m->accept_state != 0) {
		/* (no results) */
	} else if (x->procedure == P3_READ) {
		v3_read_reply(a, s, m, x, &c, &status);
		return;
	} else if (x->procedure == P3_LOOKUP || x->procedure == P3_CREATE) {
		status = cur_be32(&c);
		bool has = status == 0 && (x->version == 2 || x->procedure == P3_LOOKUP || cur_be32(&c));
		if (has && read_fh(&c, x->version, &h))
			name_put(s, &h, x->name, x->name_len);
		else if (has)
			app_event(a, APP_EV_NFS_MALFORMED);
	} else if (x->procedure == P3_READDIRPLUS) {
		status = cur_be32(&c);
		if (status == 0)
			v3_readdirplus(s, &c);
	} else {
		status = cur_be32(&c);
		if (c.err)
			status = 0;
	}
	for (unsigned i = 0; i < NFS_MAX_TX; i++) {
		struct nfs_tx *t = &s->tx[i];
		if (!t->used || t->file_tx || t->xid != m->xid || t->logged)
			continue;
		t->resp_done = true;
		t->rpc_status = m->reply_state;
		t->nfs_status = status;
		if (!t->fh_len && h.len) {
			memcpy(t->fh, h.v, h.len);
			t->fh_len = h.len;
		}
		tx_show(a, t, 1);
		tx_done_check(a, s, t);
		break;
	}
}

/* ---- NFSv4 ---- */

static void skip_bitmap(struct cursor *c)
{
	uint32_t n = cur_be32(c);
	if (n > 64)
		cur_fail(c);
	cur_skip(c, 4u * n);
}

static void skip_opaque(struct cursor *c)
{
	uint32_t n;
	xdr_opaque(c, &n, 1u << 24);
}

static void skip_fattr(struct cursor *c)
{
	skip_bitmap(c);
	skip_opaque(c);
}

/* OPEN's arguments; the name it opens (CLAIM_NULL) into nm */
static void v4_open_args(struct cursor *c, struct name *nm)
{
	cur_skip(c, 12);      /* seqid, share access, share deny */
	cur_skip(c, 8);       /* owner: client id ... */
	skip_opaque(c);       /* ... and owner */
	if (cur_be32(c) == 1) { /* OPEN4_CREATE */
		uint32_t mode = cur_be32(c);
		if (mode <= 1)
			skip_fattr(c);
		else if (mode == 2)
			cur_skip(c, 8);
		else if (mode == 3) {
			cur_skip(c, 8);
			skip_fattr(c);
		} else
			cur_fail(c);
	}
	switch (cur_be32(c)) {
	case 0: read_name(c, nm); break;          /* CLAIM_NULL */
	case 1: cur_skip(c, 4); break;            /* CLAIM_PREVIOUS */
	case 2: cur_skip(c, 16); skip_opaque(c); break; /* CLAIM_DELEGATE_CUR */
	case 3: skip_opaque(c); break;            /* CLAIM_DELEGATE_PREV */
	case 4: case 6: break;                    /* CLAIM_FH, CLAIM_DELEG_PREV_FH */
	case 5: cur_skip(c, 16); break;           /* CLAIM_DELEG_CUR_FH */
	default: cur_fail(c);
	}
}

static void v4_write(struct app_ctx *a, struct nfs_state *s, const struct rpc_msg *m,
		     struct cursor *c, const struct fh *h)
{
	cur_skip(c, 16);
	uint64_t off = (uint64_t)cur_be32(c) << 32;
	off |= cur_be32(c);
	uint32_t stable = cur_be32(c), count = cur_be32(c);
	if (c->err || !h->len || count == 0 || count > NFS_FILE_CHUNK_MAX)
		return;
	uint32_t have = (uint32_t)(cur_left(c) < count ? cur_left(c) : count);
	const uint8_t *d = cur_bytes(c, have);
	cur_skip(c, (count - have) ? 0 : (4 - (count & 3)) & 3);
	const struct nfs_name *nm = name_get(s, h->v, h->len);
	struct nfs_tx *t = file_tx_find(s, h, false);
	if (!t)
		t = file_tx_new(a, s, m, 4, OP4_WRITE, h, nm ? nm->name : "", nm ? nm->name_len : 0,
				false, false);
	if (t && t->chunks == 0)
		t->xid = m->xid;
	file_chunk(a, s, 0, t, m->xid, off, d, have, count, stable == 2);
}

static void v4_close_file(struct app_ctx *a, struct nfs_state *s, const struct fh *h, uint32_t xid)
{
	struct nfs_tx *t = h->len ? file_tx_find(s, h, false) : NULL;
	if (!t)
		return;
	t->last_xid = xid;
	t->is_last = true;
	t->req_done = true;
	file_close(a, s, t, false);
	tx_show(a, t, 0);
}

/* One op's arguments, read (and acted on: files, names) or skipped;
 * false: an op vigil cannot skip (the rest of the COMPOUND is not read). */
static bool v4_op(struct app_ctx *a, struct nfs_state *s, const struct rpc_msg *m,
		  struct nfs_xid *x, uint32_t op, struct cursor *c, struct fh *putfh, uint32_t *main)
{
	struct name nm = { .len = 0 };
	switch (op) {
	case 3: case 19: case 52: case 58: cur_skip(c, 4); break; /* ACCESS, OPENATTR, SECINFO_NO_NAME, RECLAIM_COMPLETE */
	case OP4_CLOSE:
		cur_skip(c, 20);
		if (!c->err)
			v4_close_file(a, s, putfh, m->xid);
		break;
	case OP4_COMMIT:
		cur_skip(c, 12);
		if (!c->err)
			v4_close_file(a, s, putfh, m->xid);
		break;
	case OP4_CREATE: {
		uint32_t type = cur_be32(c);
		if (type == 5)
			skip_opaque(c);
		else if (type == 3 || type == 4)
			cur_skip(c, 8);
		read_name(c, &nm);
		skip_fattr(c);
		if (c->err)
			break;
		memcpy(x->fh, putfh->v, putfh->len);
		x->fh_len = putfh->len;
		memcpy(x->name, nm.v, nm.len);
		x->name_len = nm.len;
		*main = OP4_CREATE;
		break;
	}
	case 7: case 30: case 57: cur_skip(c, 8); break;   /* DELEGPURGE, RENEW, DESTROY_CLIENTID */
	case 8: case 45: cur_skip(c, 16); break;           /* DELEGRETURN, FREE_STATEID */
	case 9: skip_bitmap(c); break;                     /* GETATTR */
	case OP4_GETFH: case 16: case 23: case OP4_PUTROOTFH: case 27: case 31: case 32:
		break;                                     /* no arguments */
	case 11: case 33: skip_opaque(c); break;           /* LINK, SECINFO */
	case 12: {                                         /* LOCK */
		cur_skip(c, 24);
		if (cur_be32(c)) {
			cur_skip(c, 24);
			cur_skip(c, 8);
			skip_opaque(c);
		} else {
			cur_skip(c, 20);
		}
		break;
	}
	case 13: cur_skip(c, 28); skip_opaque(c); break;   /* LOCKT */
	case 14: cur_skip(c, 40); break;                   /* LOCKU */
	case OP4_LOOKUP:
		if (read_name(c, &nm)) {
			memcpy(x->name, nm.v, nm.len);
			x->name_len = nm.len;
		}
		break;
	case 17: case 37: skip_fattr(c); break;            /* NVERIFY, VERIFY */
	case OP4_OPEN:
		v4_open_args(c, &nm);
		if (!c->err) {
			memcpy(x->name, nm.v, nm.len);
			x->name_len = nm.len;
		}
		break;
	case 20: cur_skip(c, 20); break;                   /* OPEN_CONFIRM */
	case 21: cur_skip(c, 28); break;                   /* OPEN_DOWNGRADE */
	case OP4_PUTFH:
		read_fh(c, 4, putfh);
		break;
	case OP4_READ:
		cur_skip(c, 16);
		x->offset = (uint64_t)cur_be32(c) << 32;
		x->offset |= cur_be32(c);
		cur_skip(c, 4);
		if (!c->err && putfh->len) {
			memcpy(x->fh, putfh->v, putfh->len);
			x->fh_len = putfh->len;
			xid_name_from_fh(s, x);
		}
		break;
	case 26: cur_skip(c, 24); skip_bitmap(c); break;   /* READDIR */
	case OP4_REMOVE:
		if (read_name(c, &nm)) {
			memcpy(x->name, nm.v, nm.len);
			x->name_len = nm.len;
			*main = OP4_REMOVE;
		}
		break;
	case 29: skip_opaque(c); skip_opaque(c); break;    /* RENAME */
	case 34: cur_skip(c, 16); skip_fattr(c); break;    /* SETATTR */
	case 35:                                           /* SETCLIENTID */
		cur_skip(c, 8);
		skip_opaque(c);
		cur_skip(c, 4);
		skip_opaque(c);
		skip_opaque(c);
		cur_skip(c, 4);
		break;
	case 36: cur_skip(c, 16); break;                   /* SETCLIENTID_CONFIRM */
	case OP4_WRITE:
		v4_write(a, s, m, c, putfh);
		break;
	case 39: cur_skip(c, 8); skip_opaque(c); break;    /* RELEASE_LOCKOWNER */
	case 41: cur_skip(c, 24); break;                   /* BIND_CONN_TO_SESSION */
	case 44: cur_skip(c, 16); break;                   /* DESTROY_SESSION */
	case 53: cur_skip(c, 32); break;                   /* SEQUENCE */
	case 55: {                                         /* TEST_STATEID */
		uint32_t n = cur_be32(c);
		if (n > 1024)
			cur_fail(c);
		cur_skip(c, 16u * n);
		break;
	}
	default:
		return false;
	}
	return !c->err;
}

static void v4_request(struct app_ctx *a, struct nfs_state *s, const struct rpc_msg *m)
{
	struct nfs_xid *x = xid_new(s, m->xid);
	x->version = 4;
	x->procedure = m->proc;
	if (m->proc != 1) /* (NULL: nothing to read) */
		return;
	struct cursor c = m->body;
	skip_opaque(&c);      /* tag */
	cur_skip(&c, 4);      /* minor version */
	uint32_t n = cur_be32(&c);
	if (c.err) {
		app_event(a, APP_EV_NFS_MALFORMED);
		return;
	}
	struct fh putfh = { .len = 0 };
	uint32_t main = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (i == NFS_V4_MAX_OPS) {
			app_event(a, APP_EV_NFS_MALFORMED);
			break;
		}
		uint32_t op = cur_be32(&c);
		if (c.err || !v4_op(a, s, m, x, op, &c, &putfh, &main))
			break;
	}
	if (!main)
		return;
	struct nfs_tx *t = tx_new(a, s, m, 4, main, true);
	if (!t)
		return;
	t->req_done = true;
	memcpy(t->name, x->name, x->name_len);
	t->name_len = x->name_len;
	memcpy(t->fh, x->fh, x->fh_len);
	t->fh_len = x->fh_len;
	tx_show(a, t, 0);
}

/* A COMPOUND reply, result by result while vigil can skip them. */
static void v4_reply(struct app_ctx *a, struct nfs_state *s, const struct rpc_msg *m,
		     struct nfs_xid *x)
{
	if (x->procedure != 1 || m->reply_state != 0 || m->accept_state != 0)
		return;
	struct cursor c = m->body;
	cur_skip(&c, 4);      /* status */
	skip_opaque(&c);      /* tag */
	uint32_t n = cur_be32(&c);
	bool getfh_name = false, main_set = false;
	uint32_t main_status = 0;
	for (uint32_t i = 0; i < n && i < NFS_V4_MAX_OPS && !c.err; i++) {
		uint32_t op = cur_be32(&c), st = cur_be32(&c);
		if (c.err)
			break;
		if (op == OP4_REMOVE || op == OP4_CREATE) {
			main_status = st;
			main_set = true;
		}
		if (op == OP4_PUTROOTFH && st == 0 && !x->name_len) {
			memcpy(x->name, "<mount_root>", 12);
			x->name_len = 12;
		}
		if (st != 0)
			break; /* (the COMPOUND stops at the first failing op) */
		switch (op) {
		case 53: cur_skip(&c, 36); break;                  /* SEQUENCE */
		case OP4_PUTFH: case OP4_PUTROOTFH: case 23: case 31: case 32: case OP4_LOOKUP:
		case 16: case 58: case 30: case 44: case 45: case 57: case 8:
			break;
		case 3: cur_skip(&c, 8); break;                    /* ACCESS */
		case OP4_CLOSE: cur_skip(&c, 16); break;
		case OP4_COMMIT: cur_skip(&c, 8); break;
		case OP4_WRITE: cur_skip(&c, 16); break;
		case OP4_REMOVE: cur_skip(&c, 20); break;
		case OP4_CREATE: cur_skip(&c, 20); skip_bitmap(&c); break;
		case 9: skip_fattr(&c); break;                     /* GETATTR */
		case OP4_GETFH: {
			struct fh h;
			if (read_fh(&c, 4, &h) && getfh_name)
				name_put(s, &h, x->name, x->name_len);
			break;
		}
		case OP4_OPEN: {
			cur_skip(&c, 16 + 20 + 4);
			skip_bitmap(&c);
			uint32_t dt = cur_be32(&c);
			if (dt == 1 || dt == 2) {
				cur_skip(&c, 20);
				if (dt == 2)
					cur_skip(&c, 12); /* space limit */
				cur_skip(&c, 12);
				skip_opaque(&c);
			} else if (dt == 3) {
				uint32_t why = cur_be32(&c);
				if (why == 1 || why == 2)
					cur_skip(&c, 4);
			} else if (dt != 0) {
				cur_fail(&c);
			}
			getfh_name = !c.err;
			break;
		}
		case OP4_READ: {
			bool eof = cur_be32(&c) != 0;
			uint32_t count = cur_be32(&c);
			if (c.err || count == 0 || count > NFS_FILE_CHUNK_MAX || !x->fh_len)
				goto out;
			uint32_t have = (uint32_t)(cur_left(&c) < count ? cur_left(&c) : count);
			const uint8_t *d = cur_bytes(&c, have);
			struct fh h;
			memcpy(h.v, x->fh, x->fh_len);
			h.len = x->fh_len;
			struct nfs_tx *t = file_tx_find(s, &h, true);
			if (!t) {
				t = file_tx_new(a, s, m, 4, OP4_READ, &h, x->name, x->name_len, true, false);
				if (t)
					t->xid = m->xid;
			} else {
				t->is_first = false;
			}
			if (t && eof) {
				t->rpc_status = m->reply_state;
				t->nfs_status = 0;
			}
			file_chunk(a, s, 1, t, m->xid, x->offset, d, have, count, eof);
			goto out;
		}
		default:
			goto out;
		}
	}
out:
	if (!main_set)
		return;
	for (unsigned i = 0; i < NFS_MAX_TX; i++) {
		struct nfs_tx *t = &s->tx[i];
		if (t->used && !t->file_tx && t->xid == m->xid && !t->logged) {
			t->resp_done = true;
			t->rpc_status = m->reply_state;
			t->nfs_status = main_status;
			tx_show(a, t, 1);
			tx_done_check(a, s, t);
			break;
		}
	}
}

/* ---- records of RPC ---- */

static void rpc_record(struct app_ctx *a, struct nfs_state *s, int dir, const uint8_t *d,
		       uint32_t n)
{
	struct rpc_msg m;
	a->tx.alproto = ALP_NFS;
	if (!rpc_parse(d, n, &m)) {
		app_event(a, APP_EV_NFS_MALFORMED);
		return;
	}
	if (m.type == 0) {
		if (dir != 0 || m.prog != RPC_PROG_NFS)
			return;
		if (m.vers < 2 || m.vers > 4) {
			app_event(a, APP_EV_NFS_UNSUPPORTED_VERSION);
			return;
		}
		if (m.vers == 4)
			v4_request(a, s, &m);
		else
			v3_request(a, s, &m);
		return;
	}
	struct nfs_xid *x = xid_find(s, m.xid);
	if (!x)
		return;
	if (x->version == 4)
		v4_reply(a, s, &m, x);
	else
		v3_reply(a, s, &m, x);
	x->used = false;
}

void nfs_udp(struct app_ctx *a, struct nfs_state *s, int dir, const uint8_t *d, uint32_t n)
{
	s->udp = true;
	tx_reap(a, s);
	rpc_record(a, s, dir & 1, d, n);
}

/* The rest of a large READ or WRITE record: file data (and padding). */
static uint32_t stream_file(struct app_ctx *a, struct nfs_state *s, struct nfs_dir *dd, int dir,
			    const uint8_t *d, uint32_t n)
{
	uint32_t k = n < dd->file_left ? n : dd->file_left;
	struct nfs_tx *t = dd->file_tx >= 0 ? &s->tx[dd->file_tx] : NULL;
	if (t && (!t->used || t->id != dd->file_id || t->file < 0))
		t = NULL;
	file_data(a, s, t, dd->file_off, d, k);
	dd->file_off += k;
	dd->file_left -= k;
	if (!dd->file_left) {
		if (t && dd->file_last) {
			t->req_done = true;
			if (dir == 1)
				t->resp_done = true;
			file_close(a, s, t, false);
			tx_done_check(a, s, t);
		}
		dd->file_tx = -1;
	}
	return k;
}

void nfs_feed(struct app_ctx *a, struct nfs_state *s, int dir, const uint8_t *d, uint32_t n)
{
	struct nfs_dir *dd = &s->dir[dir & 1];
	tx_reap(a, s);
	a->tx.alproto = ALP_NFS;
	while (n && !dd->broken) {
		if (dd->mark_len < 4) {
			dd->mark[dd->mark_len++] = *d++;
			n--;
			if (dd->mark_len < 4)
				continue;
			struct cursor c;
			cur_init(&c, dd->mark, 4);
			dd->rec_len = cur_be32(&c) & 0x7fffffff;
			dd->got = 0;
			dd->keep = dd->rec_len <= NFS_REC_MAX ? dd->rec_len : NFS_HEAD_LEN;
			dd->file_tx = -1;
			if (dd->rec_len < 8) {
				app_event(a, APP_EV_NFS_MALFORMED);
				dd->broken = true;
				break;
			}
			if (!app_buf(a, &dd->buf, dd->keep)) {
				dd->broken = true; /* (the memcap said no) */
				break;
			}
			dd->cap = dd->keep;
			continue;
		}
		if (dd->got < dd->keep) {
			uint32_t k = dd->keep - dd->got < n ? dd->keep - dd->got : n;
			memcpy(dd->buf + dd->got, d, k);
			dd->got += k;
			d += k;
			n -= k;
			if (dd->got == dd->keep) {
				s->partial = dd->keep < dd->rec_len;
				rpc_record(a, s, dir & 1, dd->buf, dd->keep);
				s->partial = false;
			}
		} else {
			/* past what is kept of a large record */
			uint32_t left = dd->rec_len - dd->got, k = n < left ? n : left;
			if (dd->file_tx >= 0)
				k = stream_file(a, s, dd, dir & 1, d, k);
			dd->got += k;
			d += k;
			n -= k;
		}
		if (dd->got == dd->rec_len) {
			app_buf_free(a, &dd->buf, dd->cap);
			dd->mark_len = 0;
		}
	}
}

void nfs_gap(struct app_ctx *a, struct nfs_state *s, int dir)
{
	struct nfs_dir *dd = &s->dir[dir & 1];
	app_buf_free(a, &dd->buf, dd->cap);
	if (dd->file_tx >= 0 && dd->file_tx < NFS_MAX_TX) {
		struct nfs_tx *t = &s->tx[dd->file_tx];
		if (t->used && t->file >= 0)
			file_track_gap(&s->files[t->file].ft);
	}
	dd->broken = true; /* (no record boundary to find again) */
}

void nfs_close(struct app_ctx *a, struct nfs_state *s, int dir)
{
	(void)a;
	s->closed[dir & 1] = true;
}

/* Both sides closed: what is still open is written on this packet. */
void nfs_packet(struct app_ctx *a, struct nfs_state *s)
{
	if (!s->closed[0] || !s->closed[1] || s->flushed)
		return;
	s->flushed = true;
	for (unsigned i = 0; i < NFS_MAX_TX; i++) {
		struct nfs_tx *t = &s->tx[i];
		if (!t->used || t->logged)
			continue;
		if (t->file >= 0)
			file_close(a, s, t, true);
		tx_log(a, s, t);
	}
	if (a->tx.nnfslog)
		a->tx.alproto = ALP_NFS;
}

const struct nfs_tx *nfs_unlogged(struct nfs_state *s)
{
	for (unsigned i = 0; s && i < NFS_MAX_TX; i++) {
		struct nfs_tx *t = &s->tx[i];
		if (!t->used || t->logged)
			continue;
		t->logged = true;
		if (t->version <= 3 && !t->file_tx && t->procedure == 1)
			continue; /* GETATTR (v2 and v3) */
		return t;
	}
	return NULL;
}

const struct app_file *nfs_open_file(struct nfs_state *s, struct app_file *fi)
{
	for (unsigned i = 0; s && i < NFS_MAX_TX; i++) {
		struct nfs_tx *t = &s->tx[i];
		if (!t->used || t->file < 0)
			continue;
		struct nfs_file *f = &s->files[t->file];
		file_fill(fi, f, t, true);
		file_track_free(&f->ft);
		f->used = false;
		t->file = -1;
		t->file_closed = true;
		return fi;
	}
	return NULL;
}

void nfs_state_free(struct app_ctx *a, struct nfs_state *s)
{
	if (!s)
		return;
	for (int d = 0; d < 2; d++)
		app_buf_free(a, &s->dir[d].buf, s->dir[d].cap);
	for (unsigned i = 0; i < NFS_MAX_FILES; i++) {
		file_track_free(&s->files[i].ft);
		body_free(a, &s->files[i].body);
	}
	app_release(a, sizeof(*s));
	v_free(s);
}

/* ---- the record ---- */

void rpc_log_fields(struct jbuf *jb, const struct nfs_tx *t)
{
	char buf[16];
	jb_u64(jb, "xid", t->xid);
	jb_str(jb, "status", t->rpc_status == 0 ? "ACCEPTED" : t->rpc_status == 1 ? "DENIED"
				: (snprintf(buf, sizeof(buf), "%u", t->rpc_status), buf));
	const char *at = t->auth_type == 0 ? "NULL" : t->auth_type == 1 ? "UNIX"
			 : t->auth_type == 2 ? "SHORT" : t->auth_type == 3 ? "DH"
			 : t->auth_type == 6 ? "RPCSEC_GSS" : NULL;
	if (!at) {
		snprintf(buf, sizeof(buf), "%u", t->auth_type);
		at = buf;
	}
	jb_str(jb, "auth_type", at);
	if (t->auth_type == 1 && t->has_creds) {
		jb_open_object(jb, "creds");
		jb_strn(jb, "machine_name", (const uint8_t *)t->machine, t->machine_len);
		jb_u64(jb, "uid", t->uid);
		jb_u64(jb, "gid", t->gid);
		jb_close(jb);
	}
}

void nfs_log_fields(struct jbuf *jb, const struct nfs_tx *t)
{
	char buf[16];
	jb_u64(jb, "version", t->version);
	jb_str(jb, "procedure", proc_name(t->version, t->procedure, buf));
	jb_strn(jb, "filename", (const uint8_t *)t->name, t->name_len);
	if (t->fh_len) {
		char h[9];
		snprintf(h, sizeof(h), "%lx", crc32(0L, t->fh, t->fh_len));
		jb_str(jb, "hhash", h);
	}
	jb_u64(jb, "id", t->id);
	jb_bool(jb, "file_tx", t->file_tx);
	jb_str(jb, "type", "response");
	jb_str(jb, "status", status_name(t->nfs_status, buf));
	if (t->version <= 3) {
		uint32_t v3 = t->version == 2 ? v2_as_v3(t->procedure) : t->procedure;
		if (t->file_tx && (v3 == P3_READ || v3 == P3_WRITE)) {
			jb_open_object(jb, v3 == P3_READ ? "read" : "write");
			jb_bool(jb, "first", t->is_first);
			jb_bool(jb, "last", t->is_last);
			jb_u64(jb, "last_xid", t->last_xid);
			jb_u64(jb, "chunks", t->chunks);
			jb_close(jb);
		} else if (v3 == P3_RENAME) {
			jb_open_object(jb, "rename");
			jb_strn(jb, "from", (const uint8_t *)t->name, t->name_len);
			jb_strn(jb, "to", (const uint8_t *)t->to_name, t->to_name_len);
			jb_close(jb);
		}
	}
}
