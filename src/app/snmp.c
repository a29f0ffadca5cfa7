/*
 * snmp.c - SNMP v1, v2c and v3 over UDP, as Suricata reads and logs it:
 * each message is a transaction; its version (1, 2 or 3, as Suricata
 * numbers them), PDU type, the variables' names, the community (v1, v2c)
 * or the USM user name (v3); a v3 message whose PDU is encrypted is
 * "encrypted".  Nothing is kept beyond the last message of a flow.
 */
#include <string.h>

#include "app_int.h"
#include "ber.h"
#include "json.h"

static const char *const pdu_names[] = { "get_request", "get_next_request", "response",
					 "set_request", "trap_v1", "get_bulk_request",
					 "inform_request", "trap_v2", "report" };

/* The PDU (tag 0xa0..0xa8) at b: its type and the variables' names. */
static bool pdu(struct ber *b, struct snmp_info *m)
{
	struct ber p, v, binds, vb;
	uint8_t tag;
	if (!ber_next(b, &tag, &p) || tag < 0xa0 || tag > 0xa8)
		return false;
	m->pdu_type = (uint8_t)(tag - 0xa0);
	if (tag == 0xa4) {
		/* trap v1: enterprise, agent address, generic, specific, time */
		for (int i = 0; i < 5; i++)
			if (!ber_next(&p, &tag, &v))
				return false;
	} else {
		/* request id, error status, error index */
		uint64_t x;
		if (!ber_expect(&p, 0x02, &v) || !ber_expect(&p, 0x02, &v) || !ber_int(&v, &x) ||
		    !ber_expect(&p, 0x02, &v))
			return false;
		m->error = (uint8_t)(x > 255 ? 255 : x);
	}
	if (!ber_expect(&p, 0x30, &binds))
		return false;
	while (ber_next(&binds, &tag, &vb)) {
		struct ber name;
		if (tag != 0x30 || !ber_expect(&vb, 0x06, &name))
			return false;
		if (m->nvars < SNMP_MAX_VARS &&
		    ber_oid(&name, m->vars[m->nvars], sizeof(m->vars[0])))
			m->nvars++;
	}
	return true;
}

bool snmp_parse(const uint8_t *d, uint32_t n, struct snmp_info *m)
{
	struct ber b = { d, n }, msg, v;
	uint8_t tag;
	uint64_t ver;
	memset(m, 0, sizeof(*m));
	if (!ber_next(&b, &tag, &msg) || tag != 0x30 || !ber_expect(&msg, 0x02, &v) || !ber_int(&v, &ver))
		return false;
	if (ver == 0 || ver == 1) {
		m->version = (uint8_t)(ver + 1);
		if (!ber_expect(&msg, 0x04, &v) || v.n >= sizeof(m->community))
			return false;
		memcpy(m->community, v.p, v.n);
		m->community_len = (uint16_t)v.n;
		m->has_community = true;
		return pdu(&msg, m);
	}
	if (ver != 3)
		return false;
	m->version = 3;
	struct ber global, flags, sec, usm, user;
	uint64_t x;
	if (!ber_expect(&msg, 0x30, &global) || !ber_expect(&global, 0x02, &v) ||
	    !ber_expect(&global, 0x02, &v) || !ber_expect(&global, 0x04, &flags) || flags.n != 1 ||
	    !ber_expect(&global, 0x02, &v) || !ber_int(&v, &x) || !ber_expect(&msg, 0x04, &sec))
		return false;
	/* the USM parameters: engine id, boots, time, user name, ... */
	if (x == 3 && ber_expect(&sec, 0x30, &usm) && ber_expect(&usm, 0x04, &v) &&
	    ber_expect(&usm, 0x02, &v) && ber_expect(&usm, 0x02, &v) && ber_expect(&usm, 0x04, &user) &&
	    user.n < sizeof(m->usm)) {
		memcpy(m->usm, user.p, user.n);
		m->usm_len = (uint16_t)user.n;
		m->has_usm = true;
	}
	if (flags.p[0] & 2) { /* privacy: the scoped PDU is encrypted */
		m->encrypted = true;
		return ber_expect(&msg, 0x04, &v);
	}
	struct ber scoped;
	if (!ber_expect(&msg, 0x30, &scoped) || !ber_expect(&scoped, 0x04, &v) ||
	    !ber_expect(&scoped, 0x04, &v))
		return false;
	return pdu(&scoped, m);
}

void snmp_udp(struct app_ctx *a, struct snmp_state *s, const uint8_t *d, uint32_t n)
{
	a->tx.alproto = ALP_SNMP;
	if (!snmp_parse(d, n, &s->msg)) {
		app_event(a, APP_EV_SNMP_MALFORMED);
		return;
	}
	s->msg.tx_id = s->next_tx++;
	a->tx.snmp = &s->msg;
	app_count_tx(a, true, ALP_SNMP);
}

void snmp_log_fields(struct jbuf *jb, const struct snmp_info *m)
{
	jb_u64(jb, "version", m->version);
	if (m->encrypted) {
		jb_str(jb, "pdu_type", "encrypted");
	} else {
		jb_str(jb, "pdu_type", m->pdu_type < 9 ? pdu_names[m->pdu_type] : "unknown");
		if (m->nvars) {
			jb_open_array(jb, "vars");
			for (unsigned i = 0; i < m->nvars; i++)
				jb_str(jb, NULL, m->vars[i]);
			jb_close(jb);
		}
	}
	if (m->has_community)
		jb_strn(jb, "community", (const uint8_t *)m->community, m->community_len);
	if (m->has_usm)
		jb_strn(jb, "usm", (const uint8_t *)m->usm, m->usm_len);
}
