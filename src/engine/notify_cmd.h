/*
 * notify_cmd.h - `vigil notify`, desktop notifications from eve.json.
 */
#ifndef VIGIL_NOTIFY_CMD_H
#define VIGIL_NOTIFY_CMD_H

/* argv[0] is "notify"; returns the exit status. */
int notify_main(int argc, char **argv);

#endif
