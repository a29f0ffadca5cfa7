#!/usr/bin/python3
"""A test notification server: owns org.freedesktop.Notifications on the
session bus, as a desktop's notification daemon does, and writes each
Notify call as a JSON line (app, summary, body, urgency) to the file named
by its argument.  Run with Debian's python3 (python3-dbus, python3-gi).
   listener.py OUT"""
import json, sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

IFACE = 'org.freedesktop.Notifications'


class Server(dbus.service.Object):
    def __init__(self, bus, out):
        super().__init__(bus, '/org/freedesktop/Notifications')
        self.out, self.n = out, 0

    @dbus.service.method(IFACE, in_signature='susssasa{sv}i', out_signature='u')
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        self.n += 1
        urg = int(hints['urgency']) if 'urgency' in hints else None
        self.out.write(json.dumps({'app': str(app), 'summary': str(summary), 'body': str(body),
                                   'urgency': urg, 'icon': str(icon)}) + '\n')
        self.out.flush()
        return self.n

    @dbus.service.method(IFACE, out_signature='as')
    def GetCapabilities(self):
        return ['body']

    @dbus.service.method(IFACE, out_signature='ssss')
    def GetServerInformation(self):
        return ('vigil-test', 'vigil', '1', '1.2')


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    out = open(sys.argv[1], 'a')
    srv = Server(bus, out)
    name = dbus.service.BusName(IFACE, bus)  # noqa: F841 (kept while running)
    open(sys.argv[1] + '.ready', 'w').close()
    GLib.MainLoop().run()
    del srv


if __name__ == '__main__':
    main()
