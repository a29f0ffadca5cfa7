/*
 * cli.c - see cli.h.  --help and the man page are both printed from
 * options.def and the few paragraphs below, so a new option appears in
 * both or in neither.  The man page is plain man(7) troff, which groff,
 * mandoc and lintian's checker all read.
 */
#include "cli.h"

#include <openssl/crypto.h>
#include <pcap/pcap.h>
#include <string.h>
#include <yaml.h>
#include <zlib.h>
#include <htp/htp.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "mpm.h"
#include "util.h"
#include "vigil.h"

const struct cli_row cli_rows[CLI_MAX] = {
#define X(id, sc, ln, arg, help) { CLI_##id, sc, ln, arg, help },
#include "options.def"
#undef X
};

/* Prose shared by --help and the man page: one paragraph per entry. */
static const char *const tail_text[] = {
	"Records go to LOGDIR/eve.json (EVE JSON, Suricata's format) and alerts to LOGDIR/fast.log.",
	"SIGHUP reopens log files (rotation) and re-reads identity.file; SIGUSR2 reloads the rules (the running rules stay if the new ones fail to load); SIGINT and SIGTERM stop the run.",
	"Subcommands (each has --help): vigil ctl talks to a running sensor's control socket (stats, flows, VMs, reloads, allow/deny/block/suppress); vigil web serves the dashboard on 127.0.0.1:8081; vigil notify shows desktop notifications from eve.json; vigil store fills the event store from eve.json; vigil policy propose writes an allowlist from what the VMs in learn mode reached.",
};

void cli_getopt_tables(char *shortopts, struct option *longopts)
{
	size_t s = 0, l = 0;
	for (int i = 0; i < CLI_MAX; i++) {
		const struct cli_row *r = &cli_rows[i];
		if (r->sc) {
			shortopts[s++] = r->sc;
			if (r->arg)
				shortopts[s++] = ':';
		}
		if (r->ln)
			longopts[l++] = (struct option){ r->ln, r->arg ? required_argument : no_argument,
							 NULL, r->sc ? r->sc : 256 + r->id };
	}
	shortopts[s] = '\0';
	longopts[l] = (struct option){ NULL, 0, NULL, 0 };
}

int cli_lookup(int c)
{
	if (c >= 256 && c < 256 + CLI_MAX)
		return c - 256;
	for (int i = 0; i < CLI_MAX; i++)
		if (cli_rows[i].sc && cli_rows[i].sc == c)
			return i;
	return -1;
}

/* "-r FILE", "-V, --version", "--set KEY=VALUE" */
static int opt_label(const struct cli_row *r, char *buf, size_t n)
{
	char a[64] = "";
	if (r->arg)
		snprintf(a, sizeof(a), " %s", r->arg);
	if (r->sc && r->ln)
		return snprintf(buf, n, "-%c, --%s%s", r->sc, r->ln, a);
	if (r->sc)
		return snprintf(buf, n, "-%c%s", r->sc, a);
	return snprintf(buf, n, "--%s%s", r->ln, a);
}

/* Writes text wrapped at 79 columns, every line after the first
 * indented by ind spaces; col is where the first line starts. */
