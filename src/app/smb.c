/*
 * smb.c - SMB 1, 2 and 3 over the NetBIOS session service (TCP 139/445),
 * as Suricata reads and logs it ([MS-CIFS], [MS-SMB], [MS-SMB2], [MS-NLMP]).
 *
 *   NBSS record          SMB2 header (64 bytes, little-endian)
 *   +------+--------+    +------------+--------+--------+--------+------+-----+
 *   | type | len 24 |    | \xfeSMB    | size 64| credit | status | cmd  | ... |
 *   +------+--------+    +------------+--------+--------+--------+------+-----+
 *                        flags(4) next_command(4) message_id(8) tree_id or
 *                        async_id, session_id(8), signature(16)
 *   SMB1: \xffSMB cmd(1) status(4) flags(1) flags2(2) ... tid pid uid mid,
 *   then word count, words, byte count, bytes; AndX commands chain.
 *
 * Each direction is cut into NBSS records.  A record's first SMB_REC_MAX
 * bytes are kept (charged to the app memcap) and parsed when the record
 * is complete or that buffer is full; what lies beyond is skipped, except
 * the data of a READ response or WRITE request, which is handed to its
 * file as it streams past, so a file of any size costs no more than the
 * buffer.  A request waits (SMB_MAX_PENDING) for the response with its
 * message id; together they are a transaction, written as an eve smb
 * record when the response comes.  Files are keyed by file id and
 * direction, named by the CREATE that opened them, and end with a CLOSE
 * (or, truncated, with the flow).  Data is taken in offset order: bytes
 * already seen raise smb.file_overlap and are not used again; a jump
 * forwards is a gap.  Encrypted SMB3 (\xfdSMB) is skipped.
 */
#include <stdio.h>
#include <string.h>

#include "app_int.h"
#include "cursor.h"
#include "json.h"
#include "util.h"

#define SMB2_HDR 64
#define SMB1_HDR 32
#define SMB_ANDX_MAX 8            /* AndX commands followed in one message */
#define SMB_COMPOUND_MAX 32       /* SMB2 compound messages in one record */

enum { S2_NEGOTIATE = 0, S2_SESSION_SETUP = 1, S2_LOGOFF = 2, S2_TREE_CONNECT = 3,
       S2_TREE_DISCONNECT = 4, S2_CREATE = 5, S2_CLOSE = 6, S2_FLUSH = 7, S2_READ = 8,
       S2_WRITE = 9, S2_LOCK = 10, S2_IOCTL = 11, S2_CANCEL = 12, S2_ECHO = 13,
       S2_FIND = 14, S2_NOTIFY = 15, S2_GET_INFO = 16, S2_SET_INFO = 17, S2_BREAK = 18 };
enum { S1_CLOSE = 0x04, S1_TRANS = 0x25, S1_LOCKING = 0x24, S1_READ_ANDX = 0x2e,
       S1_WRITE_ANDX = 0x2f, S1_NEGOTIATE = 0x72, S1_SESSION_SETUP = 0x73,
       S1_LOGOFF = 0x74, S1_TREE_CONNECT = 0x75, S1_NT_CREATE = 0xa2 };

#define STATUS_PENDING 0x00000103u

/* ---- names ---- */

static const char *const smb2_cmd_names[] = {
	"SMB2_COMMAND_NEGOTIATE_PROTOCOL", "SMB2_COMMAND_SESSION_SETUP",
	"SMB2_COMMAND_SESSION_LOGOFF", "SMB2_COMMAND_TREE_CONNECT",
	"SMB2_COMMAND_TREE_DISCONNECT", "SMB2_COMMAND_CREATE", "SMB2_COMMAND_CLOSE",
	"SMB2_COMMAND_FLUSH", "SMB2_COMMAND_READ", "SMB2_COMMAND_WRITE", "SMB2_COMMAND_LOCK",
	"SMB2_COMMAND_IOCTL", "SMB2_COMMAND_CANCEL", "SMB2_COMMAND_KEEPALIVE",
	"SMB2_COMMAND_FIND", "SMB2_COMMAND_CHANGE_NOTIFY", "SMB2_COMMAND_GET_INFO",
	"SMB2_COMMAND_SET_INFO", "SMB2_COMMAND_OPLOCK_BREAK",
};

static const char *smb1_cmd_name(uint16_t c)
{
	switch (c) {
	case 0x00: return "SMB1_COMMAND_CREATE_DIRECTORY";
	case 0x01: return "SMB1_COMMAND_DELETE_DIRECTORY";
	case 0x02: return "SMB1_COMMAND_OPEN";
	case 0x03: return "SMB1_COMMAND_CREATE";
	case 0x04: return "SMB1_COMMAND_CLOSE";
	case 0x05: return "SMB1_COMMAND_FLUSH";
	case 0x06: return "SMB1_COMMAND_DELETE";
	case 0x07: return "SMB1_COMMAND_RENAME";
	case 0x08: return "SMB1_COMMAND_QUERY_INFORMATION";
	case 0x0a: return "SMB1_COMMAND_READ";
	case 0x0b: return "SMB1_COMMAND_WRITE";
	case 0x24: return "SMB1_COMMAND_LOCKING_ANDX";
	case 0x25: return "SMB1_COMMAND_TRANS";
	case 0x2b: return "SMB1_COMMAND_ECHO";
	case 0x2d: return "SMB1_COMMAND_OPEN_ANDX";
	case 0x2e: return "SMB1_COMMAND_READ_ANDX";
	case 0x2f: return "SMB1_COMMAND_WRITE_ANDX";
	case 0x32: return "SMB1_COMMAND_TRANS2";
	case 0x33: return "SMB1_COMMAND_TRANS2_SECONDARY";
	case 0x34: return "SMB1_COMMAND_FIND_CLOSE2";
	case 0x71: return "SMB1_COMMAND_TREE_DISCONNECT";
	case 0x72: return "SMB1_COMMAND_NEGOTIATE_PROTOCOL";
	case 0x73: return "SMB1_COMMAND_SESSION_SETUP_ANDX";
	case 0x74: return "SMB1_COMMAND_LOGOFF_ANDX";
	case 0x75: return "SMB1_COMMAND_TREE_CONNECT_ANDX";
	case 0xa0: return "SMB1_COMMAND_NT_TRANS";
	case 0xa1: return "SMB1_COMMAND_NT_TRANS_SECONDARY";
	case 0xa2: return "SMB1_COMMAND_NT_CREATE_ANDX";
	case 0xa4: return "SMB1_COMMAND_NT_CANCEL";
	default: return "SMB1_COMMAND_UNKNOWN";
	}
}

static const struct { uint32_t code; const char *name; } nt_status[] = {
	{ 0x00000000, "STATUS_SUCCESS" },
	{ 0x00000103, "STATUS_PENDING" },
	{ 0x0000010c, "STATUS_NOTIFY_ENUM_DIR" },
	{ 0x80000005, "STATUS_BUFFER_OVERFLOW" },
	{ 0x80000006, "STATUS_NO_MORE_FILES" },
	{ 0xc0000001, "STATUS_UNSUCCESSFUL" },
	{ 0xc0000002, "STATUS_NOT_IMPLEMENTED" },
	{ 0xc0000003, "STATUS_INVALID_INFO_CLASS" },
	{ 0xc0000004, "STATUS_INFO_LENGTH_MISMATCH" },
	{ 0xc0000008, "STATUS_INVALID_HANDLE" },
	{ 0xc000000d, "STATUS_INVALID_PARAMETER" },
	{ 0xc000000f, "STATUS_NO_SUCH_FILE" },
	{ 0xc0000010, "STATUS_INVALID_DEVICE_REQUEST" },
	{ 0xc0000011, "STATUS_END_OF_FILE" },
	{ 0xc0000016, "STATUS_MORE_PROCESSING_REQUIRED" },
	{ 0xc0000022, "STATUS_ACCESS_DENIED" },
	{ 0xc0000023, "STATUS_BUFFER_TOO_SMALL" },
	{ 0xc0000033, "STATUS_OBJECT_NAME_INVALID" },
	{ 0xc0000034, "STATUS_OBJECT_NAME_NOT_FOUND" },
	{ 0xc0000035, "STATUS_OBJECT_NAME_COLLISION" },
	{ 0xc000003a, "STATUS_OBJECT_PATH_NOT_FOUND" },
	{ 0xc0000043, "STATUS_SHARING_VIOLATION" },
	{ 0xc0000056, "STATUS_DELETE_PENDING" },
	{ 0xc000006d, "STATUS_LOGON_FAILURE" },
	{ 0xc00000ba, "STATUS_FILE_IS_A_DIRECTORY" },
	{ 0xc00000bb, "STATUS_NOT_SUPPORTED" },
	{ 0xc00000c9, "STATUS_NETWORK_NAME_DELETED" },
	{ 0xc00000cc, "STATUS_BAD_NETWORK_NAME" },
	{ 0xc0000101, "STATUS_DIRECTORY_NOT_EMPTY" },
	{ 0xc0000103, "STATUS_NOT_A_DIRECTORY" },
	{ 0xc0000120, "STATUS_CANCELLED" },
	{ 0xc0000128, "STATUS_FILE_CLOSED" },
	{ 0xc000019c, "STATUS_FS_DRIVER_REQUIRED" },
	{ 0xc0000203, "STATUS_USER_SESSION_DELETED" },
	{ 0xc0000225, "STATUS_NOT_FOUND" },
};

