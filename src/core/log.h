/*
 * log.h - messages for people, on stderr.  Not the event stream: alerts and
 * records go through output/.  Thread-safe (one fprintf per message).
 */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Also writes each message at lvl or more severe to path (appended), as
 * one JSON object per line in the shape of Suricata's engine log
 * (suricata.json): {"timestamp", "log_level": "Error", "event_type":
 * "engine", "engine": {"thread_name", "message"}}; or, json false, as
 * the lines stderr gets.  Replaces a file opened before.  0, or -errno. */
int log_open_file(const char *path, bool json, enum log_level lvl);
void log_close_file(void);
/* msg (one line, no newline) to the log file only, if one is open. */
void log_to_file(enum log_level lvl, const char *msg);

#define log_err(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
