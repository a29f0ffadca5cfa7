/*
 * test_smb.c - the SMB parser (src/app/smb.c): SMB2 header parsing, a
 * file written and read over SMB2 (whole and a byte at a time), an SMB1
 * WRITE_ANDX, SMB1 requests that share a multiplex id, and hostile lengths (a data length past its NetBIOS
 * record, a record of garbage, a header with the wrong size), with every
 * buffer returned to the memcap; DCE/RPC over TCP (bind, ack, request,
 * response) as dcerpc.iface / dcerpc.opnum / dcerpc.stub_data see it and
 * its dcerpc records, a request in fragments (and one with an object
 * UUID, kept in its stub data), calls cut by a hole, and
 * connectionless DCE/RPC over UDP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "app.h"
#include "app_int.h"
#include "counters.h"
#include "json.h"
#include "testutil.h"

static struct counters cnt;

/* ---- building messages ---- */

struct msg {
	uint8_t b[512];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}
static void put8(struct msg *m, uint8_t v) { put(m, &v, 1); }
static void put16(struct msg *m, uint16_t v) { put8(m, (uint8_t)v); put8(m, (uint8_t)(v >> 8)); }
static void put32(struct msg *m, uint32_t v) { put16(m, (uint16_t)v); put16(m, (uint16_t)(v >> 16)); }
static void put64(struct msg *m, uint64_t v) { put32(m, (uint32_t)v); put32(m, (uint32_t)(v >> 32)); }
static void zeros(struct msg *m, size_t n) { while (n--) put8(m, 0); }

/* NBSS header + SMB2 header; the NBSS length is fixed by nbss_end */
static void smb2_hdr(struct msg *m, uint16_t cmd, bool resp, uint64_t msg_id, uint32_t status)
{
	m->n = 0;
	zeros(m, 4);
	put(m, "\xfeSMB", 4);
	put16(m, 64);
	put16(m, 0);
	put32(m, status);
	put16(m, cmd);
	put16(m, 1);
	put32(m, resp ? 1 : 0);
	put32(m, 0);
	put64(m, msg_id);
	put32(m, 0);
	put32(m, 7);                  /* tree id */
	put64(m, 0x1234);             /* session id */
	zeros(m, 16);
}

static void nbss_end(struct msg *m)
{
	size_t len = m->n - 4;
	m->b[1] = (uint8_t)(len >> 16);
	m->b[2] = (uint8_t)(len >> 8);
	m->b[3] = (uint8_t)len;
}

/* "a.txt" in UTF-16LE */
static const uint8_t name16[] = { 'a', 0, '.', 0, 't', 0, 'x', 0, 't', 0 };
static const uint8_t fid[16] = { 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };

/* ---- what the packets exposed ---- */

struct seen {
	unsigned nrec, nfiles;
	char rec[16][600];
	char fname[4][64];
	uint64_t fsize[4];
	uint8_t fdata[4][64];
	uint32_t fdata_len[4];
	bool to_client[4];
	app_events_t ev;
};

static void seen_cb(const struct app_tx *tx, struct seen *s)
{
	for (unsigned i = 0; i < tx->ndcelog && s->nrec < 16; i++) {
		struct jbuf jb = { 0 };
		jb_open_object(&jb, NULL);
		dce_log_fields(&jb, tx->dcelog[i]);
		jb_close(&jb);
		snprintf(s->rec[s->nrec++], sizeof(s->rec[0]), "%.*s", (int)jb.len, jb.buf);
		jb_fini(&jb);
	}
	for (unsigned i = 0; i < tx->nsmb; i++) {
		if (!tx->smb[i]->resp_side || s->nrec >= 16)
			continue;
		struct jbuf jb = { 0 };
		jb_open_object(&jb, NULL);
		smb_log_fields(&jb, tx->smb[i]);
		jb_close(&jb);
		snprintf(s->rec[s->nrec++], sizeof(s->rec[0]), "%.*s", (int)jb.len, jb.buf);
		jb_fini(&jb);
	}
	for (unsigned i = 0; i < tx->nfiles && s->nfiles < 4; i++, s->nfiles++) {
		const struct app_file *fi = tx->files[i];
		snprintf(s->fname[s->nfiles], 64, "%.*s", (int)fi->name_len, fi->name);
		s->fsize[s->nfiles] = fi->size;
		s->to_client[s->nfiles] = fi->to_client;
		s->fdata_len[s->nfiles] = fi->data_len < 64 ? fi->data_len : 64;
		if (fi->data)
			memcpy(s->fdata[s->nfiles], fi->data, s->fdata_len[s->nfiles]);
	}
	app_ev_or(&s->ev, &tx->events);
}

