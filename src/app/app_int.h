/*
 * app_int.h - what the app layer's files share (not seen outside app/).
 *
 * One struct app_flow per flow (f->app), allocated on the flow's first
 * payload; each protocol's state is allocated only when the flow turns out
 * to be that protocol.  Buffers that can grow with the peer's input
 * (bodies, handshake messages, certificate chains) are charged to the
 * worker's app-layer memcap; a refused charge raises app.memcap_reached and
 * that data is not inspected.
 */
#ifndef VIGIL_APP_INT_H
#define VIGIL_APP_INT_H

#include "app.h"

#define QUIC_CRYPTO_MAX (16 * 1024)

/* An HTTP body being collected for rules (body.c). */
struct http_body {
	uint8_t *buf;
	uint32_t len, cap, limit;
	void *z;                  /* z_stream when gzip/deflate */
	uint8_t enc;              /* BODY_ENC_* */
	bool raw_tried;           /* deflate: retried as raw deflate */
	bool full, exposed, close_delim, zfail;
	uint64_t exposed_seq;     /* pkt_seq when handed to rules */
	bool fopen;               /* body bytes seen: a file is open (fileinfo) */
	uint64_t fsize;           /* its size, decoded */
};

/* decode: gzip / deflate as Content-Encoding says (request bodies). */
void body_start(struct app_ctx *a, struct http_body *b, const struct http_head *h,
		uint32_t limit, bool close_delim, bool decode);
/* Adds body bytes; true when the limit was reached by this call. */
bool body_add(struct app_ctx *a, struct http_body *b, const uint8_t *d, uint32_t n);
void body_free(struct app_ctx *a, struct http_body *b);
enum { BODY_ENC_NONE, BODY_ENC_GZIP, BODY_ENC_DEFLATE };

/* TLS record and handshake reader of one direction (tls.c). */
struct tls_dir {
	uint8_t hdr[5];
	uint8_t hdr_len;
	uint8_t rec_type;
	uint32_t rec_left;
	uint8_t *hs;              /* handshake bytes not parsed yet */
	uint32_t hs_len, hs_cap;
	bool done;                /* encrypted from here, or broken */
	bool enc;                 /* ChangeCipherSpec or application data: encrypted */
};
struct tls_state {
	struct tls_dir dir[2];
	struct tls_info info;
	bool encrypted;           /* both sides encrypt (app_tx.encrypted told) */
};
void tls_feed(struct app_ctx *a, struct tls_state *t, int dir, const uint8_t *d, uint32_t n);
void tls_state_free(struct app_ctx *a, struct tls_state *t);
/* A certificate's Name (DER) as Suricata writes it ("C=US, O=..., CN=...")
 * into out (cut to cap), its length in n; fast: without OpenSSL where the
 * name allows (tls.c name_fast), else always through X509_NAME.  False
 * when OpenSSL cannot decode it. */
bool tls_name_text(const uint8_t *der, size_t dlen, bool fast, char *out, size_t cap, uint16_t *n);
/* Parses a ClientHello body (after the 4-byte handshake header) into the
 * fields shared by TLS and QUIC. */
struct hello_out {
	char *sni; uint16_t *sni_len; size_t sni_cap;
	char *ja3; uint16_t *ja3_len; size_t ja3_cap;
	char *ja3_hash, *ja4;
	uint16_t *version;
	uint8_t *nalpn, *alpn_len;
	char (*alpn)[32];
	uint16_t *ext;            /* extension types in order (may be NULL) */
	uint8_t *next;
	uint8_t *random;          /* the 32-byte random (may be NULL) */
};
bool tls_parse_client_hello(struct app_ctx *a, const uint8_t *d, uint32_t n, bool quic,
			    const struct hello_out *o);

/* SSH (ssh.c) */
struct ssh_dir {
	uint8_t line[256];
	uint16_t line_len;
	uint8_t state;
	uint8_t *pkt;             /* the KEXINIT packet being collected */
	uint32_t pkt_len, pkt_need;
	bool newkeys;             /* NEWKEYS sent: encrypted from here */
};
struct ssh_state {
	struct ssh_dir dir[2];
	struct ssh_info info;
	bool encrypted;           /* both sides sent NEWKEYS (app_tx.encrypted told) */
};
void ssh_feed(struct app_ctx *a, struct ssh_state *s, int dir, const uint8_t *d, uint32_t n);
void ssh_state_free(struct app_ctx *a, struct ssh_state *s);

/* SIP (sip.c) */
#define SIP_TCP_MAX (64 * 1024)
struct sip_state {
	struct sip_msg msg[APP_SIP_PER_PKT]; /* this packet's messages */
	uint8_t used;
	uint64_t seq;             /* the packet they belong to (app_ctx.pkt_seq) */
	uint64_t next_tx;
	uint8_t *buf[2];          /* TCP: a message being gathered per direction */
	uint32_t len[2];
};
void sip_udp(struct app_ctx *a, struct sip_state *s, const uint8_t *d, uint32_t n);
void sip_feed(struct app_ctx *a, struct sip_state *s, int dir, const uint8_t *d, uint32_t n);
void sip_state_free(struct app_ctx *a, struct sip_state *s);

/* SNMP (snmp.c) */
struct snmp_state {
	struct snmp_info msg;
	uint64_t next_tx;
};
void snmp_udp(struct app_ctx *a, struct snmp_state *s, const uint8_t *d, uint32_t n);

/* TFTP (tftp.c) */
void tftp_udp(struct app_ctx *a, struct tftp_info *t, const uint8_t *d, uint32_t n);
/* BitTorrent DHT (btdht.c): the last message of a flow (charged) */
struct btdht_state {
	struct btdht_tx tx;
	uint64_t next_tx;
};
void btdht_udp(struct app_ctx *a, struct btdht_state *s, const uint8_t *d, uint32_t n);
/* NTP (ntp.c): a datagram of an ntp flow */
void ntp_udp(struct app_ctx *a, const uint8_t *d, uint32_t n);

