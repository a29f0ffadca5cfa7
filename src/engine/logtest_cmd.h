/*
 * logtest_cmd.h - `vigil logtest`, log lines through the host IDS rules.
 */
#ifndef VIGIL_LOGTEST_CMD_H
#define VIGIL_LOGTEST_CMD_H

/* argv[0] is "logtest"; returns the exit status. */
int logtest_main(int argc, char **argv);

#endif