static const char *status_name(uint32_t st, char buf[static 24])
{
	for (size_t i = 0; i < ARRAY_SIZE(nt_status); i++)
		if (nt_status[i].code == st)
			return nt_status[i].name;
	snprintf(buf, 24, "0x%08x", st);
	return buf;
}

/* SMB1 DOS errors: class in the low byte, code in the high 16 bits */
static const char *dos_name(uint32_t st, char buf[static 24])
{
	uint8_t cls = (uint8_t)st;
	uint16_t code = (uint16_t)(st >> 16);
	if (cls == 2 && code == 91)
		return "SRV_BADUID";
	if (cls == 2 && code == 1)
		return "SRV_ERROR";
	if (cls == 2 && code == 4)
		return "SRV_ACCESS_DENIED";
	if (cls == 1 && code == 2)
		return "DOS_BAD_FILE";
	if (cls == 1 && code == 5)
		return "DOS_ACCESS_DENIED";
	if (cls == 0 && code == 0)
		return "STATUS_SUCCESS";
	snprintf(buf, 24, "DOS_UNKNOWN_%02x_%04x", cls, code);
	return buf;
}

/* ---- strings ---- */

/* UTF-16LE (or ASCII) bytes into NUL-ended UTF-8 in out (cut to fit,
 * at a NUL too); returns the length written. */
