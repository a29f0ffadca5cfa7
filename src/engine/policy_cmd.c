/*
 * policy_cmd.c - `vigil policy propose`: a proposed allowlist from what the
 * VMs in learn mode reached (learned.h), in identity-file form, for a
 * person to check and edit.
 *
 *   vigil policy propose [-c CONFIG] [-l LOGDIR] [--state FILE] [--vm NAME]
 *                        [-o FILE] [--set KEY=VALUE]
 */
#include "policy_cmd.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "identity.h"
#include "learned.h"
#include "subcmd.h"
#include "vigil.h"

static void usage(FILE *f)
{
	fputs("usage: vigil policy propose [-c CONFIG] [-l LOGDIR] [--state FILE] [--vm NAME]\n"
	      "                            [-o FILE] [--set KEY=VALUE]\n"
	      "\n"
	      "Writes a proposed allowlist (identity.file form) for the VMs in learn mode\n"
	      "(identity.file \"learn: yes\", or policy.learn) from what they reached, read\n"
	      "from the policy state (policy.state-file under control.state-dir, or --state).\n"
	      "Names sharing a registrable domain three or more times become *.domain;\n"
	      "addresses reached without a name stay addresses.  -o: to FILE, not stdout.\n",
	      f);
}

int policy_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "propose")) {
		usage(argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? stdout
											  : stderr);
		return argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? 0 : 2;
	}
	argc--;
	argv++;
	struct subcmd s = { .prog = "vigil policy" };
	const char *state = NULL, *vm = NULL, *outp = NULL;
	static const struct option lo[] = { SUBCMD_OPTIONS,
					    { "state", required_argument, NULL, 's' },
					    { "vm", required_argument, NULL, 'v' },
					    { "output", required_argument, NULL, 'o' },
					    { NULL, 0, NULL, 0 } };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, SUBCMD_SHORT "o:", lo, NULL)) != -1) {
		if (subcmd_option(&s, o, optarg))
			continue;
		switch (o) {
		case 's': state = optarg; break;
		case 'v': vm = optarg; break;
		case 'o': outp = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	struct config cfg;
	if (subcmd_config(&cfg, &s))
		return 2;
	struct verr e = { "" };
	char path[4096];
	struct learned_cfg lc;
	if (state)
		snprintf(path, sizeof(path), "%s", state);
	else if (learned_cfg_from(&cfg, &lc, path, sizeof(path), &e) < 0 || !*path) {
		fprintf(stderr, "vigil policy: %s\n", *e.msg ? e.msg : "policy.state-file is empty");
		config_fini(&cfg);
		return 2;
	}
	/* the VMs' addresses, from the identity map, when it loads */
	struct identity *idm = identity_load(&cfg, &e);
	if (!idm)
		fprintf(stderr, "vigil policy: %s (addresses left out)\n", e.msg);
	FILE *out = outp ? fopen(outp, "w") : stdout;
	int rc = 0;
	if (!out) {
		perror(outp);
		rc = 1;
	} else {
		struct verr pe = { "" };
		if (learned_propose(path, vm, idm, out, &pe) < 0) {
			fprintf(stderr, "vigil policy: %s\n", pe.msg);
			rc = 1;
		}
		if (outp && fclose(out) != 0) {
			perror(outp);
			rc = 1;
		}
	}
	identity_free(idm);
	config_fini(&cfg);
	return rc;
}
