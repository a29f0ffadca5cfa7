/*
 * fuzz_hids_log.c - libFuzzer target for log lines through the host IDS
 * analyser (src/hids: pre-decoding, decoders, the rule tree, context
 * memory, the alert as JSON).  A small ruleset written for this target
 * (below, in Wazuh syntax: program_name and prematch decoders, child
 * chains by after_parent / after_prematch / after_regex offsets, the
 * JSON, pf and Symantec plugins, OS_Regex and PCRE2, if_sid and if_group
 * trees, frequency with if_matched_sid / if_matched_group and same_ /
 * different_ fields, <field>, srcip CIDR lists, a CDB list, noalert
 * parents, ignore) is loaded once into a temporary folder, and one
 * session's state is kept across inputs, so the frequency memory fills
 * up and wraps around (it is bounded by the library).  Set
 * FUZZ_HIDS_RULESET to a Wazuh or OSSEC ruleset folder to fuzz that one
 * instead.
 *
 * An input is one log line after a knob byte: its two low bits pick the
 * location, the next two the agent, the high four how far the session's
 * clock moves on (0 to 15 times 20 s, so frequency windows both fill and
 * expire).  Every event's alert must be one valid JSON object; nothing
 * may crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hids.h"
#include "json.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char decoders_xml[] =
	"<!-- decoders for fuzz_hids_log: each kind of decoder once -->\n"
	"<var name=\"IP\">\\d+.\\d+.\\d+.\\d+</var>\n"
	"\n"
	"<!-- a program_name decoder with children -->\n"
	"<decoder name=\"sshd\">\n"
	"  <program_name>^sshd</program_name>\n"
	"</decoder>\n"
	"\n"
	"<decoder name=\"sshd-accepted\">\n"
	"  <parent>sshd</parent>\n"
	"  <prematch>^Accepted</prematch>\n"
	"  <regex offset=\"after_prematch\">^ \\S+ for (\\S+) from (\\S+) port (\\d+)</regex>\n"
	"  <order>user, srcip, srcport</order>\n"
	"  <fts>name, user, location</fts>\n"
	"</decoder>\n"
	"\n"
	"<decoder name=\"sshd-failed\">\n"
	"  <parent>sshd</parent>\n"
	"  <prematch>^Failed \\S+ |^error: PAM: Authentication failure </prematch>\n"
	"  <regex offset=\"after_prematch\">for invalid user (\\S+) from (\\S+)|for (\\S+) from (\\S+)</regex>\n"
	"  <order>user, srcip</order>\n"
	"</decoder>\n"
	"\n"
	"<!-- a chain: the same name three times, each regex after the last -->\n"
	"<decoder name=\"sshd-invalid\">\n"
	"  <parent>sshd</parent>\n"
	"  <prematch offset=\"after_parent\">^Invalid user </prematch>\n"
	"  <regex offset=\"after_prematch\">^(\\S+) </regex>\n"
	"  <order>srcuser</order>\n"
	"</decoder>\n"
	"<decoder name=\"sshd-invalid\">\n"
	"  <parent>sshd</parent>\n"
	"  <regex offset=\"after_regex\">^from (\\S+)</regex>\n"
	"  <order>srcip</order>\n"
	"</decoder>\n"
	"<decoder name=\"sshd-invalid\">\n"
	"  <parent>sshd</parent>\n"
	"  <regex offset=\"after_regex\">^ port (\\d+)</regex>\n"
	"  <order>srcport</order>\n"
	"</decoder>\n"
	"\n"
	"<!-- PCRE2 prematch and regex, a dynamic field -->\n"
	"<decoder name=\"sshd-disconnect\">\n"
	"  <parent>sshd</parent>\n"
	"  <use_own_name>true</use_own_name>\n"
	"  <prematch type=\"pcre2\">^Received disconnect from </prematch>\n"
	"  <regex type=\"pcre2\" offset=\"after_prematch\">^([0-9a-fA-F.:]+)(?: port (\\d+))?: ?(\\d+): (.*)$</regex>\n"
	"  <order>srcip, srcport, code, reason</order>\n"
	"</decoder>\n"
	"\n"
	"<!-- a PCRE2 program name; the regex reads from the start -->\n"
	"<decoder name=\"sudo\">\n"
	"  <program_name type=\"pcre2\">^(su|sudo)$</program_name>\n"
	"</decoder>\n"
	"<decoder name=\"sudo-command\">\n"
	"  <parent>sudo</parent>\n"
	"  <prematch>TTY=</prematch>\n"
	"  <regex>^\\s*(\\S+) : TTY=(\\S+) ; PWD=(\\S+) ; USER=(\\S+) ; COMMAND=(\\.+)$</regex>\n"
	"  <order>srcuser, tty, pwd, dstuser, command</order>\n"
	"</decoder>\n"
	"\n"
	"<!-- iptables through the kernel: a firewall decoder -->\n"
	"<decoder name=\"iptables\">\n"
	"  <program_name>^kernel</program_name>\n"
	"  <prematch>IN=\\S* OUT=</prematch>\n"
	"  <type>firewall</type>\n"
	"</decoder>\n"
	"<decoder name=\"iptables-fields\">\n"
	"  <parent>iptables</parent>\n"
	"  <type>firewall</type>\n"
	"  <regex offset=\"after_parent\">SRC=(\\S+) DST=(\\S+) \\.*PROTO=(\\w+) SPT=(\\d+) DPT=(\\d+)</regex>\n"
	"  <order>srcip, dstip, protocol, srcport, dstport</order>\n"
	"</decoder>\n"
	"<decoder name=\"iptables-fields\">\n"
	"  <parent>iptables</parent>\n"
	"  <regex offset=\"after_regex\"> (\\w+) $|(\\w+)$</regex>\n"
	"  <order>action</order>\n"
	"</decoder>\n"
	"\n"
	"<!-- OpenBSD pf, by plugin -->\n"
	"<decoder name=\"pf\">\n"
	"  <program_name>^pf$</program_name>\n"
	"  <plugin_decoder>PF_Decoder</plugin_decoder>\n"
	"  <type>firewall</type>\n"
	"</decoder>\n"
	"\n"
	"<!-- JSON, at the start of a line without a header -->\n"
	"<decoder name=\"json\">\n"
	"  <prematch>^{\\s*\"</prematch>\n"
	"  <plugin_decoder>JSON_Decoder</plugin_decoder>\n"
	"</decoder>\n"
	"\n"
	"<!-- JSON after a prefix, arrays as CSV, nulls dropped -->\n"
	"<decoder name=\"app-json\">\n"
	"  <program_name>^app$</program_name>\n"
	"</decoder>\n"
	"<decoder name=\"app-json-body\">\n"
	"  <parent>app-json</parent>\n"
	"  <prematch>^event: </prematch>\n"
	"  <plugin_decoder offset=\"after_prematch\">JSON_Decoder</plugin_decoder>\n"
	"  <json_null_field>discard</json_null_field>\n"
	"  <json_array_structure>csv</json_array_structure>\n"
	"</decoder>\n"
	"\n"
	"<!-- Symantec Web Security, by plugin -->\n"
	"<decoder name=\"symantec-ws\">\n"
	"  <prematch>^SymantecWS,</prematch>\n"
	"  <plugin_decoder>SymantecWS_Decoder</plugin_decoder>\n"
	"</decoder>\n"
	"\n"
	"<!-- apache error log: no program name -->\n"
	"<decoder name=\"apache-errorlog\">\n"
	"  <prematch>^[error] |^[warn] |^[notice] |^[\\w+ \\w+ \\d+ \\S+ \\d+] [\\S+] </prematch>\n"
	"</decoder>\n"
	"<decoder name=\"apache-errorlog-client\">\n"
	"  <parent>apache-errorlog</parent>\n"
	"  <prematch offset=\"after_parent\">^[client </prematch>\n"
	"  <regex offset=\"after_prematch\">^(\\d+.\\d+.\\d+.\\d+)] (\\w+ \\w+ \\w+)</regex>\n"
	"  <order>srcip, id</order>\n"
	"  <accumulate/>\n"
	"</decoder>\n"
	"\n"
	"<!-- web access log (common log format): a web-log decoder -->\n"
	"<decoder name=\"web-accesslog\">\n"
	"  <type>web-log</type>\n"
	"  <prematch>^\\S+ \\S+ \\S+ [\\S+ \\S\\d+] \"\\w+ </prematch>\n"
	"  <regex>^(\\S+) \\S+ (\\S+) [\\S+ \\S\\d+] \"(\\w+) (\\S+) HTTP\\S+\" (\\d+) </regex>\n"
	"  <order>srcip, srcuser, protocol, url, id</order>\n"
	"  <accumulate/>\n"
	"</decoder>\n"
	"\n"
	"<!-- squid access log, after its epoch timestamp -->\n"
	"<decoder name=\"squid-accesslog\">\n"
	"  <type>squid</type>\n"
	"  <prematch>^\\d+ \\S+ \\w+/\\d+ </prematch>\n"
	"  <regex>^\\d+ (\\S+) (\\w+)/(\\d+) \\d+ (\\w+) (\\S+) </regex>\n"
	"  <order>srcip, action, id, protocol, url</order>\n"
	"</decoder>\n"
	"\n"
	"<!-- xferlog, after its ctime timestamp -->\n"
	"<decoder name=\"xferlog\">\n"
	"  <prematch>^\\d+ $IP \\d+ /</prematch>\n"
	"  <regex>^\\d+ (\\S+) \\d+ (\\S+) \\w (\\w) (\\w) \\w (\\S+) </regex>\n"
	"  <order>srcip, url, extra_data, action, dstuser</order>\n"
	"</decoder>\n";

static const char rules_xml[] =
	"<!-- rules for fuzz_hids_log -->\n"
	"<var name=\"BAD_WORDS\">core_dumped|failure|error|attack|bad |illegal|denied|refused|unauthorized</var>\n"
	"<var name=\"TRUSTED\">10.0.0.0/8</var>\n"
	"\n"
	"<group name=\"syslog,\">\n"
	"  <rule id=\"1\" level=\"0\" noalert=\"1\">\n"
	"    <category>syslog</category>\n"
	"    <description>Template for syslog rules.</description>\n"
	"  </rule>\n"
	"</group>\n"
	"<group name=\"firewall,\">\n"
	"  <rule id=\"2\" level=\"0\" noalert=\"1\">\n"
	"    <category>firewall</category>\n"
	"    <description>Template for firewall rules.</description>\n"
	"  </rule>\n"
	"</group>\n"
	"<group name=\"web-log,\">\n"
	"  <rule id=\"4\" level=\"0\" noalert=\"1\">\n"
	"    <category>web-log</category>\n"
	"    <description>Template for web rules.</description>\n"
	"  </rule>\n"
	"</group>\n"
	"<group name=\"squid,\">\n"
	"  <rule id=\"5\" level=\"0\" noalert=\"1\">\n"
	"    <category>squid</category>\n"
	"    <description>Template for proxy rules.</description>\n"
	"  </rule>\n"
	"</group>\n"
	"\n"
	"<group name=\"syslog,generic,\">\n"
	"  <rule id=\"1001\" level=\"2\">\n"
	"    <match>$BAD_WORDS</match>\n"
	"    <description>A bad word in $(program_name) on $(hostname).</description>\n"
	"  </rule>\n"
	"  <rule id=\"1002\" level=\"7\">\n"
	"    <regex type=\"pcre2\">(?i)segfault at [0-9a-f]+ ip [0-9a-f]+</regex>\n"
	"    <description>A segmentation fault.</description>\n"
	"    <group>crash,</group>\n"
	"  </rule>\n"
	"  <rule id=\"1003\" level=\"1\" maxsize=\"4096\">\n"
	"    <description>A line longer than 4096 bytes.</description>\n"
	"    <options>no_full_log</options>\n"
	"  </rule>\n"
	"  <rule id=\"1002\" level=\"8\" overwrite=\"yes\">\n"
	"    <regex>segfault at \\w+ ip \\w+|general protection</regex>\n"
	"    <description>A segmentation fault (overwritten).</description>\n"
	"    <group>crash,</group>\n"
	"  </rule>\n"
	"</group>\n"
	"\n"
	"<group name=\"sshd,\">\n"
	"  <rule id=\"5700\" level=\"0\" noalert=\"1\">\n"
	"    <decoded_as>sshd</decoded_as>\n"
	"    <description>sshd messages.</description>\n"
	"  </rule>\n"
	"  <rule id=\"5701\" level=\"0\">\n"
	"    <decoded_as>sshd-disconnect</decoded_as>\n"
	"    <description>sshd: a client disconnected.</description>\n"
	"  </rule>\n"
	"  <rule id=\"5702\" level=\"4\">\n"
	"    <if_sid>5701</if_sid>\n"
	"    <field name=\"reason\" negate=\"yes\">^Bye|^disconnected by user</field>\n"
	"    <field name=\"code\">^\\d$|^1\\d$</field>\n"
	"    <description>sshd: disconnected with reason $(reason).</description>\n"
	"  </rule>\n"
	"  <rule id=\"5710\" level=\"5\">\n"
	"    <if_sid>5700</if_sid>\n"
	"    <match>^Failed password|^Failed publickey|^error: PAM</match>\n"
	"    <description>sshd: authentication failed for $(dstuser) from $(srcip).</description>\n"
	"    <mitre><id>T1110</id><id>T1021.004</id></mitre>\n"
	"    <group>authentication_failed,</group>\n"
	"  </rule>\n"
	"  <rule id=\"5711\" level=\"5\">\n"
	"    <if_sid>5700</if_sid>\n"
	"    <regex>^Invalid user \\S+ from</regex>\n"
	"    <description>sshd: attempt to log in as a user who does not exist.</description>\n"
	"    <group>invalid_login,authentication_failed,</group>\n"
	"  </rule>\n"
	"  <rule id=\"5712\" level=\"10\" frequency=\"4\" timeframe=\"120\">\n"
	"    <if_matched_sid>5710</if_matched_sid>\n"
	"    <same_source_ip />\n"
	"    <description>sshd: brute force from $(srcip).</description>\n"
	"    <group>authentication_failures,</group>\n"
	"  </rule>\n"
	"  <rule id=\"5713\" level=\"3\">\n"
	"    <if_sid>5700</if_sid>\n"
	"    <match>^Accepted</match>\n"
	"    <description>sshd: login.</description>\n"
	"    <group>authentication_success,</group>\n"
	"  </rule>\n"
	"  <rule id=\"5714\" level=\"6\">\n"
	"    <if_sid>5713</if_sid>\n"
	"    <srcip>!$TRUSTED</srcip>\n"
	"    <srcip>!192.168.0.0/255.255.0.0</srcip>\n"
	"    <srcip>!2001:db8::/32</srcip>\n"
	"    <description>sshd: login from outside the trusted networks.</description>\n"
	"  </rule>\n"
	"  <rule id=\"5715\" level=\"8\">\n"
	"    <if_sid>5713</if_sid>\n"
	"    <if_fts />\n"
	"    <description>sshd: first login of $(dstuser) here.</description>\n"
	"  </rule>\n"
	"  <rule id=\"5716\" level=\"12\">\n"
	"    <if_sid>5714</if_sid>\n"
	"    <user>^root$|^admin$</user>\n"
	"    <list field=\"srcip\" lookup=\"address_match_key\">etc/lists/bad-ips</list>\n"
	"    <description>sshd: a privileged login from a known bad address.</description>\n"
	"  </rule>\n"
	"  <rule id=\"5717\" level=\"3\">\n"
	"    <if_sid>5713</if_sid>\n"
	"    <list field=\"user\" lookup=\"match_key_value\" check_value=\"^admin\">etc/lists/users</list>\n"
	"    <description>sshd: login of an administrator.</description>\n"
	"  </rule>\n"
	"  <rule id=\"5718\" level=\"11\" frequency=\"3\" timeframe=\"300\">\n"
	"    <if_matched_group>authentication_failed</if_matched_group>\n"
	"    <same_user />\n"
	"    <different_srcip />\n"
	"    <description>sshd: one user failing from several addresses.</description>\n"
	"    <group>authentication_failures,</group>\n"
	"  </rule>\n"
	"</group>\n"
	"\n"
	"<group name=\"sudo,\">\n"
	"  <rule id=\"5400\" level=\"0\" noalert=\"1\">\n"
	"    <decoded_as>sudo</decoded_as>\n"
	"    <description>sudo messages.</description>\n"
	"  </rule>\n"
	"  <rule id=\"5401\" level=\"3\" ignore=\"30\">\n"
	"    <if_sid>5400</if_sid>\n"
	"    <regex type=\"pcre2\">COMMAND=/(usr/)?bin/(ba)?sh$</regex>\n"
	"    <description>sudo: a shell as $(dstuser).</description>\n"
	"  </rule>\n"
	"  <rule id=\"5402\" level=\"9\">\n"
	"    <if_sid>5400</if_sid>\n"
	"    <field name=\"command\" type=\"pcre2\">\\b(passwd|shadow|visudo)\\b</field>\n"
	"    <check_if_ignored>srcuser</check_if_ignored>\n"
	"    <ignore>srcuser</ignore>\n"
	"    <description>sudo: $(srcuser) touched the password files.</description>\n"
	"    <options>alert_by_email</options>\n"
	"  </rule>\n"
	"</group>\n"
	"\n"
	"<group name=\"authentication_failed,pam,\">\n"
	"  <rule id=\"5500\" level=\"4\">\n"
	"    <program_name>^su$</program_name>\n"
	"    <match>authentication failure</match>\n"
	"    <description>su: authentication failure.</description>\n"
	"  </rule>\n"
	"  <rule id=\"5501\" level=\"7\">\n"
	"    <if_group>authentication_failed</if_group>\n"
	"    <hostname>^db|^vault</hostname>\n"
	"    <description>An authentication failure on a database host.</description>\n"
	"    <group>critical_host,</group>\n"
	"  </rule>\n"
	"</group>\n"
	"\n"
	"<group name=\"firewall,\">\n"
	"  <rule id=\"4100\" level=\"0\">\n"
	"    <category>firewall</category>\n"
	"    <description>Firewall events.</description>\n"
	"  </rule>\n"
	"  <rule id=\"4101\" level=\"5\">\n"
	"    <if_sid>4100</if_sid>\n"
	"    <action>block</action>\n"
	"    <description>Firewall: blocked $(srcip) to port $(dstport).</description>\n"
	"  </rule>\n"
	"  <rule id=\"4102\" level=\"4\">\n"
	"    <if_sid>4100</if_sid>\n"
	"    <protocol>^TCP$|^UDP$</protocol>\n"
	"    <dstport>^22$|^23$|^3389$</dstport>\n"
	"    <dstip>10.0.0.0/8</dstip>\n"
	"    <description>Firewall: remote access port.</description>\n"
	"  </rule>\n"
	"  <rule id=\"4103\" level=\"10\" frequency=\"6\" timeframe=\"60\">\n"
	"    <if_matched_sid>4101</if_matched_sid>\n"
	"    <same_source_ip />\n"
	"    <different_dstport />\n"
	"    <description>Firewall: a port scan from $(srcip).</description>\n"
	"    <group>scan,</group>\n"
	"  </rule>\n"
	"</group>\n"
	"\n"
	"<group name=\"json,\">\n"
	"  <rule id=\"86600\" level=\"0\">\n"
	"    <decoded_as>json</decoded_as>\n"
	"    <field name=\"event.type\">\\.+</field>\n"
	"    <description>A JSON event.</description>\n"
	"  </rule>\n"
	"  <rule id=\"86601\" level=\"3\">\n"
	"    <if_sid>86600</if_sid>\n"
	"    <field name=\"event.type\">^alert$</field>\n"
	"    <field name=\"event.severity\" type=\"pcre2\">^[1-3]$</field>\n"
	"    <description>JSON alert of severity $(event.severity).</description>\n"
	"  </rule>\n"
	"  <rule id=\"86602\" level=\"6\">\n"
	"    <if_sid>86601</if_sid>\n"
	"    <srcip>198.51.100.0/24</srcip>\n"
	"    <status>^failed</status>\n"
	"    <description>JSON alert from the test network.</description>\n"
	"  </rule>\n"
	"  <rule id=\"86603\" level=\"5\" frequency=\"2\" timeframe=\"100\">\n"
	"    <if_matched_sid>86601</if_matched_sid>\n"
	"    <same_field>event.id</same_field>\n"
	"    <not_same_field>event.host</not_same_field>\n"
	"    <description>The same JSON alert from several hosts.</description>\n"
	"  </rule>\n"
	"  <rule id=\"86610\" level=\"4\">\n"
	"    <decoded_as>app-json</decoded_as>\n"
	"    <field name=\"tags\">admin</field>\n"
	"    <extra_data>z|y</extra_data>\n"
	"    <description>An application event tagged admin.</description>\n"
	"  </rule>\n"
	"</group>\n"
	"\n"
	"<group name=\"web,accesslog,\">\n"
	"  <rule id=\"31100\" level=\"0\">\n"
	"    <category>web-log</category>\n"
	"    <description>Access log messages grouped.</description>\n"
	"  </rule>\n"
	"  <rule id=\"31101\" level=\"5\">\n"
	"    <if_sid>31100</if_sid>\n"
	"    <id>^4</id>\n"
	"    <description>Web server 400 error code.</description>\n"
	"    <group>attack,</group>\n"
	"  </rule>\n"
	"  <rule id=\"31102\" level=\"6\">\n"
	"    <if_sid>31101</if_sid>\n"
	"    <url>.php|.asp|wp-login</url>\n"
	"    <compiled_rule>is_simple_http_request</compiled_rule>\n"
	"    <description>A 400 error on a script.</description>\n"
	"  </rule>\n"
	"  <rule id=\"31103\" level=\"10\" frequency=\"5\" timeframe=\"90\">\n"
	"    <if_matched_sid>31101</if_matched_sid>\n"
	"    <same_source_ip />\n"
	"    <description>Many 400 errors from $(srcip).</description>\n"
	"  </rule>\n"
	"  <rule id=\"31104\" level=\"3\">\n"
	"    <if_sid>31100</if_sid>\n"
	"    <compiled_rule>is_valid_crawler</compiled_rule>\n"
	"    <description>A search engine crawler.</description>\n"
	"  </rule>\n"
	"</group>\n"
	"\n"
	"<group name=\"squid,\">\n"
	"  <rule id=\"35000\" level=\"0\">\n"
	"    <category>squid</category>\n"
	"    <description>Squid messages grouped.</description>\n"
	"  </rule>\n"
	"  <rule id=\"35001\" level=\"5\">\n"
	"    <if_sid>35000</if_sid>\n"
	"    <action>TCP_DENIED</action>\n"
	"    <id>^403$|^407$</id>\n"
	"    <description>Squid: access denied.</description>\n"
	"  </rule>\n"
	"  <rule id=\"35002\" level=\"3\">\n"
	"    <if_sid>35000</if_sid>\n"
	"    <url type=\"osregex\">^\\w+://\\S+.exe$</url>\n"
	"    <location>squid</location>\n"
	"    <description>Squid: an executable downloaded.</description>\n"
	"  </rule>\n"
	"</group>\n"
	"\n"
	"<group name=\"ftpd,\">\n"
	"  <rule id=\"11200\" level=\"0\">\n"
	"    <decoded_as>xferlog</decoded_as>\n"
	"    <description>xferlog transfers grouped.</description>\n"
	"  </rule>\n"
	"  <rule id=\"11201\" level=\"3\">\n"
	"    <if_sid>11200</if_sid>\n"
	"    <action>i</action>\n"
	"    <description>A file uploaded by $(dstuser).</description>\n"
	"  </rule>\n"
	"  <rule id=\"11202\" level=\"2\">\n"
	"    <if_level>3</if_level>\n"
	"    <decoded_as>symantec-ws</decoded_as>\n"
	"    <description>A Symantec event after a level 3 rule.</description>\n"
	"  </rule>\n"
	"</group>\n";

static const char bad_ips[] = "192.0.2.:\n198.51.100.7:\n\"2001:db8::1\":v6\n203.0.113.66:bad\n";
static const char users[] = "admin:administrator\nroot:admin\nbob:\n\"odd:user\":\"quoted\"\n";

static char dir[64];
static struct hids_ruleset *rs;
static struct hids_state *st;
static struct hids_event ev;
static struct jbuf jb;
static uint64_t clock_us = 1700000000000000ull;

static void put(const char *d, const char *name, const char *text)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/%s", d, name);
	FILE *f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

static void cleanup(void)
{
	static const char *const files[] = { "decoders/0.xml", "rules/0.xml", "lists/bad-ips",
					     "lists/users", "decoders", "rules", "lists", "" };
	char p[160];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		remove(p);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct hids_paths paths = { 0 };
	struct verr e = { "" };
	const char *own = getenv("FUZZ_HIDS_RULESET");
	if (own) {
		paths.dir = own;
	} else {
		char p[160];
		snprintf(dir, sizeof(dir), "/tmp/fuzz_hids_log.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
		for (const char *const *s = (const char *const[]){ "decoders", "rules", "lists", NULL }; *s;
		     s++) {
			snprintf(p, sizeof(p), "%s/%s", dir, *s);
			if (mkdir(p, 0700))
				abort();
		}
		put(dir, "decoders/0.xml", decoders_xml);
		put(dir, "rules/0.xml", rules_xml);
		put(dir, "lists/bad-ips", bad_ips);
		put(dir, "lists/users", users);
		paths.dir = dir;
	}
	if (hids_ruleset_load(&rs, &paths, own ? NULL : stderr, &e) < 0) {
		fprintf(stderr, "fuzz_hids_log: %s\n", e.msg);
		abort();
	}
	if (!own && hids_ruleset_warnings(rs)) {
		fprintf(stderr, "fuzz_hids_log: the built-in ruleset loads with warnings\n");
		abort();
	}
	if (!(st = hids_state_new(rs)))
		abort();
	hids_event_init(&ev);
	return 0;
}

/* Every scalar's path once: a key written twice in one object (a field
 * both a value and a parent of nested fields) would be a duplicate path.
 * Paths holding a key with a dot ("\x01") or cut at 255 are ambiguous. */