static uint16_t str_from(const uint8_t *p, size_t n, bool unicode, char *out, size_t cap)
{
	size_t o = 0;
	if (!cap)
		return 0;
	if (!unicode) {
		for (size_t i = 0; i < n && p[i] && o + 1 < cap; i++)
			out[o++] = (char)p[i];
	} else {
		for (size_t i = 0; i + 1 < n; i += 2) {
			uint32_t c = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8;
			if (!c)
				break;
			if (c >= 0xd800 && c <= 0xdfff)
				c = '?'; /* surrogates: not paired up here */
			uint8_t u[3];
			size_t k;
			if (c < 0x80) {
				u[0] = (uint8_t)c;
				k = 1;
			} else if (c < 0x800) {
				u[0] = (uint8_t)(0xc0 | c >> 6);
				u[1] = (uint8_t)(0x80 | (c & 0x3f));
				k = 2;
			} else {
				u[0] = (uint8_t)(0xe0 | c >> 12);
				u[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
				u[2] = (uint8_t)(0x80 | (c & 0x3f));
				k = 3;
			}
			if (o + k + 1 > cap)
				break;
			memcpy(out + o, u, k);
			o += k;
		}
	}
	out[o] = 0;
	return (uint16_t)o;
}

/* The window [off, off + len) of msg (offsets from the SMB header), or
 * false when it is not inside. */
static bool window(const uint8_t *msg, size_t n, uint64_t off, uint64_t len, const uint8_t **p)
{
	if (off > n || len > n - off)
		return false;
	*p = msg + off;
	return true;
}

/* ---- transactions ---- */

static struct smb_tx *pending_find(struct smb_state *s, uint8_t ver, uint64_t msg_id)
{
	for (unsigned i = 0; i < SMB_MAX_PENDING; i++) {
		struct smb_tx *t = &s->pending[i];
		if (t->has_req && t->ver == ver && t->msg_id == msg_id)
			return t;
	}
	return NULL;
}

/* Commands that are no transaction of their own, as in Suricata: READ
 * and WRITE data belong to the file's transaction; GET_INFO, SET_INFO,
 * TRANS and TRANS2 are not logged. */
static bool quiet_cmd(uint8_t ver, uint16_t cmd)
{
	if (ver == 2)
		return cmd == S2_READ || cmd == S2_WRITE || cmd == S2_GET_INFO || cmd == S2_SET_INFO;
	/* (and the secondary requests that continue a TRANS2 or NT_TRANS,
	 * and NT_CANCEL: no response of their own comes) */
	return cmd == S1_READ_ANDX || cmd == S1_WRITE_ANDX || cmd == S1_TRANS || cmd == 0x32 ||
	       cmd == 0x33 || cmd == 0xa1 || cmd == 0xa4;
}

/* Whether an SMB1 request makes a transaction of Suricata's (counted in
 * flow.tx_cnt), whether or not it is logged: every command does but READ
 * and WRITE (their file's, or the pipe's DCE/RPC call), TRANS and TRANS2
 * (those of a pipe call, a rename or a delete) and a second NEGOTIATE;
 * the secondary requests of TRANS2 and NT_TRANS, NT_CANCEL and LOCKING
 * do.  A response makes none: it finds its request's. */
static bool smb1_counts(struct smb_state *s, uint16_t cmd)
{
	if (cmd == S1_NEGOTIATE) {
		bool first = !s->neg1_seen;
		s->neg1_seen = true;
		return first;
	}
	return cmd != S1_READ_ANDX && cmd != S1_WRITE_ANDX && cmd != 0x0b && cmd != 0x2c &&
	       cmd != S1_TRANS && cmd != 0x32;
}

static struct smb_tx *pending_new(struct app_ctx *a, struct smb_state *s, uint8_t ver,
				  uint64_t msg_id, uint16_t cmd, bool resp)
{
	struct smb_tx *t = pending_find(s, ver, msg_id), *old = NULL, *quiet = NULL;
	for (unsigned i = 0; !t && i < SMB_MAX_PENDING; i++) {
		if (!s->pending[i].has_req) {
			t = &s->pending[i];
			break;
		}
		if (s->pending[i].quiet && !quiet)
			quiet = &s->pending[i];
		if (!old || s->pending[i].id < old->id)
			old = &s->pending[i];
	}
	/* a request that is no transaction of its own (a TRANS without
	 * answer) gives way first, silently: no record is lost */
	if (!t)
		t = quiet;
	if (!t) {
		app_event(a, APP_EV_SMB_TOO_MANY_REQUESTS);
		t = old;
	}
	memset(t, 0, sizeof(*t));
	t->has_req = true;
	t->ver = ver;
	t->msg_id = msg_id;
	t->cmd = cmd;
	t->quiet = quiet_cmd(ver, cmd);
	t->req_seq = a->pkt_seq;
	if (!t->quiet)
		t->id = ++s->next_id;
	if (ver == 1 ? !resp && smb1_counts(s, cmd) : !t->quiet)
		app_count_tx(a, false, ALP_SMB);
	return t;
}

/* DCE/RPC over a named pipe: a request written to the pipe and the
 * response read from it are one transaction, keyed by the call id. */
#define SMB_DCE_KEY(call_id) ((uint64_t)1 << 63 | (call_id))

static bool dce_call_id(const uint8_t *d, uint64_t n, uint32_t *call_id)
{
	struct cursor c;
	cur_init(&c, d, n);
	uint8_t ver = cur_u8(&c);
	cur_skip(&c, 3);
	uint8_t drep = cur_u8(&c);
	cur_skip(&c, 7);
	uint32_t id = drep & 0x10 ? cur_le32(&c) : cur_be32(&c);
	if (c.err || ver != 5)
		return false;
	*call_id = id;
	return true;
}

/* Whether an SMB1 write of d to a pipe makes a transaction of Suricata's:
 * any data with a whole DCE/RPC common header does, whatever its version
 * or type (a bad type is a malformed call, still a transaction), but a
 * request fragment after the first, which belongs to its call's. */
static bool dce_write_counts(const uint8_t *d, uint64_t n)
{
	if (n < 16)
		return false;
	return !(d[2] == 0 && !(d[3] & 0x01));
}

/* Suricata's test of a pipe's data on a tree whose connect was not seen
 * (midstream): a DCE/RPC common header, version 5.0-5.2, of a known
 * type, with a fragment length. */
static bool dce_probe(const uint8_t *d, uint64_t n)
{
	struct cursor c;
	cur_init(&c, d, n);
	uint8_t ver = cur_u8(&c), minor = cur_u8(&c), type = cur_u8(&c);
	cur_skip(&c, 1);
	uint8_t drep = cur_u8(&c);
	cur_skip(&c, 3);
	uint16_t frag_len = drep & 0x10 ? cur_le16(&c) : cur_be16(&c);
	return !c.err && ver == 5 && minor < 3 && frag_len > 0 && type <= 20;
}

/* A create response's times and size, from c at its CreationTime: a
 * FILETIME (100 ns since 1601) in Unix seconds, 0 before 1970. */
static void create_times(struct smb_tx *t, struct cursor *c)
{
	for (int i = 0; i < 4; i++) {
		uint64_t ft = cur_le32(c);
		ft |= (uint64_t)cur_le32(c) << 32;
		t->ftime[i] = ft > 116444736000000000ull ? ft / 10000000 - 11644473600ull : 0;
	}
}

/* The call x (what dce_pdu joined) as t's smb.dcerpc object. */
static void dce_take(struct smb_tx *t, const struct smb_state *s, const struct dce_tx *x)
{
	if (!x)
		return;
	struct smb_dce *d = &t->dce;
	d->set = true;
	d->call_id = x->call_id;
	if (x->frag[0] || x->req_done) {
		d->req_set = true;
		d->req_cmd = x->req_cmd;
		d->opnum = x->opnum;
		d->ctxid = x->ctxid;
		d->frag[0] = x->frag[0];
		d->stub_size[0] = x->stub_size[0];
	}
	if (x->frag[1] || x->resp_done) {
		d->res_set = true;
		d->res_cmd = x->resp_cmd;
		d->frag[1] = x->frag[1];
		d->stub_size[1] = x->stub_size[1];
	}
	t->dce_st = &s->dce;
}

/* Shows t on this packet (app_tx.smb): a copy, so the pending slot can be
 * reused; resp_side: it completed here (eve record). */
static const struct smb_tx *expose(struct app_ctx *a, struct smb_state *s, const struct smb_tx *t,
				   bool resp_side)
{
	if (t->quiet)
		return NULL;
	if (s->seq != a->pkt_seq) {
		s->seq = a->pkt_seq;
		a->tx.nsmb = 0;
	}
	unsigned k = a->tx.nsmb;
	for (unsigned i = 0; i < k; i++)
		if (a->tx.smb[i] == &s->pkt[i] && s->pkt[i].id == t->id) {
			k = i; /* the same transaction again: the newer view */
			break;
		}
	if (k >= APP_SMB_PER_PKT)
		k = APP_SMB_PER_PKT - 1;
	s->pkt[k] = *t;
	s->pkt[k].dialect2 = s->dialect2;
	memcpy(s->pkt[k].dialect1, s->dialect1, sizeof(s->dialect1));
	s->pkt[k].resp_side = resp_side;
	a->tx.smb[k] = &s->pkt[k];
	if (k == a->tx.nsmb)
		a->tx.nsmb++;
	return &s->pkt[k];
}

/* ---- files ---- */

static const struct smb_name *name_find(const struct smb_state *s, const uint8_t fid[static 16])
{
	for (unsigned i = 0; i < SMB_MAX_NAMES; i++)
		if (s->names[i].used && !memcmp(s->names[i].fid, fid, 16))
			return &s->names[i];
	return NULL;
}

static void name_add(struct smb_state *s, const uint8_t fid[static 16], const char *name, uint16_t n)
{
	struct smb_name *e = (struct smb_name *)name_find(s, fid);
	if (!e) {
		e = &s->names[s->name_next];
		s->name_next = (uint8_t)((s->name_next + 1) % SMB_MAX_NAMES);
	}
	e->used = true;
	memcpy(e->fid, fid, 16);
	memcpy(e->name, name, n);
	e->name[n] = 0;
	e->name_len = n;
}

static void tree_add(struct smb_state *s, uint32_t tid, bool pipe)
{
	struct smb_tree *e = NULL;
	for (unsigned i = 0; i < SMB_MAX_TREES && !e; i++)
		if (s->trees[i].used && s->trees[i].tid == tid)
			e = &s->trees[i];
	if (!e) {
		e = &s->trees[s->tree_next];
		s->tree_next = (uint8_t)((s->tree_next + 1) % SMB_MAX_TREES);
	}
	e->used = true;
	e->tid = tid;
	e->pipe = pipe;
}

static bool tree_is_pipe(const struct smb_state *s, uint32_t tid)
{
	for (unsigned i = 0; i < SMB_MAX_TREES; i++)
		if (s->trees[i].used && s->trees[i].tid == tid)
			return s->trees[i].pipe;
	return false;
}

/* Whether data written to or read from tree tid goes to a pipe: the tree
 * connect said so, or, when it was not seen, the data looks like
 * DCE/RPC (then the tree is taken for a pipe from here on, as Suricata's
 * "suricata::dcerpc" tree). */
static bool pipe_data(struct smb_state *s, uint32_t tid, const uint8_t *d, uint64_t n)
{
	for (unsigned i = 0; i < SMB_MAX_TREES; i++)
		if (s->trees[i].used && s->trees[i].tid == tid)
			return s->trees[i].pipe;
	if (!dce_probe(d, n))
		return false;
	tree_add(s, tid, true);
	return true;
}

/* The file's transaction, complete: its smb record on this packet. */
static const struct smb_tx *file_tx_done(struct app_ctx *a, struct smb_state *s, const struct smb_file *f)
{
	struct smb_tx t;
	memset(&t, 0, sizeof(t));
	t.id = f->id;
	t.ver = f->ver;
	t.cmd = f->ver == 2 ? (f->to_client ? S2_READ : S2_WRITE)
			    : (f->to_client ? S1_READ_ANDX : S1_WRITE_ANDX);
	t.has_req = t.has_resp = true;
	t.session_id = f->session_id;
	t.tree_id = f->tree_id;
	memcpy(t.fuid, f->fid, 16);
	t.fuid_set = true;
	memcpy(t.filename, f->name, f->name_len);
	t.filename_len = f->name_len;
	return expose(a, s, &t, true);
}

static void file_close(struct app_ctx *a, struct smb_state *s, struct smb_file *f, bool truncated)
{
	if (!f->used)
		return;
	const struct smb_tx *ftx = file_tx_done(a, s, f);
	struct app_file *fi = app_file_slot(a);
	if (fi) {
		memset(fi, 0, sizeof(*fi));
		memcpy(fi->name, f->name, f->name_len);
		fi->name_len = f->name_len;
		fi->size = f->size;
		fi->truncated = truncated;
		fi->to_client = f->to_client;
		fi->smb = true;
		fi->smb_tx = ftx;
		fi->tx_id = ftx ? (uint32_t)(ftx->id - 1) : 0;
		file_track_end(&f->ft, &fi->facts, !truncated);
		if (f->body.len) {
			fi->data = f->body.buf;
			fi->data_len = f->body.len;
			a->tx.http_fresh |= HTTP_P_REQ_BODY | HTTP_P_RESP_BODY;
		}
	}
	file_track_free(&f->ft);
	/* file.data points into the body until the packet is done: it is
	 * released on the next packet of the flow (smb_feed) or at its end */
	f->used = false;
	f->closed_seq = a->pkt_seq + 1;
}

static struct smb_file *file_get(struct app_ctx *a, struct smb_state *s, const struct smb_tx *t,
				 const uint8_t fid[static 16], bool to_client)
{
	struct smb_file *free_slot = NULL;
	for (unsigned i = 0; i < SMB_MAX_FILES; i++) {
		struct smb_file *f = &s->files[i];
		if (f->used && f->to_client == to_client && !memcmp(f->fid, fid, 16))
			return f;
		/* a slot closed on this packet still holds the file.data the
		 * rules will read: not reused before the next packet */
		if (!f->used && !free_slot && f->closed_seq != a->pkt_seq + 1)
			free_slot = f;
	}
	if (!free_slot) {
		/* too many open: the first one goes out, truncated, and this
		 * file's data is not followed until a slot is free */
		file_close(a, s, &s->files[0], true);
		return NULL;
	}
	struct smb_file *f = free_slot;
	body_free(a, &f->body);
	memset(f, 0, sizeof(*f));
	f->used = true;
	f->to_client = to_client;
	memcpy(f->fid, fid, 16);
	f->id = ++s->next_id;
	f->ver = t->ver;
	f->session_id = t->session_id;
	f->tree_id = t->tree_id;
	app_count_tx(a, false, ALP_SMB);
	const struct smb_name *nm = name_find(s, fid);
	if (nm) {
		memcpy(f->name, nm->name, nm->name_len);
		f->name_len = nm->name_len;
	}
	file_track_begin(&f->ft);
	body_start(a, &f->body, NULL, to_client ? a->resp_body_limit : a->req_body_limit, false, false);
	return f;
}

/* Data of a file at offset off. */
static bool file_data(struct app_ctx *a, struct smb_file *f, uint64_t off, const uint8_t *d, uint64_t n)
{
	if (!f || !f->used || !n)
		return false;
	bool overlap = false;
	if (off < f->next_off) {
		app_event(a, APP_EV_SMB_FILE_OVERLAP);
		overlap = true;
		uint64_t dup = f->next_off - off;
		if (dup >= n)
			return true;
		d += dup;
		n -= dup;
		off = f->next_off;
	}
	if (off > f->next_off)
		f->gaps = true;
	f->next_off = off + n;
	f->size += n;
	file_track_add(&f->ft, d, (uint32_t)n);
	if (body_add(a, &f->body, d, (uint32_t)n)) {
		/* file.data is full: the rules see it on this packet, and it
		 * goes back to the pool on the next (a long transfer does not
		 * hold it until its CLOSE) */
		int dir = f->to_client ? 1 : 0;
		a->tx.body[dir] = f->body.buf;
		a->tx.body_len[dir] = f->body.len;
		a->tx.http_fresh |= f->to_client ? HTTP_P_RESP_BODY : HTTP_P_REQ_BODY;
		f->body_shown = true;
	}
	return overlap;
}

static void files_close_fid(struct app_ctx *a, struct smb_state *s, const uint8_t fid[static 16])
{
	for (unsigned i = 0; i < SMB_MAX_FILES; i++)
		if (s->files[i].used && !memcmp(s->files[i].fid, fid, 16))
			file_close(a, s, &s->files[i], false);
}

/* A READ response's or WRITE request's data: what is in the buffer now,
 * the rest as the record streams past (smb_dir.file). */
static void data_start(struct app_ctx *a, struct smb_state *s, struct smb_dir *dd, struct smb_tx *t,
		       const uint8_t fid[static 16], bool to_client, uint64_t file_off,
		       const uint8_t *msg, size_t have, uint64_t msg_rec_left, uint64_t doff, uint64_t dlen)
{
	/* have: bytes of the message in the buffer; msg_rec_left: bytes of
	 * the record from the message's start (>= have) */
	if (doff > msg_rec_left) {
		app_event(a, APP_EV_SMB_MALFORMED_DATA);
		return;
	}
	if (dlen > msg_rec_left - doff) {
		app_event(a, APP_EV_SMB_RECORD_OVERFLOW);
		dlen = msg_rec_left - doff;
	}
	if (tree_is_pipe(s, t->tree_id)) {
		/* a named pipe's data is no file: DCE/RPC, when it is; an SMB1
		 * write to a pipe is a transaction of Suricata's (SMB2's are
		 * counted as they wait for their read) */
		if (doff < have && t->ver == 1 && !to_client &&
		    dce_write_counts(msg + doff, MIN(dlen, have - doff)))
			app_count_tx(a, false, ALP_SMB);
		if (doff < have)
			dce_pdu(a, &s->dce, msg + doff, MIN(dlen, have - doff), true);
		return;
	}
	struct smb_file *f = file_get(a, s, t, fid, to_client);
	if (doff < have) {
		uint64_t in = MIN(dlen, have - doff);
		t->overlap |= file_data(a, f, file_off, msg + doff, in);
		file_off += in;
		dlen -= in;
		doff = have;
	}
	if (dlen && f) {
		dd->file = (int)(f - s->files);
		dd->data_skip = doff - have;
		dd->data_left = dlen;
		dd->data_off = file_off;
	}
}

/* ---- NTLMSSP ---- */

static void ntlm_str(const uint8_t *b, size_t n, size_t fld, bool uni, char *out, size_t cap, uint16_t *olen)
{
	struct cursor c;
	cur_init(&c, b, n);
	cur_skip(&c, fld);
	uint16_t len = cur_le16(&c);
	cur_skip(&c, 2);
	uint32_t off = cur_le32(&c);
	const uint8_t *p;
	if (c.err || !window(b, n, off, len, &p))
		return;
	uint16_t k = str_from(p, len, uni, out, cap);
	if (olen)
		*olen = k;
}

/* Finds an NTLMSSP AUTHENTICATE message in a security blob (inside its
 * SPNEGO wrapping) and takes its domain, user, host and version. */
static void ntlmssp_parse(struct smb_tx *t, const uint8_t *blob, size_t n)
{
	static const uint8_t sig[8] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0 };
	const uint8_t *b = NULL;
	for (size_t i = 0; n >= 12 && i <= n - 12; i++)
		if (!memcmp(blob + i, sig, 8) && blob[i + 8] == 3 && !blob[i + 9] && !blob[i + 10] &&
		    !blob[i + 11]) {
			b = blob + i;
			n -= i;
			break;
		}
	if (!b || n < 64)
		return;
	struct cursor c;
	cur_init(&c, b, n);
	cur_skip(&c, 60);
	uint32_t flags = cur_le32(&c);
	bool uni = flags & 1;
	t->ntlmssp = true;
	ntlm_str(b, n, 28, uni, t->ntlm_domain, sizeof(t->ntlm_domain), &t->ntlm_domain_len);
	ntlm_str(b, n, 36, uni, t->ntlm_user, sizeof(t->ntlm_user), &t->ntlm_user_len);
	ntlm_str(b, n, 44, uni, t->ntlm_host, sizeof(t->ntlm_host), NULL);
	if ((flags & 0x02000000) && n >= 72) /* NEGOTIATE_VERSION */
		snprintf(t->ntlm_version, sizeof(t->ntlm_version), "%u.%u build %u rev %u", b[64], b[65],
			 (unsigned)(b[66] | b[67] << 8), b[71]);
}

