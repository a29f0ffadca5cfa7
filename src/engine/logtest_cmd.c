/*
 * logtest_cmd.c - `vigil logtest`: log lines on stdin through the host
 * IDS's decoders and rules, printing what each became, as wazuh-logtest
 * does (its three phases, or one JSON object per line with --json).
 *
 *   vigil logtest [--ruleset DIR] [--json] [-v] [--location L] [--hostname H]
 *                 [--exclude FILE]... [--reset-on-blank] [-U RULE:LEVEL:DECODER]
 *                 [--now 'YYYY-MM-DD HH:MM[:SS]']
 */
#include "logtest_cmd.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "hids.h"
#include "json.h"
#include "subcmd.h"
#include "util.h"

static void usage(FILE *f)
{
	fputs("usage: vigil logtest [--ruleset DIR] [--json] [-v] [--location L] [--hostname H]\n"
	      "                     [--exclude FILE]... [--reset-on-blank] [-U RULE:LEVEL:DECODER] [--quiet]\n"
	      "                     [--now 'YYYY-MM-DD HH:MM[:SS]']\n"
	      "\n"
	      "Reads log lines on stdin and shows, for each, the pre-decoding (syslog header),\n"
	      "the decoder and its fields, and the rule that matched with the chain of rules\n"
	      "that led to it, as wazuh-logtest does.  --json: one JSON object per line\n"
	      "(rule.id, rule.level, decoder.name... as in Wazuh's alerts, plus \"chain\").\n"
	      "--ruleset: a Wazuh-layout folder (decoders/, rules/, lists/) or an OSSEC one\n"
	      "(decoder.xml, rules/, ossec.conf); default hids.ruleset from the configuration.\n"
	      "Memory of past lines (frequency rules) lasts the whole run; --reset-on-blank\n"
	      "starts afresh after each empty line.  -U: exit 0 only if the last line matched\n"
	      "that rule id, level and decoder name (wazuh-logtest's unit-test mode).\n"
	      "--quiet: print nothing per line, only the counts and lines per second.\n"
	      "--now: the local time every line is taken as received at (rules' <time>,\n"
	      "<weekday>, timeframes); default the clock.\n",
	      f);
}

/* --now: a local date and time, whole seconds */
static int parse_now(const char *s, uint64_t *us)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%d %H:%M", &tm);
	if (end && *end == ':')
		end = strptime(end, ":%S", &tm);
	if (!end || *end)
		return -1;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t <= 0)
		return -1;
	*us = (uint64_t)t * 1000000u;
	return 0;
}

static void print_field(void *ctx, const char *name, const char *value)
{
	(void)ctx;
	printf("\t%s: '%s'\n", name, value);
}

struct groups_ctx {
	bool first;
};

static void print_group(void *ctx, const char *g)
{
	struct groups_ctx *c = ctx;
	printf("%s'%s'", c->first ? "" : ", ", g);
	c->first = false;
}

static void trace(void *ctx, const struct hrule *r, bool matched)
{
	(void)ctx;
	if (matched)
		printf("\t\t*Rule %u matched\n", hids_rule_id(r));
	else
		printf("\tTrying rule: %u - %s\n", hids_rule_id(r), hids_rule_description(r));
}

static void human(const struct hids_event *ev)
{
	printf("\n**Phase 1: Completed pre-decoding.\n\tfull event: '%s'\n", ev->full_log);
	if (ev->timestamp)
		printf("\ttimestamp: '%s'\n", ev->timestamp);
	if (ev->hostname)
		printf("\thostname: '%s'\n", ev->hostname);
	if (ev->program_name)
		printf("\tprogram_name: '%s'\n", ev->program_name);
	printf("\n**Phase 2: Completed decoding.\n");
	if (!ev->decoder) {
		printf("\tNo decoder matched.\n");
	} else {
		printf("\tname: '%s'\n", hids_decoder_name(ev->decoder));
		if (ev->decoder_parent)
			printf("\tparent: '%s'\n", ev->decoder_parent);
		hids_event_fields(ev, print_field, NULL);
	}
	if (ev->rule) {
		const struct hrule *r = ev->rule;
		printf("\n**Phase 3: Completed filtering (rules).\n\tid: '%u'\n\tlevel: '%d'\n"
		       "\tdescription: '%s'\n\tgroups: '[",
		       hids_rule_id(r), hids_rule_level(r), hids_rule_description(r));
		struct groups_ctx g = { true };
		hids_rule_groups(r, print_group, &g);
		printf("]'\n\tfiredtimes: '%u'\n\tchain: '", ev->firedtimes);
		for (size_t i = 0; i < ev->chain_len; i++)
			printf("%s%u", i ? " > " : "", ev->chain[i]);
		printf("'\n");
		if (ev->alert)
			printf("**Alert to be generated.\n");
	}
	printf("\n");
}

static void as_json(const struct hids_event *ev, struct jbuf *jb)
{
	jb_reset(jb);
	jb_open_object(jb, NULL);
	hids_event_json(ev, jb);
	jb_bool(jb, "alert", ev->alert);
	if (ev->rule) {
		jb_open_array(jb, "chain");
		for (size_t i = 0; i < ev->chain_len; i++)
			jb_u64(jb, NULL, ev->chain[i]);
		jb_close(jb);
	}
	jb_close(jb);
	fwrite(jb->buf, 1, jb->len, stdout);
	fputc('\n', stdout);
}

