/*
 * deliver.c - see deliver.h.  D-Bus through libdbus: one method call per
 * notification, waiting at most two seconds for the server's answer.
 */
#include "deliver.h"

#include <dbus/dbus.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "util.h"

extern char **environ;

struct deliverer {
	enum deliver_via via;
	DBusConnection *bus;
	char command[256];
	char target[64], service[128];
	uint64_t failures;
	time_t last_warn;
};

static bool have_program(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];
	str_lcpy(buf, path ? path : "/usr/bin:/bin", sizeof(buf));
	char *save = NULL;
	for (char *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char p[4400];
		snprintf(p, sizeof(p), "%s/%s", d, name);
		if (access(p, X_OK) == 0)
			return true;
	}
	return false;
}

struct deliverer *deliverer_new(enum deliver_via via, const char *command, const char *qrexec,
				struct verr *e)
{
	struct deliverer *d = v_calloc(1, sizeof(*d));
	if (!d) {
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	str_lcpy(d->command, command && *command ? command : "notify-send", sizeof(d->command));
	if (sscanf(qrexec && *qrexec ? qrexec : "dom0 vigil.Notify", "%63s %127s", d->target,
		   d->service) != 2) {
		verr_set(e, V_EINVAL, "notify.qrexec: want \"TARGET SERVICE\" (dom0 vigil.Notify)");
		v_free(d);
		return NULL;
	}
	if (via == VIA_AUTO) {
		const char *bus = getenv("DBUS_SESSION_BUS_ADDRESS");
		via = bus && *bus ? VIA_DBUS : have_program("qrexec-client-vm") ? VIA_QREXEC : VIA_COMMAND;
	}
	d->via = via;
	if (via == VIA_DBUS) {
		DBusError err;
		dbus_error_init(&err);
		d->bus = dbus_bus_get_private(DBUS_BUS_SESSION, &err);
		if (!d->bus) {
			verr_set(e, V_EIO, "D-Bus session bus: %s", err.message ? err.message : "?");
			dbus_error_free(&err);
			v_free(d);
			return NULL;
		}
		dbus_connection_set_exit_on_disconnect(d->bus, FALSE);
	}
	return d;
}

void deliverer_free(struct deliverer *d)
{
	if (!d)
		return;
	if (d->bus) {
		dbus_connection_close(d->bus);
		dbus_connection_unref(d->bus);
	}
	v_free(d);
}

const char *deliverer_name(const struct deliverer *d)
{
	static const char *const names[] = { "auto", "D-Bus", "qrexec", "command" };
	return names[d->via];
}

uint64_t deliverer_failures(const struct deliverer *d) { return d->failures; }

static void failed(struct deliverer *d, const char *why)
{
	d->failures++;
	time_t now = time(NULL);
	if (now - d->last_warn >= 60) {
		log_warn("notification not delivered (%s): %s", deliverer_name(d), why);
		d->last_warn = now;
	}
}

static bool send_dbus(struct deliverer *d, const struct notification *n)
{
	DBusMessage *m = dbus_message_new_method_call("org.freedesktop.Notifications",
						      "/org/freedesktop/Notifications",
						      "org.freedesktop.Notifications", "Notify");
	if (!m)
		return false;
	const char *app = "vigil", *icon = n->urgency == NU_CRITICAL ? "security-low" : "security-medium";
	const char *summary = n->summary, *body = n->body;
	dbus_uint32_t replaces = 0;
	dbus_int32_t expire = -1;
	unsigned char urg = n->urgency;
	DBusMessageIter it, arr, dict, var;
	dbus_message_iter_init_append(m, &it);
	bool ok = dbus_message_iter_append_basic(&it, DBUS_TYPE_STRING, &app) &&
		  dbus_message_iter_append_basic(&it, DBUS_TYPE_UINT32, &replaces) &&
		  dbus_message_iter_append_basic(&it, DBUS_TYPE_STRING, &icon) &&
		  dbus_message_iter_append_basic(&it, DBUS_TYPE_STRING, &summary) &&
		  dbus_message_iter_append_basic(&it, DBUS_TYPE_STRING, &body);
	/* no actions */
	ok = ok && dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "s", &arr) &&
	     dbus_message_iter_close_container(&it, &arr);
	/* hints: {"urgency": byte} */
	const char *uk = "urgency";
	ok = ok && dbus_message_iter_open_container(&it, DBUS_TYPE_ARRAY, "{sv}", &arr) &&
	     dbus_message_iter_open_container(&arr, DBUS_TYPE_DICT_ENTRY, NULL, &dict) &&
	     dbus_message_iter_append_basic(&dict, DBUS_TYPE_STRING, &uk) &&
	     dbus_message_iter_open_container(&dict, DBUS_TYPE_VARIANT, "y", &var) &&
	     dbus_message_iter_append_basic(&var, DBUS_TYPE_BYTE, &urg) &&
	     dbus_message_iter_close_container(&dict, &var) &&
	     dbus_message_iter_close_container(&arr, &dict) &&
	     dbus_message_iter_close_container(&it, &arr);
	ok = ok && dbus_message_iter_append_basic(&it, DBUS_TYPE_INT32, &expire);
	if (!ok) {
		dbus_message_unref(m);
		return false;
	}
	DBusError err;
	dbus_error_init(&err);
	DBusMessage *rep = dbus_connection_send_with_reply_and_block(d->bus, m, 2000, &err);
	dbus_message_unref(m);
	if (!rep) {
		failed(d, err.message ? err.message : "no answer");
		dbus_error_free(&err);
		return true;
	}
	dbus_message_unref(rep);
	return true;
}

/* Runs argv, writing input (may be NULL) to its stdin; waits 5 s at most. */
static bool run(const char *const *argv, const char *input)
{
	int p[2] = { -1, -1 };
	if (input && pipe2(p, O_CLOEXEC) < 0)
		return false;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (input) {
		posix_spawn_file_actions_adddup2(&fa, p[0], 0);
	} else {
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	}
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (input) {
		close(p[0]);
		if (rc == 0) {
			size_t len = strlen(input), off = 0;
			void (*old)(int) = signal(SIGPIPE, SIG_IGN);
			while (off < len) {
				ssize_t w = write(p[1], input + off, len - off);
				if (w <= 0 && errno != EINTR)
					break;
				if (w > 0)
					off += (size_t)w;
			}
			signal(SIGPIPE, old);
		}
		close(p[1]);
	}
	if (rc != 0)
		return false;
	for (int i = 0; i < 500; i++) {
		int st;
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0;
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return false;
}

static const char *const urgencies[] = { "low", "normal", "critical" };

void deliverer_send(void *ud, const struct notification *n)
{
	struct deliverer *d = ud;
	switch (d->via) {
	case VIA_DBUS:
		if (!send_dbus(d, n))
			failed(d, "out of memory");
		break;
	case VIA_QREXEC: {
		const char *argv[] = { "qrexec-client-vm", d->target, d->service, NULL };
		char in[1400];
		snprintf(in, sizeof(in), "%s\n%s\n%s\n", urgencies[n->urgency], n->summary, n->body);
		if (!run(argv, in))
			failed(d, "qrexec-client-vm failed");
		break;
	}
	default: {
		const char *argv[] = { d->command, "-u", urgencies[n->urgency], "-a", "vigil",
				       n->summary, n->body, NULL };
		if (!run(argv, NULL))
			failed(d, "the command failed");
		break;
	}
	}
}
