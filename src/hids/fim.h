/*
 * fim.h - file integrity monitoring (what OSSEC/Wazuh call syscheck) and
 * honeyfiles, for `vigil fim` and any daemon that wants it.
 *
 * A fim watches trees of files against a baseline kept in SQLite: one row
 * per path with its attributes (type, size, mode, owner, inode, mtime,
 * SHA-256, extended attributes, file capabilities, symlink target).  A
 * full scan (fim_scan) walks the trees and reports every difference from
 * the baseline as one JSON event; between scans, inotify on every directory
 * of the trees (fim_fd, fim_process) checks the paths that changed as they
 * change.  Both paths end in the same comparison against the same rows, so
 * a change is reported once whichever sees it first.  Honeyfiles are bait:
 * any open, read or write of one raises an alarm naming the process
 * (fanotify when permitted, else inotify without the process).
 *
 * Limits (queue overflow, watch limit, baseline cap, depth) never fail
 * silently: each raises a "coverage_lost" event naming the reason.
 */
#ifndef VIGIL_FIM_H
#define VIGIL_FIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil.h"

struct fim;

/* The events, one row each: the enum, the "event" field, the help text
 * (docs/fim.md lists the same). */
#define FIM_EVENTS(X)                                                                          \
	X(ADDED, "added", "a path appeared (not on the first scan of an empty baseline)")      \
	X(REMOVED, "removed", "a path in the baseline is gone")                                 \
	X(CHANGED, "changed", "an attribute of a path changed (changed_attributes)")            \
	X(RENAMED, "renamed", "a removed path and an added one are the same inode")             \
	X(HONEYFILE_ACCESS, "honeyfile_access", "a bait file was opened, read or written")      \
	X(COVERAGE_LOST, "coverage_lost", "a limit was hit: some changes may go unreported")    \
	X(SCAN_SUMMARY, "scan_summary", "a full scan ended: its counts and duration")

/* The attributes compared, in the order "changed_attributes" lists them. */
#define FIM_ATTRS(X)                                                                           \
	X(TYPE, "type") X(SIZE, "size") X(MODE, "mode") X(UID, "uid") X(GID, "gid")            \
	X(OWNER, "owner") X(GROUP, "group") X(INODE, "inode") X(MTIME, "mtime")                \
	X(SHA256, "sha256") X(LINK, "link_target") X(XATTRS, "xattrs") X(CAPS, "capabilities")

/* Why coverage was lost: the "reason" field of coverage_lost. */
#define FIM_REASONS(X)                                                                         \
	X(QUEUE_OVERFLOW, "inotify queue overflow")                                            \
	X(FAN_OVERFLOW, "fanotify queue overflow")                                             \
	X(WATCH_LIMIT, "watch limit")                                                          \
	X(BASELINE_FULL, "baseline full")                                                      \
	X(DEPTH_LIMIT, "depth limit")                                                          \
	X(UNREADABLE, "unreadable directory")                                                  \
	X(HONEY_UNWATCHED, "honeyfile not watched")

#define FIM_DEFAULT_MAX_FILES 1000000u
#define FIM_DEFAULT_MAX_DEPTH 128u
#define FIM_MAX_DEPTH 256u          /* the most max_depth may be */
#define FIM_DEFAULT_DIFF_MAX 65536u /* bytes */
#define FIM_MAX_DIFF_MAX (1u << 20)
#define FIM_HONEYFILE_LEVEL 12

/* One JSON object (no newline) per event; json is valid only during the
 * call. */
typedef void (*fim_emit_fn)(void *ctx, const char *json, size_t len);

struct fim_config {
	const char *const *trees; /* absolute paths; not followed if symlinks */
	size_t tree_cnt;
	const char *const *ignore; /* fnmatch(3) globs on the full path, no flags:
				    * '*' matches '/' too */
	size_t ignore_cnt;
	const char *const *honeyfiles; /* absolute paths of bait files */
	size_t honeyfile_cnt;
	const char *db_path;    /* the SQLite baseline (created if absent) */
	uint64_t max_files;     /* baseline cap; 0: FIM_DEFAULT_MAX_FILES */
	unsigned max_depth;     /* directories below a tree walked; 0: default */
	bool diff;              /* "diff" in changed events of small text files */
	size_t diff_max_len;    /* the largest file diffed; 0: FIM_DEFAULT_DIFF_MAX */
	unsigned interval;      /* with realtime: seconds between full scans
				 * (fim_process runs them); 0: none */
	bool realtime;          /* inotify (and fanotify) behind fim_fd */
	bool report_initial;    /* "added" events on the first scan too */
	bool no_fanotify;       /* honeyfiles through inotify even as root */
	fim_emit_fn emit;
	void *emit_ctx;
};

struct fim_stats {
	uint64_t scans, files, hashed, events, watches, overflows, rescans;
	uint64_t honey_alerts, vanished, errors;
	bool fanotify; /* honeyfiles watched through fanotify */
};

/* Opens (or creates) the baseline and, with cfg->realtime, the inotify and
 * fanotify instances.  Nothing is scanned yet.  The strings of cfg are
 * copied.  0 and *out set, or a negative V_E code with e->msg naming the
 * offending path or option (*out NULL). */
int fim_new(struct fim **out, const struct fim_config *cfg, struct verr *e);

/* Commits what is pending and closes everything.  fim_free(NULL) is a
 * no-op. */
void fim_free(struct fim *f);

/* A full scan of the trees against the baseline: events for every
 * difference, the baseline updated, watches (re)added, honeyfiles
 * (re)armed, then a scan_summary event.  The first scan of an empty
 * baseline records without "added" events unless report_initial.  0, or a
 * negative V_E code when the baseline cannot be written (e->msg says why);
 * unreadable or vanishing files are not errors. */
int fim_scan(struct fim *f, struct verr *e);

/* The descriptor to poll for input (POLLIN), -1 without realtime. */
int fim_fd(const struct fim *f);

/* Milliseconds until fim_process has work even without input (changes
 * waiting to settle, the next interval scan): 0 now, -1 never. */
int fim_timeout_ms(const struct fim *f);

/* Handles what is pending: reads the fd without blocking, checks the
 * paths that changed once they settle, raises honeyfile alarms, and runs a
 * full scan after a queue overflow or when the interval is due.  Call it
 * when fim_fd is readable or fim_timeout_ms has passed.  0 or a negative
 * V_E code (the baseline could not be written). */
int fim_process(struct fim *f, struct verr *e);

void fim_get_stats(const struct fim *f, struct fim_stats *out);

#endif