/* ---- SMB2 ---- */

/* FSCTL_PIPE_TRANSCEIVE on a pipe: a DCE/RPC request in the IOCTL
 * request's input buffer, its response in the response's output buffer.
 * b is at the IOCTL body; skip: the bytes between the control code and
 * that buffer's offset and count. */
static void ioctl_pipe(struct app_ctx *a, struct smb_state *s, struct smb_tx *t, struct cursor *b,
		       size_t skip, const uint8_t *m, size_t n)
{
	cur_skip(b, 4);
	uint32_t ctl = cur_le32(b);
	cur_skip(b, skip);
	uint32_t off = cur_le32(b), cnt = cur_le32(b);
	const uint8_t *p;
	if (!b->err && ctl == 0x0011c017 && window(m, n, off, cnt, &p))
		dce_take(t, s, dce_pdu(a, &s->dce, p, cnt, true));
}

static void smb2_message(struct app_ctx *a, struct smb_state *s, int dir, const uint8_t *m, size_t n,
			 uint64_t rec_left)
{
	struct smb_dir *dd = &s->dir[dir & 1];
	struct cursor c;
	cur_init(&c, m, n);
	cur_skip(&c, 4);
	uint16_t hsize = cur_le16(&c);
	cur_skip(&c, 2);
	uint32_t status = cur_le32(&c);
	uint16_t cmd = cur_le16(&c);
	cur_skip(&c, 2);
	uint32_t flags = cur_le32(&c);
	cur_skip(&c, 4);
	uint64_t msg_id = (uint64_t)cur_le32(&c);
	msg_id |= (uint64_t)cur_le32(&c) << 32;
	cur_skip(&c, 4);
	uint32_t tree_id = cur_le32(&c);
	uint64_t session = (uint64_t)cur_le32(&c);
	session |= (uint64_t)cur_le32(&c) << 32;
	if (c.err || hsize != SMB2_HDR || n < SMB2_HDR) {
		app_event(a, APP_EV_SMB_MALFORMED_DATA);
		return;
	}
	bool resp = flags & 1, async = flags & 2;
	const uint8_t *body = m + SMB2_HDR;
	size_t bn = n - SMB2_HDR;
	struct cursor b;
	cur_init(&b, body, bn);
	if (!resp) {
		if (cmd == S2_CANCEL)
			return; /* refers to another request; no transaction */
		struct smb_tx *t = pending_new(a, s, 2, msg_id, cmd, false);
		t->session_id = session;
		t->tree_id = async ? 0 : tree_id;
		switch (cmd) {
		case S2_SESSION_SETUP: {
			cur_skip(&b, 12);
			uint16_t off = cur_le16(&b), len = cur_le16(&b);
			const uint8_t *p;
			if (!b.err && window(m, n, off, len, &p))
				ntlmssp_parse(t, p, len);
			break;
		}
		case S2_TREE_CONNECT: {
			cur_skip(&b, 4);
			uint16_t off = cur_le16(&b), len = cur_le16(&b);
			const uint8_t *p;
			if (!b.err && window(m, n, off, len, &p)) {
				t->share_len = str_from(p, len, true, t->share, sizeof(t->share));
				t->share_set = true;
			}
			break;
		}
		case S2_CREATE: {
			cur_skip(&b, 36);
			t->disposition = cur_le32(&b);
			uint32_t opts = cur_le32(&b);
			uint16_t off = cur_le16(&b), len = cur_le16(&b);
			const uint8_t *p;
			t->create = true;
			t->delete_on_close = opts & 0x1000;
			if (!b.err && window(m, n, off, len, &p))
				t->filename_len = str_from(p, len, true, t->filename, sizeof(t->filename));
			break;
		}
		case S2_CLOSE: {
			cur_skip(&b, 8);
			const uint8_t *fid = cur_bytes(&b, 16);
			if (fid) {
				memcpy(t->fuid, fid, 16);
				t->fuid_set = true;
				const struct smb_name *nm = name_find(s, fid);
				if (nm) {
					memcpy(t->filename, nm->name, nm->name_len + 1);
					t->filename_len = nm->name_len;
				}
				files_close_fid(a, s, fid);
			}
			break;
		}
		case S2_READ: {
			cur_skip(&b, 4);
			cur_skip(&b, 4);
			uint64_t off = cur_le32(&b);
			off |= (uint64_t)cur_le32(&b) << 32;
			const uint8_t *fid = cur_bytes(&b, 16);
			if (fid) {
				memcpy(t->fuid, fid, 16);
				t->fuid_set = true;
				/* the read's offset waits in server_guid (unused by reads) */
				memcpy(t->server_guid, &off, sizeof(off));
			}
			break;
		}
		case S2_WRITE: {
			cur_skip(&b, 2);
			uint16_t doff = cur_le16(&b);
			uint32_t len = cur_le32(&b);
			uint64_t off = cur_le32(&b);
			off |= (uint64_t)cur_le32(&b) << 32;
			const uint8_t *fid = cur_bytes(&b, 16);
			if (!fid) {
				app_event(a, APP_EV_SMB_MALFORMED_DATA);
				break;
			}
			memcpy(t->fuid, fid, 16);
			t->fuid_set = true;
			const struct smb_name *nm = name_find(s, fid);
			if (nm) {
				memcpy(t->filename, nm->name, nm->name_len + 1);
				t->filename_len = nm->name_len;
			}
			const uint8_t *p;
			uint32_t call_id;
			if (window(m, n, doff, len, &p) && pipe_data(s, t->tree_id, p, len) &&
			    dce_call_id(p, len, &call_id)) {
				/* a DCE/RPC request: its transaction waits for the read
				 * of the response (the WRITE itself is answered here);
				 * as in Suricata it names no file */
				struct smb_tx w = *t;
				w.filename_len = 0;
				w.filename[0] = 0;
				w.fuid_set = false;
				dce_take(&w, s, dce_pdu(a, &s->dce, p, len, true));
				struct smb_tx *dt = pending_new(a, s, 2, SMB_DCE_KEY(call_id), S2_WRITE, false);
				uint64_t key = dt->msg_id;
				*dt = w;
				dt->msg_id = key;
				dt->quiet = false;
				dt->id = ++s->next_id;
				app_count_tx(a, false, ALP_SMB);
				expose(a, s, dt, false);
				break;
			}
			data_start(a, s, dd, t, fid, false, off, m, n, rec_left, doff, len);
			break;
		}
		case S2_IOCTL:
			ioctl_pipe(a, s, t, &b, 16, m, n); /* the request's input buffer */
			break;
		case S2_SET_INFO: {
			cur_skip(&b, 2);
			uint8_t type = cur_u8(&b), cls = cur_u8(&b);
			uint32_t blen = cur_le32(&b);
			uint16_t boff = cur_le16(&b);
			cur_skip(&b, 6);
			const uint8_t *fid = cur_bytes(&b, 16), *p;
			if (b.err || type != 1 || cls != 13 || !window(m, n, boff, blen, &p) || !blen)
				break;
			/* FileDispositionInformation: a transaction of its own */
			t->quiet = false;
			t->id = ++s->next_id;
			app_count_tx(a, false, ALP_SMB);
			t->setinfo = true;
			t->delete_on_close = p[0] != 0;
			memcpy(t->fuid, fid, 16);
			t->fuid_set = true;
			const struct smb_name *nm = name_find(s, fid);
			const struct smb_tx *cr;
			if (nm) {
				memcpy(t->filename, nm->name, nm->name_len + 1);
				t->filename_len = nm->name_len;
			} else if (msg_id && (cr = pending_find(s, 2, msg_id - 1)) && cr->create) {
				/* a compound's related request (file id all ones):
				 * the file the CREATE before it names */
				memcpy(t->filename, cr->filename, cr->filename_len + 1);
				t->filename_len = cr->filename_len;
			}
			break;
		}
		default:
			break;
		}
		expose(a, s, t, false);
		return;
	}
	struct smb_tx *t = pending_find(s, 2, msg_id);
	if (!t && cmd == S2_NEGOTIATE)
		for (unsigned i = 0; i < SMB_MAX_PENDING && !t; i++)
			if (s->pending[i].has_req && s->pending[i].ver == 1 && s->pending[i].cmd == S1_NEGOTIATE)
				t = &s->pending[i]; /* a multi-protocol negotiate answered in SMB2 */
	if (!t) {
		if (quiet_cmd(2, cmd))
			return;
		/* a response to a request not seen: a transaction of its own */
		t = pending_new(a, s, 2, msg_id, cmd, true);
	}
	if (async && status == STATUS_PENDING)
		return; /* an interim response: the final one follows */
	t->has_resp = true;
	t->status = status;
	if (session)
		t->session_id = session;
	if (!async)
		t->tree_id = tree_id;
	switch (cmd) {
	case S2_NEGOTIATE: {
		cur_skip(&b, 4);
		uint16_t d = cur_le16(&b);
		cur_skip(&b, 2);
		const uint8_t *g = cur_bytes(&b, 16);
		if (!b.err) {
			s->dialect2 = d;
			memcpy(t->server_guid, g, 16);
			t->guid_set = true;
		}
		break;
	}
	case S2_IOCTL:
		ioctl_pipe(a, s, t, &b, 24, m, n); /* the response's output buffer */
		break;
	case S2_TREE_CONNECT: {
		cur_skip(&b, 2);
		uint8_t type = cur_u8(&b);
		if (!b.err && status == 0) {
			t->is_pipe = type == 2;
			tree_add(s, tree_id, t->is_pipe);
		}
		break;
	}
	case S2_CREATE: {
		cur_skip(&b, 8);
		create_times(t, &b);
		cur_skip(&b, 8);      /* allocation size */
		t->fsize = cur_le32(&b);
		t->fsize |= (uint64_t)cur_le32(&b) << 32;
		cur_skip(&b, 8);      /* attributes, reserved */
		const uint8_t *fid = cur_bytes(&b, 16);
		if (fid && status == 0) {
			memcpy(t->fuid, fid, 16);
			t->fuid_set = true;
			if (t->filename_len)
				name_add(s, fid, t->filename, t->filename_len);
		}
		break;
	}
	case S2_READ: {
		uint8_t doff = (cur_skip(&b, 2), cur_u8(&b));
		cur_skip(&b, 1);
		uint32_t len = cur_le32(&b);
		if (b.err || status != 0 || !t->fuid_set)
			break;
		uint64_t off;
		memcpy(&off, t->server_guid, sizeof(off));
		memset(t->server_guid, 0, sizeof(t->server_guid));
		const struct smb_name *nm = name_find(s, t->fuid);
		if (nm) {
			memcpy(t->filename, nm->name, nm->name_len + 1);
			t->filename_len = nm->name_len;
		}
		const uint8_t *p;
		uint32_t call_id;
		struct smb_tx *dt;
		if (window(m, n, doff, len, &p) && pipe_data(s, t->tree_id, p, len) &&
		    dce_call_id(p, len, &call_id) && (dt = pending_find(s, 2, SMB_DCE_KEY(call_id)))) {
			/* the response to a DCE/RPC request written to the pipe */
			dce_take(dt, s, dce_pdu(a, &s->dce, p, len, true));
			dt->has_resp = true;
			dt->status = status;
			expose(a, s, dt, true);
			dt->has_req = false;
			break;
		}
		data_start(a, s, dd, t, t->fuid, true, off, m, n, rec_left, doff, len);
		break;
	}
	default:
		break;
	}
	if (t->cmd == S2_READ && !t->guid_set)
		memset(t->server_guid, 0, sizeof(t->server_guid));
	if (t->overlap) /* the transaction's event, seen in both directions */
		app_event(a, APP_EV_SMB_FILE_OVERLAP);
	expose(a, s, t, true);
	t->has_req = false; /* the slot is free again */
}

