/*
 * ctl.c - `vigil ctl`, the control socket's command-line client (the
 * commands are control.c's).  It turns words into one JSON request, sends
 * it, and prints the answer for a person, or as it came with --json.
 *
 *   vigil ctl [-s SOCKET | -c CONFIG] [--json] COMMAND [ARGS]
 *
 * Exit status: 0 OK, 1 the sensor said NOK, 2 usage or connection errors.
 */
#include "ctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "json.h"
#include "unixline.h"
#include "util.h"

static void usage(FILE *f)
{
	fputs("usage: vigil ctl [-s SOCKET | -c CONFIG] [--json] [-t SECS] COMMAND [ARGS]\n"
	      "\n"
	      "  stats                       the counters\n"
	      "  version | uptime\n"
	      "  reload rules|policy|hids    load the rules, identity and lists, or the host IDS rules again\n"
	      "  hids                        the host IDS's counters\n"
	      "  rotate                      reopen eve.json and fast.log (after moving them)\n"
	      "  shutdown                    stop the sensor\n"
	      "  flows [--vm VM] [--ip ADDR] [--port N] [--limit N]   open flows\n"
	      "  flow FLOW_ID                one open flow\n"
	      "  vms | vm NAME               the VMs, or one VM's policy, flows and changes\n"
	      "  allow VM TARGET             let VM reach TARGET (\"*.example.org tcp/443\")\n"
	      "  deny VM TARGET              forbid VM to reach TARGET\n"
	      "  block [--vm VM] TARGET      block a domain or address for all (or for VM)\n"
	      "  suppress [--vm VM] [GID:]SID   stop a signature's alerts (and drops)\n"
	      "  unallow | undeny | unblock | unsuppress ...   undo one of those\n"
	      "  overrides                   the changes made so far\n"
	      "  commands                    what the sensor understands\n"
	      "  raw JSON                    send one request as it is\n"
	      "\n"
	      "The socket: -s, else control.socket in default-log-dir from -c CONFIG\n"
	      "(default /etc/vigil/vigil.yaml if it exists), else ./vigil.sock.\n",
	      f);
}

/* The socket path from the configuration (what the sensor binds). */
static int socket_from_config(const char *file, char *out, size_t cap)
{
	struct config cfg;
	struct verr e = { "" };
	config_init(&cfg);
	if (file && config_load_file(&cfg, file, &e) < 0) {
		fprintf(stderr, "vigil ctl: %s\n", e.msg);
		config_fini(&cfg);
		return -1;
	}
	const char *sp = cfg.control_socket && *cfg.control_socket ? cfg.control_socket : "vigil.sock";
	if (sp[0] == '/')
		snprintf(out, cap, "%s", sp);
	else
		snprintf(out, cap, "%s/%s", cfg.log_dir ? cfg.log_dir : ".", sp);
	config_fini(&cfg);
	return 0;
}

/* Sends req (one line) and reads one line back into ans; errors are
 * printed. */
static int exchange(const char *path, const char *req, int timeout_s, struct jbuf *ans)
{
	switch (unixline_call(path, req, timeout_s * 1000, 256u << 20, ans)) {
	case UL_OK:
		jb_append(ans, "", 1); /* terminated */
		return ans->oom ? -1 : 0;
	case UL_CONNECT:
		fprintf(stderr, "vigil ctl: cannot connect to %s: %s (is vigil running, with "
				"control.enabled?)\n",
			path, strerror(errno));
		break;
	case UL_SEND:
		fprintf(stderr, "vigil ctl: %s: %s\n", path, strerror(errno));
		break;
	case UL_TIMEOUT:
		fprintf(stderr, "vigil ctl: no answer within %d s\n", timeout_s);
		break;
	default:
		fprintf(stderr, "vigil ctl: the connection closed before an answer\n");
	}
	return -1;
}

/* ---- human output ---- */

static const char *s_of(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "";
}

static long long i_of(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

/* stats: "section.name  value", the counters that are not zero. */
static void print_stats(json_t *obj, const char *prefix)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		char name[256];
		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", k);
		if (json_is_object(v))
			print_stats(v, name);
		else if (json_is_integer(v) && json_integer_value(v))
			printf("%-48s %lld\n", name, (long long)json_integer_value(v));
	}
}

