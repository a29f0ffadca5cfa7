/*
 * store_cmd.h - `vigil store`, eve.json into the event store.
 */
#ifndef VIGIL_STORE_CMD_H
#define VIGIL_STORE_CMD_H

/* argv[0] is "store"; returns the exit status. */
int store_main(int argc, char **argv);

#endif