static void feed(struct app_ctx *a, struct flow *f, int dir, const struct msg *m, size_t step,
		 struct seen *s)
{
	size_t off = 0;
	while (off < m->n) {
		size_t k = step ? (step < m->n - off ? step : m->n - off) : m->n - off;
		app_tx_reset(a);
		app_stream_data(a, f, dir, guard_copy(m->b + off, k), (uint32_t)k, 0);
		seen_cb(&a->tx, s);
		off += k;
	}
}

static void setup(struct app_ctx *a, struct flow *f)
{
	struct app_cfg c = { 1024, 1024, 1 << 22, false, 0, 0 };
	app_ctx_init(a, &c, &cnt);
	memset(f, 0, sizeof(*f));
	f->key.proto = 6;
	f->key.sp = 40000;
	f->key.dp = 445;
	f->alproto = ALP_UNKNOWN;
}

/* ---- tests ---- */

/* A negotiate: the header's fields and the response's dialect and GUID. */
static void test_smb2_header(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	struct seen s;
	struct msg m;
	setup(&a, &f);
	memset(&s, 0, sizeof(s));
	smb2_hdr(&m, 0, false, 0, 0);
	put16(&m, 36);
	put16(&m, 1);                 /* one dialect */
	zeros(&m, 4 + 4 + 16 + 8);
	put16(&m, 0x0311);
	nbss_end(&m);
	feed(&a, &f, 0, &m, 0, &s);
	assert_int_equal(f.alproto, ALP_SMB);
	assert_int_equal(s.nrec, 0);  /* written with its response */
	smb2_hdr(&m, 0, true, 0, 0);
	put16(&m, 65);
	put16(&m, 0);
	put16(&m, 0x0311);
	put16(&m, 0);
	for (int i = 0; i < 16; i++)
		put8(&m, (uint8_t)i);
	zeros(&m, 41);
	nbss_end(&m);
	feed(&a, &f, 1, &m, 0, &s);
	assert_int_equal(s.nrec, 1);
	assert_string_equal(s.rec[0], "{\"id\":1,\"dialect\":\"3.11\",\"command\":\"SMB2_COMMAND_NEGOTIATE_PROTOCOL\","
				      "\"status\":\"STATUS_SUCCESS\",\"status_code\":\"0x0\",\"session_id\":4660,"
				      "\"tree_id\":7,\"server_guid\":\"03020100-0504-0706-0908-0a0b0c0d0e0f\"}");
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* CREATE names a.txt; a WRITE of 11 bytes and a READ of 5 are two files
 * (one per direction), closed by CLOSE: fileinfo, file.data and the
 * files' smb records.  Whole and a byte at a time, the same. */
static void transfer(size_t step, struct seen *s)
{
	struct app_ctx a;
	struct flow f;
	struct msg m;
	setup(&a, &f);
	memset(s, 0, sizeof(*s));
	/* CREATE */
	smb2_hdr(&m, 5, false, 1, 0);
	put16(&m, 57);
	zeros(&m, 34);
	put32(&m, 2);                 /* FILE_CREATE */
	put32(&m, 0);                 /* options */
	put16(&m, 64 + 56);           /* name offset */
	put16(&m, sizeof(name16));
	zeros(&m, 8);
	put(&m, name16, sizeof(name16));
	nbss_end(&m);
	feed(&a, &f, 0, &m, step, s);
	smb2_hdr(&m, 5, true, 1, 0);
	put16(&m, 89);
	zeros(&m, 6);
	put64(&m, 132223104000000000ull); /* created: 2020-01-01 00:00:00 */
	put64(&m, 0);                 /* accessed: none (0) */
	put64(&m, 1000);              /* modified: before 1970 (0) */
	put64(&m, 132223104010000000ull); /* changed: a second later */
	put64(&m, 4096);              /* allocation size */
	put64(&m, 11);                /* end of file */
	zeros(&m, 8);
	put(&m, fid, 16);
	zeros(&m, 8);
	nbss_end(&m);
	feed(&a, &f, 1, &m, step, s);
	/* WRITE "hello world" at 0 */
	smb2_hdr(&m, 9, false, 2, 0);
	put16(&m, 49);
	put16(&m, 64 + 48);
	put32(&m, 11);
	put64(&m, 0);
	put(&m, fid, 16);
	zeros(&m, 16);
	put(&m, "hello world", 11);
	nbss_end(&m);
	feed(&a, &f, 0, &m, step, s);
	smb2_hdr(&m, 9, true, 2, 0);
	put16(&m, 17);
	zeros(&m, 14);
	nbss_end(&m);
	feed(&a, &f, 1, &m, step, s);
	/* READ 5 at 0 */
	smb2_hdr(&m, 8, false, 3, 0);
	put16(&m, 49);
	put16(&m, 0);
	put32(&m, 5);
	put64(&m, 0);
	put(&m, fid, 16);
	zeros(&m, 17);
	nbss_end(&m);
	feed(&a, &f, 0, &m, step, s);
	smb2_hdr(&m, 8, true, 3, 0);
	put16(&m, 17);
	put8(&m, 64 + 16);
	put8(&m, 0);
	put32(&m, 5);
	zeros(&m, 8);
	put(&m, "hello", 5);
	nbss_end(&m);
	feed(&a, &f, 1, &m, step, s);
	assert_int_equal(s->nfiles, 0);
	/* CLOSE */
	smb2_hdr(&m, 6, false, 4, 0);
	put16(&m, 24);
	zeros(&m, 6);
	put(&m, fid, 16);
	nbss_end(&m);
	feed(&a, &f, 0, &m, step, s);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

static void test_smb2_transfer(void **state)
{
	(void)state;
	static struct seen whole, bytes;
	transfer(0, &whole);
	transfer(1, &bytes);
	assert_int_equal(whole.nfiles, 2);
	assert_string_equal(whole.fname[0], "a.txt");
	assert_false(whole.to_client[0]);
	assert_int_equal(whole.fsize[0], 11);
	assert_int_equal(whole.fdata_len[0], 11);
	assert_memory_equal(whole.fdata[0], "hello world", 11);
	assert_true(whole.to_client[1]);
	assert_int_equal(whole.fsize[1], 5);
	assert_memory_equal(whole.fdata[1], "hello", 5);
	/* CREATE's record, then the WRITE and READ file transactions at CLOSE
	 * (READ, WRITE and CLOSE requests are no transactions of their own,
	 * as in Suricata: the CLOSE's comes with its response) */
	assert_int_equal(whole.nrec, 3);
	assert_string_equal(whole.rec[0], "{\"id\":1,\"dialect\":\"unknown\",\"command\":\"SMB2_COMMAND_CREATE\","
					  "\"status\":\"STATUS_SUCCESS\",\"status_code\":\"0x0\",\"session_id\":4660,"
					  "\"tree_id\":7,\"filename\":\"a.txt\",\"disposition\":\"FILE_CREATE\","
					  "\"access\":\"normal\",\"created\":1577836800,\"accessed\":0,"
					  "\"modified\":0,\"changed\":1577836801,\"size\":11,"
					  "\"fuid\":\"00000001-0000-0000-0009-0000ffffffff\"}");
	assert_non_null(strstr(whole.rec[1], "\"command\":\"SMB2_COMMAND_WRITE\""));
	assert_non_null(strstr(whole.rec[2], "\"command\":\"SMB2_COMMAND_READ\""));
	assert_int_equal(app_ev_count(&whole.ev), 0);
	assert_int_equal(bytes.nfiles, whole.nfiles);
	assert_memory_equal(bytes.fname, whole.fname, sizeof(whole.fname));
	assert_memory_equal(bytes.fsize, whole.fsize, sizeof(whole.fsize));
	assert_memory_equal(bytes.fdata, whole.fdata, sizeof(whole.fdata));
	assert_int_equal(bytes.nrec, whole.nrec);
	assert_memory_equal(bytes.rec, whole.rec, sizeof(whole.rec));
}

/* SMB1: NT_CREATE_ANDX names \x, WRITE_ANDX writes "abc" after two
 * bytes of padding, CLOSE ends the file. */
static void test_smb1_write(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	struct seen s;
	struct msg m;
	setup(&a, &f);
	memset(&s, 0, sizeof(s));
	static const uint8_t hdr1[] = { 0xff, 'S', 'M', 'B' };
#define SMB1(cmd, resp, mid) do { m.n = 0; zeros(&m, 4); put(&m, hdr1, 4); put8(&m, cmd); put32(&m, 0); \
		put8(&m, (resp) ? 0x80 : 0); put16(&m, 0x4001); zeros(&m, 12); put16(&m, 8); put16(&m, 1); \
		put16(&m, 2); put16(&m, mid); } while (0)
	SMB1(0xa2, false, 1);
	put8(&m, 24);
	put8(&m, 0xff);
	zeros(&m, 3);
	zeros(&m, 1);
	put16(&m, 2);                 /* name length */
	zeros(&m, 28);
	put32(&m, 2);                 /* disposition */
	put32(&m, 0);
	zeros(&m, 5);
	put16(&m, 3);
	put(&m, "\\x", 3);
	nbss_end(&m);
	feed(&a, &f, 0, &m, 0, &s);
	assert_int_equal(f.alproto, ALP_SMB);
	SMB1(0xa2, true, 1);
	put8(&m, 34);
	put8(&m, 0xff);
	zeros(&m, 3);
	zeros(&m, 1);
	put16(&m, 0x4000);            /* FID */
	zeros(&m, 68 - 7);
	put16(&m, 0);
	nbss_end(&m);
	feed(&a, &f, 1, &m, 0, &s);
	SMB1(0x2f, false, 2);
	put8(&m, 14);
	put8(&m, 0xff);
	zeros(&m, 3);
	put16(&m, 0x4000);
	put32(&m, 0);                 /* offset */
	zeros(&m, 8);
	put16(&m, 0);                 /* length high */
	put16(&m, 3);
	put16(&m, 32 + 1 + 28 + 2 + 2); /* data offset, after two bytes of padding */
	put32(&m, 0);
	put16(&m, 5);
	put(&m, "\0\0abc", 5);
	nbss_end(&m);
	feed(&a, &f, 0, &m, 0, &s);
	SMB1(0x04, false, 3);
	put8(&m, 3);
	put16(&m, 0x4000);
	put32(&m, 0);
	put16(&m, 0);
	nbss_end(&m);
	feed(&a, &f, 0, &m, 0, &s);
	assert_int_equal(s.nfiles, 1);
	assert_string_equal(s.fname[0], "\\x");
	assert_int_equal(s.fsize[0], 3);
	assert_memory_equal(s.fdata[0], "abc", 3);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
#undef SMB1
}

/* SMB1 requests wait for their responses by command as well as by
 * multiplex id (as Suricata finds its transactions): a client that gives
 * every request mid 0 has its tree connect answered after an ECHO, and
 * the record names the pipe (before the answer, on a later packet to the
 * server, it was shown once with its path, as Suricata's smb.share sees
 * it); continuation requests that get no answer of
 * their own (NT_TRANS_SECONDARY) neither fill the table nor raise
 * smb.too_many_requests. */
static void test_smb1_same_mid(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	struct seen s;
	struct msg m;
	setup(&a, &f);
	memset(&s, 0, sizeof(s));
	static const uint8_t hdr1[] = { 0xff, 'S', 'M', 'B' };
#define SMB1(cmd, resp, tid) do { m.n = 0; zeros(&m, 4); put(&m, hdr1, 4); put8(&m, cmd); put32(&m, 0); \
		put8(&m, (resp) ? 0x80 : 0); put16(&m, 0x4001); zeros(&m, 12); put16(&m, tid); put16(&m, 1); \
		put16(&m, 2); put16(&m, 0); } while (0)
	SMB1(0x75, false, 0xffff);    /* TREE_CONNECT_ANDX \\srv\IPC$ */
	put8(&m, 4);
	put8(&m, 0xff);
	zeros(&m, 3);
	put16(&m, 0);
	put16(&m, 1);                 /* password length */
	put16(&m, 1 + 11 + 6);
	put(&m, "\0\\\\srv\\IPC$\0?????\0", 1 + 11 + 6);
	nbss_end(&m);
	feed(&a, &f, 0, &m, 0, &s);
	assert_int_equal(f.alproto, ALP_SMB);
	app_tcp_packet(&a, &f, 0);    /* (its own packet: not shown early) */
	for (unsigned i = 0; i < a.tx.nsmb; i++)
		assert_false(a.tx.smb[i]->early);
	for (int i = 0; i < 20; i++) { /* NT_TRANS_SECONDARY, unanswered */
		SMB1(0xa1, false, 8);
		put8(&m, 0);
		put16(&m, 0);
		nbss_end(&m);
		feed(&a, &f, 0, &m, 0, &s);
	}
	SMB1(0x2b, false, 8);         /* ECHO, then its answer */
	put8(&m, 1);
	put16(&m, 1);
	put16(&m, 1);
	put8(&m, 'x');
	nbss_end(&m);
	feed(&a, &f, 0, &m, 0, &s);
	/* a later packet to the server while the tree connect is
	 * unanswered: it is shown with its path (smb.share), once */
	app_tcp_packet(&a, &f, 0);
	const struct smb_tx *early = NULL;
	for (unsigned i = 0; i < a.tx.nsmb; i++)
		if (a.tx.smb[i]->early)
			early = a.tx.smb[i];
	assert_non_null(early);
	assert_int_equal(a.tx.nsmb, 2); /* the ECHO's request too ... */
	assert_ptr_equal(a.tx.smb[0], early); /* ... after it: alerts show the tree connect */
	assert_int_equal(early->cmd, 0x75);
	assert_false(early->resp_side);
	assert_memory_equal(early->share, "\\\\srv\\IPC$", 11);
	app_tx_reset(&a);
	app_tcp_packet(&a, &f, 0);
	assert_int_equal(a.tx.nsmb, 0);
	SMB1(0x2b, true, 8);
	put8(&m, 1);
	put16(&m, 1);
	put16(&m, 1);
	put8(&m, 'x');
	nbss_end(&m);
	feed(&a, &f, 1, &m, 0, &s);
	SMB1(0x75, true, 0x805);      /* the tree connect's answer: a pipe */
	put8(&m, 3);
	put8(&m, 0xff);
	zeros(&m, 3);
	put16(&m, 1);                 /* optional support */
	put16(&m, 5);
	put(&m, "IPC\0\0", 5);
	nbss_end(&m);
	feed(&a, &f, 1, &m, 0, &s);
	assert_int_equal(s.nrec, 2);
	assert_non_null(strstr(s.rec[0], "\"command\":\"SMB1_COMMAND_ECHO\""));
	assert_non_null(strstr(s.rec[1], "\"command\":\"SMB1_COMMAND_TREE_CONNECT_ANDX\""));
	assert_non_null(strstr(s.rec[1], "\"tree_id\":2053,\"named_pipe\":\"\\\\\\\\srv\\\\IPC$\","
					 "\"share_type\":\"PIPE\""));
	assert_false(app_ev_has(&s.ev, APP_EV_SMB_TOO_MANY_REQUESTS));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
#undef SMB1
}