/* A record holding SMB2 messages, compounded by NextCommand. */
static void smb2_record(struct app_ctx *a, struct smb_state *s, int dir, const uint8_t *d, size_t n,
			uint64_t rec_len)
{
	for (unsigned i = 0; i < SMB_COMPOUND_MAX && n >= SMB2_HDR; i++) {
		if (memcmp(d, "\xfeSMB", 4)) {
			app_event(a, APP_EV_SMB_MALFORMED_DATA);
			return;
		}
		struct cursor c;
		cur_init(&c, d, n);
		cur_skip(&c, 20);
		uint32_t next = cur_le32(&c);
		size_t mn = next && next <= n ? next : n;
		if (next && (next < SMB2_HDR || next > n)) {
			app_event(a, APP_EV_SMB_MALFORMED_DATA);
			next = 0;
			mn = n;
		}
		smb2_message(a, s, dir, d, mn, next ? next : rec_len);
		if (!next)
			return;
		d += next;
		n -= next;
		rec_len -= next;
	}
}

/* ---- SMB1 ---- */

static bool smb1_andx(uint8_t cmd)
{
	switch (cmd) {
	case 0x24: case 0x2d: case 0x2e: case 0x2f: case 0x73: case 0x74: case 0x75: case 0xa2:
		return true;
	default:
		return false;
	}
}

