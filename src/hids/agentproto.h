/*
 * agentproto.h - the records agents send and the rule that keeps them in
 * order (src/engine/agent_cmd.c sends them, hids_run.c takes them).
 *
 * One record per line, a JSON object:
 *   {"seq":7,"type":"log","location":"/var/log/auth.log","line":"..."}
 *   {"seq":8,"type":"fim","event":{...}}
 *   {"seq":9,"type":"dropped","count":120}
 *   {"seq":12,"type":"gap","from":10}   (10 to 12 are lost: the gateway
 *                                        asked for them after the agent had
 *                                        let them go)
 * each with the agent's "epoch": a new spool (a recreated or disposable
 * VM of the same name) starts its numbers afresh.
 * with "vm" added by the receiver (the channel's VM, never the agent's
 * word).  A log record may carry "src", the agent's own note of where its
 * source was just past the line ([dev,ino,offset] of a file, the cursor
 * of a journal entry): the agent reads it back from its spool after a
 * crash; the gateway ignores it.  The gateway answers {"ack":N} or
 * {"want":N}.
 */
#ifndef VIGIL_HIDS_AGENTPROTO_H
#define VIGIL_HIDS_AGENTPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "vigil.h"

enum hids_arec_type { HAR_OTHER = 0, HAR_LOG, HAR_FIM, HAR_DROPPED, HAR_GAP };

#define HIDS_VM_MAX 63

struct hids_arec {
	uint64_t seq;
	int type;             /* enum hids_arec_type */
	char vm[HIDS_VM_MAX + 1];
	const char *location; /* log: where the line came from ("agent" if none) */
	const char *line;     /* log: the line */
	size_t line_len;
	char *event;          /* fim: the event object, compact JSON */
	uint64_t count;       /* dropped: how many */
	uint64_t from;        /* gap: the first record lost (seq is the last) */
	char epoch[40];       /* the agent's spool ("" if it sent none) */
	uint64_t time_us;     /* when the agent read it (0: not said) */
	void *root;           /* what the strings point into */
};

/* Parses one record line (without its '\n').  0, or V_EFORMAT when it is
 * not a record: not a JSON object, no positive "seq", no "type", no "vm"
 * of 1 to 63 letters, digits, '-', '_', '.'.  Free with hids_arec_fini
 * (also after a failure). */
int hids_arec_parse(const char *line, size_t len, struct hids_arec *r);
void hids_arec_fini(struct hids_arec *r);

enum hids_seq_verdict {
	HSEQ_TAKE,  /* the next one: take it, then last = seq */
	HSEQ_DUP,   /* taken before: acknowledge it again */
	HSEQ_WANT,  /* a gap: ask for *want */
};
/* What to do with record seq when the last taken from its VM is last
 * (0: none yet, any number starts).  A gap record is taken whenever it
 * moves last forward. */
enum hids_seq_verdict hids_seq_check(uint64_t last, uint64_t seq, uint64_t *want);

#endif
