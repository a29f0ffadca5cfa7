/*
 * predecode.c - the syslog header of a log line, as Wazuh's analysisd
 * takes it apart before any decoder runs (its OS_CleanMSG).
 *
 * Wazuh recognises headers by fixed character positions, tried in a set
 * order, and the ruleset's decoders and rules are written against what
 * that leaves in `log`.  So this reproduces the positions exactly,
 * quirks included (a timestamp of "Mär 02 17:30:52" loses its last digit
 * in Wazuh too; an unpadded "Dec 1" or a "<13>" priority is not a header).
 * Everything works in place on the event's own copy of the line: the
 * cuts are NUL bytes, the fields point into it.
 *
 *   Dec 29 10:00:01 host sshd[12]: Failed password ...
 *   `-- timestamp -' `host' `prog'  `-- log --------
 */
#include "hids_int.h"

#include <ctype.h>
#include <string.h>

/* Wazuh's hostname_map: the characters of host and program names. */
static bool name_ch(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '/' || c == '@' || c == '(' ||
	       c == ')';
}

static bool at(const char *m, size_t len, size_t i, char c)
{
	return i < len && m[i] == c;
}

static bool digit_at(const char *m, size_t len, size_t i)
{
	return i < len && isdigit((unsigned char)m[i]);
}

/* The Group A formats (a syslog timestamp followed by host and program):
 * the number of bytes to skip, or 0.  m is the message as checked (one
 * byte on for "Mär"). */
static size_t group_a(const char *m, size_t len)
{
	size_t L = len + 1;
	if (L > 17 && at(m, len, 3, ' ') && at(m, len, 6, ' ') && at(m, len, 9, ':') &&
	    at(m, len, 12, ':') && at(m, len, 15, ' '))
		return 16;
	if (L > 24 && at(m, len, 4, '-') && at(m, len, 7, '-') && at(m, len, 10, ' ') &&
	    at(m, len, 13, ':') && at(m, len, 16, ':') && at(m, len, 19, ','))
		return 24;
	if (L > 33 && at(m, len, 4, '-') && at(m, len, 7, '-') && at(m, len, 10, 'T') &&
	    at(m, len, 13, ':') && at(m, len, 16, ':')) {
		if (at(m, len, 22, ':') && at(m, len, 25, ' '))
			return 26;
		if (at(m, len, 19, '.')) {
			if (at(m, len, 26, ':'))
				return 30;
			if (at(m, len, 29, ':'))
				return 33;
			return 32;
		}
	}
	if (L > 21 && digit_at(m, len, 0) && at(m, len, 4, ' ') && at(m, len, 8, ' ') &&
	    at(m, len, 11, ' ') && at(m, len, 14, ':') && at(m, len, 17, ':') && at(m, len, 20, ' '))
		return 21;
	if (L > 33 && digit_at(m, len, 0) && at(m, len, 4, '-') && at(m, len, 7, '-') &&
	    at(m, len, 10, ' ') && at(m, len, 13, ':') && at(m, len, 16, ':') && at(m, len, 19, '.') &&
	    (at(m, len, 26, '-') || at(m, len, 26, '+')) && at(m, len, 31, ' '))
		return 32;
	return 0;
}

/* Host and program name after a Group A timestamp; log starts at p. */
static void host_prog(struct hids_event *ev, char *p)
{
	char *q = p;
	while (name_ch((unsigned char)*q))
		q++;
	if (*q == ':' && q[1] == ' ') {
		/* "Dec 29 10:00:01 sshd: msg": a program, no host */
		*q = 0;
		ev->program_name = p;
		p = q + 2;
		goto id;
	}
	if (*q != ' ') {
		ev->log = p;
		return;
	}
	*q = 0;
	ev->hostname = p;
	p = q + 1;
	ev->log = p;
	q = p;
	while (name_ch((unsigned char)*q))
		q++;
	if (*q == ':') {
		*q = 0;
		ev->program_name = p;
		p = q + 1;
		if (*p == ' ')
			p++;
	} else if (*q == '[' && isdigit((unsigned char)q[1])) {
		char *r = q + 1;
		while (isdigit((unsigned char)*r))
			r++;
		if (r[0] == ']' && r[1] == ':') {
			r += 2;
			if (*r == ' ')
				r++;
		} else if (r[0] == ']' && r[1] == ' ') {
			r += 2;
		} else {
			return;
		}
		*q = 0;
		ev->program_name = p;
		p = r;
	} else if (*q == '|' && islower((unsigned char)q[1])) {
		/* AIX: "host auth|security:info sshd: msg" */
		char *r = q + 2;
		while (isalnum((unsigned char)*r))
			r++;
		if (*r != ':')
			return;
		r++;
		while (isalnum((unsigned char)*r))
			r++;
		if (*r != ' ')
			return;
		char *n = ++r;
		while (name_ch((unsigned char)*r))
			r++;
		char *end = r;
		if (*r == '[') {
			r++;
			while (isdigit((unsigned char)*r))
				r++;
			if (*r != ']')
				return;
			r++;
		}
		if (r[0] != ':' || r[1] != ' ')
			return;
		*end = 0;
		ev->program_name = n;
		p = r + 2;
	} else {
		return;
	}
id:
	/* Solaris: "sshd[1]: [ID 800047 auth.notice] msg" */
	if (!strncmp(p, "[ID ", 4)) {
		char *b = strchr(p, ']');
		if (b && b[1])
			p = b + 2;
		else if (b)
			p = b + 1;
	}
	ev->log = p;
}

