/*
 * fim_cmd.h - `vigil fim`, file integrity monitoring and honeyfiles from
 * the command line: scans against a SQLite baseline, then optionally
 * watches, printing one eve record per event.
 */
#ifndef VIGIL_FIM_CMD_H
#define VIGIL_FIM_CMD_H

/* argv[0] is "fim"; returns the exit status. */
int fim_main(int argc, char **argv);

#endif
