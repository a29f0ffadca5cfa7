/*
 * tftp.c - TFTP (RFC 1350) requests, as Suricata reads them: a read or
 * write request (opcode, file name, mode) to port 69 is a transaction;
 * the transfer itself runs on other ports, in flows of its own.
 */
#include <string.h>
#include <strings.h>

#include "app_int.h"
#include "json.h"

/* A read or write request in d: its opcode, file and mode (NUL-terminated
 * in the datagram, the mode one of TFTP's). */
bool tftp_parse(const uint8_t *d, uint32_t n, struct tftp_info *t)
{
	if (n < 4 || d[0] != 0 || (d[1] != 1 && d[1] != 2))
		return false;
	const uint8_t *f = d + 2, *fe = memchr(f, 0, n - 2);
	if (!fe || fe == f || (size_t)(fe - f) >= sizeof(t->file))
		return false;
	const uint8_t *m = fe + 1, *me = m < d + n ? memchr(m, 0, (size_t)(d + n - m)) : NULL;
	if (!me || me == m || (size_t)(me - m) >= sizeof(t->mode))
		return false;
	static const char *const modes[] = { "netascii", "octet", "mail" };
	bool known = false;
	for (int i = 0; i < 3; i++)
		known |= (size_t)(me - m) == strlen(modes[i]) && !strncasecmp((const char *)m, modes[i], (size_t)(me - m));
	if (!known)
		return false;
	t->opcode = d[1];
	memcpy(t->file, f, (size_t)(fe - f));
	t->file[fe - f] = 0;
	t->file_len = (uint16_t)(fe - f);
	memcpy(t->mode, m, (size_t)(me - m));
	t->mode[me - m] = 0;
	return true;
}

void tftp_udp(struct app_ctx *a, struct tftp_info *t, const uint8_t *d, uint32_t n)
{
	a->tx.alproto = ALP_TFTP;
	struct tftp_info nt;
	if (!tftp_parse(d, n, &nt))
		return; /* data, acknowledgements, errors: not transactions */
	nt.tx_id = t->next_tx++;
	nt.next_tx = t->next_tx;
	*t = nt;
	a->tx.tftp = t;
	app_count_tx(a, true, ALP_TFTP);
}

void tftp_log_fields(struct jbuf *jb, const struct tftp_info *t)
{
	jb_str(jb, "packet", t->opcode == 1 ? "read" : t->opcode == 2 ? "write" : "error");
	jb_strn(jb, "file", (const uint8_t *)t->file, t->file_len);
	jb_str(jb, "mode", t->mode);
}
