/*
 * eve.c - see eve.h.  Field names and value formats follow Suricata's
 * output-json-flow.c / output-json-anomaly.c / output-json-stats.c as its
 * documentation describes them: timestamps "2024-01-31T12:00:00.123456+0000",
 * tcp_flags as two hex digits, flow.age in whole seconds, stats nested by
 * the dotted counter names.
 */
#include "eve.h"

static void ftpdata_object(struct jbuf *jb, const struct ftpdata_info *d);
static void ftp_object(struct jbuf *jb, const struct ftp_info *t);
static void smtp_objects(struct jbuf *jb, const struct smtp_info *m);
#include "digest.h"
#include "record.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <math.h>
#include <string.h>

/* outputs.eve.ipv6-compress: one setting for the process (every eve
 * output and fast.log write addresses the same way) */
static bool v6_compress;

/* outputs.eve.types.smtp-extended / smtp-custom / smtp-md5: which of the
 * email object's optional fields are written (bit per smtp_field), one
 * setting for the process like v6_compress */
static uint32_t email_fields;
static bool email_md5_body, email_md5_subject;

static void email_cfg(const struct config *c)
{
	email_fields = 0;
	if (c->eve_smtp_extended)
		email_fields |= 1u << SMTP_F_BCC | 1u << SMTP_F_MESSAGE_ID | 1u << SMTP_F_SUBJECT |
				1u << SMTP_F_X_MAILER;
	for (size_t i = 0; i < c->eve_smtp_custom.cnt; i++) {
		/* the config names headers (x-mailer) */
		int k = smtp_field_by_header(c->eve_smtp_custom.v[i]);
		if (k >= 0)
			email_fields |= 1u << k;
	}
	email_md5_body = email_md5_subject = false;
	for (size_t i = 0; i < c->eve_smtp_md5.cnt; i++) {
		if (!strcmp(c->eve_smtp_md5.v[i], "body"))
			email_md5_body = true;
		else if (!strcmp(c->eve_smtp_md5.v[i], "subject"))
			email_md5_subject = true;
	}
}

static void rows_prepare(struct eve_cfg *ec);

void eve_cfg_from(struct eve_cfg *ec, const struct config *c)
{
	ec->scratch = NULL;
	for (int t = 0; t < XP_TARGET_MAX; t++)
		ec->xp[t] = (uint8_t)config_xp(c, (enum xp_target)t, c->simulate_ips);
	ec->flow = c->eve_flow;
	ec->stats = c->eve_stats;
	ec->anomaly = c->eve_anomaly;
	ec->anomaly_decode = c->eve_anomaly_decode;
	ec->anomaly_stream = c->eve_anomaly_stream;
	ec->community_id = c->eve_community_id;
	v6_compress = c->eve_ipv6_compress;
	email_cfg(c);
	ec->cid_seed = (uint16_t)c->eve_community_id_seed;
	ec->alert = c->eve_alert;
	ec->alert_payload = c->eve_alert_payload;
	ec->alert_payload_printable = c->eve_alert_payload_printable;
	ec->alert_packet = c->eve_alert_packet;
	ec->tagged_packets = c->eve_tagged_packets;
	ec->simulate_ips = c->simulate_ips;
	ec->drop = c->eve_drop;
	ec->dns = c->eve_dns;
	ec->mdns = c->eve_mdns;
	ec->btdht = c->eve_btdht;
	ec->http = c->eve_http;
	ec->files = c->eve_files;
	ec->tls = c->eve_tls;
	ec->ssh = c->eve_ssh;
	ec->smtp = c->eve_smtp;
	ec->ftp = c->eve_ftp;
	ec->quic = c->eve_quic;
	ec->sip = c->eve_sip;
	ec->ldap = c->eve_ldap;
	ec->dcerpc = c->eve_dcerpc;
	ec->pop3 = c->eve_pop3;
	ec->imap = c->eve_imap;
	ec->mqtt = c->eve_mqtt;
	ec->krb5 = c->eve_krb5;
	ec->ethernet = c->eve_ethernet;
	ec->rfb = c->eve_rfb;
	ec->ike = c->eve_ike;
	ec->nfs = c->eve_nfs;
	ec->websocket = c->eve_websocket;
	ec->alert_ws_payload = c->eve_alert_websocket_payload;
	ec->alert_ws_payload_printable = c->eve_alert_websocket_payload_printable;
	ec->http2 = c->eve_http2;
	ec->doh2 = c->eve_doh2;
	ec->tftp = c->eve_tftp;
	ec->snmp = c->eve_snmp;
	ec->frame = c->eve_frame;
	ec->frame_payload_max = (uint32_t)MIN(c->eve_frame_payload_max, (uint64_t)APP_FRAME_BYTES);
	ec->anomaly_applayer = c->eve_anomaly_applayer;
	/* ENUM index: none, request, response, both */
	ec->http_headers = (uint8_t)c->eve_http_headers;
	ec->dns_requests = c->eve_dns_requests;
	ec->dns_responses = c->eve_dns_responses;
	ec->dns_formats = (uint8_t)(c->eve_dns_formats ? c->eve_dns_formats : 3); /* both 3, detailed 1, grouped 2 */
	rows_prepare(ec);
}

const char *eve_proto_name(uint8_t proto, char buf[static 4])
{
	switch (proto) {
	case 1: return "ICMP";
	case 2: return "IGMP";
	case 4: return "IP-in-IP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 41: return "IPv6";
	case 47: return "GRE";
	case 50: return "ESP";
	case 51: return "AH";
	case 58: return "IPv6-ICMP";
	case 132: return "SCTP";
	}
	snprintf(buf, 4, "%u", proto);
	return buf;
}

static void addr_str(uint8_t ver, const uint8_t *a, char out[static 46])
{
	if (ver == 4) { /* the common case, without inet_ntop's snprintf */
		char *o = out;
		for (int i = 0; i < 4; i++) {
			unsigned v = a[i];
			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
			*o++ = i < 3 ? '.' : '\0';
		}
		return;
	}
	if (v6_compress) {
		if (!inet_ntop(AF_INET6, a, out, 46))
			out[0] = '\0';
		return;
	}
	/* Suricata's form: eight groups of four digits, no zeros dropped */
	static const char hx[] = "0123456789abcdef";
	char *o = out;
	for (int i = 0; i < 16; i++) {
		*o++ = hx[a[i] >> 4];
		*o++ = hx[a[i] & 15];
		if (i & 1)
			*o++ = i < 15 ? ':' : '\0';
	}
}

static char *hex2(uint8_t v, char out[static 3])
{
	static const char h[] = "0123456789abcdef";
	out[0] = h[v >> 4];
	out[1] = h[v & 15];
	out[2] = '\0';
	return out;
}

static bool has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132;
}

static void mac_str(char out[18], const uint8_t *m)
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* outputs.eve.ethernet: a packet's MACs as it travelled (src_mac,
 * dest_mac); a flow record's (no packet) in the flow's orientation, as
 * Suricata's lists (src_macs, dest_macs). */
static void ether(struct jbuf *jb, const struct packet *p, const struct flow *f)
{
	char m[18];
	if (p && p->linktype == LINK_ETHERNET && p->caplen >= 14 && p->data) {
		jb_open_object(jb, "ether");
		mac_str(m, p->data + 6);
		jb_str(jb, "src_mac", m);
		mac_str(m, p->data);
		jb_str(jb, "dest_mac", m);
		jb_close(jb);
	} else if (f && f->has_mac) {
		jb_open_object(jb, "ether");
		jb_open_array(jb, "src_macs");
		mac_str(m, f->mac[0]);
		jb_str(jb, NULL, m);
		jb_close(jb);
		jb_open_array(jb, "dest_macs");
		mac_str(m, f->mac[1]);
		jb_str(jb, NULL, m);
		jb_close(jb);
		jb_close(jb);
	}
}

/* flow_dir: addresses in the flow's orientation even on a packet towards
 * the client (Suricata's LOG_DIR_FLOW transaction records) */
static void eve_header_dir(struct jbuf *jb, vtime_t ts, const char *type, const struct flow *f,
			   const struct packet *p, const struct eve_cfg *ec, bool flow_dir);
static void nfs_objects(struct jbuf *jb, const struct nfs_tx *t);
static const char *pkt_src(const struct packet *p);

void eve_header(struct jbuf *jb, vtime_t ts, const char *type, const struct flow *f,
		const struct packet *p, const struct eve_cfg *ec)
{
	eve_header_dir(jb, ts, type, f, p, ec, false);
}

static void eve_header_dir(struct jbuf *jb, vtime_t ts, const char *type, const struct flow *f,
			   const struct packet *p, const struct eve_cfg *ec, bool flow_dir)
{
	char tbuf[32], a[46], pb[4];
	jb_open_object(jb, NULL);
	jb_str(jb, "timestamp", vtime_format(ts, tbuf));
	if (f)
		jb_u64(jb, "flow_id", f->flow_id);
	if (p && p->pcap_cnt)
		jb_u64(jb, "pcap_cnt", p->pcap_cnt);
	jb_str(jb, "event_type", type);
	const uint16_t *vlan = f ? f->key.vlan : p ? p->vlan : NULL;
	unsigned nvlan = f ? (f->key.vlan[2] ? 3u : f->key.vlan[1] ? 2u : f->key.vlan[0] ? 1u : 0u)
			   : p ? p->vlan_cnt : 0;
	if (vlan && nvlan) {
		jb_open_array(jb, "vlan");
		for (unsigned i = 0; i < nvlan; i++)
			jb_u64(jb, NULL, vlan[i]);
		jb_close(jb);
	}
	/* addresses: the flow's orientation when there is a flow */
	uint8_t ver = 0, proto = 0;
	const uint8_t *sa = NULL, *da = NULL;
	uint16_t sp = 0, dp = 0;
	/* an ICMP error counted in the TCP/UDP flow it is about keeps its
	 * own addresses and protocol, as Suricata's packet records do */
	bool icmp_in_flow = f && p && p->ip_ver && (p->flags & PKT_ICMP_ERROR) &&
			    p->proto != f->key.proto;
	if (f && !icmp_in_flow) {
		ver = f->key.ip_ver;
		proto = f->key.proto;
		sa = f->key.src;
		da = f->key.dst;
		sp = f->key.sp;
		dp = f->key.dp;
		if (p && p->dir == 1 && !flow_dir) {
			/* packet records keep the packet's own direction */
			sa = f->key.dst;
			da = f->key.src;
			sp = f->key.dp;
			dp = f->key.sp;
		}
	} else if (p && p->ip_ver) {
		ver = p->ip_ver;
		proto = p->proto;
		sa = p->src;
		da = p->dst;
		sp = p->sp;
		dp = p->dp;
	}
	if (ver) {
		addr_str(ver, sa, a);
		jb_str(jb, "src_ip", a);
		if (has_ports(proto))
			jb_u64(jb, "src_port", sp);
		/* vigil's own: the VMs the addresses belong to (identity.*) */
		const struct vm *vm = identity_by_addr(ec->idm, ver, sa);
		if (vm)
			jb_str(jb, "src_vm", vm->name);
		addr_str(ver, da, a);
		jb_str(jb, "dest_ip", a);
		if (has_ports(proto))
			jb_u64(jb, "dest_port", dp);
		if ((vm = identity_by_addr(ec->idm, ver, da)))
			jb_str(jb, "dest_vm", vm->name);
		jb_u64(jb, "ip_v", ver); /* Suricata 8's */
		jb_str(jb, "proto", eve_proto_name(proto, pb));
		if (ec->community_id && f) {
			char cid[32];
			community_id(f, ec->cid_seed, cid);
			jb_str(jb, "community_id", cid);
		}
	}
	if (p && p->ip_ver && (proto == 1 || proto == 58)) {
		jb_u64(jb, "icmp_type", p->icmp_type);
		jb_u64(jb, "icmp_code", p->icmp_code);
	}
	/* every record written on a packet says where the packet came from,
	 * as Suricata's eve header does ("stream (flow timeout)" for what a
	 * flow's end wrote) */
	if (p)
		jb_str(jb, "pkt_src", pkt_src(p));
	if (ec->ethernet)
		ether(jb, p, f);
}