/* LDAP (ldap.c) */
#define LDAP_MSG_MAX (64 * 1024)
#define LDAP_MAX_TX 32
struct ldap_state {
	struct ldap_tx tx[LDAP_MAX_TX];
	uint64_t next_tx;
	uint32_t starttls_id;     /* an extended request's message id + 1 */
	bool tls;                 /* STARTTLS accepted: TLS follows */
	uint8_t *buf[2];          /* TCP: a message being gathered per direction */
	uint32_t len[2];
	uint64_t skip[2];         /* bytes of a too long message still to skip */
};
void ldap_udp(struct app_ctx *a, struct ldap_state *s, int dir, const uint8_t *d, uint32_t n);
void ldap_feed(struct app_ctx *a, struct ldap_state *s, int dir, const uint8_t *d, uint32_t n);
void ldap_state_free(struct app_ctx *a, struct ldap_state *s);
/* A transaction not logged yet (flow end), marked logged; NULL: none. */
const struct ldap_tx *ldap_unlogged(struct ldap_state *s);

/* SMB (smb.c) */
#define SMB_REC_MAX (64 * 1024 + 512) /* bytes of a NetBIOS record kept for parsing */
#define SMB_MAX_PENDING 16        /* requests awaiting their responses */
#define SMB_MAX_FILES 8          /* files open at once */
#define SMB_DCE_CTX_MAX 16        /* DCE/RPC contexts bound */
#define SMB_DCE_CALLS 8           /* DCE/RPC requests remembered for their responses */
#define SMB_MAX_TREES 16          /* tree connects remembered */
#define SMB_MAX_NAMES 32          /* file ids whose CREATE named them */
/* DCE/RPC (dcerpc.c): the presentation contexts bound (on SMB pipes, over
 * TCP) and the calls under way, as transactions */
#define DCE_MAX_TX 8              /* calls waiting for their responses or records */
struct dce_state {
	struct dce_ctx {
		uint16_t id, ver, minor;
		uint16_t result;      /* the bind ack's result for it (0: accepted) */
		uint32_t call_id;     /* the bind or alter context that offered it */
		uint8_t uuid[16];     /* as on the wire (little-endian fields) */
		bool acked, accepted;
	} ctx[SMB_DCE_CTX_MAX];
	uint8_t nctx, bound;      /* contexts kept; the first of the last bind */
	bool quiet;               /* in SMB: the calls are in smb records, no dcerpc ones */
	bool gap[2];              /* bytes of that direction were lost (ever) */
	uint64_t next_tx;
	struct dce_tx tx[DCE_MAX_TX];
};
/* One connection-oriented PDU, whole: its bind, request or response
 * joins (or starts) the transaction of its call id; smb: read in an SMB
 * pipe (a response's stub starts after its own 8-byte header). */
/* Returns the call it joined (valid until the next PDU of that state on a
 * later packet), NULL when none (not read, or no slot). */
struct dce_tx *dce_pdu(struct app_ctx *a, struct dce_state *s, const uint8_t *d, uint64_t n, bool smb);
void dce_state_clear(struct app_ctx *a, struct dce_state *s);
/* DCE/RPC over TCP: PDUs cut by their fragment length */
struct dcerpc_state {
	struct dce_state dce;
	struct dce_dir {
		uint8_t *buf;     /* a PDU split across deliveries (64 KiB, charged) */
		uint32_t len, need;
		bool broken;      /* not DCE/RPC: this direction is not read further */
		bool resync;      /* after a hole: looking for the next header */
	} dir[2];
};
struct smb_file {
	bool used;
	bool to_client;           /* read: travels to the client */
	uint8_t fid[16];          /* SMB2 FileId; SMB1: the FID in the first 2 bytes */
	char name[SMB_STR_MAX];
	uint16_t name_len;
	uint64_t next_off, size;
	bool gaps;
	bool body_shown;          /* file.data filled up and was shown (then freed) */
	uint8_t ver;              /* its transaction: SMB version, id, session, tree */
	uint64_t id, session_id;
	uint32_t tree_id;
	uint64_t closed_seq;      /* the packet it was closed on (+1: never) */
	struct file_track ft;
	struct http_body body;    /* the first bytes (file.data) */
};
struct smb_name {
	uint8_t fid[16];
	char name[SMB_STR_MAX];
	uint16_t name_len;
	bool used;
};
struct smb_dir {
	uint8_t nb[4];
	uint8_t nb_len;
	/* a record a gap cut: what came of it (charged), its NBSS header and
	 * the bytes lost, for its frames on this direction's next packet */
	uint8_t *cut_buf;
	uint32_t cut_len, cut_cap, cut_miss;
	uint64_t cut_seq;         /* the packet that found the gap */
	uint64_t cut_off;         /* its stream offset */
	uint8_t cut_nb[4];
	bool session_msg;         /* the record is an NBSS session message */
	uint32_t rec_len, got;    /* the record's length, bytes of it seen */
	uint8_t *buf;             /* its first SMB_REC_MAX bytes, while they come */
	uint32_t len, cap;
	bool lost;                /* the memcap refused the buffer: not parsed */
	bool resync;              /* after a hole: looking for the next record */
	int file;                 /* a READ/WRITE's data streaming into files[file], or -1 */
	uint64_t data_skip, data_left, data_off;
	uint64_t off;             /* stream offset of the next byte read */
	uint64_t rec_off;         /* ... of the record's NBSS header (its frames') */
};
struct smb_state {
	struct smb_dir dir[2];
	struct smb_tx pending[SMB_MAX_PENDING];
	struct smb_tx pkt[APP_SMB_PER_PKT]; /* this packet's views (app_tx.smb) */
	uint64_t seq;
	uint64_t next_id;
	bool neg1_seen;           /* an SMB1 NEGOTIATE came (a second makes no transaction) */
	uint16_t dialect2;
	char dialect1[SMB_SHORT_MAX];
	struct smb_file files[SMB_MAX_FILES];
	struct smb_name names[SMB_MAX_NAMES];
	uint8_t name_next;
	struct smb_tree {         /* tree ids the server connected, and whether a pipe */
		uint32_t tid;
		bool used, pipe;
	} trees[SMB_MAX_TREES];
	uint8_t tree_next;
	struct dce_state dce;     /* DCE/RPC on the named pipes */
};
void smb_feed(struct app_ctx *a, struct smb_state *s, int dir, const uint8_t *d, uint32_t n);
/* Every TCP packet of an SMB flow: a tree connect whose request came on
 * an earlier packet and whose response has not come is shown to the
 * rules on the first packet to the server after it (Suricata inspects the
 * transaction there, before the server said whether it is a pipe). */
void smb_packet(struct app_ctx *a, struct smb_state *s, int dir);
/* Bytes of direction dir were lost: the record under way is dropped and
 * reading resumes at the next NetBIOS message carrying an SMB header. */
