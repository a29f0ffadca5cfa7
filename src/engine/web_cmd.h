/*
 * web_cmd.h - `vigil web`, the dashboard.
 */
#ifndef VIGIL_WEB_CMD_H
#define VIGIL_WEB_CMD_H

/* argv[0] is "web"; returns the exit status. */
int web_main(int argc, char **argv);

#endif