static void tcp_flag_bools(struct jbuf *jb, uint8_t fl)
{
	if (fl & TH_SYN) jb_bool(jb, "syn", true);
	if (fl & TH_FIN) jb_bool(jb, "fin", true);
	if (fl & TH_RST) jb_bool(jb, "rst", true);
	if (fl & TH_PUSH) jb_bool(jb, "psh", true);
	if (fl & TH_ACK) jb_bool(jb, "ack", true);
	if (fl & TH_URG) jb_bool(jb, "urg", true);
	if (fl & TH_ECE) jb_bool(jb, "ecn", true);
	if (fl & TH_CWR) jb_bool(jb, "cwr", true);
}

/* "metadata": {"entropy": {"file_data": 4.15}}: the buffer by Suricata's
 * list name (dots as underscores; the payload is "content") */
static void entropy_metadata(struct jbuf *jb, int buf, double val)
{
	const char *name = detect_buffer_name(buf);
	if (!name)
		return;
	char key[64], num[40];
	str_lcpy(key, buf == 0 ? "content" : name, sizeof(key));
	for (char *c = key; *c; c++)
		if (*c == '.')
			*c = '_';
	snprintf(num, sizeof(num), "%.17g", val);
	jb_open_object(jb, "metadata");
	jb_open_object(jb, "entropy");
	jb_raw(jb, key, num);
	jb_close(jb);
	jb_close(jb);
}

/* "flowvars":[{"NAME":"VALUE"}], "pktvars":[...]: pcre's captures, as
 * Suricata's EveAddMetadata writes them (kind 0 flow, 1 packet) */
static void vars_metadata(struct jbuf *jb, const struct flow *f, int kind)
{
	const char *name;
	const uint8_t *val;
	uint32_t len;
	for (unsigned i = 0; detect_var(f, kind, i, &name, &val, &len); i++) {
		if (!i)
			jb_open_array(jb, kind ? "pktvars" : "flowvars");
		jb_open_object(jb, NULL);
		jb_strn(jb, name, val, len);
		jb_close(jb);
	}
	if (detect_var(f, kind, 0, &name, &val, &len))
		jb_close(jb);
}

/* The metadata object: the entropy (buf >= 0), the flow's variables and,
 * with pkt, the packet's. */
static void metadata_obj(struct jbuf *jb, int buf, double val, const struct flow *f, bool pkt)
{
	const char *n;
	const uint8_t *v;
	uint32_t l;
	bool fv = detect_var(f, 0, 0, &n, &v, &l), pv = pkt && detect_var(f, 1, 0, &n, &v, &l);
	if (!fv && !pv) {
		if (buf >= 0)
			entropy_metadata(jb, buf, val);
		return;
	}
	jb_open_object(jb, "metadata");
	if (buf >= 0) {
		const char *name = detect_buffer_name(buf);
		char key[64], num[40];
		str_lcpy(key, buf == 0 || !name ? "content" : name, sizeof(key));
		for (char *c = key; *c; c++)
			if (*c == '.')
				*c = '_';
		snprintf(num, sizeof(num), "%.17g", val);
		jb_open_object(jb, "entropy");
		jb_raw(jb, key, num);
		jb_close(jb);
	}
	if (fv)
		vars_metadata(jb, f, 0);
	if (pv)
		vars_metadata(jb, f, 1);
	jb_close(jb);
}

/* What a rule left on the flow for its records (Suricata's metadata in
 * every record of a flow): the entropy last computed, the flow variables. */
static void flow_metadata(struct jbuf *jb, const struct flow *f)
{
	int eb = -1;
	double ev = 0;
	if (!detect_flow_entropy(f, &eb, &ev))
		eb = -1;
	metadata_obj(jb, eb, ev, f, false);
}