/* Timestamp-only formats (xferlog, snort, suricata, apache, squid); OSX
 * ASL.  true when one matched. */
static bool group_b(struct hids_event *ev, char *m, size_t len)
{
	size_t L = len + 1;
	if (L > 28 && at(m, len, 3, ' ') && at(m, len, 7, ' ') && at(m, len, 10, ' ') &&
	    at(m, len, 13, ':') && at(m, len, 16, ':') && at(m, len, 19, ' ') && at(m, len, 24, ' ') &&
	    at(m, len, 26, ' ')) {
		m[24] = 0;
		ev->timestamp = m;
		ev->log = m + 25;
		return true;
	}
	if (L > 24 && at(m, len, 2, '/') && at(m, len, 5, '-') && at(m, len, 8, ':') &&
	    at(m, len, 11, ':') && at(m, len, 14, '.') && at(m, len, 21, ' ')) {
		m[21] = 0;
		ev->timestamp = m;
		ev->log = m + 23;
		return true;
	}
	if (L > 28 && at(m, len, 2, '/') && at(m, len, 5, '/') && at(m, len, 10, '-') &&
	    at(m, len, 13, ':') && at(m, len, 16, ':') && at(m, len, 19, '.') && at(m, len, 26, ' ')) {
		m[26] = 0;
		ev->timestamp = m;
		ev->log = m + 28;
		return true;
	}
	if (L > 27 && m[0] == '[' && at(m, len, 4, ' ') && at(m, len, 8, ' ') && at(m, len, 11, ' ') &&
	    at(m, len, 14, ':') && at(m, len, 17, ':') && at(m, len, 20, ' ') && at(m, len, 25, ']')) {
		m[25] = 0;
		ev->timestamp = m + 1;
		ev->log = m + 27;
		return true;
	}
	if (L > 26 && m[0] == '[' && at(m, len, 1, 'T') && at(m, len, 5, ' ') && at(m, len, 10, '.') &&
	    at(m, len, 13, '.') && at(m, len, 16, ' ') && at(m, len, 19, ':')) {
		/* [Time ...] [Facility auth] [Sender sshd] [PID 483] [Message ...] [Host h] */
		char *p = m + 25;
		bool got_prog = false, got_msg = false;
		while ((p = strchr(p, '['))) {
			char *close = strchr(p, ']');
			if (!close)
				break;
			if (!got_prog && !strncmp(p, "[Sender ", 8)) {
				*close = 0;
				ev->program_name = p + 8;
				got_prog = true;
			} else if (!got_msg && !strncmp(p, "[Message ", 9)) {
				*close = 0;
				ev->log = p + 9;
				got_msg = true;
			} else if (!strncmp(p, "[Host ", 6)) {
				*close = 0;
				ev->hostname = p + 6;
				break;
			}
			p = close + 1;
		}
		return true;
	}
	if (L > 32 && m[0] == '1' && digit_at(m, len, 1) && digit_at(m, len, 2) && digit_at(m, len, 3) &&
	    at(m, len, 10, '.') && digit_at(m, len, 13) && at(m, len, 14, ' ') &&
	    (at(m, len, 21, ' ') || at(m, len, 22, ' '))) {
		char *p = m + 14;
		while (*p == ' ')
			p++;
		p[-1] = 0;
		ev->timestamp = m;
		ev->log = p;
		return true;
	}
	return false;
}

void hids_predecode(struct hids_event *ev)
{
	char *m = ev->buf;
	size_t len = strlen(m);
	ev->log = m;
	ev->timestamp = ev->hostname = ev->program_name = NULL;
	/* "Mär": the checks look one byte on, the cuts apply to m */
	const char *chk = m;
	size_t clen = len;
	if (len > 2 && (unsigned char)m[1] == 0xC3 && (unsigned char)m[2] == 0xA4) {
		chk = m + 1;
		clen = len - 1;
	}
	size_t skip = group_a(chk, clen);
	if (skip && skip <= len) {
		m[skip - 1] = 0;
		ev->timestamp = m;
		char *p = m + skip;
		if (*p == ' ')
			p++;
		host_prog(ev, p);
		return;
	}
	group_b(ev, m, len);
}