/* One command block of an SMB1 message: its words and bytes. */
static void smb1_block(struct app_ctx *a, struct smb_state *s, int dir, struct smb_tx *t, uint8_t cmd,
		       bool resp, bool uni, const uint8_t *m, size_t n, uint64_t rec_left, size_t woff,
		       uint8_t wc, size_t boff, uint16_t bc)
{
	struct smb_dir *dd = &s->dir[dir & 1];
	struct cursor w, by;
	cur_init(&w, m + woff, (size_t)wc * 2);
	cur_init(&by, m + boff, bc);
	switch (cmd) {
	case S1_NEGOTIATE:
		if (!resp) {
			while (cur_left(&by) > 1 && t->ndialects < SMB_DIALECTS_MAX) {
				if (cur_u8(&by) != 2)
					break;
				const uint8_t *p = by.p;
				size_t k = 0;
				while (k < cur_left(&by) && p[k])
					k++;
				size_t room = sizeof(t->dialects) - t->dialects_len;
				if (room < 2)
					break;
				uint16_t dl = str_from(p, k, false, t->dialects + t->dialects_len, room);
				t->dialects_len = (uint16_t)(t->dialects_len + dl + 1);
				t->ndialects++;
				cur_skip(&by, MIN(k + 1, cur_left(&by)));
			}
		} else if (wc >= 17) {
			uint16_t idx = cur_le16(&w);
			const char *dn = t->dialects;
			for (uint16_t i = 0; i < idx && i < t->ndialects; i++)
				dn += strlen(dn) + 1;
			if (idx < t->ndialects) {
				size_t dl = strnlen(dn, sizeof(s->dialect1) - 1);
				memcpy(s->dialect1, dn, dl);
				s->dialect1[dl] = 0;
			}
			cur_skip(&w, 17);
			uint32_t caps = cur_le32(&w);
			if ((caps & 0x80000000u) && bc >= 16) { /* extended security: the GUID first */
				memcpy(t->server_guid, m + boff, 16);
				t->guid_set = true;
			}
		}
		break;
	case S1_SESSION_SETUP: {
		uint16_t bloblen = 0;
		if (!resp && wc == 12) {
			cur_skip(&w, 14);
			bloblen = cur_le16(&w);
		} else if (resp && wc == 4) {
			cur_skip(&w, 6);
			bloblen = cur_le16(&w);
		} else if (!resp && wc == 13) {
			cur_skip(&w, 14);
			bloblen = cur_le16(&w); /* ANSI password */
			bloblen += cur_le16(&w); /* and the Unicode one */
		}
		if (w.err || bloblen > bc)
			break;
		if (!resp && wc == 12)
			ntlmssp_parse(t, m + boff, bloblen);
		cur_skip(&by, bloblen);
		if (uni && ((boff + bloblen) & 1))
			cur_skip(&by, 1);
		int side = resp ? 1 : 0;
		const uint8_t *p = by.p;
		size_t left = cur_left(&by), k = 0;
		/* native OS then native LAN manager, each NUL-ended */
		size_t step = uni ? 2 : 1;
		while (k + step <= left && (p[k] || (uni && p[k + 1])))
			k += step;
		str_from(p, k, uni, t->native_os[side], SMB_SHORT_MAX);
		if (k + step <= left) {
			p += k + step;
			left -= k + step;
			k = 0;
			while (k + step <= left && (p[k] || (uni && p[k + 1])))
				k += step;
			str_from(p, k, uni, t->native_lm[side], SMB_SHORT_MAX);
		}
		break;
	}
	case S1_TREE_CONNECT:
		if (!resp && wc >= 4) {
			cur_skip(&w, 6);
			uint16_t pwlen = cur_le16(&w);
			if (w.err || pwlen > bc)
				break;
			size_t po = boff + pwlen;
			if (uni && (po & 1))
				po++;
			if (po > boff + bc)
				break;
			t->share_len = str_from(m + po, boff + bc - po, uni, t->share, sizeof(t->share));
			t->share_set = true;
		} else if (resp && bc >= 3) {
			t->is_pipe = !memcmp(m + boff, "IPC", 3);
			if (t->status == 0)
				tree_add(s, t->tree_id, t->is_pipe);
		}
		break;
	case S1_NT_CREATE:
		if (!resp && wc >= 24) {
			cur_skip(&w, 5);
			uint16_t nlen = cur_le16(&w);
			cur_skip(&w, 28);   /* flags, root FID, access, allocation, attributes, share */
			t->disposition = cur_le32(&w);
			uint32_t opts = cur_le32(&w);
			t->create = true;
			t->delete_on_close = opts & 0x1000;
			size_t no = boff;
			if (uni && (no & 1))
				no++;
			if (no <= boff + bc)
				t->filename_len = str_from(m + no, MIN((size_t)nlen, boff + bc - no), uni,
							   t->filename, sizeof(t->filename));
		} else if (resp && wc >= 34) {
			cur_skip(&w, 5);
			const uint8_t *fid = cur_bytes(&w, 2);
			cur_skip(&w, 4);    /* disposition */
			create_times(t, &w);
			cur_skip(&w, 12);   /* attributes, allocation size */
			t->fsize = cur_le32(&w);
			t->fsize |= (uint64_t)cur_le32(&w) << 32;
			if (fid && t->status == 0) {
				memset(t->fuid, 0, 16);
				memcpy(t->fuid, fid, 2);
				t->fuid_set = true;
				if (t->filename_len)
					name_add(s, t->fuid, t->filename, t->filename_len);
			}
		}
		break;
	case S1_CLOSE:
		if (!resp && wc >= 3) {
			uint8_t fid[16] = { 0 };
			cur_copy(&w, fid, 2);
			memcpy(t->fuid, fid, 16);
			t->fuid_set = true;
			files_close_fid(a, s, fid);
		}
		break;
	case S1_WRITE_ANDX:
		if (!resp && (wc == 12 || wc == 14)) {
			cur_skip(&w, 4);
			uint8_t fid[16] = { 0 };
			cur_copy(&w, fid, 2);
			uint64_t off = cur_le32(&w);
			cur_skip(&w, 8);
			uint64_t len = (uint64_t)cur_le16(&w) << 16; /* DataLengthHigh */
			len |= cur_le16(&w);
			uint16_t doff = cur_le16(&w);
			if (wc == 14)
				off |= (uint64_t)cur_le32(&w) << 32;
			if (w.err)
				break;
			/* the high length bits count only for large writes */
			if (len >> 16 && len > rec_left)
				len &= 0xffff;
			memcpy(t->fuid, fid, 16);
			t->fuid_set = true;
			const struct smb_name *nm = name_find(s, fid);
			if (nm) {
				memcpy(t->filename, nm->name, nm->name_len + 1);
				t->filename_len = nm->name_len;
			}
			data_start(a, s, dd, t, fid, false, off, m, n, rec_left, doff, len);
		}
		break;
	case S1_READ_ANDX:
		if (!resp && (wc == 10 || wc == 12)) {
			cur_skip(&w, 4);
			uint8_t fid[16] = { 0 };
			cur_copy(&w, fid, 2);
			uint64_t off = cur_le32(&w);
			if (wc == 12) {
				cur_skip(&w, 10);
				off |= (uint64_t)cur_le32(&w) << 32;
			}
			if (w.err)
				break;
			memcpy(t->fuid, fid, 16);
			t->fuid_set = true;
			memcpy(t->server_guid, &off, sizeof(off));
		} else if (resp && wc >= 12 && t->fuid_set && t->status == 0) {
			cur_skip(&w, 10);
			uint64_t len = cur_le16(&w);
			uint16_t doff = cur_le16(&w);
			len |= (uint64_t)cur_le16(&w) << 16;
			if (w.err)
				break;
			uint64_t off;
			memcpy(&off, t->server_guid, sizeof(off));
			memset(t->server_guid, 0, sizeof(t->server_guid));
			const struct smb_name *nm = name_find(s, t->fuid);
			if (nm) {
				memcpy(t->filename, nm->name, nm->name_len + 1);
				t->filename_len = nm->name_len;
			}
			data_start(a, s, dd, t, t->fuid, true, off, m, n, rec_left, doff, len);
		}
		break;
	default:
		break;
	}
}

static void smb1_message(struct app_ctx *a, struct smb_state *s, int dir, const uint8_t *m, size_t n,
			 uint64_t rec_left)
{
	struct cursor c;
	cur_init(&c, m, n);
	cur_skip(&c, 4);
	uint8_t cmd = cur_u8(&c);
	uint32_t status = cur_le32(&c);
	uint8_t flags = cur_u8(&c);
	uint16_t flags2 = cur_le16(&c);
	cur_skip(&c, 12);
	uint16_t tid = cur_le16(&c), pid = cur_le16(&c);
	uint16_t uid = cur_le16(&c);
	uint16_t mid = cur_le16(&c);
	if (c.err) {
		app_event(a, APP_EV_SMB_MALFORMED_DATA);
		return;
	}
	bool resp = flags & 0x80, uni = flags2 & 0x8000;
	/* a request waits by its command too, as Suricata's transactions
	 * are found (SMBHDR_TYPE_TREE / GENERICTX and the command): clients
	 * that give every request multiplex id 0 keep a tree connect open
	 * while other commands come and go */
	uint64_t key = (uint64_t)cmd << 32 | (uint64_t)pid << 16 | mid;
	struct smb_tx *t;
	if (!resp) {
		t = pending_new(a, s, 1, key, cmd, false);
		t->tree_id = tid;
		t->session_id = uid;
	} else {
		t = pending_find(s, 1, key);
		if (!t && quiet_cmd(1, cmd))
			return;
		if (!t)
			t = pending_new(a, s, 1, key, cmd, true);
		t->has_resp = true;
		t->status = status;
		t->dos_status = !(flags2 & 0x4000);
		t->tree_id = tid;
		t->session_id = uid;
	}
	/* the first block and the AndX chain after it */
	size_t pos = SMB1_HDR;
	uint8_t bcmd = cmd;
	for (unsigned i = 0; i < SMB_ANDX_MAX; i++) {
		struct cursor h;
		cur_init(&h, m, n);
		cur_skip(&h, pos);
		uint8_t wc = cur_u8(&h);
		size_t woff = pos + 1;
		cur_skip(&h, (size_t)wc * 2);
		uint16_t bc = cur_le16(&h);
		size_t boff = woff + (size_t)wc * 2 + 2;
		if (h.err) {
			/* an error response may have no words or bytes at all */
			if (!(resp && status))
				app_event(a, APP_EV_SMB_MALFORMED_DATA);
			break;
		}
		if (bc > n - boff)
			bc = (uint16_t)(n - boff); /* cut at what is kept */
		smb1_block(a, s, dir, t, bcmd, resp, uni, m, n, rec_left, woff, wc, boff, bc);
		if (!smb1_andx(bcmd) || wc < 2)
			break;
		uint8_t next = m[woff];
		uint16_t noff = (uint16_t)(m[woff + 2] | m[woff + 3] << 8);
		if (next == 0xff || noff <= pos || noff >= n)
			break; /* none, or not strictly forwards */
		bcmd = next;
		pos = noff;
	}
	if (resp && t->overlap) /* the transaction's event, seen in both directions */
		app_event(a, APP_EV_SMB_FILE_OVERLAP);
	expose(a, s, t, resp);
	if (resp)
		t->has_req = false;
}