int logtest_main(int argc, char **argv)
{
	static const struct option opts[] = {
		SUBCMD_OPTIONS,
		{ "ruleset", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "location", required_argument, NULL, 'L' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "reset-on-blank", no_argument, NULL, 'b' },
		{ "unit", required_argument, NULL, 'U' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "now", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	struct subcmd s = { .prog = "vigil logtest" };
	const char *ruleset = NULL, *location = "stdin", *unit = NULL;
	char host[256] = "";
	bool json = false, verbose = false, reset_blank = false, quiet = false;
	uint64_t now_us = 0;
	struct hids_paths paths = { 0 };
	size_t nex = 0;
	int o;
	gethostname(host, sizeof(host) - 1);
	char *dot = strchr(host, '.');
	if (dot)
		*dot = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, SUBCMD_SHORT "vU:", opts, NULL)) != -1) {
		if (subcmd_option(&s, o, optarg))
			continue;
		switch (o) {
		case 'h': usage(stdout); return 0;
		case 'r': ruleset = optarg; break;
		case 'j': json = true; break;
		case 'v': verbose = true; break;
		case 'L': location = optarg; break;
		case 'H': snprintf(host, sizeof(host), "%s", optarg); break;
		case 'b': reset_blank = true; break;
		case 'U': unit = optarg; break;
		case 'q': quiet = true; break;
		case 'N':
			if (parse_now(optarg, &now_us) < 0) {
				fprintf(stderr, "vigil logtest: --now '%s': not 'YYYY-MM-DD HH:MM[:SS]'\n", optarg);
				return 2;
			}
			break;
		case 'x':
			if (nex < sizeof(paths.exclude) / sizeof(paths.exclude[0]))
				paths.exclude[nex++] = optarg;
			break;
		default: usage(stderr); return 2;
		}
	}
	struct config cfg;
	if (!ruleset) {
		if (subcmd_config(&cfg, &s))
			return 2;
		static char buf[4096];
		snprintf(buf, sizeof(buf), "%s", cfg.hids_ruleset);
		ruleset = buf;
		config_fini(&cfg);
	}
	if (!nex)
		paths.exclude[0] = "0215-policy_rules.xml"; /* wall-clock rules, as Wazuh excludes */
	paths.dir = ruleset;
	struct verr e = { "" };
	struct hids_ruleset *rs = NULL;
	if (hids_ruleset_load(&rs, &paths, verbose ? stderr : NULL, &e) < 0) {
		fprintf(stderr, "vigil logtest: %s\n", e.msg);
		return 2;
	}
	if (!json)
		fprintf(stderr, "vigil logtest: %zu decoders, %zu rules (%zu warnings) from %s\n",
			hids_ruleset_decoders(rs), hids_ruleset_rules(rs), hids_ruleset_warnings(rs), ruleset);
	struct hids_state *st = hids_state_new(rs);
	struct hids_event ev;
	struct jbuf jb = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	char last[3][256] = { "", "", "" };
	uint64_t lines = 0, matched = 0, alerts = 0;
	double t0 = now_mono();
	hids_event_init(&ev);
	if (verbose && !json)
		ev.trace = trace;
	while (st && (n = getline(&line, &cap, stdin)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (n == 0) {
			if (reset_blank) {
				hids_state_free(st);
				st = hids_state_new(rs);
			}
			continue;
		}
		int set = hids_event_set(&ev, location, line, (size_t)n);
		ev.time_us = now_us;
		if (set < 0 || hids_analyze(rs, st, &ev, host) < 0) {
			fprintf(stderr, "vigil logtest: out of memory\n");
			rc = 1;
			break;
		}
		lines++;
		if (ev.rule)
			matched++;
		if (ev.alert)
			alerts++;
		if (quiet)
			; /* counted only: the benchmark's mode */
		else if (json)
			as_json(&ev, &jb);
		else
			human(&ev);
		if (!quiet)
			fflush(stdout);
		snprintf(last[0], sizeof(last[0]), "%u", ev.rule ? hids_rule_id(ev.rule) : 0);
		snprintf(last[1], sizeof(last[1]), "%d", ev.rule ? hids_rule_level(ev.rule) : -1);
		snprintf(last[2], sizeof(last[2]), "%s", ev.decoder ? hids_decoder_name(ev.decoder) : "");
		if (!ev.rule)
			last[0][0] = last[1][0] = 0;
	}
	if (!st) {
		fprintf(stderr, "vigil logtest: out of memory\n");
		rc = 1;
	}
	if (quiet) {
		double el = now_mono() - t0;
		printf("%llu lines, %llu matched a rule, %llu alerts in %.3f s: %.0f lines/s\n",
		       (unsigned long long)lines, (unsigned long long)matched, (unsigned long long)alerts, el,
		       el > 0 ? (double)lines / el : 0);
	}
	if (unit && !rc) {
		char want[3][256] = { "", "", "" };
		sscanf(unit, "%255[^:]:%255[^:]:%255s", want[0], want[1], want[2]);
		bool ok = *want[0] && *want[1] && *want[2];
		for (int i = 0; i < 3; i++)
			ok = ok && !strcmp(want[i], last[i]);
		printf("%s\n", ok ? "Unit test OK" : "Unit test FAIL");
		rc = ok ? 0 : 1;
	}
	free(line);
	jb_fini(&jb);
	hids_event_fini(&ev);
	hids_state_free(st);
	hids_ruleset_free(rs);
	return rc;
}
