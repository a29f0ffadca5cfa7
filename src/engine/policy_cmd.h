/*
 * policy_cmd.h - `vigil policy propose` (policy_cmd.c).
 */
#ifndef VIGIL_POLICY_CMD_H
#define VIGIL_POLICY_CMD_H

int policy_main(int argc, char **argv);

#endif