void eve_flow_record(struct jbuf *jb, const struct flow *f, const struct eve_cfg *ec)
{
	char tbuf[32], hex[3];
	eve_header(jb, f->start, "flow", f, NULL, ec);
	bool icmp = f->key.proto == 1 || f->key.proto == 58;
	if (icmp) {
		if (f->icmp_seen[0]) {
			jb_u64(jb, "icmp_type", f->icmp_type[0]);
			jb_u64(jb, "icmp_code", f->icmp_code[0]);
		}
		if (f->icmp_seen[1]) {
			jb_u64(jb, "response_icmp_type", f->icmp_type[1]);
			jb_u64(jb, "response_icmp_code", f->icmp_code[1]);
		}
	}
	if (f->alproto && f->alproto < ALP_MAX)
		jb_str(jb, "app_proto", alproto_names[f->alproto]);
	if (f->alproto_orig && f->alproto_orig < ALP_MAX) /* the protocol before an upgrade */
		jb_str(jb, "app_proto_orig", alproto_names[f->alproto_orig]);
	/* a protocol change that did not bring what it announced (STARTTLS
	 * then no TLS, or nothing yet), as Suricata writes it */
	if (f->alproto_expect && f->alproto_expect < ALP_MAX && f->alproto_expect != f->alproto)
		jb_str(jb, "app_proto_expected", alproto_names[f->alproto_expect]);
	/* a direction that spoke another protocol than the flow's */
	for (int d = 0; d < 2; d++)
		if (f->alp_dir[d] && f->alp_dir[d] < ALP_MAX)
			jb_str(jb, d ? "app_proto_tc" : "app_proto_ts", alproto_names[f->alp_dir[d]]);
	jb_open_object(jb, "flow");
	jb_u64(jb, "pkts_toserver", f->pkts[0]);
	jb_u64(jb, "pkts_toclient", f->pkts[1]);
	jb_u64(jb, "bytes_toserver", f->bytes[0]);
	jb_u64(jb, "bytes_toclient", f->bytes[1]);
	jb_str(jb, "start", vtime_format(f->start, tbuf));
	jb_str(jb, "end", vtime_format(f->last, tbuf));
	jb_u64(jb, "age", VTIME_SEC(f->last) - VTIME_SEC(f->start));
	jb_str(jb, "state", (f->flags & FLOW_F_BYPASS) ? "bypassed" : flow_state_names[f->state]);
	jb_str(jb, "reason", flow_end_names[f->end_reason]);
	jb_bool(jb, "alerted", f->flags & FLOW_F_ALERTED);
	/* as Suricata 8: the transactions the flow's parser started */
	uint64_t txn = app_flow_tx_cnt(f);
	if (txn)
		jb_u64(jb, "tx_cnt", txn);
	/* as Suricata 7+: the action a rule applied to the whole flow */
	if (f->flags & FLOW_F_DROP)
		jb_str(jb, "action", "drop");
	else if (f->flags & FLOW_F_PASS)
		jb_str(jb, "action", "pass");
	if (f->xp_seen) {
		/* the exception policies this flow met, as Suricata 7.0.12+ */
		jb_open_array(jb, "exception_policy");
		for (int t = 0; t < XP_TARGET_MAX; t++) {
			if (!(f->xp_seen & (1u << t)))
				continue;
			jb_open_object(jb, NULL);
			jb_str(jb, "target", xp_target_names[t]);
			jb_str(jb, "policy", xp_policy_names[ec->xp[t] < XP_POLICY_MAX ? ec->xp[t] : 0]);
			jb_close(jb);
		}
		jb_close(jb);
	}
	jb_close(jb);
	if (f->key.proto == 6) {
		jb_open_object(jb, "tcp");
		jb_str(jb, "tcp_flags", hex2(f->tcp_flags[0] | f->tcp_flags[1], hex));
		jb_str(jb, "tcp_flags_ts", hex2(f->tcp_flags[0], hex));
		jb_str(jb, "tcp_flags_tc", hex2(f->tcp_flags[1], hex));
		tcp_flag_bools(jb, f->tcp_flags[0] | f->tcp_flags[1]);
		jb_str(jb, "state", tcp_state_names[f->tcp_state]);
		jb_u64(jb, "ts_max_regions", f->max_regions[0] ? f->max_regions[0] : 1);
		jb_u64(jb, "tc_max_regions", f->max_regions[1] ? f->max_regions[1] : 1);
		jb_close(jb);
	}
	flow_metadata(jb, f);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

bool eve_anomaly_record(struct jbuf *jb, const struct packet *p, enum event_id ev,
			const struct eve_cfg *ec)
{
	const char *name = event_names[ev];
	bool stream = !strncmp(name, "stream.", 7);
	if (!ec->anomaly || (stream ? !ec->anomaly_stream : !ec->anomaly_decode))
		return false;
	eve_header(jb, p->ts, "anomaly", p->flow, p, ec);
	jb_open_object(jb, "anomaly");
	jb_str(jb, "type", stream ? "stream" : "decode");
	jb_str(jb, "event", name);
	jb_close(jb);
	jb_close(jb);
	jb_append(jb, "\n", 1);
	return true;
}

static void b64_field(struct jbuf *jb, const char *key, const uint8_t *d, uint32_t len)
{
	size_t n = 4 * ((size_t)len + 2) / 3 + 1;
	char stackbuf[4096];
	char *out = n <= sizeof(stackbuf) ? stackbuf : malloc(n);
	if (!out)
		return;
	base64_encode(d, len, out);
	jb_str(jb, key, out);
	if (out != stackbuf)
		free(out);
}


/* The packet as Suricata writes it in alert and packet records: the
 * frame in base64 and its link type. */
static void packet_fields(struct jbuf *jb, const struct packet *p)
{
	if (p->caplen)
		b64_field(jb, "packet", p->data, p->caplen);
	jb_open_object(jb, "packet_info");
	jb_u64(jb, "linktype", (uint64_t)p->linktype);
	jb_close(jb);
}

/* Where Suricata says a packet came from: the wire, defragmentation, or
 * the decoder that unwrapped it from a tunnel. */
static const char *pkt_src(const struct packet *p)
{
	static const char *const tun[] = { "wire/pcap", "ipv4 tunnel", "ipv6 tunnel", "gre tunnel",
					    "vxlan encapsulation", "geneve encapsulation" };
	if (p->flags & PKT_PSEUDO)
		return "stream (flow timeout)";
	if (p->flags & PKT_REBUILT)
		return "defrag";
	if ((p->flags & PKT_TUNNEL) && p->tun_kind < sizeof(tun) / sizeof(tun[0]))
		return tun[p->tun_kind];
	return "wire/pcap";
}

/* A tunnelled packet's carrier, as Suricata's alerts give it: the
 * outermost IP layer's addresses, ports and protocol, and the depth. */
static void tunnel_object(struct jbuf *jb, const struct packet *p)
{
	if (!(p->flags & PKT_TUNNEL) || !p->tun_ip_ver)
		return;
	char a[46], pb[4];
	jb_open_object(jb, "tunnel");
	addr_str(p->tun_ip_ver, p->tun_src, a);
	jb_str(jb, "src_ip", a);
	if (has_ports(p->tun_proto))
		jb_u64(jb, "src_port", p->tun_sp);
	addr_str(p->tun_ip_ver, p->tun_dst, a);
	jb_str(jb, "dest_ip", a);
	if (has_ports(p->tun_proto))
		jb_u64(jb, "dest_port", p->tun_dp);
	jb_str(jb, "proto", eve_proto_name(p->tun_proto, pb));
	jb_u64(jb, "depth", p->tun_depth);
	jb_close(jb);
}

/* The head of an alert record on packet p: the envelope, then direction,
 * pkt_src and app_proto as Suricata writes them. */
static void alert_envelope(struct jbuf *jb, const struct packet *p, const struct eve_cfg *ec)
{
	const struct flow *f = p->flow;
	eve_header(jb, p->ts, "alert", f, p, ec);
	if (f)
		jb_str(jb, "direction", p->dir == 0 ? "to_server" : "to_client");
	tunnel_object(jb, p);
	if (f && f->alproto != ALPROTO_UNKNOWN && f->alproto < ALP_MAX)
		jb_str(jb, "app_proto", alproto_names[f->alproto]);
}

/* vigil's own policy and early-warning alerts (see eve.h) */
static void policy_alert(struct jbuf *jb, enum eve_at at, const struct packet *p,
			 const struct flow *f, vtime_t ts, const struct policy_alert *pa,
			 const struct eve_cfg *ec)
{
	if (at == EVE_AT_ALERT) {
		alert_envelope(jb, p, ec);
	} else if (at == EVE_AT_PACKET) {
		eve_header(jb, p->ts, "alert", p->flow, p, ec);
	} else {
		eve_header(jb, ts, "alert", f, NULL, ec);
		if (f->alproto != ALPROTO_UNKNOWN && f->alproto < ALP_MAX)
			jb_str(jb, "app_proto", alproto_names[f->alproto]);
	}
	jb_open_object(jb, "alert");
	jb_str(jb, "action", pa->blocked ? "blocked" : "allowed");
	jb_u64(jb, "gid", 7);
	jb_u64(jb, "signature_id", pa->sid);
	jb_u64(jb, "rev", 1);
	jb_str(jb, "signature", pa->signature);
	jb_str(jb, "category", pa->category);
	jb_u64(jb, "severity", pa->severity);
	jb_close(jb);
	if (!pa->body->oom && pa->body->len)
		jb_raw(jb, "policy", pa->body->buf);
	if (at == EVE_AT_FLOW && pa->flow_counts) {
		jb_open_object(jb, "flow");
		jb_u64(jb, "pkts_toserver", f->pkts[0]);
		jb_u64(jb, "pkts_toclient", f->pkts[1]);
		jb_u64(jb, "bytes_toserver", f->bytes[0]);
		jb_u64(jb, "bytes_toclient", f->bytes[1]);
		jb_close(jb);
	}
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

/* The body is written into the worker's scratch buffer (reused: no
 * allocation per alert), or into a buffer of its own freed after. */
struct policy_alert *eve_policy_begin(struct policy_alert *pa, const struct eve_cfg *ec)
{
	pa->own = (struct jbuf){ 0 };
	pa->body = ec->scratch ? ec->scratch : &pa->own;
	return pa;
}

void eve_policy_alert(struct jbuf *jb, enum eve_at at, const struct packet *p,
		      const struct flow *f, vtime_t ts, struct policy_alert *pa,
		      const struct eve_cfg *ec)
{
	/* the body's text ends its object: jb_raw needs it terminated
	 * (without counting the NUL) */
	if (pa->body->buf && !pa->body->oom) {
		jb_append(pa->body, "\0", 1);
		pa->body->len--;
	}
	policy_alert(jb, at, p, f, ts, pa, ec);
	jb_fini(&pa->own);
}

static const struct smtp_info *alert_smtp_tx(const struct flow *f, const struct app_tx *tx)
{
	if (tx && tx->smtp)
		return tx->smtp;
	for (unsigned i = 0; tx && i < tx->nfiles; i++)
		if (tx->files[i]->smtp)
			return tx->files[i]->smtp;
	if (tx && tx->smtp_hdrs)
		return tx->smtp_hdrs; /* its headers ended here (email.* matched) */
	return app_smtp_peek(f);
}

/* The alert object of an alert record: what the rule says, and its
 * source and target as seen from p's direction. */
static void alert_object(struct jbuf *jb, const struct packet *p, const struct detect_alert *a,
			 bool blocked)
{
	char addr[46];
	jb_open_object(jb, "alert");
	jb_str(jb, "action", blocked ? "blocked" : "allowed");
	jb_u64(jb, "gid", a->gid);
	jb_u64(jb, "signature_id", a->sid);
	jb_u64(jb, "rev", a->rev);
	jb_str(jb, "signature", a->msg ? a->msg : "");
	jb_str(jb, "category", a->category ? a->category : "");
	jb_u64(jb, "severity", a->severity);
	if (a->nmeta) {
		/* the object, from its members */
		jb_raw(jb, "metadata", "{");
		for (unsigned i = 0; i < a->nmeta; i++) {
			if (i)
				jb_append(jb, ",", 1);
			jb_append(jb, a->meta[i], strlen(a->meta[i]));
		}
		jb_append(jb, "}", 1);
	}
	if (a->text)
		jb_str(jb, "rule", a->text);
	if (a->context[0]) /* datajson: the objects the rule's matches named */
		jb_raw(jb, "context", a->context);
	if (a->target && p->ip_ver) {
		/* source/target as Suricata writes them for target: */
		bool src_is_target = a->target == 1;
		const uint8_t *t = src_is_target ? p->src : p->dst, *s = src_is_target ? p->dst : p->src;
		uint16_t tp = src_is_target ? p->sp : p->dp, sp = src_is_target ? p->dp : p->sp;
		jb_open_object(jb, "source");
		addr_str(p->ip_ver, s, addr);
		jb_str(jb, "ip", addr);
		if (p->flags & PKT_HAS_PORTS)
			jb_u64(jb, "port", sp);
		jb_close(jb);
		jb_open_object(jb, "target");
		addr_str(p->ip_ver, t, addr);
		jb_str(jb, "ip", addr);
		if (p->flags & PKT_HAS_PORTS)
			jb_u64(jb, "port", tp);
		jb_close(jb);
	}
	jb_close(jb);
}

/* The alert's flow object: the flow's counters at packet time. */
static void alert_flow_object(struct jbuf *jb, const struct flow *f)
{
	char tbuf[32], addr[46];
	jb_open_object(jb, "flow");
	jb_u64(jb, "pkts_toserver", f->pkts[0]);
	jb_u64(jb, "pkts_toclient", f->pkts[1]);
	jb_u64(jb, "bytes_toserver", f->bytes[0]);
	jb_u64(jb, "bytes_toclient", f->bytes[1]);
	jb_str(jb, "start", vtime_format(f->start, tbuf));
	addr_str(f->key.ip_ver, f->key.src, addr);
	jb_str(jb, "src_ip", addr);
	addr_str(f->key.ip_ver, f->key.dst, addr);
	jb_str(jb, "dest_ip", addr);
	if (has_ports(f->key.proto)) {
		jb_u64(jb, "src_port", f->key.sp);
		jb_u64(jb, "dest_port", f->key.dp);
	}
	jb_close(jb);
}

/* A TLS or SSH flow's state as an alert shows it (Suricata's view of the
 * flow's one transaction); false for other flows. */
static bool alert_flow_state(struct jbuf *jb, const struct flow *f)
{
	const struct tls_info *t;
	const struct ssh_info *si;
	if (f->alproto == ALP_TLS && (t = app_tls_peek(f))) {
		jb_open_object(jb, "tls");
		tls_log_fields(jb, t);
		jb_close(jb);
		return true;
	}
	if (f->alproto == ALP_SSH && (si = app_ssh_peek(f))) {
		jb_open_object(jb, "ssh");
		ssh_log_fields(jb, si);
		jb_close(jb);
		return true;
	}
	return false;
}

/* A frame rule's alert's frame object: the frame it matched (when it is
 * of the packet's direction), else the first of its type in that
 * direction; NULL when none. */
static const struct app_frame *alert_frame(const struct detect_alert *a, const struct app_tx *tx,
					   int dir)
{
	if (!a->frame_type || !tx)
		return NULL;
	if (a->frame_idx >= 0 && (unsigned)a->frame_idx < tx->nframes &&
	    tx->frames[a->frame_idx].type == a->frame_type) {
		const struct app_frame *fr = &tx->frames[a->frame_idx];
		return fr->dir == dir ? fr : NULL;
	}
	for (unsigned i = 0; i < tx->nframes; i++)
		if (tx->frames[i].type == a->frame_type && tx->frames[i].dir == dir)
			return &tx->frames[i];
	return NULL;
}

/* What an alert record adds after its flow object: the app layer's view
 * of the flow and its transaction, the files, the frame, the entropy.
 * held: the alert is written later (eve_alert_defer), and a TLS or SSH
 * flow's state is shown as it is then, not now. */
static void alert_app_tail(struct jbuf *jb, const struct packet *p, const struct app_tx *tx,
			   const struct detect_alert *a, const struct eve_cfg *ec, bool held)
{
	const struct flow *f = p->flow;
	if (f && a->tx_guessed) {
		/* detect.guess-applayer-tx: the packet's one transaction, named
		 * as an app-layer rule's would be; a guess on TCP says so */
		jb_u64(jb, "tx_id", a->tx_id);
		if (p->proto == 6)
			jb_bool(jb, "tx_guessed", true);
	}
	if (f) {
		/* the app layer's view of the flow, as Suricata adds it */
		const struct http_msg *req, *resp;
		if (f->alproto == ALP_TLS || f->alproto == ALP_SSH) {
			if (!held)
				alert_flow_state(jb, f);
		} else if (f->alproto == ALP_HTTP && (req = app_http_peek(f, &resp))) {
			if (a->http_tx) /* an app-layer match names its transaction */
				jb_u64(jb, "tx_id", (tx && tx->http_req ? tx->http_req : req)->tx_id);
			jb_open_object(jb, "http");
			http_log_fields(jb, req, resp, ec->http_headers);
			jb_close(jb);
		} else if (f->alproto == ALP_FTPDATA && app_ftpdata_peek(f)) {
			ftpdata_object(jb, app_ftpdata_peek(f));
		} else if (f->alproto == ALP_FTP && app_ftp_peek(f)) {
			ftp_object(jb, app_ftp_peek(f));
		} else if (f->alproto == ALP_SMTP && alert_smtp_tx(f, tx)) {
			/* the transaction: the one this packet completed, else
			 * the one of a file that ended on it, else the one under
			 * way; an app-layer match names it (tx_id) */
			const struct smtp_info *m = alert_smtp_tx(f, tx);
			if (!a->stream && !a->tx_guessed)
				jb_u64(jb, "tx_id", m->tx_id);
			smtp_objects(jb, m);
		} else if (f->alproto == ALP_TFTP && app_tftp_peek(f)) {
			jb_open_object(jb, "tftp");
			tftp_log_fields(jb, app_tftp_peek(f));
			jb_close(jb);
		} else if (f->alproto == ALP_SNMP && tx && tx->snmp) {
			jb_open_object(jb, "snmp");
			snmp_log_fields(jb, tx->snmp);
			jb_close(jb);
		} else if (f->alproto == ALP_SIP && tx && tx->nsip) {
			jb_open_object(jb, "sip");
			sip_log_fields(jb, tx->sip[0]);
			jb_close(jb);
		} else if (f->alproto == ALP_SMB && tx && tx->nsmb) {
			jb_open_object(jb, "smb");
			smb_log_fields(jb, tx->smb[0]);
			jb_close(jb);
		} else if (f->alproto == ALP_NFS && tx && (tx->nnfs || tx->nnfslog)) {
			nfs_objects(jb, tx->nnfs ? tx->nfs[0] : tx->nfslog[0]);
		} else if (f->alproto == ALP_IKE && tx && tx->ike) {
			jb_open_object(jb, "ike");
			ike_log_fields(jb, tx->ike);
			jb_close(jb);
		} else if (f->alproto == ALP_WEBSOCKET && tx && tx->nws) {
			jb_open_object(jb, "websocket");
			ws_log_fields(jb, tx->ws[0], ec->alert_ws_payload_printable, ec->alert_ws_payload);
			jb_close(jb);
		} else if ((f->alproto == ALP_HTTP2 || f->alproto == ALP_DOH2) &&
			   (tx && tx->nh2 ? tx->h2[0] : app_h2_peek(f))) {
			/* the stream of this packet (else the latest), and its
			 * DNS message when it carries one */
			const struct h2_tx *h2 = tx && tx->nh2 ? tx->h2[0] : app_h2_peek(f);
			if (tx && a->h2 >= 0 && a->h2 < tx->nh2)
				h2 = tx->h2[a->h2]; /* the stream it matched on */
			else
				for (unsigned i = 0; tx && i < tx->nh2; i++)
					if (tx->h2[i]->req.valid) {
						h2 = tx->h2[i];
						break;
					}
			jb_open_object(jb, "http");
			h2_log_fields(jb, h2);
			jb_close(jb);
			const struct dns_msg *dm = h2->dns[p->dir & 1] ? h2->dns[p->dir & 1] : h2->dns[!(p->dir & 1)];
			if (dm)
				dns_log(jb, dm, ec->dns_formats);
		} else if (f->alproto == ALP_RFB && tx && tx->rfb) {
			jb_open_object(jb, "rfb");
			rfb_log_fields(jb, tx->rfb);
			jb_close(jb);
		} else if (f->alproto == ALP_KRB5 && tx && tx->nkrb5) {
			jb_open_object(jb, "krb5");
			krb5_log_fields(jb, tx->krb5[0]);
			jb_close(jb);
		} else if (f->alproto == ALP_MQTT && tx && tx->nmqtt) {
			jb_open_object(jb, "mqtt");
			mqtt_log_fields(jb, tx->mqtt[0]);
			jb_close(jb);
		} else if (f->alproto == ALP_IMAP && tx && tx->nimap) {
			jb_open_object(jb, "imap");
			imap_log_fields(jb, tx->imap[tx->nimap - 1].t);
			jb_close(jb);
		} else if (f->alproto == ALP_POP3 && tx && tx->npop3) {
			jb_open_object(jb, "pop3");
			pop3_log_fields(jb, tx->pop3[tx->npop3 - 1].t);
			jb_close(jb);
		} else if (f->alproto == ALP_DCERPC && tx && tx->dce_tx) {
			jb_open_object(jb, "dcerpc");
			dce_log_fields(jb, tx->dce_tx);
			jb_close(jb);
		} else if (f->alproto == ALP_LDAP && tx && tx->nldap) {
			jb_open_object(jb, "ldap");
			ldap_log_fields(jb, tx->ldap[0]);
			jb_close(jb);
		} else if (f->alproto == ALP_DNS && tx && tx->ndns) {
			/* the DNS message of this packet, as its dns record; a rule
			 * that inspected it names it (Suricata: each message is a
			 * transaction) */
			if (a->tx_named)
				jb_u64(jb, "tx_id", tx->dns[0].tx_id);
			dns_log(jb, &tx->dns[0], ec->dns_formats);
		} else if (f->alproto == ALP_MDNS && tx && tx->ndns) {
			mdns_log(jb, &tx->dns[0]);
		} else if (f->alproto == ALP_BITTORRENT_DHT && tx && tx->btdht) {
			jb_open_object(jb, "bittorrent_dht");
			btdht_log_fields(jb, tx->btdht);
			jb_close(jb);
		}
	}
	if (f && tx && tx->nfiles) {
		/* the files that ended on this packet, as Suricata lists a
		 * transaction's files in its alerts */
		jb_open_array(jb, "files");
		for (unsigned i = 0; i < tx->nfiles; i++) {
			const struct app_file *fi = tx->files[i];
			jb_open_object(jb, NULL);
			jb_strn(jb, "filename", (const uint8_t *)fi->name, fi->name_len);
			jb_bool(jb, "gaps", fi->facts.gaps);
			jb_str(jb, "state", fi->truncated ? "TRUNCATED" : "CLOSED");
			jb_bool(jb, "stored", fi->facts.stored);
			jb_u64(jb, "size", fi->size);
			jb_u64(jb, "tx_id", fi->tx_id);
			jb_close(jb);
		}
		jb_close(jb);
	}
	const struct app_frame *fr = alert_frame(a, tx, p->dir & 1);
	if (fr) {
		jb_open_object(jb, "frame");
		jb_str(jb, "type", app_frame_name(fr->type));
		jb_u64(jb, "id", fr->id);
		jb_str(jb, "direction", fr->dir ? "toclient" : "toserver");
		if (p->flow && p->flow->key.proto == 6 && fr->off_set)
			jb_u64(jb, "stream_offset", fr->off);
		jb_u64(jb, "length", (uint64_t)fr->len + fr->missing);
		jb_bool(jb, "complete", !fr->missing);
		b64_field(jb, "payload", fr->p, fr->len);
		/* as Suricata 8: its first 4095 bytes, printable ones and line
		 * ends as they are, the others as '.' */
		char pr[4095 + 32];
		uint32_t pn = MIN(fr->len, 4095u);
		for (uint32_t k = 0; k < pn; k++) {
			uint8_t c = fr->p[k];
			pr[k] = (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' ? (char)c : '.';
		}
		if (fr->missing) /* what a gap took, as Suricata marks it */
			pn += (uint32_t)snprintf(pr + pn, sizeof(pr) - pn, "[%u bytes missing]", fr->missing);
		jb_strn(jb, "payload_printable", (const uint8_t *)pr, pn);
		jb_close(jb);
	}
	metadata_obj(jb, a->ent_buf, a->ent_val, p->flow, true);
}

/* The packet's own part of an alert record: payload and frame. */
static void alert_packet_tail(struct jbuf *jb, const struct packet *p, bool stream,
			      const struct eve_cfg *ec)
{
	if (ec->alert_payload && p->payload_len)
		b64_field(jb, "payload", p->payload, p->payload_len);
	if (ec->alert_payload_printable && p->payload_len) {
		char *pr = malloc(p->payload_len);
		if (pr) {
			for (uint32_t i = 0; i < p->payload_len; i++)
				pr[i] = p->payload[i] >= 0x20 && p->payload[i] < 0x7f ? (char)p->payload[i] : '.';
			jb_strn(jb, "payload_printable", (const uint8_t *)pr, p->payload_len);
			free(pr);
		}
	}
	if (ec->alert_payload || ec->alert_payload_printable)
		jb_u64(jb, "stream", stream ? 1 : 0);
	if (ec->alert_packet && p->caplen)
		packet_fields(jb, p);
}

void eve_alert_record(struct jbuf *jb, const struct packet *p, const struct app_tx *tx,
		      const struct detect_alert *a,
		      bool blocked, const struct eve_cfg *ec)
{
	alert_envelope(jb, p, ec);
	alert_object(jb, p, a, blocked);
	if (p->flow)
		alert_flow_object(jb, p->flow);
	alert_app_tail(jb, p, tx, a, ec, false);
	alert_packet_tail(jb, p, a->stream, ec);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

void eve_alert_defer(struct jbuf *jb, const struct packet *p, const struct app_tx *tx,
		     const struct detect_alert *a, const struct eve_cfg *ec, size_t *split)
{
	jb_reset(jb);
	jb_open_object(jb, NULL);
	jb->need_comma[jb->depth] = true;
	alert_object(jb, p, a, false);
	*split = jb->len;
	alert_app_tail(jb, p, tx, a, ec, true);
	if (!jb->oom && jb->len) { /* the fragment goes on after the envelope's members */
		memmove(jb->buf, jb->buf + 1, jb->len - 1);
		jb->len--;
		(*split)--;
	}
}

void eve_alert_deferred(struct jbuf *jb, const struct packet *p, const char *frag, size_t split,
			size_t len, bool stream, const struct eve_cfg *ec)
{
	alert_envelope(jb, p, ec);
	jb_append(jb, frag, split);
	if (p->flow) {
		alert_flow_object(jb, p->flow);
		/* a TLS or SSH flow's state as it is now (Suricata renders an
		 * alert's app-layer object when it writes the alert: bytes
		 * parsed since, on this packet, show) */
		alert_flow_state(jb, p->flow);
	}
	jb_append(jb, frag + split, len - split);
	alert_packet_tail(jb, p, stream, ec);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

/* p as seen in direction dir (0: the client's): p itself, or a copy in q
 * with its direction set (a record written in the direction of what it
 * describes, whichever packet completed it).  NULL stays NULL. */
static const struct packet *in_dir(const struct packet *p, int dir, struct packet *q)
{
	if (!p || p->dir == dir)
		return p;
	*q = *p;
	q->dir = (uint8_t)dir;
	return q;
}

void eve_dns_record(struct jbuf *jb, const struct packet *p, const struct dns_msg *m,
		    const struct eve_cfg *ec)
{
	if (m->response ? !ec->dns_responses : !ec->dns_requests)
		return;
	/* a request in the client's direction, a response in the server's,
	 * whichever packet completed it */
	struct packet q;
	if (p->flow)
		p = in_dir(p, m->response ? 1 : 0, &q);
	eve_header(jb, p->ts, "dns", p->flow, p, ec);
	dns_log(jb, m, ec->dns_formats);
	flow_metadata(jb, p->flow);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}


void eve_http_record(struct jbuf *jb, const struct packet *p, const struct flow *f,
		     const struct http_msg *req, const struct http_msg *resp,
		     const struct eve_cfg *ec)
{
	/* records of a transaction are in the client's direction */
	struct packet q;
	p = in_dir(p, 0, &q);
	eve_header(jb, p ? p->ts : f->last, "http", f, p, ec);
	jb_u64(jb, "tx_id", req->tx_id);
	jb_open_object(jb, "http");
	http_log_fields(jb, req, resp, ec->http_headers);
	jb_close(jb);
	flow_metadata(jb, f);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

void eve_tls_record(struct jbuf *jb, const struct packet *p, const struct flow *f,
		    const struct tls_info *t, const struct eve_cfg *ec)
{
	struct packet q;
	p = in_dir(p, 0, &q);
	eve_header(jb, p ? p->ts : f->last, "tls", f, p, ec);
	jb_open_object(jb, "tls");
	tls_log_fields(jb, t);
	if (f->alproto_orig && f->alproto_orig < ALP_MAX && f->alproto == ALP_TLS)
		jb_str(jb, "from_proto", alproto_names[f->alproto_orig]); /* after STARTTLS */
	jb_close(jb);
	flow_metadata(jb, f);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

void eve_ssh_record(struct jbuf *jb, const struct packet *p, const struct flow *f,
		    const struct ssh_info *s, const struct eve_cfg *ec)
{
	struct packet q;
	p = in_dir(p, 0, &q);
	eve_header(jb, p ? p->ts : f->last, "ssh", f, p, ec);
	jb_open_object(jb, "ssh");
	ssh_log_fields(jb, s);
	jb_close(jb);
	flow_metadata(jb, f);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

static void smtp_list(struct jbuf *jb, const char *key, const struct smtp_list *l)
{
	if (!l->n)
		return;
	jb_open_array(jb, key);
	for (unsigned i = 0; i < l->n; i++)
		jb_strn(jb, NULL, (const uint8_t *)l->v[i], l->len[i]);
	jb_close(jb);
}

/* The smtp and email objects of a transaction, as Suricata writes them. */
static void smtp_objects(struct jbuf *jb, const struct smtp_info *m)
{
	jb_open_object(jb, "smtp");
	if (m->helo_len)
		jb_strn(jb, "helo", (const uint8_t *)m->helo, m->helo_len);
	if (m->mail_from_len)
		jb_strn(jb, "mail_from", (const uint8_t *)m->mail_from, m->mail_from_len);
	smtp_list(jb, "rcpt_to", &m->rcpt_to);
	jb_close(jb);
	if (!m->email)
		return;
	jb_open_object(jb, "email");
	jb_str(jb, "status", m->parse_done ? "PARSE_DONE" : "PARSE_ERROR");
	if (m->from_len)
		jb_strn(jb, "from", (const uint8_t *)m->from, m->from_len);
	smtp_list(jb, "to", &m->to);
	smtp_list(jb, "cc", &m->cc);
	smtp_list(jb, "attachment", &m->attachment);
	/* the optional headers: strings (the first of each), bcc split at
	 * commas, received as an array of every one */
	for (int k = 0; k < SMTP_F_MAX; k++) {
		if (!(email_fields >> k & 1))
			continue;
		bool arr = k == SMTP_F_RECEIVED || k == SMTP_F_BCC, open = false;
		for (unsigned i = 0; i < m->hdrs.n; i++) {
			if (m->hdrs.field[i] != k)
				continue;
			const char *v = m->hdrs.v[i];
			if (!arr) {
				jb_strn(jb, smtp_field_keys[k], (const uint8_t *)v, m->hdrs.len[i]);
				break;
			}
			if (!open)
				jb_open_array(jb, smtp_field_keys[k]);
			open = true;
			if (k == SMTP_F_RECEIVED) {
				jb_strn(jb, NULL, (const uint8_t *)v, m->hdrs.len[i]);
				continue;
			}
			for (const char *p = v; *p;) {
				size_t n = strcspn(p, ",");
				const char *q = p;
				size_t qn = n;
				while (qn && (*q == ' ' || *q == '\t')) {
					q++;
					qn--;
				}
				while (qn && (q[qn - 1] == ' ' || q[qn - 1] == '\t'))
					qn--;
				if (qn)
					jb_strn(jb, NULL, (const uint8_t *)q, qn);
				p += n + (p[n] == ',');
			}
		}
		if (open)
			jb_close(jb);
	}
	char hex[33];
	if (email_md5_body && m->body_md5_set) {
		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", m->body_md5[i]);
		jb_str(jb, "body_md5", hex);
	}
	uint8_t md[16];
	if (email_md5_subject && m->subject_len && digest(DIGEST_MD5, m->subject, m->subject_len, md)) {
		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		jb_str(jb, "subject_md5", hex);
	}
	if (m->url.n) {
		/* newest first, as Suricata lists them */
		jb_open_array(jb, "url");
		for (unsigned i = m->url.n; i-- > 0;)
			jb_strn(jb, NULL, (const uint8_t *)m->url.v[i], m->url.len[i]);
		jb_close(jb);
	}
	jb_close(jb);
}

/* An SMTP transaction (event_type smtp), in the client's direction. */
static void eve_smtp_record(struct jbuf *jb, const struct packet *p, const struct flow *f,
			    const struct smtp_info *m, const struct eve_cfg *ec)
{
	struct packet q;
	p = in_dir(p, 0, &q);
	eve_header(jb, p ? p->ts : f->last, "smtp", f, p, ec);
	jb_u64(jb, "tx_id", m->tx_id);
	smtp_objects(jb, m);
	flow_metadata(jb, f);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

/* An FTP command and its reply (event_type ftp), as Suricata writes it. */
static void eve_ftp_record(struct jbuf *jb, const struct packet *p, const struct flow *f,
			   const struct ftp_info *t, const struct eve_cfg *ec)
{
	struct packet q;
	p = in_dir(p, 0, &q);
	eve_header(jb, p ? p->ts : f->last, "ftp", f, p, ec);
	ftp_object(jb, t);
	flow_metadata(jb, f);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

static void ftp_object(struct jbuf *jb, const struct ftp_info *t)
{
	jb_open_object(jb, "ftp");
	if (t->command[0])
		jb_str(jb, "command", t->command);
	if (t->command_data_len)
		jb_strn(jb, "command_data", (const uint8_t *)t->command_data, t->command_data_len);
	if (t->nreply) {
		jb_open_array(jb, "reply");
		for (unsigned i = 0; i < t->nreply; i++)
			jb_str(jb, NULL, t->reply[i]);
		jb_close(jb);
		jb_open_array(jb, "completion_code");
		for (unsigned i = 0; i < t->nreply; i++)
			if (t->code[i][0])
				jb_str(jb, NULL, t->code[i]);
		jb_close(jb);
	}
	if (t->dynamic_port) {
		jb_u64(jb, "dynamic_port", t->dynamic_port);
		jb_str(jb, "mode", t->mode == FTP_MODE_PASSIVE ? "passive" : "active");
	}
	jb_str(jb, "reply_received", t->reply_received ? "yes" : "no");
	jb_bool(jb, "command_truncated", t->command_truncated);
	jb_bool(jb, "reply_truncated", t->reply_truncated);
	jb_close(jb);
}

static void ftpdata_object(struct jbuf *jb, const struct ftpdata_info *d)
{
	jb_open_object(jb, "ftp_data");
	if (d->filename[0])
		jb_str(jb, "filename", d->filename);
	if (d->command[0])
		jb_str(jb, "command", d->command);
	jb_close(jb);
}

void eve_quic_record(struct jbuf *jb, const struct packet *p, const struct flow *f,
		     const struct quic_info *qi, const struct eve_cfg *ec)
{
	eve_header(jb, p ? p->ts : f->last, "quic", f, p, ec);
	jb_open_object(jb, "quic");
	quic_log_fields(jb, qi);
	jb_close(jb);
	flow_metadata(jb, f);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

void eve_applayer_anomalies(struct jbuf *jb, const struct packet *p, int64_t tx_id, const app_events_t *events,
			    const struct eve_cfg *ec)
{
	if (!ec->anomaly || !ec->anomaly_applayer)
		return;
	for (unsigned e = 0; e < APP_EV_MAX; e++) {
		if (!app_ev_has(events, e))
			continue;
		/* Suricata's form: "http.request_line_missing_protocol" is
		 * event REQUEST_LINE_MISSING_PROTOCOL of app_proto http; the
		 * protocols Suricata 8 parses in Rust name theirs in lower
		 * case (mqtt's invalid_qos_level) */
		char ev[64];
		const char *n = app_event_names[e], *dot = strchr(n, '.');
		bool upper = !dot || !strncmp(n, "http.", 5) || !strncmp(n, "smtp.", 5) ||
			     !strncmp(n, "tls.", 4) || !strncmp(n, "app.", 4);
		size_t k = 0;
		for (const char *c = dot ? dot + 1 : n; *c && k < sizeof(ev) - 1; c++)
			ev[k++] = upper ? (char)toupper((unsigned char)*c) : *c;
		ev[k] = '\0';
		eve_header(jb, p->ts, "anomaly", p->flow, p, ec);
		if (tx_id >= 0) /* the event belongs to this transaction */
			jb_u64(jb, "tx_id", (uint64_t)tx_id);
		jb_open_object(jb, "anomaly");
		if (p->flow && p->flow->alproto < ALP_MAX)
			jb_str(jb, "app_proto", alproto_names[p->flow->alproto]);
		jb_str(jb, "type", "applayer");
		jb_str(jb, "event", ev);
		/* (detection's own events: applayer_*) */
		jb_str(jb, "layer", strncmp(n, "applayer_", 9) ? "proto_parser" : "proto_detect");
		jb_close(jb);
		jb_close(jb);
		jb_append(jb, "\n", 1);
	}
}

/* ---- the protocols' records: one row each ---- */

static void dns_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		     const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (f && f->alproto == ALP_DOH2)
		return; /* DNS over HTTP/2: its streams' records (h2_rows) */
	if (f && f->alproto == ALP_MDNS) {
		/* multicast DNS: mdns records, each in its packet's direction */
		for (unsigned i = 0; tx && ec->mdns && i < tx->ndns; i++) {
			eve_header(jb, p->ts, "mdns", f, p, ec);
			mdns_log(jb, &tx->dns[i]);
			jb_close(jb);
			jb_append(jb, "\n", 1);
		}
		return;
	}
	for (unsigned i = 0; tx && i < tx->ndns; i++)
		if (!(f && f->dns_nolog && tx->dns[i].response && tx->dns[i].id == f->dns_nolog_id))
			eve_dns_record(jb, p, &tx->dns[i], ec); /* (else: a config rule's answer) */
}

static void tls_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		     const struct app_tx *tx, const struct eve_cfg *ec)
{
	/* the handshake's record when it is ready, or at flow end if it
	 * never finished */
	const struct tls_info *t = f && (!tx || tx->tls_log) ? app_tls_unlogged(f) : NULL;
	if (t)
		eve_tls_record(jb, p, f, t, ec);
}

static void ssh_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		     const struct app_tx *tx, const struct eve_cfg *ec)
{
	const struct ssh_info *s = f && (!tx || tx->ssh_log) ? app_ssh_unlogged(f) : NULL;
	if (s)
		eve_ssh_record(jb, p, f, s, ec);
}

static void ftp_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		     const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (!f)
		return;
	if (tx) {
		for (unsigned i = 0; i < tx->nftp; i++)
			eve_ftp_record(jb, p, f, tx->ftp[i], ec);
		if (tx->ftpdata_log && tx->ftpdata) {
			struct packet q;
			const struct packet *pp = in_dir(p, 0, &q);
			eve_header(jb, pp ? pp->ts : f->last, "ftp_data", f, pp, ec);
			ftpdata_object(jb, tx->ftpdata);
			flow_metadata(jb, f);
			jb_close(jb);
			jb_append(jb, "\n", 1);
		}
		return;
	}
	const struct ftp_info *t;
	while ((t = app_ftp_unanswered(f)))
		eve_ftp_record(jb, p, f, t, ec);
}

static void smtp_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		      const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (!f)
		return;
	if (tx && tx->smtp_log && tx->smtp)
		eve_smtp_record(jb, p, f, tx->smtp, ec);
	else if (!tx) {
		const struct smtp_info *m;
		while ((m = app_smtp_unlogged(f)))
			eve_smtp_record(jb, p, f, m, ec);
	}
}

static void quic_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		      const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (tx && tx->quic_log && f)
		eve_quic_record(jb, p, f, tx->quic, ec);
}

/* A transaction's record of the protocols whose body is one object
 * under the type's name (sip, ldap, tftp, snmp): the envelope, tx_id, the
 * protocol's fields (its *_log_fields). */
#define TX_RECORD(jb, p, f, type, txid, fields, obj, ec)                          \
	do {                                                                     \
		eve_header((jb), (p) ? (p)->ts : (f)->last, (type), (f), (p), (ec)); \
		jb_u64((jb), "tx_id", (txid));                                   \
		jb_open_object((jb), (type));                                    \
		fields((jb), (obj));                                             \
		jb_close(jb);                                                    \
		jb_close(jb);                                                    \
		jb_append((jb), "\n", 1);                                        \
	} while (0)

/* The same, in the flow's orientation whatever the packet's. */
#define TX_RECORD_FLOW(jb, p, f, type, txid, fields, obj, ec)                    \
	do {                                                                     \
		eve_header_dir((jb), (p) ? (p)->ts : (f)->last, (type), (f), (p), (ec), true); \
		jb_u64((jb), "tx_id", (txid));                                   \
		jb_open_object((jb), (type));                                    \
		fields((jb), (obj));                                             \
		jb_close(jb);                                                    \
		jb_close(jb);                                                    \
		jb_append((jb), "\n", 1);                                        \
	} while (0)

/* Each SIP message is a transaction and a record, in the direction it
 * travelled (the packet's). */
static void sip_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		     const struct app_tx *tx, const struct eve_cfg *ec)
{
	for (unsigned i = 0; tx && f && i < tx->nsip; i++)
		TX_RECORD(jb, p, f, "sip", tx->sip[i]->tx_id, sip_log_fields, tx->sip[i], ec);
}

/* An LDAP transaction when its final response comes (or an unbind);
 * those still open at flow end then. */
static void ldap_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		      const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (!f)
		return;
	if (tx) {
		for (unsigned i = 0; i < tx->nldap; i++)
			TX_RECORD(jb, p, f, "ldap", tx->ldap[i]->tx_id, ldap_log_fields, tx->ldap[i], ec);
		return;
	}
	const struct ldap_tx *t;
	while ((t = app_ldap_unlogged(f)))
		TX_RECORD(jb, p, f, "ldap", t->tx_id, ldap_log_fields, t, ec);
}

/* A DCE/RPC call when both its sides are over; those still open at flow
 * end then. */
static void dcerpc_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
			const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (!f)
		return;
	if (tx) {
		for (unsigned i = 0; i < tx->ndcelog; i++)
			TX_RECORD_FLOW(jb, p, f, "dcerpc", tx->dcelog[i]->tx_id, dce_log_fields, tx->dcelog[i], ec);
		return;
	}
	const struct dce_tx *t;
	while ((t = app_dcerpc_unlogged(f)))
		TX_RECORD(jb, p, f, "dcerpc", t->tx_id, dce_log_fields, t, ec);
}

/* An IMAP transaction when its completion comes; those still open at
 * flow end then; addressed as the flow is. */
static void imap_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		      const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (!f)
		return;
	if (tx) {
		for (unsigned i = 0; i < tx->nimap; i++)
			if (tx->imap[i].done)
				TX_RECORD_FLOW(jb, p, f, "imap", tx->imap[i].t->tx_id, imap_log_fields,
					       tx->imap[i].t, ec);
		return;
	}
	const struct imap_tx *t;
	while ((t = app_imap_unlogged(f)))
		TX_RECORD(jb, p, f, "imap", t->tx_id, imap_log_fields, t, ec);
}

/* A POP3 transaction when its response is whole; those still open at
 * flow end then; addressed as the flow is (Suricata's LOG_DIR_FLOW). */
static void pop3_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		      const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (!f)
		return;
	if (tx) {
		for (unsigned i = 0; i < tx->npop3; i++)
			if (tx->pop3[i].done)
				TX_RECORD_FLOW(jb, p, f, "pop3", tx->pop3[i].t->tx_id, pop3_log_fields,
					       tx->pop3[i].t, ec);
		return;
	}
	const struct pop3_tx *t;
	while ((t = app_pop3_unlogged(f)))
		TX_RECORD(jb, p, f, "pop3", t->tx_id, pop3_log_fields, t, ec);
}

