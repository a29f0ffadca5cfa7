/*
 * agent_cmd.h - vigil agent (in other VMs), vigil agent-recv (its end on
 * the gateway) and vigil agent-cert (their TLS certificates).
 */
#ifndef VIGIL_AGENT_CMD_H
#define VIGIL_AGENT_CMD_H

/* argv[0] is the subcommand's name; each returns the exit status. */
int agent_main(int argc, char **argv);
int agent_recv_main(int argc, char **argv);
int agent_cert_main(int argc, char **argv);

#endif