static void print_flows(json_t *m)
{
	json_t *flows = json_object_get(m, "flows");
	printf("%-18s %-5s %-32s %-32s %-8s %9s %12s %s\n", "flow_id", "proto", "source", "destination",
	       "app", "pkts", "bytes", "vms");
	size_t i;
	json_t *f;
	json_array_foreach(flows, i, f) {
		json_t *fl = json_object_get(f, "flow");
		char src[80], dst[80], vms[160];
		snprintf(src, sizeof(src), "%s:%lld", s_of(f, "src_ip"), i_of(f, "src_port"));
		snprintf(dst, sizeof(dst), "%s:%lld", s_of(f, "dest_ip"), i_of(f, "dest_port"));
		snprintf(vms, sizeof(vms), "%s%s%s", s_of(f, "src_vm"),
			 *s_of(f, "dest_vm") ? " -> " : "", s_of(f, "dest_vm"));
		printf("%-18lld %-5s %-32s %-32s %-8s %9lld %12lld %s\n", i_of(f, "flow_id"),
		       s_of(f, "proto"), src, dst, *s_of(f, "app_proto") ? s_of(f, "app_proto") : "-",
		       i_of(fl, "pkts_toserver") + i_of(fl, "pkts_toclient"),
		       i_of(fl, "bytes_toserver") + i_of(fl, "bytes_toclient"), vms);
	}
	printf("%lld open flow%s matched, %lld shown\n", i_of(m, "count"),
	       i_of(m, "count") == 1 ? "" : "s", i_of(m, "shown"));
	if (i_of(m, "workers_answered") < i_of(m, "workers"))
		printf("(%lld of %lld workers answered in time)\n", i_of(m, "workers_answered"),
		       i_of(m, "workers"));
}

static void print_list(const char *title, json_t *a)
{
	printf("  %-11s", title);
	if (!json_array_size(a))
		printf(" -");
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) printf("%s%s", i ? ", " : " ", json_string_value(v));
	printf("\n");
}

static void print_vm(json_t *vm)
{
	printf("%s\n", s_of(vm, "name"));
	print_list("addresses", json_object_get(vm, "addresses"));
	print_list("labels", json_object_get(vm, "labels"));
	print_list("interfaces", json_object_get(vm, "interfaces"));
	printf("  %-11s %s\n", "policy", s_of(vm, "policy"));
	print_list("allow", json_object_get(vm, "allow"));
	print_list("deny", json_object_get(vm, "deny"));
	print_list("vpn", json_object_get(vm, "vpn"));
	print_list("suppressed", json_object_get(vm, "suppressed"));
}

static void print_entry(json_t *e)
{
	if (!strcmp(s_of(e, "action"), "suppress"))
		printf("%-9s %-16s %lld:%lld", "suppress", *s_of(e, "vm") ? s_of(e, "vm") : "(all)",
		       i_of(e, "gid"), i_of(e, "sid"));
	else
		printf("%-9s %-16s %s", s_of(e, "action"), *s_of(e, "vm") ? s_of(e, "vm") : "(all)",
		       s_of(e, "target"));
	if (*s_of(e, "by"))
		printf("   (%s, %s)", s_of(e, "by"), s_of(e, "time"));
	printf("\n");
}

static void print_human(const char *cmd, json_t *m)
{
	if (json_is_string(m)) {
		printf("%s\n", json_string_value(m));
	} else if (json_is_integer(m)) {
		printf("%lld\n", (long long)json_integer_value(m));
	} else if (!strcmp(cmd, "stats")) {
		print_stats(json_object_get(m, "stats"), "");
	} else if (!strcmp(cmd, "flows")) {
		print_flows(m);
	} else if (!strcmp(cmd, "vms")) {
		size_t i;
		json_t *v;
		json_array_foreach(m, i, v) print_vm(v);
		if (!json_array_size(m))
			printf("no VMs in the identity map\n");
	} else if (!strcmp(cmd, "vm")) {
		print_vm(json_object_get(m, "vm"));
		printf("  %-11s %lld\n", "open flows", i_of(m, "flows"));
		json_t *o = json_object_get(m, "overrides");
		if (json_array_size(o)) {
			printf("  changes:\n");
			size_t i;
			json_t *v;
			json_array_foreach(o, i, v) {
				printf("    ");
				print_entry(v);
			}
		}
	} else if (!strcmp(cmd, "overrides")) {
		size_t i;
		json_t *v;
		json_array_foreach(m, i, v) print_entry(v);
		if (!json_array_size(m))
			printf("no changes\n");
	} else if (!strcmp(cmd, "command-list")) {
		size_t i;
		json_t *v;
		json_array_foreach(m, i, v) printf("%-18s %s\n", s_of(v, "command"), s_of(v, "help"));
	} else if (json_object_get(m, "entry")) {
		printf("%s: ", s_of(m, "result"));
		print_entry(json_object_get(m, "entry"));
	} else {
		char *t = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (t)
			printf("%s\n", t);
		free(t);
	}
}

/* ---- words to a request ---- */