/* An MQTT transaction when it is complete; those still open at flow end
 * then; addressed as the flow is. */
static void mqtt_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		      const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (!f)
		return;
	if (tx) {
		for (unsigned i = 0; i < tx->nmqtt; i++)
			TX_RECORD_FLOW(jb, p, f, "mqtt", tx->mqtt[i]->tx_id, mqtt_log_fields, tx->mqtt[i], ec);
		return;
	}
	const struct mqtt_tx *t;
	while ((t = app_mqtt_unlogged(f)))
		TX_RECORD(jb, p, f, "mqtt", t->tx_id, mqtt_log_fields, t, ec);
}

/* The RFB handshake when it completes, or at flow end. */
static void rfb_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		     const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (!f)
		return;
	if (tx) {
		if (tx->rfb)
			TX_RECORD_FLOW(jb, p, f, "rfb", 0, rfb_log_fields, tx->rfb, ec);
		return;
	}
	const struct rfb_tx *t = app_rfb_unlogged(f);
	if (t)
		TX_RECORD(jb, p, f, "rfb", 0, rfb_log_fields, t, ec);
}

/* The rpc and nfs objects of an NFS transaction. */
static void nfs_objects(struct jbuf *jb, const struct nfs_tx *t)
{
	jb_open_object(jb, "rpc");
	rpc_log_fields(jb, t);
	jb_close(jb);
	jb_open_object(jb, "nfs");
	nfs_log_fields(jb, t);
	jb_close(jb);
}