/* Hostile lengths: a WRITE claiming more data than its record holds is
 * cut at the record (smb.record_overflow); a header of the wrong size and
 * a record of garbage raise smb.malformed_data; nothing is lost from the
 * memcap, and the next message still parses. */
static void test_smb_malformed(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	struct seen s;
	struct msg m;
	setup(&a, &f);
	memset(&s, 0, sizeof(s));
	smb2_hdr(&m, 9, false, 2, 0);
	put16(&m, 49);
	put16(&m, 64 + 48);
	put32(&m, 0x7fffffff);        /* length: far past the record */
	put64(&m, 0);
	put(&m, fid, 16);
	zeros(&m, 16);
	put(&m, "abcd", 4);
	nbss_end(&m);
	feed(&a, &f, 0, &m, 0, &s);
	assert_int_equal(f.alproto, ALP_SMB);
	assert_true(app_ev_has(&s.ev, APP_EV_SMB_RECORD_OVERFLOW));
	smb2_hdr(&m, 3, false, 3, 0);
	m.b[8] = 60;                  /* structure size 60, not 64 */
	nbss_end(&m);
	feed(&a, &f, 0, &m, 0, &s);
	assert_true(app_ev_has(&s.ev, APP_EV_SMB_MALFORMED_DATA));
	m.n = 0;
	zeros(&m, 4);
	for (int i = 0; i < 100; i++)
		put8(&m, (uint8_t)(i * 37));
	nbss_end(&m);
	feed(&a, &f, 0, &m, 0, &s);
	/* an NBSS record that says 16 MiB and ends with the flow */
	m.n = 0;
	put8(&m, 0);
	put8(&m, 0xff);
	put8(&m, 0xff);
	put8(&m, 0xff);
	put(&m, "\xfeSMB", 4);
	feed(&a, &f, 0, &m, 1, &s);
	/* the file written above is truncated at flow end: 4 bytes */
	const struct app_file *fi = app_http_open_file(&f);
	assert_non_null(fi);
	assert_int_equal(fi->size, 4);
	assert_true(fi->truncated);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* DCE/RPC over TCP: a bind of one interface, its ack accepting it, a
 * request (opnum 5) and its response: both show the interface and the
 * opnum (dcerpc.iface, dcerpc.opnum); a PDU that is not DCE/RPC v5 ends
 * the reading of that direction. */
static void dce_hdr(struct msg *m, uint8_t type, uint16_t frag_len, uint32_t call_id)
{
	m->n = 0;
	put8(m, 5);
	put8(m, 0);
	put8(m, type);
	put8(m, 3);
	put32(m, 0x10);               /* little-endian */
	put16(m, frag_len);
	put16(m, 0);
	put32(m, call_id);
}

static void test_dcerpc_tcp(void **state)
{
	(void)state;
	static const uint8_t uuid[16] = { 0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab,
					  0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab };
	struct app_ctx a;
	struct flow f;
	struct msg m;
	struct app_cfg c = { 1024, 1024, 1 << 22, false, 0, 0 };
	app_ctx_init(&a, &c, &cnt);
	memset(&f, 0, sizeof(f));
	f.key.proto = 6;
	f.key.dp = 135;
	f.alproto = ALP_DCERPC;
	for (size_t step = 0; step <= 1; step++) {
		dce_hdr(&m, 11, 16 + 8 + 4 + 44, 1); /* bind: one context, one transfer syntax */
		zeros(&m, 8);
		put8(&m, 1);
		zeros(&m, 3);
		put16(&m, 0);                 /* context id */
		put8(&m, 1);
		put8(&m, 0);
		put(&m, uuid, 16);
		put16(&m, 1);
		put16(&m, 0);
		zeros(&m, 20);
		struct seen s;
		memset(&s, 0, sizeof(s));
		feed(&a, &f, 0, &m, step, &s);
		dce_hdr(&m, 12, 16 + 8 + 2 + 2 + 4 + 24, 1); /* bind ack: address "" padded, one result */
		zeros(&m, 8);
		put16(&m, 0);
		zeros(&m, 2);
		put8(&m, 1);
		zeros(&m, 3);
		put16(&m, 0);                 /* accepted */
		zeros(&m, 22);
		feed(&a, &f, 1, &m, step, &s);
		/* the bind and its ack: one call, written when the ack came */
		assert_int_equal(s.nrec, 1);
		assert_string_equal(s.rec[0], "{\"request\":\"BIND\",\"interfaces\":[{\"uuid\":"
				    "\"12345678-1234-abcd-ef00-0123456789ab\",\"version\":\"1.0\","
				    "\"ack_result\":0}],\"response\":\"BINDACK\",\"call_id\":1,"
				    "\"rpc_version\":\"5.0\"}");
		dce_hdr(&m, 0, 24 + 4, 2);    /* request, opnum 5 */
		put32(&m, 4);
		put16(&m, 0);
		put16(&m, 5);
		put32(&m, 0xdeadbeef);
		app_tx_reset(&a);
		size_t last = step ? m.n - 1 : 0;
		if (step)
			for (size_t i = 0; i < last; i++)
				app_stream_data(&a, &f, 0, guard_copy(m.b + i, 1), 1, 0);
		app_tx_reset(&a);
		app_stream_data(&a, &f, 0, guard_copy(m.b + last, m.n - last), (uint32_t)(m.n - last), 0);
		assert_true(a.tx.dce);
		assert_memory_equal(a.tx.dce_uuid, uuid, 16);
		assert_int_equal(a.tx.dce_ver, 1);
		assert_true(a.tx.dce_has_opnum);
		assert_int_equal(a.tx.dce_opnum, 5);
		/* dcerpc.stub_data: what follows the request's header */
		assert_non_null(a.tx.dce_tx);
		assert_int_equal(a.tx.dce_dir, 0);
		assert_int_equal(a.tx.dce_tx->stub_len[0], 4);
		assert_memory_equal(a.tx.dce_tx->stub[0], "\xef\xbe\xad\xde", 4);
		assert_int_equal(a.tx.ndcelog, 0);
		dce_hdr(&m, 2, 24, 2);        /* its response */
		put32(&m, 0);
		put16(&m, 0);
		put16(&m, 0);
		app_tx_reset(&a);
		app_stream_data(&a, &f, 1, guard_copy(m.b, m.n), (uint32_t)m.n, 0);
		assert_true(a.tx.dce && a.tx.dce_has_opnum);
		assert_int_equal(a.tx.dce_opnum, 5);
		/* over TCP Suricata's response stub starts at the response's own
		 * header (8 bytes here) */
		assert_int_equal(a.tx.dce_dir, 1);
		assert_int_equal(a.tx.dce_tx->stub_len[1], 8);
		memset(&s, 0, sizeof(s));
		seen_cb(&a.tx, &s);
		assert_int_equal(s.nrec, 1);
		assert_string_equal(s.rec[0], "{\"request\":\"REQUEST\",\"req\":{\"opnum\":5,\"frag_cnt\":1,"
				    "\"stub_data_size\":4},\"interfaces\":[{\"uuid\":"
				    "\"12345678-1234-abcd-ef00-0123456789ab\",\"version\":\"1.0\","
				    "\"ack_result\":0}],\"response\":\"RESPONSE\",\"res\":{\"frag_cnt\":1,"
				    "\"stub_data_size\":8},\"call_id\":2,\"rpc_version\":\"5.0\"}");
	}
	/* not DCE/RPC: the direction stops; what follows is not read */
	m.n = 0;
	put(&m, "GET / HTTP/1.0\r\n\r\n", 18);
	app_tx_reset(&a);
	app_stream_data(&a, &f, 0, guard_copy(m.b, m.n), (uint32_t)m.n, 0);
	assert_true(app_ev_has(&a.tx.events, APP_EV_SMB_MALFORMED_DATA));
	dce_hdr(&m, 0, 24, 3);
	put32(&m, 0);
	put16(&m, 0);
	put16(&m, 6);
	app_tx_reset(&a);
	app_stream_data(&a, &f, 0, guard_copy(m.b, m.n), (uint32_t)m.n, 0);
	assert_false(a.tx.dce);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* A request in two fragments: the rules see it once, when the last one
 * comes, with both fragments' stub data; a hole towards the server makes
 * the call open in it lost there, and its response's record says so. */
static void dce_request(struct msg *m, uint8_t flags, uint32_t call_id, const char *stub)
{
	size_t n = strlen(stub);
	dce_hdr(m, 0, (uint16_t)(24 + n), call_id);
	m->b[3] = flags;
	put32(m, (uint32_t)n);
	put16(m, 0);
	put16(m, 7);
	put(m, stub, n);
}

static void test_dcerpc_fragments(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	struct msg m;
	struct seen s;
	struct app_cfg c = { 1024, 1024, 1 << 22, false, 0, 0 };
	app_ctx_init(&a, &c, &cnt);
	memset(&f, 0, sizeof(f));
	f.key.proto = 6;
	f.key.dp = 135;
	f.alproto = ALP_DCERPC;
	dce_request(&m, 1, 9, "first-");   /* PFC_FIRST_FRAG */
	app_tx_reset(&a);
	app_stream_data(&a, &f, 0, guard_copy(m.b, m.n), (uint32_t)m.n, 0);
	assert_null(a.tx.dce_tx);
	dce_request(&m, 2, 9, "last");     /* PFC_LAST_FRAG */
	app_tx_reset(&a);
	app_stream_data(&a, &f, 0, guard_copy(m.b, m.n), (uint32_t)m.n, 0);
	assert_non_null(a.tx.dce_tx);
	assert_int_equal(a.tx.dce_tx->stub_len[0], 10);
	assert_memory_equal(a.tx.dce_tx->stub[0], "first-last", 10);
	assert_true(a.tx.dce_has_opnum);
	assert_int_equal(a.tx.dce_opnum, 7);
	/* a second call's request is cut by a hole */
	dce_request(&m, 1, 10, "cut");
	app_tx_reset(&a);
	app_stream_data(&a, &f, 0, guard_copy(m.b, m.n), (uint32_t)m.n, 0);
	app_tx_reset(&a);
	app_stream_data(&a, &f, 0, NULL, 50, 1 /* STREAM_GAP */);
	/* after the hole, garbage then a whole request: read from its "05 00" */
	m.n = 0;
	put(&m, "\x01\x05\x02", 3);
	struct msg r;
	dce_request(&r, 3, 11, "again");
	put(&m, r.b, r.n);
	app_tx_reset(&a);
	memset(&s, 0, sizeof(s));
	app_stream_data(&a, &f, 0, guard_copy(m.b, m.n), (uint32_t)m.n, 0);
	assert_non_null(a.tx.dce_tx);
	assert_int_equal(a.tx.dce_tx->call_id, 11);
	assert_memory_equal(a.tx.dce_tx->stub[0], "again", 5);
	/* the responses: call 9 whole, call 10 with its request lost */
	dce_hdr(&m, 2, 24, 9);
	zeros(&m, 8);
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, guard_copy(m.b, m.n), (uint32_t)m.n, 0);
	seen_cb(&a.tx, &s);
	dce_hdr(&m, 2, 24, 10);
	zeros(&m, 8);
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, guard_copy(m.b, m.n), (uint32_t)m.n, 0);
	seen_cb(&a.tx, &s);
	assert_int_equal(s.nrec, 2);
	assert_non_null(strstr(s.rec[0], "\"request\":\"REQUEST\",\"req\":{\"opnum\":7,\"frag_cnt\":1,"
					 "\"stub_data_size\":10}"));
	assert_non_null(strstr(s.rec[0], "\"call_id\":9"));
	assert_non_null(strstr(s.rec[1], "{\"request\":\"REQUEST_LOST\",\"response\":\"RESPONSE\""));
	assert_non_null(strstr(s.rec[1], "\"call_id\":10"));
	/* call 11 has no response: written at flow end, unreplied */
	const struct dce_tx *t = app_dcerpc_unlogged(&f);
	assert_non_null(t);
	assert_int_equal(t->call_id, 11);
	struct jbuf jb = { 0 };
	jb_open_object(&jb, NULL);
	dce_log_fields(&jb, t);
	jb_close(&jb);
	assert_non_null(strstr(jb.buf, "\"response\":\"UNREPLIED\""));
	jb_fini(&jb);
	assert_null(app_dcerpc_unlogged(&f));
	/* a request with an object UUID (flag 0x80): as in Suricata, the
	 * UUID's 16 bytes count as stub data (dcerpc-dce-iface-02) */
	dce_request(&m, 0x83, 12, "0123456789abcdefstubdata");
	app_tx_reset(&a);
	app_stream_data(&a, &f, 0, guard_copy(m.b, m.n), (uint32_t)m.n, 0);
	assert_non_null(a.tx.dce_tx);
	assert_int_equal(a.tx.dce_tx->call_id, 12);
	assert_int_equal(a.tx.dce_tx->stub_len[0], 24);
	assert_memory_equal(a.tx.dce_tx->stub[0], "0123456789abcdefstubdata", 24);
	assert_int_equal(a.tx.dce_opnum, 7);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* Connectionless DCE/RPC over UDP: a request and its response (big-endian
 * integers, as scapy sends them) are one call, keyed by activity id and
 * sequence number, written when the response comes. */
static void dce_cl(struct msg *m, uint8_t type, uint32_t seq, const char *stub)
{
	static const uint8_t act[16] = { 0x4e, 0x32, 0xdc, 0xdd, 0xd8, 0x03, 0x4e, 0xaf,
					 0x86, 0xee, 0x76, 0x50, 0xdf, 0x59, 0x9e, 0x40 };
	size_t n = strlen(stub);
	m->n = 0;
	put8(m, 4);
	put8(m, type);
	put8(m, 0);
	put8(m, 0);
	zeros(m, 4);                  /* drep 0: big-endian */
	zeros(m, 16);                 /* object */
	for (int i = 0; i < 16; i++)
		put8(m, (uint8_t)(0xa0 + i)); /* interface */
	put(m, act, 16);
	zeros(m, 4);                  /* server boot */
	zeros(m, 4);                  /* interface version */
	put8(m, 0);
	put8(m, 0);
	put8(m, 0);
	put8(m, (uint8_t)seq);
	put8(m, 0);
	put8(m, 3);                   /* opnum 3 */
	zeros(m, 4);
	put8(m, 0);
	put8(m, (uint8_t)n);          /* fragment length */
	zeros(m, 4);
	put(m, stub, n);
}

static void test_dcerpc_udp(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	struct msg m;
	struct seen s;
	struct packet p;
	struct app_cfg c = { 1024, 1024, 1 << 22, false, 0, 0 };
	app_ctx_init(&a, &c, &cnt);
	memset(&f, 0, sizeof(f));
	memset(&s, 0, sizeof(s));
	f.key.proto = 17;
	f.key.dp = 8000;
	memset(&p, 0, sizeof(p));
	p.proto = 17;
	p.flow = &f;
	/* a response first is not DCE/RPC to the probe (Suricata's neither) */
	dce_cl(&m, 2, 0, "");
	p.payload = guard_copy(m.b, m.n);
	p.payload_len = (uint32_t)m.n;
	app_tx_reset(&a);
	app_udp(&a, &f, &p);
	assert_int_equal(f.alproto, ALP_UNKNOWN);
	dce_cl(&m, 0, 2, "in");
	p.payload = guard_copy(m.b, m.n);
	p.payload_len = (uint32_t)m.n;
	app_tx_reset(&a);
	app_udp(&a, &f, &p);
	assert_int_equal(f.alproto, ALP_DCERPC);
	assert_non_null(a.tx.dce_tx);
	assert_true(a.tx.dce && a.tx.dce_has_opnum);
	assert_int_equal(a.tx.dce_opnum, 3);
	assert_int_equal(a.tx.dce_uuid[0], 0xa0);
	assert_memory_equal(a.tx.dce_tx->stub[0], "in", 2);
	dce_cl(&m, 2, 2, "out!");
	p.payload = guard_copy(m.b, m.n);
	p.payload_len = (uint32_t)m.n;
	p.dir = 1;
	app_tx_reset(&a);
	app_udp(&a, &f, &p);
	seen_cb(&a.tx, &s);
	assert_int_equal(s.nrec, 1);
	assert_string_equal(s.rec[0], "{\"request\":\"REQUEST\",\"req\":{\"opnum\":3,\"frag_cnt\":1,"
			    "\"stub_data_size\":2},\"response\":\"RESPONSE\",\"res\":{\"frag_cnt\":1,"
			    "\"stub_data_size\":4},\"activityuuid\":\"dddc324e-03d8-af4e-86ee-7650df599e40\","
			    "\"seqnum\":2,\"rpc_version\":\"4.0\"}");
	/* a datagram shorter than its fragment length: ignored */
	dce_cl(&m, 0, 3, "abc");
	p.payload = guard_copy(m.b, m.n - 1);
	p.payload_len = (uint32_t)m.n - 1;
	app_tx_reset(&a);
	app_udp(&a, &f, &p);
	assert_null(a.tx.dce_tx);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smb2_header),
		cmocka_unit_test(test_smb2_transfer),
		cmocka_unit_test(test_smb1_write),
		cmocka_unit_test(test_smb1_same_mid),
		cmocka_unit_test(test_smb_malformed),
		cmocka_unit_test(test_dcerpc_tcp),
		cmocka_unit_test(test_dcerpc_fragments),
		cmocka_unit_test(test_dcerpc_udp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
