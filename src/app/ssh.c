/*
 * ssh.c - SSH identification lines and KEXINIT (RFC 4253) for detection
 * and eve.
 *
 * Each direction: lines until "SSH-protoversion-softwareversion [comments]"
 * (a server may send other lines first; at most 16 are skipped), each cut
 * at 255 bytes (longer: ssh.long_banner, and the direction stops); then the
 * first binary packet, which is KEXINIT in the clear:
 *   uint32 packet_length, byte padding_length, byte 20, cookie[16],
 *   name-list kex, host key, enc c2s, enc s2c, mac c2s, mac s2c, comp c2s,
 *   comp s2c, ...
 * hassh = MD5("kex;enc;mac;comp") with the client-to-server lists for the
 * client, server-to-client for the server (Salesforce's hassh/hasshServer).
 * The packet is kept only while it is collected (at most 64 KiB; over
 * 256 KiB declared raises ssh.invalid_record_length).  Each binary packet
 * until NEWKEYS (the last in the clear) is reported as the ssh.record.*
 * frames: its first six bytes (length, padding length, message type), the
 * rest, the whole.
 */
#include <stdio.h>
#include <string.h>

#include "app_int.h"
#include "json.h"
#include "cursor.h"
#include "util.h"

/* SSH_REC: the binary packets after KEXINIT, read for their frames only,
 * up to NEWKEYS (encrypted after it) */
enum { SSH_LINE, SSH_PKT, SSH_DONE, SSH_REC };
#define SSH_PKT_MAX (64 * 1024)

static void banner(struct app_ctx *a, struct ssh_side *s, const uint8_t *l, uint32_t n)
{
	/* SSH-proto-software[ SP comments] */
	const uint8_t *p = l + 4, *end = l + n;
	const uint8_t *dash = memchr(p, '-', (size_t)(end - p));
	if (!dash || dash == p) {
		app_event(a, APP_EV_SSH_INVALID_BANNER);
		return;
	}
	uint32_t pl = (uint32_t)MIN((size_t)(dash - p), sizeof(s->proto) - 1);
	memcpy(s->proto, p, pl);
	s->proto[pl] = '\0';
	s->proto_len = (uint16_t)pl;
	const uint8_t *sw = dash + 1, *se = sw;
	while (se < end && *se != ' ')
		se++;
	uint32_t sl = (uint32_t)MIN((size_t)(se - sw), sizeof(s->software) - 1);
	memcpy(s->software, sw, sl);
	s->software[sl] = '\0';
	s->software_len = (uint16_t)sl;
	s->banner = true;
}

static bool name_list(struct cursor *c, struct cursor *out)
{
	*out = cur_sub(c, cur_be32(c));
	return !c->err;
}

static void append(char *s, uint16_t *len, size_t cap, const uint8_t *d, size_t n)
{
	size_t k = MIN(n, cap - 1 - *len);
	memcpy(s + *len, d, k);
	*len = (uint16_t)(*len + k);
	s[*len] = '\0';
}

static void kexinit(struct ssh_side *s, int dir, const uint8_t *d, uint32_t n)
{
	struct cursor c;
	cur_init(&c, d, n);
	cur_skip(&c, 4);
	uint8_t pad = cur_u8(&c);
	(void)pad;
	if (cur_u8(&c) != 20)
		return;
	cur_skip(&c, 16);
	struct cursor l[10];
	for (int i = 0; i < 10; i++)
		if (!name_list(&c, &l[i]))
			return;
	/* kex(0) hostkey(1) enc(2,3) mac(4,5) comp(6,7) */
	int e = dir == 0 ? 2 : 3, m = dir == 0 ? 4 : 5, z = dir == 0 ? 6 : 7;
	const int order[4] = { 0, e, m, z };
	s->hassh_string_len = 0;
	s->hassh_string[0] = '\0';
	for (int i = 0; i < 4; i++) {
		if (i)
			append(s->hassh_string, &s->hassh_string_len, sizeof(s->hassh_string),
			       (const uint8_t *)";", 1);
		append(s->hassh_string, &s->hassh_string_len, sizeof(s->hassh_string),
		       l[order[i]].p, cur_left(&l[order[i]]));
	}
	hex_md5(s->hassh_string, s->hassh_string_len, s->hassh);
	s->kex = true;
}