/* An nfs record, in the flow's orientation (p NULL: at flow end). */
static void nfs_record(struct jbuf *jb, const struct packet *p, struct flow *f,
		       const struct nfs_tx *t, const struct eve_cfg *ec)
{
	eve_header_dir(jb, p ? p->ts : f->last, "nfs", f, p, ec, true);
	jb_u64(jb, "tx_id", t->id - 1);
	nfs_objects(jb, t);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

/* An NFS transaction when its reply came or its file ended (or both
 * sides closed), in the flow's orientation; those left at flow end. */
static void nfs_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		     const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (!f)
		return;
	if (tx) {
		for (unsigned i = 0; i < tx->nnfslog; i++)
			nfs_record(jb, p, f, tx->nfslog[i], ec);
		return;
	}
	for (const struct nfs_tx *t; (t = app_nfs_unlogged(f));)
		nfs_record(jb, p, f, t, ec);
}

/* Each IKE message as it comes, in the direction it travelled. */
static void ike_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		     const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (tx && f && tx->ike)
		TX_RECORD(jb, p, f, "ike", tx->ike->tx_id, ike_log_fields, tx->ike, ec);
}

/* Each WebSocket frame as it comes, in the direction it travelled. */
static void ws_fields(struct jbuf *jb, const struct ws_tx *t)
{
	ws_log_fields(jb, t, false, false);
}