void smb_gap(struct app_ctx *a, struct smb_state *s, int dir);
/* DCE/RPC over TCP: the same interface tracking, on a dcerpc flow; a
 * hole in direction dir ends the calls it cut. */
void dcerpc_feed(struct app_ctx *a, struct dcerpc_state *s, int dir, const uint8_t *d, uint32_t n);
void dcerpc_gap(struct app_ctx *a, struct dcerpc_state *s, int dir);
/* A connectionless (version 4) PDU in one UDP datagram. */
void dcerpc_udp(struct app_ctx *a, struct dcerpc_state *s, const uint8_t *d, uint32_t n);
bool dcerpc_udp_probe(const uint8_t *d, uint32_t n);
void dcerpc_state_free(struct app_ctx *a, struct dcerpc_state *s);
/* A transaction not logged yet (flow end), marked logged; NULL: none. */
const struct dce_tx *dcerpc_unlogged(struct dcerpc_state *s);
/* At flow end: a file still open, closed as truncated (once each); NULL: none. */
const struct app_file *smb_open_file(struct smb_state *s, struct app_file *fi);
void smb_state_free(struct app_ctx *a, struct smb_state *s);

/* QUIC (quic.c) */
struct quic_state {
	struct quic_info info;
	struct quic_dir {
		uint8_t *crypto;  /* the CRYPTO stream by offset, then a bitmap
				   * of which bytes arrived (freed once parsed) */
		bool done;
	} dir[2];
	uint8_t dcid[20];         /* the client's Destination CID: both sides' keys */
	uint8_t dcid_len;
	bool ver_seen[2];
};
/* True if d/n starts with a QUIC long-header Initial of a known version. */
bool quic_probe(const uint8_t *d, uint32_t n);
void quic_udp(struct app_ctx *a, struct quic_state *q, int dir, const uint8_t *d, uint32_t n);
void quic_state_free(struct app_ctx *a, struct quic_state *q);

/* SMTP (smtp.c) */
#define SMTP_LINE_MAX 4096        /* longer lines are cut (RFC 5321: 1000) */
#define SMTP_CMDQ 64              /* commands awaiting replies */
#define SMTP_MIME_DEPTH 8         /* nested multiparts followed */
#define SMTP_BOUNDARY_MAX 72      /* RFC 2046: 70 */
/* A line being collected (SMTP, FTP): line_take fills it. */
struct app_line {
	uint8_t buf[SMTP_LINE_MAX];
	uint32_t len;
	bool skip;
};
/* Takes bytes of *d up to the next LF into ln (what exceeds
 * SMTP_LINE_MAX is dropped: *cut on the call that drops); true when the
 * line is complete (its LF consumed): the caller reads ln->buf/len and
 * calls line_done. */
bool line_take(struct app_line *ln, const uint8_t **d, uint32_t *n, bool *cut);
/* A line longer than the buffer, read in pieces (a message body line
 * goes to the MIME reader whole): when the bytes at *d fill ln before
 * their LF, takes them into it and returns the piece's length, the
 * buffer less a CR at its end (which waits: it may be the CRLF's); the
 * caller reads ln->buf for that length, then calls line_piece_done.
 * 0, taking nothing, when the line ends (or the bytes do) first. */
uint32_t line_piece(struct app_line *ln, const uint8_t **d, uint32_t *n);
static inline void line_piece_done(struct app_line *ln, uint32_t piece)
{
	ln->len = SMTP_LINE_MAX - piece;
	if (ln->len)
		ln->buf[0] = '\r';
}
/* The complete line's length without its CR (FTP, POP3: CRLF or LF
 * ends a line). */
static inline size_t line_len(const struct app_line *ln)
{
	return ln->len && ln->buf[ln->len - 1] == '\r' ? ln->len - 1 : ln->len;
}
static inline void line_done(struct app_line *ln)
{
	ln->len = 0;
	ln->skip = false;
}
struct mime {
	void *md5;                /* EVP_MD_CTX of the body (body-md5), from the top headers' end */
	bool top, in_headers, multipart, leaf, file_open, crlf_pending, text;
	bool rfc822;              /* the part is message/rfc822: its body is a message */
	bool sniff;               /* a body without headers: its first "--x" line is a boundary */
	bool top_done;            /* the message's top headers just ended (email.* now known) */
	bool long_name, long_header;  /* to raise as events */
	uint16_t tl_len;
	char tl[1024];            /* decoded text being searched for URLs, a line at a time */
	uint8_t enc, depth, b64n;
	uint32_t b64;
	uint8_t qp_carry[2], qp_carry_len; /* a quoted-printable escape cut between pieces */
	uint16_t hdr_len;
	char hdr[1024];           /* the header being read, unfolded (capped) */
	char fname[256];
	char pending_boundary[SMTP_BOUNDARY_MAX];
	char boundary[SMTP_MIME_DEPTH][SMTP_BOUNDARY_MAX];
	uint64_t file_size;
};
/* A message being read (mime.c): the reader, the attachment under way
 * and the first bytes of the attachments that end on this packet. */
struct mime_msg {
	struct mime m;
	struct file_track ft;
	struct http_body body[APP_FILES_PER_PKT]; /* attachments' first bytes (file.data) */
	uint8_t cur;              /* the one being filled */
	uint8_t alp;              /* the carrying protocol (fileinfo's app_proto) */
	bool to_client;           /* the files travel to the client (POP3, IMAP FETCH) */
	struct smtp_info *info;   /* SMTP: its transaction (headers, URLs, attachment names) */
	uint32_t tx_id;           /* otherwise: the transaction the files name */
	bool piece_cont;          /* mime_msg_bytes: a long line's pieces are under way */
};
/* Starts a message (headers first).  info: the SMTP transaction that
 * collects what the headers say, or NULL; tx_id names the files then. */
void mime_msg_begin(struct mime_msg *mm, uint8_t alp, struct smtp_info *info, uint32_t tx_id,
		    bool to_client);
/* One line of the message without its CRLF, the carrier's framing undone;
 * a line longer than the caller's buffer may come in pieces: cont, this
 * piece continues the one before; more, another piece follows. */
void mime_msg_line(struct app_ctx *a, struct mime_msg *mm, const uint8_t *l, size_t n, bool cont,
		   bool more);
/* The message ended: the part under way ends, its file closes (on this
 * packet's app_tx.files). */