/* The frames of a record a gap cut (smb_gap), what came of it. */
static void cut_frames(struct app_ctx *a, struct smb_dir *dd, int dir)
{
	const uint8_t *d = dd->cut_buf;
	uint32_t n = dd->cut_len, miss = dd->cut_miss;
	uint64_t o = dd->cut_off;
	if (app_frame_add_at(a, FR_SMB_NBSS_PDU, dir, o, dd->cut_nb, 4, d, n))
		app_frame_missing(a, miss);
	app_frame_add_at(a, FR_SMB_NBSS_HDR, dir, o, dd->cut_nb, 4, NULL, 0);
	if (app_frame_add_at(a, FR_SMB_NBSS_DATA, dir, o + 4, d, n, NULL, 0))
		app_frame_missing(a, miss);
	struct cursor c;
	cur_init(&c, d, n);
	cur_skip(&c, 20);
	uint32_t next = cur_le32(&c);
	if (n >= SMB2_HDR && !c.err && !next && !memcmp(d, "\xfeSMB", 4)) {
		if (app_frame_add_at(a, FR_SMB_SMB2_PDU, dir, o + 4, d, n, NULL, 0))
			app_frame_missing(a, miss);
		app_frame_add_at(a, FR_SMB_SMB2_HDR, dir, o + 4, d, SMB2_HDR, NULL, 0);
		if (app_frame_add_at(a, FR_SMB_SMB2_DATA, dir, o + 4 + SMB2_HDR, d + SMB2_HDR, n - SMB2_HDR, NULL, 0))
			app_frame_missing(a, miss);
	} else if (n >= SMB1_HDR && !memcmp(d, "\xffSMB", 4)) {
		if (app_frame_add_at(a, FR_SMB_SMB1_PDU, dir, o + 4, d, n, NULL, 0))
			app_frame_missing(a, miss);
		app_frame_add_at(a, FR_SMB_SMB1_HDR, dir, o + 4, d, SMB1_HDR, NULL, 0);
		if (app_frame_add_at(a, FR_SMB_SMB1_DATA, dir, o + 4 + SMB1_HDR, d + SMB1_HDR, n - SMB1_HDR, NULL, 0))
			app_frame_missing(a, miss);
	}
}

static void cut_show(struct app_ctx *a, struct smb_state *s, int dir)
{
	struct smb_dir *cd = &s->dir[dir & 1];
	if (cd->cut_buf) {
		cut_frames(a, cd, dir & 1);
		app_buf_free(a, &cd->cut_buf, cd->cut_cap);
		cd->cut_cap = 0;
	}
}

void smb_packet(struct app_ctx *a, struct smb_state *s, int dir)
{
	cut_show(a, s, dir); /* (a packet without data of its own) */
	if (dir != 0)
		return;
	for (unsigned i = 0; i < SMB_MAX_PENDING; i++) {
		struct smb_tx *t = &s->pending[i];
		bool tc = t->ver == 2 ? t->cmd == S2_TREE_CONNECT : t->cmd == S1_TREE_CONNECT;
		if (!tc || !t->has_req || t->has_resp || !t->share_set || t->early ||
		    t->req_seq == a->pkt_seq)
			continue;
		t->early = true;
		const struct smb_tx *v = expose(a, s, t, false);
		if (v && v != &s->pkt[0]) {
			/* first: an alert on this packet carries its smb object */
			struct smb_tx tmp = s->pkt[0];
			unsigned k = (unsigned)(v - s->pkt);
			s->pkt[0] = *v;
			s->pkt[k] = tmp;
		}
	}
}

/* ---- records ---- */

/* The frames of a record kept whole (Suricata 8's smb frames): the
 * NetBIOS record, and each SMB message in it with its header and the
 * rest; shown on the packet that completes the record. */
static void record_frames(struct app_ctx *a, const struct smb_dir *dd, int dir, const uint8_t *d,
			  uint32_t n)
{
	uint64_t o = dd->rec_off;
	app_frame_add_at(a, FR_SMB_NBSS_PDU, dir, o, dd->nb, 4, d, n);
	app_frame_add_at(a, FR_SMB_NBSS_HDR, dir, o, dd->nb, 4, NULL, 0);
	app_frame_add_at(a, FR_SMB_NBSS_DATA, dir, o + 4, d, n, NULL, 0);
	if (n >= SMB1_HDR && !memcmp(d, "\xffSMB", 4)) {
		app_frame_add_at(a, FR_SMB_SMB1_PDU, dir, o + 4, d, n, NULL, 0);
		app_frame_add_at(a, FR_SMB_SMB1_HDR, dir, o + 4, d, SMB1_HDR, NULL, 0);
		app_frame_add_at(a, FR_SMB_SMB1_DATA, dir, o + 4 + SMB1_HDR, d + SMB1_HDR, n - SMB1_HDR, NULL, 0);
	} else if (n >= 52 && !memcmp(d, "\xfdSMB", 4)) {
		app_frame_add_at(a, FR_SMB_SMB3_PDU, dir, o + 4, d, n, NULL, 0);
		app_frame_add_at(a, FR_SMB_SMB3_HDR, dir, o + 4, d, 52, NULL, 0);
		app_frame_add_at(a, FR_SMB_SMB3_DATA, dir, o + 4 + 52, d + 52, n - 52, NULL, 0);
	} else if (!memcmp(d, "\xfeSMB", MIN(n, 4u))) {
		/* each message of a compound: up to its NextCommand */
		uint32_t off = 0;
		for (unsigned i = 0; i < SMB_COMPOUND_MAX && n - off >= SMB2_HDR; i++) {
			struct cursor c;
			cur_init(&c, d + off, n - off);
			cur_skip(&c, 20);
			uint32_t next = cur_le32(&c);
			if (c.err || memcmp(d + off, "\xfeSMB", 4))
				break;
			uint32_t len = next && next <= n - off ? next : n - off;
			if (len < SMB2_HDR)
				break;
			app_frame_add_at(a, FR_SMB_SMB2_PDU, dir, o + 4 + off, d + off, len, NULL, 0);
			app_frame_add_at(a, FR_SMB_SMB2_HDR, dir, o + 4 + off, d + off, SMB2_HDR, NULL, 0);
			app_frame_add_at(a, FR_SMB_SMB2_DATA, dir, o + 4 + off + SMB2_HDR, d + off + SMB2_HDR, len - SMB2_HDR, NULL, 0);
			if (!next || next > n - off - SMB2_HDR)
				break;
			off += next;
		}
	}
}

static void record(struct app_ctx *a, struct smb_state *s, int dir, const uint8_t *d, size_t n,
		   uint64_t rec_len)
{
	if (n < 4)
		return;
	if (!memcmp(d, "\xfeSMB", 4))
		smb2_record(a, s, dir, d, n, rec_len);
	else if (!memcmp(d, "\xffSMB", 4))
		smb1_message(a, s, dir, d, n, rec_len);
	else if (memcmp(d, "\xfdSMB", 4))
		app_event(a, APP_EV_SMB_MALFORMED_DATA); /* \xfd: encrypted, skipped */
}

void smb_feed(struct app_ctx *a, struct smb_state *s, int dir, const uint8_t *d, uint32_t n)
{
	struct smb_dir *dd = &s->dir[dir & 1];
	s->dce.quiet = true; /* its calls are in the smb records */
	if (s->seq != a->pkt_seq) {
		s->seq = a->pkt_seq;
		a->tx.nsmb = 0;
		/* files closed on an earlier packet: the rules are done with
		 * their first bytes, which go back to the pool now */
		for (unsigned i = 0; i < SMB_MAX_FILES; i++)
			if ((!s->files[i].used || s->files[i].body_shown) && s->files[i].body.buf)
				body_free(a, &s->files[i].body);
	}
	if (dd->cut_buf && dd->cut_seq != a->pkt_seq)
		cut_show(a, s, dir); /* the frames a gap cut, first on the next packet */
	/* the stream offset of d: where the delivery says when d is in it
	 * (after a hole too), else counted here (bytes replayed after
	 * detection) */
	if (a->dl_p && d >= a->dl_p && d < a->dl_p + a->dl_len)
		dd->off = a->dl_off + (uint64_t)(d - a->dl_p);
	const uint8_t *d0 = d;
	uint64_t off0 = dd->off;
	dd->off += n;
	if (dd->resync) {
		/* after a hole: the next NetBIOS session message that carries an
		 * SMB header, whole in this delivery's view, starts the reading */
		uint32_t i = 0;
		while (i + 8 <= n && !(d[i] == 0 && (!memcmp(d + i + 4, "\xfeSMB", 4) ||
						     !memcmp(d + i + 4, "\xffSMB", 4))))
			i++;
		if (i + 8 > n)
			return;
		dd->resync = false;
		d += i;
		n -= i;
	}
	while (n) {
		if (dd->nb_len < 4) {
			if (!dd->nb_len)
				dd->rec_off = off0 + (uint64_t)(d - d0);
			dd->nb[dd->nb_len++] = *d++;
			n--;
			if (dd->nb_len == 4) {
				dd->session_msg = dd->nb[0] == 0;
				dd->rec_len = (uint32_t)dd->nb[1] << 16 | (uint32_t)dd->nb[2] << 8 | dd->nb[3];
				dd->got = 0;
				dd->len = 0;
				dd->file = -1;
				if (!dd->rec_len)
					dd->nb_len = 0;
			}
			continue;
		}
		uint32_t take = MIN(n, dd->rec_len - dd->got);
		if (dd->session_msg && !dd->got && dd->file < 0 && take >= MIN(dd->rec_len, SMB_REC_MAX)) {
			/* the record's kept part is all in this delivery: read in
			 * place, no buffer */
			uint32_t keep = MIN(dd->rec_len, SMB_REC_MAX);
			dd->got = keep;
			d += keep;
			n -= keep;
			if (keep == dd->rec_len)
				record_frames(a, dd, dir & 1, d - keep, keep);
			record(a, s, dir, d - keep, keep, dd->rec_len);
		} else if (dd->session_msg && dd->got < SMB_REC_MAX && dd->file < 0) {
			/* gathered in a buffer of the kept part's size, freed once
			 * parsed (back to the worker's pool for the next record) */
			uint32_t keep = MIN(take, SMB_REC_MAX - dd->got);
			uint32_t size = MIN(dd->rec_len, SMB_REC_MAX);
			if (!dd->got) {
				dd->lost = !app_buf(a, &dd->buf, size);
				dd->cap = dd->lost ? 0 : size;
			}
			if (!dd->lost) {
				memcpy(dd->buf + dd->len, d, keep);
				dd->len += keep;
			}
			dd->got += keep;
			d += keep;
			n -= keep;
			if (dd->got == size) {
				if (!dd->lost && dd->len == dd->rec_len)
					record_frames(a, dd, dir & 1, dd->buf, dd->len);
				if (!dd->lost)
					record(a, s, dir, dd->buf, dd->len, dd->rec_len);
				app_buf_free(a, &dd->buf, dd->cap);
				dd->len = 0;
			}
		} else if (dd->file >= 0) {
			/* the data of a large READ / WRITE streaming past */
			uint64_t k = take;
			if (dd->data_skip) {
				uint64_t sk = MIN(dd->data_skip, k);
				dd->data_skip -= sk;
				k -= sk;
				d += sk;
				n -= (uint32_t)sk;
				dd->got += (uint32_t)sk;
			}
			uint64_t use = MIN(k, dd->data_left);
			if (use) {
				file_data(a, &s->files[dd->file], dd->data_off, d, use);
				dd->data_off += use;
				dd->data_left -= use;
			}
			d += k;
			n -= (uint32_t)k;
			dd->got += (uint32_t)k;
			if (!dd->data_left && !dd->data_skip)
				dd->file = -2; /* the rest of the record is skipped */
		} else {
			d += take;
			n -= take;
			dd->got += take;
		}
		if (dd->got >= dd->rec_len) {
			dd->nb_len = 0;
			dd->file = -1;
		}
	}
}