static void websocket_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
			   const struct app_tx *tx, const struct eve_cfg *ec)
{
	for (unsigned i = 0; tx && f && i < tx->nws; i++)
		TX_RECORD(jb, p, f, "websocket", tx->ws[i]->tx_id, ws_fields, tx->ws[i], ec);
}

/* Each Kerberos message as it comes. */
static void krb5_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		      const struct app_tx *tx, const struct eve_cfg *ec)
{
	for (unsigned i = 0; tx && f && i < tx->nkrb5; i++)
		TX_RECORD_FLOW(jb, p, f, "krb5", tx->krb5[i]->tx_id, krb5_log_fields, tx->krb5[i], ec);
}

/* An SMB transaction when its response comes (a request and its
 * response), as Suricata logs it. */
static void smb_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		     const struct app_tx *tx, const struct eve_cfg *ec)
{
	for (unsigned i = 0; tx && f && i < tx->nsmb; i++)
		if (tx->smb[i]->resp_side)
			TX_RECORD_FLOW(jb, p, f, "smb", tx->smb[i]->id - 1, smb_log_fields, tx->smb[i], ec);
}

/* Each frame a parser completed on this packet (Suricata 8's frame
 * type): its type, id (per direction), direction, where it starts in its
 * direction's stream, its length (with the bytes a gap took), whether
 * all of it came, its first frame_payload_max bytes in base64 and as
 * text (non-printable bytes as '.'), and its transaction when the parser
 * knows it.  The packet's addresses, as Suricata's LOG_DIR_PACKET. */