static int want(int argc, int need, const char *what)
{
	if (argc < need) {
		fprintf(stderr, "vigil ctl: %s\n", what);
		return -1;
	}
	return 0;
}

/* Builds the request for argv (the command and its words). */
static json_t *build(int argc, char **argv, const char **cmd)
{
	json_t *args = json_object();
	const char *c = argv[0];
	*cmd = c;
	/* --vm, --ip, --port, --limit anywhere after the command */
	const char *words[8];
	int nw = 0;
	for (int i = 1; i < argc; i++) {
		const char *k = NULL;
		if (!strcmp(argv[i], "--vm"))
			k = "vm";
		else if (!strcmp(argv[i], "--ip"))
			k = "ip";
		else if (!strcmp(argv[i], "--port"))
			k = "port";
		else if (!strcmp(argv[i], "--limit"))
			k = "limit";
		if (k) {
			if (++i >= argc) {
				fprintf(stderr, "vigil ctl: %s needs a value\n", argv[i - 1]);
				goto bad;
			}
			if (!strcmp(k, "vm") || !strcmp(k, "ip"))
				json_object_set_new(args, k, json_string(argv[i]));
			else
				json_object_set_new(args, k, json_string(argv[i]));
			continue;
		}
		if (nw == 8) {
			fprintf(stderr, "vigil ctl: too many words\n");
			goto bad;
		}
		words[nw++] = argv[i];
	}
	if (!strcmp(c, "reload")) {
		if (want(nw, 1, "reload rules|policy|hids") < 0)
			goto bad;
		if (!strcmp(words[0], "rules"))
			*cmd = "reload-rules";
		else if (!strcmp(words[0], "policy"))
			*cmd = "reload-policy";
		else if (!strcmp(words[0], "hids"))
			*cmd = "reload-hids";
		else {
			fprintf(stderr, "vigil ctl: reload rules|policy|hids\n");
			goto bad;
		}
	} else if (!strcmp(c, "commands") || !strcmp(c, "help")) {
		*cmd = "command-list";
	} else if (!strcmp(c, "flow")) {
		if (want(nw, 1, "flow FLOW_ID") < 0)
			goto bad;
		*cmd = "flows";
		json_object_set_new(args, "flow_id", json_string(words[0]));
	} else if (!strcmp(c, "vm")) {
		if (want(nw, 1, "vm NAME") < 0)
			goto bad;
		json_object_set_new(args, "name", json_string(words[0]));
	} else if (!strcmp(c, "allow") || !strcmp(c, "deny") || !strcmp(c, "unallow") ||
		   !strcmp(c, "undeny")) {
		if (want(nw, 2, "allow|deny VM TARGET [tcp|udp/PORT]") < 0)
			goto bad;
		json_object_set_new(args, "vm", json_string(words[0]));
		char t[300];
		snprintf(t, sizeof(t), "%s%s%s", words[1], nw > 2 ? " " : "", nw > 2 ? words[2] : "");
		json_object_set_new(args, "target", json_string(t));
	} else if (!strcmp(c, "block") || !strcmp(c, "unblock")) {
		if (want(nw, 1, "block [--vm VM] TARGET") < 0)
			goto bad;
		json_object_set_new(args, "target", json_string(words[0]));
	} else if (!strcmp(c, "suppress") || !strcmp(c, "unsuppress")) {
		if (want(nw, 1, "suppress [--vm VM] [GID:]SID") < 0)
			goto bad;
		unsigned long gid = 1, sid;
		char *end;
		const char *colon = strchr(words[0], ':');
		if (colon) {
			gid = strtoul(words[0], &end, 10);
			if (end != colon)
				gid = 0;
			sid = strtoul(colon + 1, &end, 10);
		} else {
			sid = strtoul(words[0], &end, 10);
		}
		if (*end || !gid || !sid || gid > UINT32_MAX || sid > UINT32_MAX) {
			fprintf(stderr, "vigil ctl: \"%s\" is not [GID:]SID\n", words[0]);
			goto bad;
		}
		json_object_set_new(args, "gid", json_integer((json_int_t)gid));
		json_object_set_new(args, "sid", json_integer((json_int_t)sid));
		/* "suppress SID VM" as well as --vm */
		if (nw > 1)
			json_object_set_new(args, "vm", json_string(words[1]));
	} else if (!strcmp(c, "stats") || !strcmp(c, "version") || !strcmp(c, "uptime") ||
		   !strcmp(c, "rotate") || !strcmp(c, "shutdown") || !strcmp(c, "flows") ||
		   !strcmp(c, "vms") || !strcmp(c, "overrides") || !strcmp(c, "reopen-log-files") ||
		   !strcmp(c, "reload-rules") || !strcmp(c, "reload-policy") ||
		   !strcmp(c, "reload-hids") || !strcmp(c, "hids") ||
		   !strcmp(c, "command-list")) {
		/* no words */
	} else {
		fprintf(stderr, "vigil ctl: unknown command \"%s\" (vigil ctl --help)\n", c);
		goto bad;
	}
	json_t *req = json_object();
	json_object_set_new(req, "command", json_string(*cmd));
	json_object_set_new(req, "arguments", args);
	return req;
bad:
	json_decref(args);
	return NULL;
}