void mime_msg_end(struct app_ctx *a, struct mime_msg *mm);
/* The message begun has no headers (IMAP BODY[TEXT], BODY[n]): lines up
 * to the first "--boundary" are a preamble, that boundary the multipart's. */
void mime_msg_body(struct mime_msg *mm);
/* Bytes of the message as they come (POP3 by octet count, IMAP
 * literals): cut into lines in ln, a line longer than ln's buffer passed
 * whole in pieces; unstuff drops a line's leading dot (POP3).
 * mime_msg_bytes_end passes a last line that had no LF. */
void mime_msg_bytes(struct app_ctx *a, struct mime_msg *mm, struct app_line *ln, const uint8_t *d,
		    uint32_t n, bool unstuff);
void mime_msg_bytes_end(struct app_ctx *a, struct mime_msg *mm, struct app_line *ln, bool unstuff);
/* The message is dropped unread (SMTP: DATA refused); files stay. */
void mime_msg_abort(struct mime_msg *mm);
/* Frees what the reader holds (the struct stays the caller's). */
void mime_msg_free(struct app_ctx *a, struct mime_msg *mm);
/* SMTP transaction helpers (mime.c): a capped string, a capped list, a
 * value without its surrounding blanks (and a trailing CR). */
void smtp_str_set(char *dst, uint16_t *dlen, const uint8_t *s, size_t n);
void smtp_list_add(struct smtp_list *l, const uint8_t *s, size_t n);
const uint8_t *mime_trim(const uint8_t *s, size_t *n);
enum { SM_CMD, SM_DATA, SM_BDAT };
struct smtp_state {
	struct app_line line[2];
	uint8_t mode;
	bool tls;                 /* STARTTLS accepted: TLS from here */
	bool failed;              /* a parser error (an invalid reply): nothing more is read */
	bool replies_seen;        /* the server's side is in the capture */
	bool active;              /* a transaction is open (a command was seen) */
	bool done_pending;        /* done is complete, not written yet */
	bool await_valid, bdat_last; /* await: sent, waiting for the server's answer */
	bool opened;              /* a transaction was opened in the session */
	bool data_tried;          /* the transaction under way sent DATA (accepted or not) */
	bool rset_open;           /* an RSET awaits its reply in the transaction under way ... */
	uint32_t rset_tx;         /* ... this one (its reply ends it) */
	uint64_t bdat_left;
	uint8_t q[SMTP_CMDQ], q0, nq;
	uint32_t ntx;
	struct smtp_info tx, done, await; /* under way; the last completed; sent, unanswered */
	char helo[SMTP_LINE_MAX]; /* the first HELO/EHLO's domain (the infos point here) */
	bool cut_taken[2];        /* an over-long line's first SMTP_LINE_MAX bytes were read */
	bool data_cont;           /* a message body line longer than the buffer is under way */
	bool closed;              /* the TCP connection closed (smtp_tcp_closed) */
	struct mime_msg msg;      /* the message of DATA (mime.c) */
};
void smtp_feed(struct app_ctx *a, struct smtp_state *s, int dir, const uint8_t *d, uint32_t n);
void smtp_state_free(struct app_ctx *a, struct smtp_state *s);
/* The transaction under way if not written to eve yet (marks it). */
const struct smtp_info *smtp_unlogged(struct smtp_state *s);
/* The connection closed (both sides' FINs acknowledged, or a reset): the
 * transaction not written yet goes to eve on this packet, as Suricata
 * writes it once both directions reach their end.  Once. */
void smtp_tcp_closed(struct app_ctx *a, struct smtp_state *s);
/* A packet of the client's (data or not, after its data was read): a
 * transaction the server's reply completed goes to eve on it, as
 * Suricata writes it on the packet where it reads that reply (the
 * client's acknowledgement of it). */
void smtp_client_packet(struct app_ctx *a, struct smtp_state *s);

/* A parameter of a header value (boundary=...), unquoted and cut to fit
 * out; returns its full length (0: absent or empty). */
size_t mime_param(const char *v, size_t vn, const char *name, char *out, size_t cap);

/* multipart/form-data uploads (multipart.c) */
struct mpart {
	uint8_t delim[4 + 70];    /* "\r\n--" boundary */
	uint8_t dlen, mi, state, after, cur;
	bool file_open;
	uint16_t hlen;
	char hdr[1024];
	char fname[128];
	uint64_t size;
	uint64_t seen;            /* body bytes read, up to the request body limit */
	struct file_track ft;
	struct http_body body[APP_FILES_PER_PKT];
};
struct http_msg;
struct mpart *mpart_new(const char *boundary);
void mpart_feed(struct app_ctx *a, struct mpart *m, const uint8_t *d, size_t n,
		const struct http_msg *req, uint32_t tx_id);
void mpart_end(struct app_ctx *a, struct mpart *m, const struct http_msg *req, uint32_t tx_id);
void mpart_free(struct app_ctx *a, struct mpart *m);

/* FTP (ftp.c): a small fixed state; what it holds is allocated as it
 * is used and charged to the FTP memcap (ftp_charge): a direction's
 * partial line (grown to FTP_LINE_MAX at most), one record a
 * transaction with its command data and reply lines. */
#define FTP_CMDQ 16
#define FTP_LINE_MAX 4096         /* longer lines are cut (Suricata's max-line-length) */
struct ftp_line {
	uint8_t *buf;             /* a line split between segments, so far */
	uint32_t len, cap;
	bool skip;                /* past FTP_LINE_MAX (or refused): the rest is dropped */
};
struct ftp_state {
	struct ftp_line line[2];
	struct ftp_info *q, *q_tail;  /* commands awaiting their replies, oldest first */
	uint32_t nq;
	struct ftp_info *done;    /* answered: a->tx.ftp points at them until the next packet */
	struct ftp_info *gone;    /* written unanswered at flow end (freed with the state) */
	struct ftp_info *kept;    /* the last answered one, kept for view */
	bool in_multi;            /* inside a multi-line reply */
	bool refused;             /* a transaction refused by the memcap: parsing stopped */
	uint32_t ntx, owner;      /* owner: this connection's token in the expectations */
	const struct ftp_info *view;  /* the latest command or answer (alerts) */
	bool have_port;           /* a PORT / EPRT or PASV / EPSV reply gave a data port */
	bool tls;                 /* AUTH TLS accepted (234): TLS from here */
};
struct ftpdata_state {
	struct ftpdata_info info;
	bool open, closed;
	bool shown[2];            /* ftpdata_command exposed in this direction */
	uint64_t size;
	struct file_track ft;
	struct http_body body;    /* the file's first bytes (file.data) */
};
void ftp_feed(struct app_ctx *a, struct ftp_state *s, const struct flow *f, int dir,
	      const uint8_t *d, uint32_t n, uint64_t now);
