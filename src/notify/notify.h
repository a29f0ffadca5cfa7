/*
 * notify.h - desktop notifications from the event stream: which records
 * deserve one, grouped and rate-limited so that a scan of 500 ports is
 * one notification with a count and a flood is a summary now and then,
 * not a thousand popups.  Each notification names the VM, what happened
 * and what vigil did (blocked, or only seen).
 *
 * The notifier is fed eve records and a clock and calls a delivery
 * function; deliver.c has the deliveries (D-Bus, qrexec, a command).
 *
 * Grouping: records with the same key (the VM, or the source address
 * when it has none; the signature; blocked or not) are one group until
 * none has come for group-window seconds (at most five windows in all).
 * The first record of a group is shown at once; when the group ends, what
 * came after it is shown as one "N more" notification.  Rate: at most max-per-minute notifications (a token
 * bucket); a group that finds no token waits, and every summary-interval
 * seconds the waiting groups are shown as one summary.
 */
#ifndef VIGIL_NOTIFY_H
#define VIGIL_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct notify_cfg {
	unsigned severity;        /* alerts of this severity or higher (1 highest..3) */
	bool policy;              /* policy alerts (gid 7) whatever their severity */
	double group_window;      /* seconds */
	unsigned max_per_minute;
	double summary_interval;  /* seconds */
};

enum notify_urgency { NU_LOW, NU_NORMAL, NU_CRITICAL };

struct notification {
	char summary[256];
	char body[1024];
	uint8_t urgency;          /* enum notify_urgency */
	uint32_t count;           /* records it stands for */
};

typedef void (*notify_deliver_fn)(void *ud, const struct notification *n);

struct notifier;

struct notifier *notifier_new(const struct notify_cfg *cfg, notify_deliver_fn fn, void *ud);
void notifier_free(struct notifier *nf);
/* One eve record (a JSON line); now: the clock the windows follow (the
 * record's time when replaying a file, the wall clock live).  Returns
 * true if the record was one to notify about. */
bool notifier_record(struct notifier *nf, const char *rec, size_t len, double now);
/* Closes the windows that ended by now and shows what waits. */
void notifier_tick(struct notifier *nf, double now);
/* Shows everything still grouped or waiting (at exit). */
void notifier_flush(struct notifier *nf);

struct notify_stats {
	uint64_t records, matched, delivered, grouped, summarized;
};
void notifier_stats(const struct notifier *nf, struct notify_stats *st);

#endif