int ctl_main(int argc, char **argv)
{
	const char *sock = NULL, *cfg = NULL;
	bool as_json = false;
	int timeout = 60;
	static const struct option lo[] = { { "socket", required_argument, NULL, 's' },
					    { "config", required_argument, NULL, 'c' },
					    { "json", no_argument, NULL, 'j' },
					    { "timeout", required_argument, NULL, 't' },
					    { "help", no_argument, NULL, 'h' },
					    { NULL, 0, NULL, 0 } };
	int o;
	optind = 1;
	/* options before the command only: the command's own --vm etc. follow */
	while ((o = getopt_long(argc, argv, "+s:c:jt:h", lo, NULL)) != -1) {
		switch (o) {
		case 's': sock = optarg; break;
		case 'c': cfg = optarg; break;
		case 'j': as_json = true; break;
		case 't': timeout = atoi(optarg) > 0 ? atoi(optarg) : 60; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	char path[4096];
	if (sock) {
		snprintf(path, sizeof(path), "%s", sock);
	} else {
		if (!cfg && access("/etc/vigil/vigil.yaml", R_OK) == 0)
			cfg = "/etc/vigil/vigil.yaml";
		if (socket_from_config(cfg, path, sizeof(path)) < 0)
			return 2;
	}
	const char *cmd = argv[optind];
	char *line = NULL;
	if (!strcmp(cmd, "raw")) {
		if (optind + 1 >= argc) {
			fprintf(stderr, "vigil ctl: raw JSON\n");
			return 2;
		}
		json_error_t je;
		json_t *req = json_loads(argv[optind + 1], 0, &je);
		json_t *c = req ? json_object_get(req, "command") : NULL;
		cmd = json_is_string(c) ? json_string_value(c) : "";
		/* sent as given (the sensor judges it); one line */
		size_t l = strlen(argv[optind + 1]);
		line = malloc(l + 2);
		if (!line)
			return 2;
		memcpy(line, argv[optind + 1], l);
		for (size_t i = 0; i < l; i++)
			if (line[i] == '\n')
				line[i] = ' ';
		line[l] = '\n';
		line[l + 1] = '\0';
		static char cmdbuf[64];
		snprintf(cmdbuf, sizeof(cmdbuf), "%s", cmd);
		cmd = cmdbuf;
		json_decref(req);
	} else {
		json_t *req = build(argc - optind, argv + optind, &cmd);
		if (!req)
			return 2;
		char *t = json_dumps(req, JSON_COMPACT | JSON_PRESERVE_ORDER);
		static char cmdbuf[64];
		snprintf(cmdbuf, sizeof(cmdbuf), "%s", cmd);
		cmd = cmdbuf;
		json_decref(req);
		if (!t)
			return 2;
		line = malloc(strlen(t) + 2);
		if (line)
			sprintf(line, "%s\n", t);
		free(t);
		if (!line)
			return 2;
	}
	struct jbuf answer = { 0 };
	int rc = exchange(path, line, timeout, &answer);
	free(line);
	if (rc < 0) {
		jb_fini(&answer);
		return 2;
	}
	const char *ans = answer.buf;
	if (as_json) {
		printf("%s\n", ans);
		json_t *a = json_loads(ans, 0, NULL);
		rc = a && !strcmp(s_of(a, "return"), "OK") ? 0 : 1;
		json_decref(a);
		jb_fini(&answer);
		return rc;
	}
	json_error_t je;
	json_t *a = json_loads(ans, 0, &je);
	if (!a) {
		fprintf(stderr, "vigil ctl: the answer is not JSON: %s\n", je.text);
		jb_fini(&answer);
		return 2;
	}
	json_t *m = json_object_get(a, "message");
	if (strcmp(s_of(a, "return"), "OK")) {
		fprintf(stderr, "vigil ctl: %s\n", json_is_string(m) ? json_string_value(m) : ans);
		rc = 1;
	} else {
		print_human(cmd, m);
		rc = 0;
	}
	json_decref(a);
	jb_fini(&answer);
	return rc;
}