static void frame_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		       const struct app_tx *tx, const struct eve_cfg *ec)
{
	for (unsigned i = 0; tx && f && i < tx->nframes; i++) {
		const struct app_frame *fr = &tx->frames[i];
		eve_header(jb, p ? p->ts : f->last, "frame", f, p, ec);
		if (f->alproto > 0 && f->alproto < ALP_MAX)
			jb_str(jb, "app_proto", alproto_names[f->alproto]);
		jb_open_object(jb, "frame");
		jb_str(jb, "type", app_frame_name(fr->type));
		jb_u64(jb, "id", fr->id);
		jb_str(jb, "direction", fr->dir ? "toclient" : "toserver");
		if (f->key.proto == 6 && fr->off_set)
			jb_u64(jb, "stream_offset", fr->off);
		jb_u64(jb, "length", (uint64_t)fr->len + fr->missing);
		jb_bool(jb, "complete", !fr->missing);
		uint32_t pn = MIN(fr->len, ec->frame_payload_max);
		if (pn) {
			b64_field(jb, "payload", fr->p, pn);
			jb_raw(jb, "payload_printable", "\""); /* the text, escaped in pieces */
			char pr[256];
			for (uint32_t k = 0; k < pn; k += sizeof(pr)) {
				uint32_t m = MIN(pn - k, (uint32_t)sizeof(pr));
				for (uint32_t j = 0; j < m; j++) {
					uint8_t c = fr->p[k + j];
					pr[j] = (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' ? (char)c : '.';
				}
				jb_escape(jb, (const uint8_t *)pr, m);
			}
			jb_append(jb, "\"", 1);
		}
		if (fr->tx_set)
			jb_u64(jb, "tx_id", fr->tx_id);
		jb_close(jb);
		jb_close(jb);
		jb_append(jb, "\n", 1);
	}
}

/* A BitTorrent DHT message (a query, a response or an error) in the
 * direction it travelled, as Suricata's. */
static void btdht_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		       const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (!tx || !tx->btdht || !f)
		return;
	eve_header(jb, p->ts, "bittorrent_dht", f, p, ec);
	jb_u64(jb, "tx_id", tx->btdht->tx_id);
	jb_open_object(jb, "bittorrent_dht");
	btdht_log_fields(jb, tx->btdht);
	jb_close(jb);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

static void tftp_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		      const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (tx && tx->tftp && f)
		TX_RECORD(jb, p, f, "tftp", tx->tftp->tx_id, tftp_log_fields, tx->tftp, ec);
}

static void snmp_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		      const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (tx && tx->snmp && f)
		TX_RECORD(jb, p, f, "snmp", tx->snmp->tx_id, snmp_log_fields, tx->snmp, ec);
}

static void anomaly_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
			 const struct app_tx *tx, const struct eve_cfg *ec)
{
	(void)f;
	if (tx && app_ev_any(&tx->events))
		eve_applayer_anomalies(jb, p, tx->ev_tx_id, &tx->events, ec);
}

static void http_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		      const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (!f)
		return;
	if (tx) {
		const struct http_msg *req;
		if (tx->http_log && (req = app_http_last_request(f)) && !req->nolog)
			eve_http_record(jb, p, f, req, tx->http_resp, ec);
		return;
	}
	/* at flow end: the transaction not written yet, with its response if
	 * one came (also one the close just completed) */
	const struct http_msg *resp, *req;
	while ((req = app_http_unlogged(f, &resp))) /* pipelined ones first */
		if (!req->nolog)
			eve_http_record(jb, p, f, req, resp, ec);
}

/* An HTTP/2 transaction's record: http (Suricata's http2 type), or dns
 * with the http object for one that carried DNS (its doh2 type). */
static void h2_record(struct jbuf *jb, const struct packet *p, struct flow *f, const struct h2_tx *t,
		      const struct eve_cfg *ec)
{
	if (t->doh ? !ec->doh2 : !ec->http2 || !h2_tx_loggable(t))
		return;
	eve_header_dir(jb, p ? p->ts : f->last, t->doh ? "dns" : "http", f, p, ec, true);
	jb_u64(jb, "tx_id", t->tx_id);
	jb_open_object(jb, "http");
	h2_log_fields(jb, t);
	jb_close(jb);
	if (t->doh) {
		const struct dns_msg *dm = t->dns[1] ? t->dns[1] : t->dns[0];
		if (dm)
			dns_log(jb, dm, ec->dns_formats);
	}
	flow_metadata(jb, f);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

static void h2_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		    const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (!f)
		return;
	if (tx) {
		for (unsigned i = 0; i < tx->nh2; i++)
			if (tx->h2_log[i])
				h2_record(jb, p, f, tx->h2[i], ec);
		return;
	}
	const struct h2_tx *t;
	while ((t = app_h2_unlogged(f)))
		h2_record(jb, p, f, t, ec);
}

/* A file record's members after its header: the object of its
 * transaction (http, smtp and email, ftp_data, smb, nfs), app_proto,
 * fileinfo, the flow's metadata. */
static void file_body(struct jbuf *jb, struct flow *f, const struct app_file *fi,
		      const struct eve_cfg *ec)
{
	if (fi->h2) {
		jb_open_object(jb, "http");
		h2_log_fields(jb, fi->h2);
		jb_close(jb);
	} else if (fi->req) {
		jb_open_object(jb, "http");
		http_log_fields(jb, fi->req, fi->resp, ec->http_headers);
		jb_close(jb);
	}
	if (fi->smtp)
		smtp_objects(jb, fi->smtp);
	if (fi->ftpdata)
		ftpdata_object(jb, fi->ftpdata);
	if (fi->smb_tx) {
		jb_open_object(jb, "smb");
		smb_log_fields(jb, fi->smb_tx);
		jb_close(jb);
	}
	if (fi->nfs_tx)
		nfs_objects(jb, fi->nfs_tx);
	jb_str(jb, "app_proto", fi->alp && fi->alp < ALP_MAX && !fi->smtp ? alproto_names[fi->alp] :
				fi->smtp ? "smtp" : fi->ftpdata ? "ftp-data" : fi->smb ? "smb" :
				fi->nfs_tx ? "nfs" : fi->h2 ? "http2" : "http");
	jb_open_object(jb, "fileinfo");
	jb_strn(jb, "filename", (const uint8_t *)fi->name, fi->name_len);
	if (fi->facts.magic[0])
		jb_str(jb, "magic", fi->facts.magic);
	jb_bool(jb, "gaps", fi->facts.gaps);
	jb_str(jb, "state", fi->truncated ? "TRUNCATED" : "CLOSED");
	if (fi->facts.md5[0])
		jb_str(jb, "md5", fi->facts.md5);
	if (fi->facts.sha1[0])
		jb_str(jb, "sha1", fi->facts.sha1);
	if (fi->facts.sha256[0])
		jb_str(jb, "sha256", fi->facts.sha256);
	jb_bool(jb, "stored", fi->facts.stored);
	jb_u64(jb, "size", fi->size);
	if (fi->range_end) { /* a 206's part, as Suricata writes it */
		jb_u64(jb, "start", fi->range_start);
		jb_u64(jb, "end", fi->range_end);
	}
	jb_u64(jb, "tx_id", fi->tx_id);
	jb_close(jb);
	flow_metadata(jb, f);
}

/* A file (fileinfo): in the direction it travelled, with the http object
 * of its transaction, as Suricata writes it. */
