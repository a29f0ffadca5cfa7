/*
 * libFuzzer target for one app-layer parser, chosen at build time
 * (FUZZ_ALPROTO: ALP_HTTP, ALP_TLS, ALP_SSH, ALP_DNS over TCP, ALP_QUIC over UDP,
 * ALP_SMTP, ALP_FTP, ALP_POP3, ALP_IMAP, ALP_MQTT, ALP_KRB5, ALP_RFB, ALP_HTTP2 (prior knowledge), ALP_WEBSOCKET (after an HTTP upgrade, or
 * from the start when the first byte's 8 bit is set), ALP_SMB, ALP_DCERPC, ALP_NFS, ALP_SIP and ALP_LDAP over TCP, or over UDP when the
 * first byte's 0x40 bit is set (DCE/RPC too); ALP_TFTP, ALP_SNMP, ALP_IKE, ALP_NTP and ALP_BITTORRENT_DHT over UDP, IKE on port 4500 when the first byte's 0x40 bit is set).  The input is a
 * conversation: records of
 *   [dir:1 bit | length:15 bits, big-endian][length bytes]
 * each handed to the parser as one delivery of that direction (TCP) or
 * one datagram (UDP), with the per-packet view reset in between as the
 * worker does; over TCP an empty record is a hole of 100 bytes.  A small memcap makes the allocation-refused paths run too.
 * Every buffer must be returned to the memcap when the flow is freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "counters.h"
#include "decode.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* mqtt_tx_buffers' and mqtt_tx_check's callbacks: every byte read */
static void fuzz_mqtt_put(void *ud, int which, const uint8_t *p, uint32_t n)
{
	(void)ud;
	(void)which;
	volatile uint8_t sink = 0;
	for (uint32_t k = 0; k < n; k++)
		sink ^= p[k];
	(void)sink;
}