struct paths {
	char p[2048][64];
	size_t n;
};

static void json_cb(void *ctx, const char *path, size_t plen, enum json_kind k, const char *v,
		    size_t vlen)
{
	(void)k, (void)v, (void)vlen;
	struct paths *ps = ctx;
	if (plen >= sizeof(ps->p[0]) || memchr(path, 1, plen) || ps->n == 2048)
		return;
	for (size_t i = 0; i < ps->n; i++)
		if (!strncmp(ps->p[i], path, plen) && !ps->p[i][plen])
			abort(); /* a key written twice */
	memcpy(ps->p[ps->n], path, plen);
	ps->p[ps->n++][plen] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const locations[] = { "/var/log/auth.log", "/var/log/squid/access.log",
						 "journald", "stdin" };
	static const char *const agents[] = { NULL, "vm-web", "vm-db", "" };
	if (size < 1 || size > 65536)
		return 0;
	uint8_t knob = data[0];
	/* a copy of exactly the line, so a read past its end is caught */
	size_t len = size - 1;
	char *line = malloc(len ? len : 1);
	if (!line)
		return 0;
	memcpy(line, data + 1, len);
	clock_us += (uint64_t)(knob >> 4) * 20000000u;
	if (hids_event_set(&ev, locations[knob & 3], line, len) == 0) {
		ev.agent = agents[(knob >> 2) & 3];
		ev.time_us = clock_us;
		if (hids_analyze(rs, st, &ev, "fuzzhost") == 0) {
			/* an alert needs a rule of a level above 0 */
			if (ev.alert && (!ev.rule || hids_rule_level(ev.rule) <= 0))
				abort();
			if (ev.chain_len > sizeof(ev.chain) / sizeof(ev.chain[0]))
				abort();
			jb_reset(&jb);
			jb_open_object(&jb, NULL);
			hids_event_json(&ev, &jb);
			jb_close(&jb);
			static struct paths ps;
			ps.n = 0;
			if (!jb.oom && !json_walk(jb.buf, jb.len, json_cb, &ps))
				abort(); /* the alert is not one JSON object */
		}
	}
	free(line);
	return 0;
}
