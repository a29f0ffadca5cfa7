/*
 * input.h - where the host IDS's log lines come from: log files followed
 * across rotation, and the systemd journal, each from a saved position
 * so that a restart neither repeats nor loses lines (Wazuh's
 * logcollector, with its file_status.json and journald cursor).
 */
#ifndef VIGIL_HIDS_INPUT_H
#define VIGIL_HIDS_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil.h"

struct hids_inputs;

/* Lines longer than this are cut (and counted). */
#define HIDS_LINE_MAX 65536

struct hids_input_stats {
	uint64_t lines, bytes, truncated, rotations, errors;
};

/* pos_file: where positions are kept (NULL: nowhere).  from_start: a
 * source with no saved position is read from its start (else from its
 * end, as logcollector does). */
struct hids_inputs *hids_inputs_new(const char *pos_file, bool from_start);
void hids_inputs_free(struct hids_inputs *in);

/* A log file (it need not exist yet); "json:PATH" marks JSON lines
 * (location still PATH).  0 or V_ENOMEM. */
int hids_inputs_add_file(struct hids_inputs *in, const char *spec, struct verr *e);
/* The local systemd journal, or the journal files in dir (NULL: the
 * local one; as journalctl -D).  V_EINVAL when it cannot be opened (or
 * vigil was built without libsystemd). */
int hids_inputs_add_journal(struct hids_inputs *in, const char *dir, struct verr *e);

typedef void (*hids_line_fn)(void *ctx, const char *location, const char *line, size_t len);
/* Reads what every source has, up to max lines, calling fn for each
 * complete line.  Returns the number of lines. */
size_t hids_inputs_poll(struct hids_inputs *in, size_t max, hids_line_fn fn, void *ctx);
/* Inside a hids_line_fn call for a file: the file's device and inode
 * and the offset just past the line.  false for the journal. */
bool hids_inputs_line_end(const struct hids_inputs *in, uint64_t *dev, uint64_t *ino, uint64_t *off);
/* Inside a hids_line_fn call for a journal entry: the entry's cursor
 * (the input's; valid until the call returns).  NULL for a file. */
const char *hids_inputs_line_cursor(const struct hids_inputs *in);
/* Before the first poll: where to resume in path (overrides the saved
 * positions; the agent knows better, from its spool). */
void hids_inputs_resume(struct hids_inputs *in, const char *path, uint64_t dev, uint64_t ino, uint64_t off);
/* Before hids_inputs_add_journal: resume after the entry with this
 * cursor (overrides the saved one, as hids_inputs_resume does for a
 * file).  0 or V_ENOMEM (the saved cursor is kept then). */
int hids_inputs_resume_journal(struct hids_inputs *in, const char *cursor);

/* Writes the positions reached (atomically).  0 or a V_E code. */
int hids_inputs_save(struct hids_inputs *in, struct verr *e);
void hids_inputs_stats(const struct hids_inputs *in, struct hids_input_stats *st);

#endif