void ssh_feed(struct app_ctx *a, struct ssh_state *st, int dir, const uint8_t *d, uint32_t n)
{
	struct ssh_dir *sd = &st->dir[dir];
	struct ssh_side *side = &st->info.side[dir];
	a->tx.ssh = &st->info;
	while (n && sd->state != SSH_DONE) {
		if (sd->state == SSH_LINE) {
			const uint8_t *nl = memchr(d, '\n', n);
			uint32_t k = nl ? (uint32_t)(nl - d) + 1 : n;
			if (sd->line_len + k > sizeof(sd->line)) {
				app_event(a, APP_EV_SSH_LONG_BANNER);
				sd->state = SSH_DONE;
				return;
			}
			memcpy(sd->line + sd->line_len, d, k);
			sd->line_len = (uint16_t)(sd->line_len + k);
			d += k;
			n -= k;
			if (!nl)
				return;
			uint32_t ll = sd->line_len - 1;
			if (ll && sd->line[ll - 1] == '\r')
				ll--;
			if (ll >= 4 && !memcmp(sd->line, "SSH-", 4)) {
				banner(a, side, sd->line, ll);
				a->tx.ssh_new = true;
				sd->state = side->banner ? SSH_PKT : SSH_DONE;
			} else if (dir == 0 || ++sd->pkt_len > 16) {
				app_event(a, APP_EV_SSH_INVALID_BANNER);
				sd->state = SSH_DONE;
			}
			sd->line_len = 0;
			continue;
		}
		/* SSH_PKT: the first binary packet */
		if (!sd->pkt) {
			if (!app_charge(a, SSH_PKT_MAX)) {
				sd->state = SSH_DONE;
				return;
			}
			if (!(sd->pkt = v_malloc(SSH_PKT_MAX))) {
				app_release(a, SSH_PKT_MAX);
				sd->state = SSH_DONE;
				return;
			}
			sd->pkt_len = 0;
			sd->pkt_need = 4;
		}
		uint32_t k = MIN(n, sd->pkt_need - sd->pkt_len);
		memcpy(sd->pkt + sd->pkt_len, d, k);
		sd->pkt_len += k;
		d += k;
		n -= k;
		if (sd->pkt_len < sd->pkt_need)
			return;
		if (sd->pkt_need == 4) {
			uint32_t pl = (uint32_t)sd->pkt[0] << 24 | (uint32_t)sd->pkt[1] << 16 |
				      (uint32_t)sd->pkt[2] << 8 | sd->pkt[3];
			if (pl > 256 * 1024)
				app_event(a, APP_EV_SSH_INVALID_RECORD);
			if (pl < 2 || pl > SSH_PKT_MAX - 4) {
				sd->state = SSH_DONE;
			} else {
				sd->pkt_need = 4 + pl;
				continue;
			}
		} else {
			uint32_t hl = MIN(sd->pkt_len, 6u);
			app_frame_add(a, FR_SSH_RECORD_HDR, dir, sd->pkt, hl, NULL, 0);
			app_frame_add(a, FR_SSH_RECORD_DATA, dir, sd->pkt + hl, sd->pkt_len - hl, NULL, 0);
			app_frame_add(a, FR_SSH_RECORD_PDU, dir, sd->pkt, sd->pkt_len, NULL, 0);
			if (sd->state == SSH_PKT) {
				kexinit(side, dir, sd->pkt, sd->pkt_len);
				a->tx.ssh_new = true;
				if (st->info.side[0].kex && st->info.side[1].kex && !st->info.logged)
					a->tx.ssh_log = true;
			}
			/* NEWKEYS (21): what follows is encrypted */
			sd->newkeys = sd->pkt_len > 5 && sd->pkt[5] == 21;
			sd->state = sd->newkeys ? SSH_DONE : SSH_REC;
			if (st->dir[0].newkeys && st->dir[1].newkeys && !st->encrypted) {
				st->encrypted = true;
				a->tx.encrypted = true;
			}
		}
		v_free(sd->pkt);
		sd->pkt = NULL;
		app_release(a, SSH_PKT_MAX);
	}
}

void ssh_state_free(struct app_ctx *a, struct ssh_state *s)
{
	for (int d = 0; d < 2; d++)
		if (s->dir[d].pkt) {
			v_free(s->dir[d].pkt);
			app_release(a, SSH_PKT_MAX);
		}
	v_free(s);
}

/* ---- the ssh record ---- */

static void ssh_side(struct jbuf *jb, const char *key, const struct ssh_side *s)
{
	if (!s->banner)
		return;
	jb_open_object(jb, key);
	jb_strn(jb, "proto_version", (const uint8_t *)s->proto, s->proto_len);
	jb_strn(jb, "software_version", (const uint8_t *)s->software, s->software_len);
	if (s->kex)
		app_log_hash(jb, "hassh", s->hassh, s->hassh_string, s->hassh_string_len);
	jb_close(jb);
}

void ssh_log_fields(struct jbuf *jb, const struct ssh_info *s)
{
	ssh_side(jb, "client", &s->side[0]);
	ssh_side(jb, "server", &s->side[1]);
}
