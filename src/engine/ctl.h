/*
 * ctl.h - `vigil ctl`, the control socket's command-line client.
 */
#ifndef VIGIL_CTL_H
#define VIGIL_CTL_H

/* argv[0] is "ctl"; returns the exit status. */
int ctl_main(int argc, char **argv);

#endif