static bool fuzz_num(const void *c, uint64_t v)
{
	return *(const uint64_t *)c == v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct counters cnt;
	struct app_ctx *a = malloc(sizeof(*a));
	if (!a)
		return 0;
	/* the first byte picks limits: small ones reach the capped paths */
	uint8_t knobs = size ? data[0] : 0;
	struct app_cfg c = { knobs & 1 ? 64 : 4096, knobs & 2 ? 64 : 4096,
			     knobs & 4 ? 8192 : 1u << 20, (knobs & 8) != 0, (uint8_t)(knobs >> 4 & 3),
			     knobs & 4 ? 512 : 0 };
	app_ctx_init(a, &c, &cnt);
	if (FUZZ_ALPROTO == ALP_SMTP)
		smtp_md5_config((knobs & 0x80) != 0); /* the body MD5 path too */
	if (FUZZ_ALPROTO == ALP_MQTT) /* the truncated-message path too */
		mqtt_config((knobs & 0x80) ? 64 : 1u << 20, true);
	if (FUZZ_ALPROTO == ALP_WEBSOCKET) /* the payload and message caps too */
		ws_config((knobs & 0x80) ? 16 : 0);
	struct flow f;
	memset(&f, 0, sizeof(f));
	bool udp = FUZZ_ALPROTO == ALP_QUIC || FUZZ_ALPROTO == ALP_TFTP || FUZZ_ALPROTO == ALP_SNMP ||
		   FUZZ_ALPROTO == ALP_IKE || FUZZ_ALPROTO == ALP_NTP || FUZZ_ALPROTO == ALP_BITTORRENT_DHT ||
		   ((FUZZ_ALPROTO == ALP_SIP || FUZZ_ALPROTO == ALP_LDAP || FUZZ_ALPROTO == ALP_DCERPC ||
		     FUZZ_ALPROTO == ALP_KRB5 || FUZZ_ALPROTO == ALP_NFS) &&
		    (knobs & 0x40));
	f.key.proto = udp ? 17 : 6;
	f.key.sp = 40000;
	f.key.dp = FUZZ_ALPROTO == ALP_DNS ? 53 : FUZZ_ALPROTO == ALP_SMTP ? 25 : FUZZ_ALPROTO == ALP_FTP ? 21 : FUZZ_ALPROTO == ALP_SIP ? 5060 : FUZZ_ALPROTO == ALP_LDAP ? 389 : FUZZ_ALPROTO == ALP_TFTP ? 69 : FUZZ_ALPROTO == ALP_SNMP ? 161 : FUZZ_ALPROTO == ALP_SMB ? 445 : FUZZ_ALPROTO == ALP_DCERPC ? 135 : FUZZ_ALPROTO == ALP_POP3 ? 110 : FUZZ_ALPROTO == ALP_IMAP ? 143 : FUZZ_ALPROTO == ALP_MQTT ? 1883 : FUZZ_ALPROTO == ALP_KRB5 ? 88 : FUZZ_ALPROTO == ALP_RFB ? 5900 : FUZZ_ALPROTO == ALP_IKE ? ((knobs & 0x40) ? 4500 : 500) : FUZZ_ALPROTO == ALP_NFS ? 2049 : FUZZ_ALPROTO == ALP_WEBSOCKET ? 80 : FUZZ_ALPROTO == ALP_NTP ? 123 : FUZZ_ALPROTO == ALP_BITTORRENT_DHT ? 6881 : 443;
	/* TCP: let detection run (as on the wire) unless the input asks to
	 * start from the parser directly */
	f.alproto = (knobs & 8) ? FUZZ_ALPROTO : ALP_UNKNOWN;
	size_t off = size ? 1 : 0;
	while (off + 2 <= size) {
		int dir = data[off] >> 7;
		size_t len = (size_t)(data[off] & 0x7f) << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		/* a copy of exactly len bytes, so reads past it are caught */
		uint8_t *buf = malloc(len ? len : 1);
		if (!buf)
			break;
		memcpy(buf, data + off, len);
		app_tx_reset(a);
		if (udp) {
			struct packet p;
			memset(&p, 0, sizeof(p));
			p.payload = buf;
			p.payload_len = (uint32_t)len;
			p.dir = (uint8_t)dir;
			p.proto = 17;
			p.sp = dir ? f.key.dp : 40000;
			p.dp = dir ? 40000 : f.key.dp;
			p.flow = &f;
			app_udp(a, &f, &p);
		} else if (!len) {
			app_stream_data(a, &f, dir, NULL, 100, 1 /* STREAM_GAP */);
		} else {
			app_stream_data(a, &f, dir, buf, (uint32_t)len, 0);
			if (len && (buf[0] & 1))
				app_tcp_close(a, &f, dir);
			/* (NFS: its flush when both sides closed; SMB: a tree
			 * connect shown before its answer; SMTP: its record on the
			 * client's packet) */
			if (FUZZ_ALPROTO == ALP_NFS || FUZZ_ALPROTO == ALP_SMB || FUZZ_ALPROTO == ALP_SMTP)
				app_tcp_packet(a, &f, dir);
		}
		/* what records would write of the messages (SIP) */
		for (unsigned i = 0; i < a->tx.nsip; i++) {
			struct jbuf jb = { 0 };
			sip_log_fields(&jb, a->tx.sip[i]);
			jb_fini(&jb);
			/* the sdp.* buffers: every byte of every instance read */
			const struct sip_msg *m = a->tx.sip[i];
			for (int fl = 0; fl < SDP_F_MAX; fl++)
				for (unsigned k = 0; k < m->nsdp[fl]; k++)
					fuzz_mqtt_put(NULL, fl, (const uint8_t *)m->buf + m->sdp[fl][k].off,
						      m->sdp[fl][k].len);
		}
		if (a->tx.quic && a->tx.quic_log) { /* the quic record (gQUIC's cyu, ua too) */
			struct jbuf jb = { 0 };
			quic_log_fields(&jb, a->tx.quic);
			jb_fini(&jb);
		}
		if (a->tx.snmp) {
			struct jbuf jb = { 0 };
			snmp_log_fields(&jb, a->tx.snmp);
			jb_fini(&jb);
		}
		if (a->tx.tftp) {
			struct jbuf jb = { 0 };
			tftp_log_fields(&jb, a->tx.tftp);
			jb_fini(&jb);
		}
		if (a->tx.btdht) {
			struct jbuf jb = { 0 };
			btdht_log_fields(&jb, a->tx.btdht);
			jb_fini(&jb);
		}
		for (unsigned i = 0; i < a->tx.nldap; i++) {
			struct jbuf jb = { 0 };
			ldap_log_fields(&jb, a->tx.ldap[i]);
			jb_fini(&jb);
			/* ldap.*.attribute_type: each type read */
			const struct ldap_tx *t = a->tx.ldap[i];
			const uint8_t *ap[16];
			uint32_t an[16];
			for (unsigned k = 0; k <= t->nresp; k++) {
				const struct ldap_msg *m = k < t->nresp ? &t->resp[k] : &t->req;
				if (k == t->nresp && !t->has_req)
					break;
				unsigned na = ldap_msg_attr_types(m, ap, an, 16);
				for (unsigned j = 0; j < na; j++)
					fuzz_mqtt_put(NULL, 0, ap[j], an[j]);
			}
		}
		for (unsigned i = 0; i < a->tx.nsmb; i++) {
			struct jbuf jb = { 0 };
			smb_log_fields(&jb, a->tx.smb[i]);
			jb_fini(&jb);
		}
		for (unsigned i = 0; i < a->tx.nnfslog; i++) {
			struct jbuf jb = { 0 };
			rpc_log_fields(&jb, a->tx.nfslog[i]);
			nfs_log_fields(&jb, a->tx.nfslog[i]);
			jb_fini(&jb);
		}
		if (a->tx.ike) {
			struct jbuf jb = { 0 };
			ike_log_fields(&jb, a->tx.ike);
			jb_fini(&jb);
			uint32_t v;
			volatile uint32_t sink = 0;
			for (int k = 0; k < 18; k++)
				if (ike_chosen_attr(a->tx.ike, k, &v))
					sink ^= v;
			(void)sink;
		}
		if (a->tx.rfb) {
			struct jbuf jb = { 0 };
			rfb_log_fields(&jb, a->tx.rfb);
			jb_fini(&jb);
		}
		for (unsigned i = 0; i < a->tx.nws; i++) {
			/* the record with its payload, as an alert writes it */
			struct jbuf jb = { 0 };
			ws_log_fields(&jb, a->tx.ws[i], true, true);
			jb_fini(&jb);
		}
		for (unsigned i = 0; i < a->tx.nframes; i++) {
			/* the bytes the frame keyword reads */
			volatile uint8_t sink = 0;
			for (uint32_t k = 0; k < a->tx.frames[i].len; k++)
				sink ^= a->tx.frames[i].p[k];
			(void)sink;
		}
		for (unsigned i = 0; i < a->tx.nkrb5; i++) {
			struct jbuf jb = { 0 };
			krb5_log_fields(&jb, a->tx.krb5[i]);
			jb_fini(&jb);
		}
		for (unsigned i = 0; i < a->tx.nmqtt; i++) {
			/* the record, the rules' buffers and conditions */
			struct jbuf jb = { 0 };
			mqtt_log_fields(&jb, a->tx.mqtt[i]);
			jb_fini(&jb);
			mqtt_tx_buffers(a->tx.mqtt[i], fuzz_mqtt_put, NULL);
			uint64_t one = 1;
			for (int w = MQTT_C_TYPE; w <= MQTT_C_PROTO_VERSION; w++)
				(void)mqtt_tx_check(a->tx.mqtt[i], w, fuzz_num, &one, 1, 2);
		}
		for (unsigned i = 0; i < a->tx.nimap; i++) {
			struct jbuf jb = { 0 };
			imap_log_fields(&jb, a->tx.imap[i].t);
			jb_fini(&jb);
		}
		for (unsigned i = 0; i < a->tx.npop3; i++) {
			/* what the record and pop3.response read */
			struct jbuf jb = { 0 };
			pop3_log_fields(&jb, a->tx.pop3[i].t);
			jb_fini(&jb);
		}
		for (unsigned i = 0; i < a->tx.ndcelog; i++) {
			struct jbuf jb = { 0 };
			dce_log_fields(&jb, a->tx.dcelog[i]);
			jb_fini(&jb);
		}
		if (a->tx.dce_tx) {
			/* the stub data dcerpc.stub_data reads */
			const struct dce_tx *t = a->tx.dce_tx;
			volatile uint8_t sink = 0;
			for (uint32_t k = 0; k < t->stub_len[a->tx.dce_dir]; k++)
				sink ^= t->stub[a->tx.dce_dir][k];
			(void)sink;
			struct jbuf jb = { 0 };
			dce_log_fields(&jb, t);
			jb_fini(&jb);
		}
		for (unsigned i = 0; i < a->tx.nh2; i++) {
			/* an HTTP/2 stream: its record and the http2.* conditions */
			const struct h2_tx *t = a->tx.h2[i];
			struct jbuf jb = { 0 };
			h2_log_fields(&jb, t);
			jb_fini(&jb);
			uint64_t one = 1;
			for (int w = H2_C_FRAMETYPE; w <= H2_C_SETTINGS; w++)
				(void)h2_tx_check(t, w, 1, fuzz_num, &one);
			volatile uint8_t sink = 0;
			for (int d = 0; d < 2; d++)
				for (uint32_t k = 0; t->body[d] && k < t->body_len[d]; k++)
					sink ^= t->body[d][k];
			for (uint32_t k = 0; t->req.valid && k < t->req.norm_len; k++)
				sink ^= t->req.norm[k];
			(void)sink;
		}
		/* an HTTP transaction's record, as eve writes it (a pipelined
		 * request that waited for its response among them) */
		if (a->tx.http_log) {
			const struct http_msg *rq = app_http_last_request(&f);
			struct jbuf jb = { 0 };
			if (rq)
				http_log_fields(&jb, rq, a->tx.http_resp, 3);
			jb_fini(&jb);
		}
		/* files that ended: their first bytes are what file.data reads */
		for (unsigned i = 0; i < a->tx.nfiles; i++) {
			const struct app_file *fi = a->tx.files[i];
			volatile uint8_t sink = 0;
			for (uint32_t k = 0; fi->data && k < fi->data_len; k++)
				sink ^= fi->data[k];
			(void)sink;
		}
		free(buf);
		off += len;
	}
	app_tx_reset(a);
	if (FUZZ_ALPROTO == ALP_NFS) { /* files still open at flow end */
		while (app_http_open_file(&f))
			;
	}
	for (const struct ldap_tx *t; (t = app_ldap_unlogged(&f));) {
		struct jbuf jb = { 0 };
		ldap_log_fields(&jb, t); /* the records written at flow end */
		jb_fini(&jb);
	}
	for (const struct nfs_tx *t; (t = app_nfs_unlogged(&f));) {
		struct jbuf jb = { 0 };
		nfs_log_fields(&jb, t);
		jb_fini(&jb);
	}
	const struct rfb_tx *rt = app_rfb_unlogged(&f);
	if (rt) {
		struct jbuf jb = { 0 };
		rfb_log_fields(&jb, rt);
		jb_fini(&jb);
	}
	for (int k = 0; k < 64 && app_http_open_file(&f); k++)
		; /* files cut off at flow end (HTTP/2's among them) */
	const struct http_msg *hresp;
	for (const struct http_msg *rq; (rq = app_http_unlogged(&f, &hresp));) {
		struct jbuf jb = { 0 };
		http_log_fields(&jb, rq, hresp, 3); /* HTTP records left at flow end */
		jb_fini(&jb);
	}
	for (const struct h2_tx *t; (t = app_h2_unlogged(&f));) {
		struct jbuf jb = { 0 };
		h2_log_fields(&jb, t);
		jb_fini(&jb);
	}
	for (const struct mqtt_tx *t; (t = app_mqtt_unlogged(&f));) {
		struct jbuf jb = { 0 };
		mqtt_log_fields(&jb, t);
		jb_fini(&jb);
	}
	for (const struct imap_tx *t; (t = app_imap_unlogged(&f));) {
		struct jbuf jb = { 0 };
		imap_log_fields(&jb, t);
		jb_fini(&jb);
	}
	for (const struct pop3_tx *t; (t = app_pop3_unlogged(&f));) {
		struct jbuf jb = { 0 };
		pop3_log_fields(&jb, t);
		jb_fini(&jb);
	}
	for (const struct dce_tx *t; (t = app_dcerpc_unlogged(&f));) {
		struct jbuf jb = { 0 };
		dce_log_fields(&jb, t);
		jb_fini(&jb);
	}
	app_stream_data(a, &f, 0, NULL, 0, 2 /* STREAM_END */);
	app_stream_data(a, &f, 1, NULL, 0, 2);
	app_flow_free_ctx(a, &f);
	if (a->mc.used != 0)
		abort(); /* a buffer was not returned to the memcap */
	free(a);
	return 0;
}
