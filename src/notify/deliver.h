/*
 * deliver.h - where notifications go: the desktop's notification server
 * over D-Bus (org.freedesktop.Notifications, on the session bus), dom0
 * through a qrexec service (Qubes, where the gateway has no desktop), or
 * a command that takes notify-send's arguments.
 */
#ifndef VIGIL_DELIVER_H
#define VIGIL_DELIVER_H

#include "notify.h"
#include "vigil.h"

enum deliver_via { VIA_AUTO, VIA_DBUS, VIA_QREXEC, VIA_COMMAND };

struct deliverer;

/* via VIA_AUTO: D-Bus if a session bus is set (DBUS_SESSION_BUS_ADDRESS),
 * else qrexec if qrexec-client-vm exists, else the command.  command:
 * notify-send or a compatible program (run as COMMAND -u URGENCY -a vigil
 * SUMMARY BODY, without a shell); qrexec: "TARGET SERVICE" (dom0
 * vigil.Notify), which gets "URGENCY\nSUMMARY\nBODY" on its input. */
struct deliverer *deliverer_new(enum deliver_via via, const char *command, const char *qrexec,
				struct verr *e);
void deliverer_free(struct deliverer *d);
const char *deliverer_name(const struct deliverer *d);
/* notify_deliver_fn: ud is the deliverer.  Failures are logged (once a
 * minute at most) and counted. */
void deliverer_send(void *ud, const struct notification *n);
uint64_t deliverer_failures(const struct deliverer *d);

#endif