static void file_row(struct jbuf *jb, const struct packet *p, struct flow *f,
		     const struct app_file *fi, const struct eve_cfg *ec)
{
	struct packet q;
	p = in_dir(p, fi->to_client ? 1 : 0, &q);
	eve_header(jb, p ? p->ts : f->last, "fileinfo", f, p, ec);
	file_body(jb, f, fi, ec);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

void eve_file_defer(struct jbuf *jb, struct flow *f, const struct app_file *fi,
		    const struct eve_cfg *ec)
{
	jb_reset(jb);
	jb_open_object(jb, NULL);
	jb->need_comma[jb->depth] = true;
	file_body(jb, f, fi, ec);
	if (!jb->oom && jb->len) { /* the fragment goes on after the header's members */
		memmove(jb->buf, jb->buf + 1, jb->len - 1);
		jb->len--;
	}
}

void eve_file_deferred(struct jbuf *jb, const struct packet *p, struct flow *f, bool to_client,
		       const char *frag, size_t len, const struct eve_cfg *ec)
{
	struct packet q;
	p = in_dir(p, to_client ? 1 : 0, &q);
	eve_header(jb, p->ts, "fileinfo", f, p, ec);
	jb_append(jb, frag, len);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

void eve_file_record(struct jbuf *jb, const struct packet *p, struct flow *f,
		     const struct app_file *fi, const struct eve_cfg *ec)
{
	file_row(jb, p, f, fi, ec);
}

static void file_rows(struct jbuf *jb, const struct packet *p, struct flow *f,
		      const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (!f)
		return;
	if (!tx) {
		const struct app_file *fi = app_http_open_file(f);
		if (fi)
			file_row(jb, p, f, fi, ec);
		return;
	}
	for (unsigned i = 0; i < tx->nfiles; i++)
		file_row(jb, p, f, tx->files[i], ec);
}

static bool want_files(const struct eve_cfg *ec) { return ec->files; }
static bool want_dns(const struct eve_cfg *ec) { return ec->dns; }
static bool want_tls(const struct eve_cfg *ec) { return ec->tls; }
static bool want_ssh(const struct eve_cfg *ec) { return ec->ssh; }
static bool want_quic(const struct eve_cfg *ec) { return ec->quic; }
static bool want_sip(const struct eve_cfg *ec) { return ec->sip; }
static bool want_ldap(const struct eve_cfg *ec) { return ec->ldap; }
static bool want_tftp(const struct eve_cfg *ec) { return ec->tftp; }
static bool want_dcerpc(const struct eve_cfg *ec) { return ec->dcerpc; }
static bool want_pop3(const struct eve_cfg *ec) { return ec->pop3; }
static bool want_imap(const struct eve_cfg *ec) { return ec->imap; }
static bool want_mqtt(const struct eve_cfg *ec) { return ec->mqtt; }
static bool want_krb5(const struct eve_cfg *ec) { return ec->krb5; }
static bool want_rfb(const struct eve_cfg *ec) { return ec->rfb; }
static bool want_ike(const struct eve_cfg *ec) { return ec->ike; }
static bool want_nfs(const struct eve_cfg *ec) { return ec->nfs; }
static bool want_websocket(const struct eve_cfg *ec) { return ec->websocket; }
/* (no outputs.eve.types.smb key yet: always written) */
static bool want_smb(const struct eve_cfg *ec) { (void)ec; return true; }
static bool want_snmp(const struct eve_cfg *ec) { return ec->snmp; }
static bool want_btdht(const struct eve_cfg *ec) { return ec->btdht; }
static bool want_frame(const struct eve_cfg *ec) { return ec->frame; }
static bool want_http(const struct eve_cfg *ec) { return ec->http; }
static bool want_h2(const struct eve_cfg *ec) { return ec->http2 || ec->doh2; }
static bool want_smtp(const struct eve_cfg *ec) { return ec->smtp; }
static bool want_ftp(const struct eve_cfg *ec) { return ec->ftp; }
static bool want_anomaly(const struct eve_cfg *ec) { return ec->anomaly && ec->anomaly_applayer; }

/* In the order the records of one packet are written; at flow end only
 * the rows with at_end, in end order. */
static const struct eve_app_row {
	const char *type;
	bool (*enabled)(const struct eve_cfg *ec);
	void (*write)(struct jbuf *jb, const struct packet *p, struct flow *f,
		      const struct app_tx *tx, const struct eve_cfg *ec);
	uint8_t end_order;   /* 0: nothing at flow end, else 1, 2, ... */
} app_rows[] = {
	{ "dns", want_dns, dns_rows, 0 },
	{ "tls", want_tls, tls_rows, 2 },
	{ "ssh", want_ssh, ssh_rows, 3 },
	{ "quic", want_quic, quic_rows, 0 },
	{ "sip", want_sip, sip_rows, 0 },
	{ "ldap", want_ldap, ldap_rows, 7 },
	{ "smb", want_smb, smb_rows, 0 },
	{ "dcerpc", want_dcerpc, dcerpc_rows, 8 },
	{ "pop3", want_pop3, pop3_rows, 9 },
	{ "mqtt", want_mqtt, mqtt_rows, 10 },
	{ "krb5", want_krb5, krb5_rows, 0 },
	{ "rfb", want_rfb, rfb_rows, 11 },
	{ "ike", want_ike, ike_rows, 0 },
	{ "nfs", want_nfs, nfs_rows, 12 },
	{ "websocket", want_websocket, websocket_rows, 0 },
	{ "tftp", want_tftp, tftp_rows, 0 },
	{ "snmp", want_snmp, snmp_rows, 0 },
	{ "anomaly", want_anomaly, anomaly_rows, 0 },
	{ "http", want_http, http_rows, 1 },
	{ "smtp", want_smtp, smtp_rows, 5 },
	{ "ftp", want_ftp, ftp_rows, 6 },
	{ "fileinfo", want_files, file_rows, 4 },
	{ "http2", want_h2, h2_rows, 12 },
	{ "bittorrent_dht", want_btdht, btdht_rows, 0 },
	{ "imap", want_imap, imap_rows, 13 },
	{ "frame", want_frame, frame_rows, 0 },
};

/* The rows a packet's records come from (at_end false), or those written
 * at a flow's end, in their end order, into out; returns how many.  A
 * packet's fileinfo records follow its alerts (eve_file_records): whether
 * a file was stored is the rules'. */
static unsigned rows_list(const struct eve_cfg *ec, bool at_end, uint8_t out[APP_ROWS_MAX])
{
	_Static_assert(ARRAY_SIZE(app_rows) <= APP_ROWS_MAX, "eve_cfg rows");
	unsigned n = 0;
	if (!at_end) {
		for (size_t i = 0; i < ARRAY_SIZE(app_rows); i++)
			if (app_rows[i].enabled(ec) && app_rows[i].write != file_rows)
				out[n++] = (uint8_t)i;
		return n;
	}
	for (uint8_t k = 1; k <= ARRAY_SIZE(app_rows); k++)
		for (size_t i = 0; i < ARRAY_SIZE(app_rows); i++)
			if (app_rows[i].end_order == k && app_rows[i].enabled(ec))
				out[n++] = (uint8_t)i;
	return n;
}

/* Lists the rows once per configuration: every packet asked each of
 * them before. */
static void rows_prepare(struct eve_cfg *ec)
{
	ec->nrows = (uint8_t)rows_list(ec, false, ec->rows);
	ec->nend_rows = (uint8_t)rows_list(ec, true, ec->end_rows);
	ec->rows_ready = true;
}

void eve_app_records(struct jbuf *jb, const struct packet *p, struct flow *f,
		     const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (tx && tx->nolog)
		return; /* a config rule: this transaction is not logged */
	uint8_t own[APP_ROWS_MAX];
	const uint8_t *rows = tx ? ec->rows : ec->end_rows;
	unsigned n = tx ? ec->nrows : ec->nend_rows;
	if (!ec->rows_ready) { /* a configuration eve_cfg_from did not make */
		n = rows_list(ec, !tx, own);
		rows = own;
	}
	for (unsigned k = 0; k < n; k++)
		app_rows[rows[k]].write(jb, p, f, tx, ec);
}

void eve_file_records(struct jbuf *jb, const struct packet *p, struct flow *f,
		      const struct app_tx *tx, const struct eve_cfg *ec)
{
	if (tx && want_files(ec))
		file_rows(jb, p, f, tx, ec);
}

/* A tagged packet (tag keyword), as Suricata writes it: the envelope, the
 * packet in base64 and its link type. */
void eve_packet_record(struct jbuf *jb, const struct packet *p, const struct eve_cfg *ec)
{
	eve_header(jb, p->ts, "packet", p->flow, p, ec);
	packet_fields(jb, p);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

void eve_drop_record(struct jbuf *jb, const struct packet *p, const struct eve_cfg *ec)
{
	eve_drop_record_why(jb, p, ec, "rules");
}

void eve_drop_record_why(struct jbuf *jb, const struct packet *p, const struct eve_cfg *ec,
			 const char *reason)
{
	eve_header(jb, p->ts, "drop", p->flow, p, ec);
	jb_open_object(jb, "drop");
	jb_u64(jb, "len", p->ip_len);
	jb_u64(jb, "tos", p->tos);
	jb_u64(jb, "ttl", p->ttl);
	if (p->ip_ver == 4)
		jb_u64(jb, "ipid", p->ip_id);
	if (p->proto == 6 && (p->flags & PKT_HAS_PORTS)) {
		jb_u64(jb, "tcpseq", p->seq);
		jb_u64(jb, "tcpack", p->ack);
		jb_u64(jb, "tcpwin", p->win);
		jb_bool(jb, "syn", p->tcp_flags & TH_SYN);
		jb_bool(jb, "ack", p->tcp_flags & TH_ACK);
		jb_bool(jb, "psh", p->tcp_flags & TH_PUSH);
		jb_bool(jb, "rst", p->tcp_flags & TH_RST);
		jb_bool(jb, "urg", p->tcp_flags & TH_URG);
		jb_bool(jb, "fin", p->tcp_flags & TH_FIN);
	} else if (p->proto == 17 && (p->flags & PKT_HAS_PORTS)) {
		jb_u64(jb, "udplen", p->payload_len + 8u);
	}
	jb_str(jb, "reason", reason);
	jb_close(jb);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}

void fast_log_line(struct jbuf *jb, const struct packet *p, const struct detect_alert *a,
		   bool blocked)
{
	char tbuf[32], sa[46], da[46], pb[4], line[1536];
	vtime_format(p->ts, tbuf);
	/* fast.log uses MM/DD/YYYY-HH:MM:SS.uuuuuu */
	char ts[32];
	snprintf(ts, sizeof(ts), "%.2s/%.2s/%.4s-%.15s", tbuf + 5, tbuf + 8, tbuf, tbuf + 11);
	addr_str(p->ip_ver ? p->ip_ver : 4, p->src, sa);
	addr_str(p->ip_ver ? p->ip_ver : 4, p->dst, da);
	bool v6 = p->ip_ver == 6;
	int n = snprintf(line, sizeof(line),
			 "%s  %s[**] [%u:%u:%u] %s [**] [Classification: %s] [Priority: %u] {%s} "
			 "%s%s%s:%u -> %s%s%s:%u\n",
			 ts, blocked ? "[Drop] " : "", a->gid, a->sid, a->rev, a->msg ? a->msg : "",
			 a->category ? a->category : "", a->severity, eve_proto_name(p->proto, pb),
			 v6 ? "[" : "", sa, v6 ? "]" : "", p->sp, v6 ? "[" : "", da, v6 ? "]" : "",
			 p->dp);
	if (n > 0)
		jb_append(jb, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

struct stat_item {
	const char *name;
	uint64_t v;
};

static int stat_cmp(const void *a, const void *b)
{
	return strcmp(((const struct stat_item *)a)->name, ((const struct stat_item *)b)->name);
}

/* Writes items (sorted by name) as objects nested by their dots. */
static void write_nested(struct jbuf *jb, const struct stat_item *it, size_t n)
{
	char open[8][48];
	bool arr[8] = { false }; /* detect.engines: Suricata's one-engine array */
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		char comp[8][48];
		int nc = 0;
		const char *s = it[i].name;
		while (*s && nc < 8) {
			size_t l = strcspn(s, ".");
			snprintf(comp[nc++], sizeof(comp[0]), "%.*s", (int)l, s);
			s += l;
			if (*s == '.')
				s++;
		}
		int common = 0;
		while (common < depth && common < nc - 1 && !strcmp(open[common], comp[common]))
			common++;
		while (depth > common) {
			depth--;
			jb_close(jb);
			if (arr[depth])
				jb_close(jb);
		}
		while (depth < nc - 1) {
			arr[depth] = depth == 1 && !strcmp(open[0], "detect") && !strcmp(comp[1], "engines");
			if (arr[depth]) {
				jb_open_array(jb, comp[depth]);
				jb_open_object(jb, NULL);
			} else {
				jb_open_object(jb, comp[depth]);
			}
			memcpy(open[depth], comp[depth], sizeof(open[0]));
			depth++;
		}
		jb_u64(jb, comp[nc - 1], it[i].v);
	}
	while (depth-- > 0) {
		jb_close(jb);
		if (arr[depth])
			jb_close(jb);
	}
}

void eve_stats_record(struct jbuf *jb, vtime_t now, uint64_t uptime_sec,
		      const struct counters *c, const uint64_t ev[EV_MAX])
{
	static char ev_names[EV_MAX][96];
	static bool ev_names_done;
	struct stat_item items[CNT_MAX + EV_MAX];
	size_t n = 0;
	char tbuf[32];
	if (!ev_names_done) {
		for (int i = 0; i < EV_MAX; i++) {
			const char *nm = event_names[i];
			if (!strncmp(nm, "decoder.", 8))
				nm += 8;
			snprintf(ev_names[i], sizeof(ev_names[i]), "decoder.event.%s", nm);
		}
		ev_names_done = true;
	}
	for (int i = 0; i < CNT_MAX; i++) {
		uint64_t v = c->v[i];
		if (counter_hidden(i))
			continue;
		if (i == CNT_DECODER_AVG_PKT_SIZE)
			v = c->v[CNT_DECODER_PKTS] ? c->v[CNT_DECODER_BYTES] / c->v[CNT_DECODER_PKTS] : 0;
		items[n++] = (struct stat_item){ counter_names[i], v };
	}
	for (int i = 0; i < EV_MAX; i++)
		items[n++] = (struct stat_item){ ev_names[i], ev[i] };
	qsort(items, n, sizeof(items[0]), stat_cmp);

	jb_open_object(jb, NULL);
	jb_str(jb, "timestamp", vtime_format(now, tbuf));
	jb_str(jb, "event_type", "stats");
	jb_open_object(jb, "stats");
	jb_u64(jb, "uptime", uptime_sec);
	write_nested(jb, items, n);
	jb_close(jb);
	jb_close(jb);
	jb_append(jb, "\n", 1);
}
