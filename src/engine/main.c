/*
 * main.c - vigil's command line.  Options follow Suricata's where the
 * meaning is the same (-r, -c, -l, -k, --set, --runmode, -V).  Order of
 * configuration: built-in defaults, then -c FILE, then --set and the
 * specific options, so the command line always wins.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "capture.h"
#include "cli.h"
#include "ctl.h"
#include "fim_cmd.h"
#include "agent_cmd.h"
#include "hids_run.h"
#include "logtest_cmd.h"
#include "notify_cmd.h"
#include "policy_cmd.h"
#include "store_cmd.h"
#include "web_cmd.h"
#include "detect.h"
#include "config.h"
#include "engine.h"
#include "log.h"
#include "sink.h"
#include "util.h"

static void on_stop(int sig)
{
	(void)sig;
	engine_stop = 1;
}

static void on_usr2(int sig)
{
	(void)sig;
	engine_reload = 1;
	engine_hids_reload = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	sink_request_reopen();
	engine_policy_reload = 1;
	engine_hids_reload = 1;
}

/* "0", "0:3", "0,2,5" -> queue numbers. */
static int parse_queues(const char *s, uint16_t *q, unsigned *n)
{
	char tmp[256];
	str_lcpy(tmp, s, sizeof(tmp));
	char *save = NULL;
	*n = 0;
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(t, ':');
		uint64_t a, b;
		if (colon) {
			*colon = '\0';
			if (parse_uint(t, 65535, &a) < 0 || parse_uint(colon + 1, 65535, &b) < 0 || b < a)
				return -1;
		} else {
			if (parse_uint(t, 65535, &a) < 0)
				return -1;
			b = a;
		}
		for (uint64_t v = a; v <= b; v++) {
			if (*n >= 64)
				return -1;
			q[(*n)++] = (uint16_t)v;
		}
	}
	return *n ? 0 : -1;
}

static void print_summary(const struct engine_result *r, const char *src)
{
	const struct counters *c = &r->cnt;
	uint64_t pkts = c->v[CNT_DECODER_PKTS], bytes = c->v[CNT_DECODER_BYTES];
	uint64_t evs = 0;
	for (int i = 0; i < EV_MAX; i++)
		evs += r->ev[i];
	double s = r->seconds > 0 ? r->seconds : 1e-9;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("vigil: %s\n", src);
	printf("  packets   %llu (%.1f MB) in %.2f s: %.0f packets/s, %.1f Mbit/s, %u worker%s\n",
	       (unsigned long long)pkts, (double)bytes / 1e6, r->seconds, (double)pkts / s,
	       (double)bytes * 8 / s / 1e6, r->workers, r->workers == 1 ? "" : "s");
	printf("  flows     %llu (tcp %llu, udp %llu, icmp %llu, other %llu); %llu evicted under memcap\n",
	       (unsigned long long)c->v[CNT_FLOW_TOTAL], (unsigned long long)c->v[CNT_FLOW_TCP],
	       (unsigned long long)c->v[CNT_FLOW_UDP],
	       (unsigned long long)(c->v[CNT_FLOW_ICMPV4] + c->v[CNT_FLOW_ICMPV6]),
	       (unsigned long long)c->v[CNT_FLOW_OTHER],
	       (unsigned long long)c->v[CNT_FLOW_EMERG_EVICTED]);
	printf("  tcp       %llu sessions, %llu bytes reassembled, %llu gaps\n",
	       (unsigned long long)c->v[CNT_TCP_SESSIONS],
	       (unsigned long long)c->v[CNT_TCP_REASM_BYTES],
	       (unsigned long long)c->v[CNT_TCP_GAPS]);
	printf("  events    %llu decoder/stream events", (unsigned long long)evs);
	int shown = 0;
	for (int i = 0; i < EV_MAX && shown < 5; i++) {
		if (r->ev[i]) {
			printf("%s %s=%llu", shown ? "," : ":", event_names[i],
			       (unsigned long long)r->ev[i]);
			shown++;
		}
	}
	if (r->rules_loaded || r->rules_skipped)
		printf("\n  rules     %u loaded, %u skipped, %u invalid (load %.2f s, %.1f MB); %llu alerts%s",
		       r->rules_loaded, r->rules_skipped, r->rules_invalid, r->rules_seconds,
		       (double)r->rules_memory / 1e6, (unsigned long long)c->v[CNT_DETECT_ALERT],
		       c->v[CNT_IPS_BLOCKED] ? "" : "");
	if (c->v[CNT_NFQ_ACCEPTED] + c->v[CNT_NFQ_DROPPED] + c->v[CNT_NFQ_REJECTED])
		printf("\n  inline    %llu accepted, %llu dropped, %llu rejected (%llu responses); queue overflow %llu",
		       (unsigned long long)c->v[CNT_NFQ_ACCEPTED], (unsigned long long)c->v[CNT_NFQ_DROPPED],
		       (unsigned long long)c->v[CNT_NFQ_REJECTED], (unsigned long long)c->v[CNT_RESPOND_SENT],
		       (unsigned long long)c->v[CNT_NFQ_QUEUE_OVERFLOW]);
	if (c->v[CNT_IPS_BLOCKED])
		printf(", %llu packets blocked (+%llu in blocked flows)",
		       (unsigned long long)c->v[CNT_IPS_BLOCKED],
		       (unsigned long long)c->v[CNT_IPS_BLOCKED_FLOW]);
	printf("\n  memory    peak RSS %ld MB; %llu allocations on the packet path after its first second\n",
	       ru.ru_maxrss / 1024, (unsigned long long)c->v[CNT_ALLOC_PACKET_PATH]);
	if (r->fast_path[0])
		printf("  fast.log  %s\n", r->fast_path);
	if (r->eve_path[0])
		printf("  eve       %s\n", r->eve_path);
}