void smb_gap(struct app_ctx *a, struct smb_state *s, int dir)
{
	struct smb_dir *dd = &s->dir[dir & 1];
	if (dd->nb_len == 4 && dd->session_msg && dd->file < 0 && !dd->lost && dd->buf &&
	    dd->len == dd->got && dd->len < dd->rec_len) {
		/* a record cut by the gap: its frames (their length as its
		 * header says, as Suricata knows them from the header on) come
		 * with this direction's next packet; the buffer is kept so far */
		app_buf_free(a, &dd->cut_buf, dd->cut_cap);
		dd->cut_buf = dd->buf;
		dd->cut_cap = dd->cap;
		dd->cut_len = dd->len;
		dd->cut_miss = dd->rec_len - dd->len;
		dd->cut_seq = a->pkt_seq;
		dd->cut_off = dd->rec_off;
		memcpy(dd->cut_nb, dd->nb, 4);
		dd->buf = NULL;
		dd->cap = 0;
	}
	app_buf_free(a, &dd->buf, dd->cap);
	dd->nb_len = 0;
	dd->got = dd->len = dd->cap = 0;
	dd->file = -1;
	dd->resync = true;
}

const struct app_file *smb_open_file(struct smb_state *s, struct app_file *fi)
{
	for (unsigned i = 0; s && i < SMB_MAX_FILES; i++) {
		struct smb_file *f = &s->files[i];
		if (!f->used)
			continue;
		memset(fi, 0, sizeof(*fi));
		memcpy(fi->name, f->name, f->name_len);
		fi->name_len = f->name_len;
		fi->size = f->size;
		fi->truncated = true;
		fi->to_client = f->to_client;
		fi->smb = true;
		file_track_end(&f->ft, &fi->facts, false);
		file_track_free(&f->ft);
		f->used = false;
		return fi;
	}
	return NULL;
}

void smb_state_free(struct app_ctx *a, struct smb_state *s)
{
	if (!s)
		return;
	for (int d = 0; d < 2; d++) {
		app_buf_free(a, &s->dir[d].buf, s->dir[d].cap);
		app_buf_free(a, &s->dir[d].cut_buf, s->dir[d].cut_cap);
	}
	for (unsigned i = 0; i < SMB_MAX_FILES; i++) {
		file_track_free(&s->files[i].ft);
		body_free(a, &s->files[i].body);
	}
	dce_state_clear(a, &s->dce);
	app_release(a, sizeof(*s));
	v_free(s);
}

/* ---- eve ---- */

static void guid_str(const uint8_t g[static 16], char out[static 37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2],
		 g[1], g[0], g[5], g[4], g[7], g[6], g[9], g[8], g[10], g[11], g[12], g[13], g[14], g[15]);
}

static const char *dialect2_name(uint16_t d, char buf[static 8])
{
	switch (d) {
	case 0x0202: return "2.02";
	case 0x0210: return "2.10";
	case 0x0222: return "2.22";
	case 0x0224: return "2.24";
	case 0x02ff: return "2.??";
	case 0x0300: return "3.00";
	case 0x0302: return "3.02";
	case 0x0310: return "3.10";
	case 0x0311: return "3.11";
	default:
		snprintf(buf, 8, "%x.%02x", d >> 8, d & 0xff);
		return buf;
	}
}

void smb_log_fields(struct jbuf *jb, const struct smb_tx *t)
{
	char b[40];
	jb_u64(jb, "id", t->id);
	if (t->dialect2)
		jb_str(jb, "dialect", dialect2_name(t->dialect2, b));
	else if (t->dialect1[0])
		jb_str(jb, "dialect", t->dialect1);
	else
		jb_str(jb, "dialect", "unknown");
	if (t->ver == 2)
		jb_str(jb, "command", t->cmd < ARRAY_SIZE(smb2_cmd_names) ? smb2_cmd_names[t->cmd]
									  : "SMB2_COMMAND_UNKNOWN");
	else
		jb_str(jb, "command", smb1_cmd_name(t->cmd));
	if (t->has_resp) {
		if (t->ver == 1 && t->dos_status) {
			jb_str(jb, "status", dos_name(t->status, b));
			snprintf(b, sizeof(b), "0x%04x", (unsigned)(t->status >> 16));
		} else {
			jb_str(jb, "status", status_name(t->status, b));
			snprintf(b, sizeof(b), "0x%x", t->status);
		}
		jb_str(jb, "status_code", b);
	}
	jb_u64(jb, "session_id", t->session_id);
	jb_u64(jb, "tree_id", t->tree_id);
	if (t->filename_len)
		jb_strn(jb, "filename", (const uint8_t *)t->filename, t->filename_len);
	if (t->setinfo)
		jb_str(jb, "access", t->delete_on_close ? "delete on close" : "normal");
	if (t->create) {
		static const char *const disp[] = { "FILE_SUPERSEDE", "FILE_OPEN", "FILE_CREATE",
						    "FILE_OPEN_IF", "FILE_OVERWRITE", "FILE_OVERWRITE_IF" };
		if (t->disposition < ARRAY_SIZE(disp))
			jb_str(jb, "disposition", disp[t->disposition]);
		jb_str(jb, "access", t->delete_on_close ? "delete on close" : "normal");
		static const char *const tnames[] = { "created", "accessed", "modified", "changed" };
		for (int i = 0; i < 4; i++)
			jb_u64(jb, tnames[i], t->ftime[i]);
		jb_u64(jb, "size", t->fsize);
	}
	if (t->fuid_set) {
		guid_str(t->fuid, b);
		jb_str(jb, "fuid", b);
	}
	if (t->share_set) {
		jb_strn(jb, t->is_pipe ? "named_pipe" : "share", (const uint8_t *)t->share, t->share_len);
		jb_str(jb, "share_type", t->is_pipe ? "PIPE" : "FILE");
	}
	if (t->ndialects) {
		jb_open_array(jb, "client_dialects");
		const char *dn = t->dialects;
		for (unsigned i = 0; i < t->ndialects; i++, dn += strlen(dn) + 1)
			jb_str(jb, NULL, dn);
		jb_close(jb);
	}
	if (t->guid_set) {
		guid_str(t->server_guid, b);
		jb_str(jb, "server_guid", b);
	}
	if (t->ntlmssp) {
		jb_open_object(jb, "ntlmssp");
		jb_str(jb, "domain", t->ntlm_domain);
		jb_str(jb, "user", t->ntlm_user);
		jb_str(jb, "host", t->ntlm_host);
		if (t->ntlm_version[0])
			jb_str(jb, "version", t->ntlm_version);
		jb_close(jb);
	}
	for (int side = 0; side < 2; side++)
		if (t->native_os[side][0] || t->native_lm[side][0]) {
			jb_open_object(jb, side ? "response" : "request");
			jb_str(jb, "native_os", t->native_os[side]);
			jb_str(jb, "native_lm", t->native_lm[side]);
			jb_close(jb);
		}
	if (t->dce.set) {
		jb_open_object(jb, "dcerpc");
		dce_smb_log_fields(jb, t);
		jb_close(jb);
	}
}