/* The oldest command never answered (flow end), once each; NULL when
 * none is left. */
const struct ftp_info *ftp_unanswered(struct ftp_state *s);
/* The server closed: the commands still awaiting a reply will not get
 * one (a->tx.ftp_unans, for ftp.reply_received: no). */
void ftp_server_closed(struct app_ctx *a, struct ftp_state *s);
/* Frees what s holds, releasing its charges (not s's own: app.c
 * charged it), then s; NULL is a no-op. */
void ftp_state_free(struct app_ctx *a, struct ftp_state *s);
/* FTP memory (app.c): charged to app-layer.protocols.ftp.memcap and to
 * the app-layer memcap; 0, else 1 when the FTP memcap refuses (counted
 * in ftp.memcap), 2 when the app-layer one does. */
int ftp_charge(struct app_ctx *a, uint64_t n);
void ftp_release(struct app_ctx *a, uint64_t n);
/* Is this new flow a data connection an FTP control connection announced?
 * Fills d's command and file name. */
bool ftp_data_expected(const struct flow *f, struct ftpdata_state *d);
/* Any expectation registered (a cheap test before the locked lookup). */
bool ftp_expecting(void);
void ftpdata_feed(struct app_ctx *a, struct ftpdata_state *d, const uint8_t *p, uint32_t n);
void ftpdata_close(struct app_ctx *a, struct ftpdata_state *d, bool truncated);
void ftpdata_state_free(struct app_ctx *a, struct ftpdata_state *d);

/* hex helpers */
void hex_md5(const void *s, size_t n, char out[static 33]);

#define APP_PROBE_MAX 32   /* first bytes kept per direction until detection decides */
#define APP_PROBE_DECIDE 16

/* An HTTP connection's state (allocated when the flow turns out HTTP). */
/* HTTP byte ranges (range.c): 206 parts put back into whole files */
#define RANGE_MAX 64                       /* containers open at once */
#define RANGE_KEY_MAX 512                  /* host, URI and ETag */
#define RANGE_PEND_MAX (16u << 20)         /* parts kept ahead of their file, all together */
#define RANGE_TIMEOUT_US (60ULL * 1000000) /* a container idle this long goes */
struct range_ref {
	int idx;                  /* -1: none */
	uint32_t gen;
	uint64_t off;             /* where the part's next byte lies in the file */
};
/* The container of key (made if none; the oldest goes when all are in
 * use) for a part starting at start of a size-byte file; false (r
 * refers to none) when the numbers say nothing. */
bool range_open(struct range_ref *r, const char *key, size_t klen, uint64_t start, uint64_t size,
		uint64_t now);
/* The part's next n bytes; true when they made the file whole: *facts
 * and *size are the whole's (the container is gone, r refers to none). */
bool range_add(struct range_ref *r, const uint8_t *d, uint32_t n, uint64_t now,
	       struct file_facts *facts, uint64_t *size);
/* n bytes of the part were lost (a hole in the capture). */
void range_skip(struct range_ref *r, uint32_t n);
/* Every container goes (tests; the process's end). */
void range_reset(void);

struct http_state {
	struct http_conn *conn;   /* libhtp's connection parser */
	struct http_msg req, resp;
	struct http_body body[2];
	struct file_track ft[2];  /* the open files' digests and magic */
	struct mpart *mp;         /* the request's multipart/form-data reader */
	bool connect_pending;     /* the last request was CONNECT */
	uint32_t nreq, resp_of;   /* requests seen; the one the last response answers */
	uint32_t resp_end_of;     /* the request whose response ended last */
	bool tunnel;              /* CONNECT succeeded: what follows is another protocol */
	uint8_t upgrade;          /* a 101 switched to this protocol (ALP_WEBSOCKET) ... */
	bool ws_deflate, ws_no_ctx[2]; /* ... with permessage-deflate, and how */
	bool change_busy;         /* this is the first data after a protocol change: no second one (h2c) */
	bool h2c_req;             /* the last request asked for Upgrade: h2c ... */
	bool h2c;                 /* ... and a 101 answered it: HTTP/2 follows */
	struct range_ref range;   /* the response is a 206 part of this file */
	/* Pipelining: requests sent before the responses to earlier ones
	 * ended.  The earlier requests wait here (oldest first; allocated
	 * when first needed, charged) until their responses end and their
	 * records are written; req is always the newest. */
	struct http_msg *pipe;
	uint8_t npipe;
	bool req_line;            /* req holds a request line whose headers are to come */
	uint64_t resp_htp;        /* libhtp's index of the response being read */
	uint64_t resp_done;       /* libhtp's transactions whose responses ended */
	struct http_msg *log_req; /* the request the record of packet log_seq is of */
	uint64_t log_seq;
	/* The open file of each direction as Suricata stores it: its bytes
	 * seen (holes not counted) and whether it was cut at the body limit. */
	uint64_t fdata[2];
	bool fcut[2];
};
#define HTTP_PIPE_MAX 8           /* requests waiting behind a newer one (more: the oldest is dropped) */

/* RFB (rfb.c) */
struct rfb_state {
	uint8_t buf[2][256];      /* a message cut across deliveries (a name or reason: 256 kept) */
	uint32_t len[2];
	uint8_t sstate, cstate;   /* where each side is in the handshake */
	uint8_t ntypes;
	uint32_t skip_len;        /* a name's or reason's length */
	uint64_t skip;            /* its bytes past what is kept */
	struct rfb_tx tx;
};
void rfb_feed(struct app_ctx *a, struct rfb_state *s, int dir, const uint8_t *d, uint32_t n);
bool rfb_probe(const uint8_t *d, uint32_t n);
const struct rfb_tx *rfb_unlogged(struct rfb_state *s);