/* logging.outputs.file: vigil's own messages to a file as well. */
static int open_log_file(const struct config *c, struct verr *e)
{
	static const enum log_level lv[] = { LOG_INFO, LOG_ERROR, LOG_WARN, LOG_DEBUG };
	char path[4096];
	config_log_path(c, c->log_file_name, path, sizeof(path));
	int rc = log_open_file(path, c->log_file_type == LOGFILE_JSON, lv[c->log_file_level]);
	if (rc < 0)
		return verr_set(e, V_EIO, "logging.outputs.file: %s: %s", path, strerror(-rc));
	return 0;
}

int main(int argc, char **argv)
{
	const char *pcap = NULL, *cfg_file = NULL, *log_dir = NULL, *csum = NULL,
		   *runmode = NULL, *iface = NULL, *qspec = NULL, *user = NULL, *group = NULL;
	const char *sets[64];
	int nsets = 0, verbose = 0, rc = 1;
	bool dump = false, progress = isatty(2), test_rules = false, simulate_ips = false, init_fatal = false;
	/* A fixed mmap threshold: glibc raises it to the size of any mmap'd
	 * block that is freed (up to 32 MB), after which the rule loader's
	 * large temporary arrays land on the heap and stay there as
	 * fragmentation (ET Open: +16 MB of resident memory for the life of
	 * the process).  Fixed at glibc's own default, large blocks are
	 * mapped and given back when freed. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	struct strlist excl = { 0 }, extra = { 0 };
	const char *sfiles[64], *xfiles[64];
	size_t nsf = 0, nxf = 0;
	struct config cfg;
	struct verr err = { "" };
	struct capture *cap = NULL;
	int o;

	/* vigil ctl: the control socket's client */
	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return ctl_main(argc - 1, argv + 1);
	/* vigil notify: desktop notifications from eve.json */
	if (argc > 1 && !strcmp(argv[1], "notify"))
		return notify_main(argc - 1, argv + 1);
	/* vigil store: eve.json into the event store */
	if (argc > 1 && !strcmp(argv[1], "store"))
		return store_main(argc - 1, argv + 1);
	/* vigil policy propose: an allowlist from learn mode */
	if (argc > 1 && !strcmp(argv[1], "policy"))
		return policy_main(argc - 1, argv + 1);
	/* vigil agent, agent-recv, agent-cert: the host IDS's agents */
	if (argc > 1 && !strcmp(argv[1], "agent"))
		return agent_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "agent-recv"))
		return agent_recv_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "agent-cert"))
		return agent_cert_main(argc - 1, argv + 1);
	/* vigil logtest: log lines through the host IDS rules */
	if (argc > 1 && !strcmp(argv[1], "logtest"))
		return logtest_main(argc - 1, argv + 1);
	/* vigil fim: file integrity monitoring and honeyfiles */
	if (argc > 1 && !strcmp(argv[1], "fim"))
		return fim_main(argc - 1, argv + 1);
	/* vigil web: the dashboard */
	if (argc > 1 && !strcmp(argv[1], "web"))
		return web_main(argc - 1, argv + 1);
	char shortopts[3 * CLI_MAX + 1];
	struct option opts[CLI_MAX + 1];
	cli_getopt_tables(shortopts, opts);
	while ((o = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (cli_lookup(o)) {
		case CLI_HELP: cli_usage(stdout); return 0;
		case CLI_VERSION: cli_version(stdout); return 0;
		case CLI_MAN: cli_man(stdout); return 0;
		case CLI_READ: pcap = optarg; break;
		case CLI_CONFIG: cfg_file = optarg; break;
		case CLI_LOGDIR: log_dir = optarg; break;
		case CLI_CSUM: csum = optarg; break;
		case CLI_VERBOSE: verbose++; break;
		case CLI_SET:
			if (nsets == (int)(sizeof(sets) / sizeof(sets[0]))) {
				fprintf(stderr, "vigil: too many --set options\n");
				return 1;
			}
			sets[nsets++] = optarg;
			break;
		case CLI_RUNMODE: runmode = optarg; break;
		case CLI_RULES:
		case CLI_RULES_ADD:
			if ((o == 'S' ? nsf : nxf) >= 64) {
				fprintf(stderr, "vigil: too many -%c options\n", o);
				return 1;
			}
			if (o == 'S')
				sfiles[nsf++] = optarg;
			else
				xfiles[nxf++] = optarg;
			break;
		case CLI_TEST: test_rules = true; break;
		case CLI_IFACE: iface = optarg; break;
		case CLI_QUEUE: qspec = optarg; break;
		case CLI_USER: user = optarg; break;
		case CLI_GROUP: group = optarg; break;
		case CLI_SIMIPS: simulate_ips = true; break;
		case CLI_FATAL: init_fatal = true; break;
		case CLI_KEYWORDS: detect_list_keywords(stdout); return 0;
		case CLI_DUMP: dump = true; break;
		case CLI_NOPROG: progress = false; break;
		case CLI_EVENTS:
			for (int i = 0; i < EV_MAX; i++)
				printf("%-50s %s\n", event_names[i], event_help[i]);
			for (int i = 0; i < APP_EV_MAX; i++) /* app-layer-event: names */
				printf("%-50s %s\n", app_event_names[i], app_event_help[i]);
			return 0;
		default: cli_usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vigil: unexpected argument \"%s\"\n", argv[optind]);
		return 1;
	}
	log_set_level(verbose >= 2 ? LOG_DEBUG : verbose ? LOG_INFO : LOG_WARN);

	if (config_init(&cfg) < 0) {
		fprintf(stderr, "vigil: out of memory\n");
		return 1;
	}
	if (cfg_file && config_load_file(&cfg, cfg_file, &err) < 0)
		goto fail;
	for (int i = 0; i < nsets; i++)
		if (config_set(&cfg, sets[i], &err) < 0)
			goto fail;
	if (log_dir && config_set_key(&cfg, "default-log-dir", log_dir, "-l", 0, &err) < 0)
		goto fail;
	if (csum && config_set_key(&cfg, "checksum-validation", csum, "-k", 0, &err) < 0)
		goto fail;
	if (runmode && config_set_key(&cfg, "runmode", runmode, "--runmode", 0, &err) < 0)
		goto fail;
	if (simulate_ips && config_set_key(&cfg, "simulate-ips", "yes", "--simulate-ips", 0, &err) < 0)
		goto fail;
	if (init_fatal && config_set_key(&cfg, "engine.init-failure-fatal", "yes", "--init-errors-fatal", 0, &err) < 0)
		goto fail;
	if (user && config_set_key(&cfg, "run-as.user", user, "--user", 0, &err) < 0)
		goto fail;
	if (group && config_set_key(&cfg, "run-as.group", group, "--group", 0, &err) < 0)
		goto fail;
	if (cfg.log_file_enabled && open_log_file(&cfg, &err) < 0)
		goto fail;
	if (config_check(&cfg, &err) < 0)
		goto fail;
	if (dump) {
		config_dump(&cfg, stdout);
		rc = 0;
		goto out;
	}
	/* -S replaces the configured rule files; -s adds to them */
	excl.v = (char **)sfiles;
	excl.cnt = nsf;
	const struct strlist *rule_files = nsf ? &excl : NULL;
	char *merged[256];
	if (!nsf && nxf) {
		size_t m = 0;
		for (size_t i = 0; i < cfg.rule_files.cnt && m < 192; i++) {
			static char paths[192][4096];
			const char *fn = cfg.rule_files.v[i];
			if (fn[0] == '/')
				str_lcpy(paths[m], fn, sizeof(paths[m]));
			else
				snprintf(paths[m], sizeof(paths[m]), "%s/%s", cfg.rule_path, fn);
			merged[m] = paths[m];
			m++;
		}
		for (size_t i = 0; i < nxf; i++)
			merged[m++] = (char *)xfiles[i];
		extra.v = merged;
		extra.cnt = m;
		rule_files = &extra;
	}
	bool detect = nsf || nxf || cfg.rule_files.cnt;
	if (test_rules) {
		struct detect_load_stats st;
		struct detect_engine *de = detect_engine_load(&cfg, rule_files, false, &st, &err);
		if (!de)
			goto fail;
		detect_engine_report(de, stdout);
		printf("prefilter memory and rules: %.1f MB; load time %.2f s; %u file%s\n",
		       (double)detect_engine_memory(de) / 1e6, st.seconds, st.files,
		       st.files == 1 ? "" : "s");
		printf("prefilter databases: %u compiled, %u read from the cache", st.mpm_compiled,
		       st.mpm_cached);
		if (st.mpm_shared)
			printf(", %u shared with identical sets", st.mpm_shared);
		if (st.mpm_deferred)
			printf(", %u left to background compiling (not done by -T; quick index meanwhile)",
			       st.mpm_deferred);
		printf("\n");
		printf("rules: %u loaded, %u skipped\n", st.loaded, st.skipped + st.invalid);
		detect_engine_free(de);
		detect_datasets_close(false);
		rc = st.invalid ? 1 : 0;
		goto out;
	}
	if (!!pcap + !!iface + !!qspec != 1) {
		fprintf(stderr, "vigil: give exactly one of -r FILE, -i IFACE, -q QUEUES (see --help)\n");
		goto out;
	}
	uint16_t queues[64];
	unsigned nq = 0;
	if (qspec && parse_queues(qspec, queues, &nq) < 0) {
		fprintf(stderr, "vigil: -q: expected N, N:M or N,M,... (queues 0-65535, at most 64), got \"%s\"\n",
			qspec);
		goto out;
	}
	struct stat st;
	if (stat(cfg.log_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vigil: log directory %s: %s\n", cfg.log_dir,
			errno ? strerror(errno) : "not a directory");
		goto out;
	}
	if (pcap && !(cap = capture_open_file(pcap, &err)))
		goto fail;
	if (iface && !(cap = capture_open_live(iface, cfg.live_bufsize, cfg.live_promisc, &err)))
		goto fail;

	struct sigaction sa = { 0 };
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);

	struct engine_result res;
	struct engine_opts eo = { .progress = progress && pcap, .detect = detect,
				  .rule_files = rule_files };
	if (qspec) {
		if (engine_run_inline(&cfg, queues, nq, &eo, &res, &err) < 0)
			goto fail;
	} else if (engine_run(&cfg, cap, &eo, &res, &err) < 0) {
		goto fail;
	}
	print_summary(&res, pcap ? pcap : iface ? iface : "NFQUEUE");
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "vigil: %s\n", err.msg);
	/* the engine log gets it too, even when the failing setting came
	 * before -l was applied */
	if (cfg.log_file_enabled) {
		if (log_dir)
			config_set_key(&cfg, "default-log-dir", log_dir, "-l", 0, NULL);
		struct verr le = { "" };
		open_log_file(&cfg, &le);
	}
	log_to_file(LOG_ERROR, err.msg);
out:
	log_close_file();
	capture_close(cap);
	config_fini(&cfg);
	alloc_thread_release();
	return rc;
}