static void wrap(FILE *f, const char *text, int col, int ind)
{
	const char *p = text;
	while (*p) {
		const char *w = p;
		while (*w && *w != ' ')
			w++;
		int wl = (int)(w - p);
		if (col > ind && col + 1 + wl > 79) {
			fprintf(f, "\n%*s", ind, "");
			col = ind;
		} else if (col > ind) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, (size_t)wl, f);
		col += wl;
		p = w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

void cli_usage(FILE *f)
{
	fprintf(f, "vigil %s - intrusion detection and prevention for gateway VMs\n\n"
		   "usage: vigil -r FILE | -i IFACE | -q QUEUES [options]\n"
		   "       vigil -T [-c FILE] [-S FILE]\n\n", VIGIL_VERSION);
	for (int i = 0; i < CLI_MAX; i++) {
		char lab[128];
		int n = opt_label(&cli_rows[i], lab, sizeof(lab));
		fprintf(f, "  %s", lab);
		/* the help in column 24, on the next line if the label is long */
		if (n > 20)
			fprintf(f, "\n%*s", 24, "");
		else
			fprintf(f, "%*s", 22 - n, "");
		wrap(f, cli_rows[i].help, 24, 24);
	}
	fputc('\n', f);
	for (size_t i = 0; i < ARRAY_SIZE(tail_text); i++)
		wrap(f, tail_text[i], 0, 0);
}

/* troff: escape backslashes and hyphens (minus signs in options), and a
 * leading dot or quote. */
static void roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

void cli_man(FILE *f)
{
	fprintf(f, ".TH VIGIL 8 \"\" \"vigil %s\" \"System Administration\"\n", VIGIL_VERSION);
	fputs(".SH NAME\nvigil \\- intrusion detection and prevention for gateway VMs\n"
	      ".SH SYNOPSIS\n"
	      ".B vigil\n\\fB\\-r\\fR \\fIFILE\\fR | \\fB\\-i\\fR \\fIIFACE\\fR | "
	      "\\fB\\-q\\fR \\fIQUEUES\\fR [\\fIoptions\\fR]\n.br\n"
	      ".B vigil \\-T\n[\\fB\\-c\\fR \\fIFILE\\fR] [\\fB\\-S\\fR \\fIFILE\\fR]\n"
	      ".SH DESCRIPTION\n"
	      "vigil is a network intrusion detection and prevention system for the small\n"
	      "gateway VM that a compartmentalized desktop (Qubes OS, Ghaf) sends every VM's\n"
	      "traffic through.  It reads packets from a capture file, an interface or,\n"
	      "inline, from NFQUEUE (where drop and reject rules take effect), decodes and\n"
	      "reassembles them, parses DNS, HTTP, TLS, SSH and QUIC, matches\n"
	      "Suricata\\-format rules (Emerging Threats Open loads as it is) and writes\n"
	      "Suricata's EVE JSON records.\n"
	      ".PP\nOptions follow Suricata's where the meaning is the same.  The order of\n"
	      "configuration is: built\\-in defaults, then \\fB\\-c\\fR \\fIFILE\\fR, then\n"
	      "\\fB\\-\\-set\\fR and the specific options, so the command line wins.\n"
	      ".SH OPTIONS\n", f);
	for (int i = 0; i < CLI_MAX; i++) {
		const struct cli_row *r = &cli_rows[i];
		fputs(".TP\n", f);
		if (r->sc)
			fprintf(f, "\\fB\\-%c\\fR", r->sc);
		if (r->sc && r->ln)
			fputs(", ", f);
		if (r->ln) {
			fputs("\\fB\\-\\-", f);
			roff(f, r->ln);
			fputs("\\fR", f);
		}
		if (r->arg) {
			fputs(" \\fI", f);
			roff(f, r->arg);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		roff(f, r->help);
		fputs(".\n", f);
	}
	fputs(".SH SIGNALS AND LOGS\n", f);
	for (size_t i = 0; i < ARRAY_SIZE(tail_text); i++) {
		fputs(i ? ".PP\n" : "", f);
		roff(f, tail_text[i]);
		fputc('\n', f);
	}
	fputs(".SH FILES\n"
	      ".TP\n.I /etc/vigil/vigil.yaml\nthe configuration read by the service "
	      "(\\fBvigil \\-\\-dump\\-config\\fR lists every key, its default and help)\n"
	      ".TP\n.I /etc/vigil/rules/local.rules\nyour own rules\n"
	      ".TP\n.I /var/lib/vigil/rules/vigil.rules\nthe ruleset that \\fBvigil\\-update\\fR(8) "
	      "fetches (Emerging Threats Open by default)\n"
	      ".TP\n.I /var/log/vigil/eve.json\nevents: alerts, drops, flows, anomalies, "
	      "dns, http, tls, ssh, quic, stats\n"
	      ".SH EXIT STATUS\n0 on success; 1 on a configuration, rule or input error, "
	      "which is printed naming the file and line; with \\fB\\-T\\fR, 1 if a rule is "
	      "invalid.\n"
	      ".SH EXAMPLES\n"
	      ".TP\n.B vigil \\-r capture.pcap \\-l out \\-S local.rules\nread a capture; "
	      "eve.json and fast.log go to out/\n"
	      ".TP\n.B vigil \\-q 0 \\-c /etc/vigil/vigil.yaml \\-\\-user vigil\ninline on "
	      "NFQUEUE 0, running as the vigil user once the queue is open\n"
	      ".TP\n.B vigil \\-T \\-S emerging\\-all.rules\ncheck a ruleset: what loads, "
	      "what is skipped and why\n"
	      ".SH SEE ALSO\n\\fBvigil\\-update\\fR(8), \\fBsuricata\\fR(1), "
	      "\\fBiptables\\-extensions\\fR(8) (NFQUEUE)\n", f);
}

void cli_version(FILE *f)
{
	char pcre_ver[64] = "";
	pcre2_config(PCRE2_CONFIG_VERSION, pcre_ver);
	fprintf(f, "vigil %s\n", VIGIL_VERSION);
	fprintf(f, "  prefilter:   %s (%s)\n", mpm_name(), mpm_version());
	fprintf(f, "  capture:     pcap files, live (%s), NFQUEUE inline (libnetfilter_queue)\n",
		pcap_lib_version());
	fprintf(f, "  regex:       PCRE2 %s\n", pcre_ver);
	fprintf(f, "  tls, quic:   %s\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(f, "  config:      libyaml %s\n", yaml_get_version_string());
	fprintf(f, "  http:        %s (zlib %s)\n", htp_get_version(), zlibVersion());
	fprintf(f, "  app layer:   dns http tls ssh quic\n");
#ifdef VIGIL_ASAN
	fprintf(f, "  build:       AddressSanitizer\n");
#endif
}