/* NFS (nfs.c) */
#define NFS_MAX_TX 16             /* transactions open or awaiting their record */
#define NFS_MAX_XID 32            /* calls awaiting their replies */
#define NFS_MAX_NAMES 32          /* file handle -> name */
#define NFS_MAX_FILES 4           /* files open */
#define NFS_REC_MAX (256u * 1024) /* a TCP record gathered whole (larger: its head) */
struct nfs_xid {
	bool used;
	uint32_t xid, procedure;  /* v2: as v3's */
	uint8_t version;
	uint64_t offset;          /* READ */
	uint8_t fh[NFS_FH_MAX];
	uint8_t fh_len;
	char name[NFS_NAME_MAX];
	uint16_t name_len;
};
struct nfs_name {
	bool used;
	uint8_t fh[NFS_FH_MAX];
	uint8_t fh_len;
	char name[NFS_NAME_MAX];
	uint16_t name_len;
};
struct nfs_file {
	bool used;
	uint64_t next_off, size;
	uint64_t closed_seq;      /* the packet it was closed on, + 1 */
	struct file_track ft;
	struct http_body body;    /* the first bytes (file.data) */
};
struct nfs_dir {
	uint8_t mark[4], mark_len;
	uint32_t rec_len, got, keep, cap;
	uint8_t *buf;             /* the record (or its head), charged */
	int file_tx;              /* a large READ/WRITE whose data follows, or -1 */
	uint64_t file_id, file_off;
	uint32_t file_left;
	bool file_last, broken;
};
struct nfs_state {
	struct nfs_dir dir[2];
	struct nfs_tx tx[NFS_MAX_TX];
	uint64_t tx_seq[NFS_MAX_TX]; /* the packet a transaction's record was written on */
	struct nfs_xid xids[NFS_MAX_XID];
	struct nfs_name names[NFS_MAX_NAMES];
	struct nfs_file files[NFS_MAX_FILES];
	unsigned name_next, xid_next;
	uint64_t next_id;
	bool udp, closed[2], flushed;
	bool partial;             /* the record being read is only the head of one */
};
void nfs_feed(struct app_ctx *a, struct nfs_state *s, int dir, const uint8_t *d, uint32_t n);
void nfs_udp(struct app_ctx *a, struct nfs_state *s, int dir, const uint8_t *d, uint32_t n);
void nfs_gap(struct app_ctx *a, struct nfs_state *s, int dir);
void nfs_close(struct app_ctx *a, struct nfs_state *s, int dir);
void nfs_packet(struct app_ctx *a, struct nfs_state *s);
bool nfs_probe(const uint8_t *d, uint32_t n, bool tcp, int dir);
const struct nfs_tx *nfs_unlogged(struct nfs_state *s);
const struct app_file *nfs_open_file(struct nfs_state *s, struct app_file *fi);
void nfs_state_free(struct app_ctx *a, struct nfs_state *s);

/* IKE (ike.c) */
struct ike_state {
	struct ike_flow fl;
	struct ike_tx tx;         /* the message of the current packet */
	uint64_t next_tx;
	bool started;
};
/* One datagram; nat_t: on port 4500 (after a non-ESP marker). */
void ike_udp(struct app_ctx *a, struct ike_state *s, int dir, bool nat_t, const uint8_t *d,
	     uint32_t n);
/* nat_t: after a zero non-ESP marker */
bool ike_probe(const uint8_t *d, uint32_t n, bool nat_t);
void ike_state_free(struct app_ctx *a, struct ike_state *s);

/* Kerberos 5 (krb5.c) */
#define KRB5_MAX_TX 8
struct krb5_state {
	struct krb5_dir {
		uint8_t mark[4];      /* the TCP record mark, as it comes */
		uint8_t mlen;
		uint32_t need, len;   /* the record's length, bytes of it gathered */
		uint8_t *buf;         /* a record split across deliveries (16 KiB, charged) */
		bool broken;
	} dir[2];
	struct krb5_tx tx[KRB5_MAX_TX];
	uint64_t next_tx;
	uint8_t req_type;         /* the last request's type (for KRB-ERROR) */
};
void krb5_udp(struct app_ctx *a, struct krb5_state *s, const uint8_t *d, uint32_t n);
void krb5_feed(struct app_ctx *a, struct krb5_state *s, int dir, const uint8_t *d, uint32_t n);
void krb5_gap(struct app_ctx *a, struct krb5_state *s, int dir);
bool krb5_probe(const uint8_t *d, uint32_t n);
bool krb5_probe_tcp(const uint8_t *d, uint32_t n);
void krb5_state_free(struct app_ctx *a, struct krb5_state *s);

/* MQTT (mqtt.c) */
#define MQTT_MAX_TX 32            /* transactions waiting for replies or records */
struct mqtt_state {
	struct mqtt_dir {
		uint8_t hdr[5];       /* a fixed header cut across deliveries */
		uint8_t hlen;
		uint8_t *buf;         /* a message being gathered (cap: its length) */
		uint32_t cap, len;
		uint64_t skip;        /* bytes of a too long message still to pass */
		bool broken;          /* did not parse: not read further */
	} dir[2];
	struct mqtt_tx tx[MQTT_MAX_TX];
	uint64_t next_tx;
	uint8_t version;          /* from the CONNECT */
	bool connected;           /* a CONNACK answered it */
};
void mqtt_feed(struct app_ctx *a, struct mqtt_state *s, int dir, const uint8_t *d, uint32_t n);
void mqtt_gap(struct app_ctx *a, struct mqtt_state *s, int dir);
bool mqtt_probe(const uint8_t *d, uint32_t n);
void mqtt_state_free(struct app_ctx *a, struct mqtt_state *s);
const struct mqtt_tx *mqtt_unlogged(struct mqtt_state *s);

/* POP3 (pop3.c) */
#define POP3_MAX_TX 16            /* transactions waiting (APP_POP3_PER_PKT too) */
struct pop3_line {
	uint8_t *buf;             /* grown on demand up to POP3_LINE_MAX, charged */
	uint32_t len, cap;
	bool skip;                /* the rest of a line longer than that */
};
struct pop3_state {
	struct pop3_line line[2];
	struct pop3_tx tx[POP3_MAX_TX];
	uint64_t next_tx;
	uint8_t multi;            /* 1 + the transaction whose multi-line response is under way; 0 none */
	bool keep_data;           /* ... and its lines are kept (not RETR's) */
	uint64_t raw_left;        /* RETR: octets of the message still to pass */
	bool auth_next;           /* the client's next line is SASL data */
	bool gap[2];              /* after a hole: lines skipped until one reads as POP3 */
	bool tls;                 /* STLS accepted: TLS from here */
	bool mime_on;             /* RETR / TOP's message goes to msg */
	struct app_line mline;    /* a line of a message passed by its octet count */
	struct mime_msg msg;      /* RETR / TOP's message (mime.c): attachments are files */
};
/* Bytes are lines: the client's commands, the server's responses. */
void pop3_feed(struct app_ctx *a, struct pop3_state *s, int dir, const uint8_t *d, uint32_t n);
void pop3_gap(struct app_ctx *a, struct pop3_state *s, int dir);
bool pop3_probe(const uint8_t *d, uint32_t n);
void pop3_state_free(struct app_ctx *a, struct pop3_state *s);
/* A transaction not logged yet (flow end), marked logged; NULL: none. */
const struct pop3_tx *pop3_unlogged(struct pop3_state *s);

/* IMAP (imap.c) */
#define IMAP_MAX_TX 16            /* commands awaiting completion (APP_IMAP_PER_PKT too) */
struct imap_dir {
	struct app_line line;     /* the line (segment) being read */
	bool cont;                /* the next segment continues a line after a literal */
	bool fetch;               /* the line under way is untagged server data */
	uint64_t lit_left;        /* octets of a literal still to pass */
	bool in_msg;              /* ... which is a message, going to msg */
	bool head_lit;            /* ... its headers alone (BODY[HEADER], BODY[n.MIME]) */
	bool held;                /* msg read up to its body, which may follow in the response */
	struct app_line mline;    /* a line of that message */
	struct mime_msg msg;
};
struct imap_state {
	struct imap_dir dir[2];
	struct imap_tx tx[IMAP_MAX_TX];
	uint64_t next_tx;
	bool sasl;                /* AUTHENTICATE under way: client lines are SASL data */
	bool idle;                /* IDLE under way: "DONE" ends it */
	bool tls;                 /* STARTTLS accepted: TLS from here */
};
void imap_feed(struct app_ctx *a, struct imap_state *s, int dir, const uint8_t *d, uint32_t n);
void imap_gap(struct app_ctx *a, struct imap_state *s, int dir);
bool imap_probe(const uint8_t *d, uint32_t n);
void imap_state_free(struct app_ctx *a, struct imap_state *s);
/* A transaction not logged yet (flow end), marked logged; NULL: none. */
const struct imap_tx *imap_unlogged(struct imap_state *s);

/* WebSocket (websocket.c) */
#define WS_MAX_TX APP_WS_PER_PKT  /* transactions kept (each shown on its packet) */
struct ws_state {
	struct ws_dir {
		uint8_t hdr[14];          /* a frame header cut across deliveries */
		uint8_t hlen;
		bool in_payload;          /* the header is read, the payload comes */
		uint8_t *buf;             /* a frame's kept payload being gathered (cap: keep) */
		uint32_t keep, got;
		uint64_t rest;            /* its bytes past the kept ones */
		uint64_t skip;            /* bytes still to pass unread */
		uint8_t *msg;             /* a fragmented message (cap: max-payload-size) */
		uint32_t msg_len;
		bool msg_open, msg_comp, msg_cut;
		struct z_stream_s *z;     /* permessage-deflate's window (charged) */
		bool broken;              /* after a hole: not read further */
	} d[2];
	bool deflate;             /* the 101 accepted permessage-deflate */
	bool no_ctx[2];           /* ... without context takeover, per sender */
	struct ws_tx tx[WS_MAX_TX];
	unsigned next_slot;
	uint64_t next_tx;
};
void ws_feed(struct app_ctx *a, struct ws_state *s, int dir, const uint8_t *d, uint32_t n);
void ws_gap(struct app_ctx *a, struct ws_state *s, int dir);
void ws_state_free(struct app_ctx *a, struct ws_state *s);

/* Frames (frame.c): the bytes of one protocol unit of this packet,
 * copied (p1 then p2) for the frame keyword; false when the packet's
 * frame space is full (the frame is then not shown). */
bool app_frame_add(struct app_ctx *a, int type, int dir, const uint8_t *p1, uint32_t n1,
		   const uint8_t *p2, uint32_t n2);
/* More bytes of the frame added last (false, and that frame is dropped,
 * when they do not fit). */
bool app_frame_append(struct app_ctx *a, const uint8_t *p, uint32_t n);
/* The frame added last lacks its last n bytes (lost in a gap). */
void app_frame_missing(struct app_ctx *a, uint32_t n);
/* app_frame_add of a frame starting at stream offset off of its
 * direction (one that app_frame_add cannot tell from where p1 or p2 lie
 * in the bytes delivered: a frame gathered in a parser's buffer). */
bool app_frame_add_at(struct app_ctx *a, int type, int dir, uint64_t off, const uint8_t *p1,
		      uint32_t n1, const uint8_t *p2, uint32_t n2);
/* The frame added last belongs to transaction tx_id (its eve tx_id). */
void app_frame_tx(struct app_ctx *a, uint64_t tx_id);
/* No frames: a new packet (app_tx_reset). */
void app_frames_reset(struct app_ctx *a);
/* HTTP/2 (http2.c) */
#define H2_MAX_TX 32              /* streams followed at once (too_many_streams past it) */
#define H2_FRAME_KEEP (64 * 1024) /* a non-DATA frame gathered; longer ones are passed over */
#define H2_BLOCK_MAX (64 * 1024)  /* a header block (HEADERS + CONTINUATIONs) */
#define H2_CONT_MAX 64            /* CONTINUATION frames of one block */
#define H2_FIELDS_MAX 128         /* header fields kept per direction of a stream */
#define H2_FIELD_BYTES (32 * 1024) /* ... and their bytes */
#define H2_DNS_MAX 65535          /* a DNS message over HTTP/2 (as over TCP) */
#define H2_TABLE_MAX (64 * 1024)  /* HPACK dynamic table allowed */
struct h2_dec {                   /* a DATA Content-Encoding decoder */
	uint8_t enc;              /* 0 none, 1 gzip, 2 deflate, 3 br */
	bool failed;              /* the rest passes as sent */
	void *z;
	struct br_dec *br;
	uint64_t in, out;
};
struct h2_aux {                   /* a transaction's parsing state, per direction */
	struct h2_dec dec[2];
	struct http_body body[2];
	struct file_track ft[2];
	bool fopen[2];
	uint64_t fsize[2];
	bool dns_on[2], dns_over[2];  /* the body is a DNS message; it was too long */
	uint8_t *dns_buf[2];
	uint32_t dns_len[2], dns_cap[2];
	/* reset by one side (RST_STREAM) while the other had not ended: kept,
	 * for the frames that side sent before it saw the reset, until it
	 * ends or sends a packet without them (linger_dir: that side) */
	bool linger;
	uint8_t linger_dir;
};
struct nghttp2_hd_inflater;
struct h2_dir {
	uint32_t magic;           /* client: preface bytes matched */
	uint8_t hdr[9], hlen;
	uint8_t type, flags;
	uint32_t flen, got, sid;
	bool skip;                /* the frame's payload is passed over */
	uint8_t *buf;             /* a non-DATA frame's payload (charged) */
	uint32_t blen, bcap;
	bool pad_known;           /* DATA: its pad length was read */
	uint8_t pad;
	int data_tx;              /* DATA: the transaction it feeds (-1 none) */
	uint8_t *hb;              /* the header block being gathered (charged) */
	uint32_t hb_len, hb_cap, hb_sid;
	bool hb_open, hb_push, hb_end_stream, hb_over;
	uint16_t ncont;
	struct nghttp2_hd_inflater *inf;
	bool hpack_broken;        /* its table is out of step: headers not decoded */
	uint32_t max_frame;       /* SETTINGS_MAX_FRAME_SIZE the other side announced */
	bool broken;              /* not HTTP/2: not read further */
};
struct h2_state {
	struct app_ctx *a;        /* the context of the call under way (allocator) */
	struct { void *ud; void *fn[4]; } hd_mem; /* nghttp2_mem, which the decoders keep a pointer to */
	struct h2_dir dir[2];
	struct h2_slot {          /* a transaction, made when it starts (charged) */
		struct h2_tx tx;  /* (first: a tx pointer is its slot's) */
		struct h2_aux aux;
	} *slot[H2_MAX_TX];
	uint64_t next_tx;
	uint32_t max_sid[2];      /* the highest stream id opened, by parity */
	bool doh;                 /* a DNS message was seen */
};
/* The bytes of direction dir (0: client to server), from any source. */
void h2_feed(struct app_ctx *a, struct h2_state *s, int dir, const uint8_t *d, uint32_t n);
void h2_state_free(struct app_ctx *a, struct h2_state *s);
const struct h2_tx *h2_unlogged(struct h2_state *s);
const struct h2_tx *h2_peek(const struct h2_state *s);
const struct app_file *h2_open_file(struct h2_state *s, struct app_file *fi);
/* An HTTP/1 request answered by 101 to Upgrade: h2c: it is stream 1's
 * request, its HTTP2-Settings the client's first settings (RFC 7540 3.2). */
void h2_upgrade(struct app_ctx *a, struct h2_state *s, const struct http_msg *req);
/* An HTTP message from a parsed head (views into base); false on
 * allocation failure.  http_msg_free empties it. */
bool http_msg_set(struct http_msg *m, const struct http_head *h, const uint8_t *base, uint32_t len);
void http_msg_free(struct http_msg *m);

struct app_flow {
	bool seen[2];
	bool redetect;            /* after an HTTP CONNECT: the tunnel's protocol is being detected */
	bool opaque;              /* ... and it was none vigil knows: nothing more is parsed */
	bool ftp_refused;         /* past the FTP memcap: this connection is not parsed */
	uint8_t change;           /* a protocol change (STARTTLS) under way, expecting this (ALP_TLS) */
	uint8_t expected;         /* the protocol the change expected (set once: one change a flow) */
	bool changing;            /* the new protocol's first data is being parsed */
	uint8_t probe[2][APP_PROBE_MAX];
	uint8_t probe_len[2];
	/* DNS over TCP: a message being reassembled per direction */
	uint8_t *buf[2];
	uint32_t len[2];
	struct http_state *http;
	struct tls_state *tls;
	struct ssh_state *ssh;
	struct quic_state *quic;
	struct smtp_state *smtp;
	struct ftp_state *ftp;
	struct ftpdata_state *ftpdata;
	struct sip_state *sip;
	struct ldap_state *ldap;
	struct pop3_state *pop3;
	struct mqtt_state *mqtt;
	struct krb5_state *krb5;
	struct rfb_state *rfb;
	struct ike_state *ike;
	struct nfs_state *nfs;
	struct ws_state *ws;
	struct h2_state *h2;
	struct tftp_info *tftp;
	struct snmp_state *snmp;
	struct smb_state *smb;
	struct dcerpc_state *dcerpc;
	struct btdht_state *btdht;
	struct imap_state *imap;
	uint64_t stream_off[2];   /* stream bytes delivered (gaps too), per direction */
	uint64_t frame_id[2];     /* the last frame id given, per direction */
};

/* app_layer.flow.* / app_layer.tx.* (Suricata's names: a protocol that
 * runs over both transports has _tcp and _udp counters).  A flow counts
 * once, when its protocol is first decided; a transaction when the
 * parser starts it (an HTTP request, a DNS, SIP or FTP message or
 * command, an SMTP mail; TLS and SSH have one per flow, as in Suricata). */
void app_count_flow(struct app_ctx *a, const struct flow *f, int alp);
void app_count_tx(struct app_ctx *a, bool udp, int alp);

/* *buf, n bytes charged to the app memcap, made on first use: false
 * when the memcap or memory refuses (app_buf_free releases it). */
bool app_buf(struct app_ctx *a, uint8_t **buf, uint32_t n);
void app_buf_free(struct app_ctx *a, uint8_t **buf, uint32_t n);

/* Charges / releases the app memcap (raises app.memcap_reached). */
bool app_charge(struct app_ctx *a, uint64_t n);
void app_release(struct app_ctx *a, uint64_t n);

/* An HTTP (1 or 2) file's name, as Suricata names it: Content-Disposition's
 * filename (cd, cdl; NULL: none), else the request path (without its
 * query; NULL: none). */
void http_file_name(struct app_file *fi, const uint8_t *cd, uint32_t cdl, const uint8_t *path,
		    uint32_t pl);

/* A parser error of the protocol whose counter is cnt (CNT_APP_ERR_*). */
static inline void app_parser_error(struct app_ctx *a, int cnt)
{
	if (a->cnt && cnt >= 0)
		a->cnt->v[cnt]++;
	a->tx.parser_error = true; /* app-layer.error-policy */
}

#endif
