/*
 * Unit tests for the rule engine: parsing (and its errors), address and
 * port expressions, payload semantics (content modifiers, relative
 * matching with backtracking, pcre, byte_*, isdataat, bsize) on buffers
 * that end at an unreadable page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "app.h"
#include "detect.h"
#include "kw_gap.h"
#include "mpm.h"
#include "parse.h"
#include "payload.h"
#include "xform.h"
#include "xbits.h"
#include "testutil.h"

static struct parse_ctx pc;
static struct class_entry classes[] = { { "trojan-activity", "A Network Trojan was detected", 1 } };

static struct rule *parse(const char *text)
{
	memset(&pc, 0, sizeof(pc));
	pc.classes = classes;
	pc.nclasses = 1;
	return rule_parse(text, &pc);
}

/* None of the n rules parses, and each says why. */
static void refused(const char *const *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct rule *r = parse(rules[i]);
		if (r)
			fail_msg("parsed: %s", rules[i]);
		assert_true(pc.err[0]);
	}
}
#define REFUSED(a) refused((a), sizeof(a) / sizeof((a)[0]))

/* Does the rule's payload list match data (a C string)? */
static bool pmb(const char *opts, const void *data, size_t n)
{
	char text[2048];
	snprintf(text, sizeof(text), "alert tcp any any -> any any (%s sid:1;)", opts);
	struct rule *r = parse(text);
	if (!r)
		fail_msg("rule did not parse: %s: %s", opts, pc.err);
	struct insp st = { 0 };
	st.md = pcre2_match_data_create(32, NULL);
	st.buf = guard_copy(data, n);
	st.len = (uint32_t)n;
	st.budget = 3000;
	bool ok = payload_inspect(rule_list(r, BUF_PAYLOAD), &st);
	pcre2_match_data_free(st.md);
	rule_free(r);
	return ok;
}

static bool pm(const char *opts, const char *data)
{
	return pmb(opts, data, strlen(data));
}

/* An http.uri rule (opts after "http.uri;") on data as the URI: its plain
 * list and each transformed list must match, as in the engine. */
static bool xm(const char *opts, const char *data, size_t n)
{
	char text[2048];
	snprintf(text, sizeof(text), "alert http any any -> any any (http.uri; %s sid:1;)", opts);
	struct rule *r = parse(text);
	if (!r)
		fail_msg("rule did not parse: %s: %s", opts, pc.err);
	struct xform_scratch xs = { 0 };
	struct insp st = { 0 };
	st.md = pcre2_match_data_create(32, NULL);
	st.xs = &xs;
	const uint8_t *in = guard_copy(data, n);
	bool ok = true;
	if (rule_list(r, BUF_HTTP_URI)) {
		st.buf = in;
		st.len = (uint32_t)n;
		st.budget = 3000;
		ok = payload_inspect(rule_list(r, BUF_HTTP_URI), &st);
	}
	for (unsigned i = 0; ok && i < r->nxl; i++) {
		assert_int_equal(r->xl[i].buf, BUF_HTTP_URI);
		uint32_t len;
		const uint8_t *b = xform_apply(&r->xl[i], in, (uint32_t)n, &xs, st.md, &len);
		if (!b) {
			ok = false;
			break;
		}
		st.buf = b;
		st.len = len;
		st.budget = 3000;
		ok = payload_inspect(&r->xl[i].list, &st);
	}
	assert_true(r->fp_buf != BUF_HTTP_URI || rule_list(r, BUF_HTTP_URI));
	xform_scratch_free(&xs);
	pcre2_match_data_free(st.md);
	rule_free(r);
	return ok;
}
#define XM(opts, data) xm(opts, data, strlen(data))

static void test_transforms(void **state)
{
	(void)state;
	assert_true(XM("to_lowercase; content:\"/index.html\"; bsize:11;", "/INDEX.html"));
	assert_false(XM("content:\"/index.html\";", "/INDEX.html"));
	assert_true(XM("to_uppercase; content:\"/A B\";", "/a b"));
	assert_true(XM("strip_whitespace; content:\"abc\"; bsize:3;", " a b\t\r\nc "));
	assert_true(XM("compress_whitespace; content:\"a b\"; bsize:3;", "a  \t b"));
	assert_true(XM("url_decode; content:\"AJ x%zz%4\"; bsize:9;", "%41%4a+x%zz%4"));
	/* digests of "abc" */
	assert_true(XM("to_md5; content:\"|90 01 50 98 3c d2 4f b0 d6 96 3f 7d 28 e1 7f 72|\"; bsize:16;", "abc"));
	assert_true(XM("to_sha1; content:\"|a9 99 3e 36|\"; startswith; bsize:20;", "abc"));
	assert_true(XM("to_sha256; content:\"|ba 78 16 bf|\"; startswith; bsize:32;", "abc"));
	assert_true(XM("xor:\"0102\"; content:\"|60 60 62 66|\"; bsize:4;", "abcd"));
	/* from_base64: offset, bytes (a last partial group decodes), modes */
	assert_true(XM("from_base64: offset 6; content:\"thisisatest\";", "/?arg=dGhpc2lzYXRlc3QK"));
	assert_true(XM("from_base64: bytes 6, offset 6; content:\"this\"; bsize:4;", "/?arg=dGhpc2lzYXRlc3QK"));
	assert_true(XM("from_base64: mode rfc2045; content:\"foobar\";", "Zm 9v Ym Fy"));
	assert_false(XM("from_base64: mode strict; content:\"f\";", "Zm 9v Ym Fy"));
	assert_true(XM("from_base64: mode rfc4648; content:\"f\"; bsize:1;", "Zm 9v Ym Fy"));
	/* a transform after a content: the raw list, then the decoded one */
	assert_true(XM("content:\"/?arg=\"; from_base64: offset 6; content:\"thisisatest\";",
		       "/?arg=dGhpc2lzYXRlc3QK"));
	assert_false(XM("content:\"/?arg=\"; from_base64: offset 6; content:\"/?arg\";",
			"/?arg=dGhpc2lzYXRlc3QK"));
	/* a chain after contents on a transformed buffer keeps the chain */
	assert_true(XM("to_lowercase; content:\"abc\"; strip_whitespace; content:\"abcde\";", "ABC D E"));
	assert_true(XM("pcrexform:\"[A-Z]+\\s+(\\S+)\\s+HTTP\"; content:\"/a\"; bsize:2;", "GET /a HTTP/1.1"));
	assert_true(XM("pcrexform:\"nomatch(x)\"; content:\"GET\"; startswith;", "GET /a HTTP/1.1"));
	assert_true(XM("header_lowercase; content:\"host: Example|0d 0a|x-a: B\";", "Host: Example\r\nX-A: B\r\n"));
	assert_true(XM("strip_pseudo_headers; content:\"host: a|0d 0a|\"; bsize:9;", ":method: GET\r\nhost: a\r\n"));
	assert_true(XM("dotprefix; to_lowercase; content:\".example.com\"; bsize:12;", "Example.COM"));
	/* domain / tld by the Public Suffix List: a suffix of two labels, a
	 * name that is a suffix itself (no registrable domain: empty) */
	assert_true(XM("domain; content:\"example.co.uk\"; bsize:13;", "www.Example.co.uk"));
	assert_true(XM("tld; content:\"co.uk\"; bsize:5;", "www.example.co.uk"));
	assert_true(XM("domain; content:\"suricata.io\"; startswith; endswith;", "a.b.suricata.io."));
	assert_true(XM("tld; content:\"io\"; bsize:2;", "a.b.suricata.io"));
	assert_false(XM("domain; content:\"co.uk\";", "co.uk"));
	assert_true(XM("domain; bsize:0;", "co.uk"));
	/* a large buffer grows the scratch; every byte goes through */
	size_t big = 60000;
	char *d = test_malloc(big + 1);
	memset(d, 'A', big);
	d[big] = '\0';
	memcpy(d + big - 3, "END", 3);
	assert_true(xm("to_lowercase; content:\"aend\"; endswith;", d, big));
	test_free(d);
	/* errors: no sticky buffer, nothing after, bad options */
	static const char *const bad[] = {
		"alert tcp any any -> any any (to_lowercase; content:\"a\"; sid:1;)",
		"alert http any any -> any any (http.uri; to_lowercase; sid:1;)",
		"alert http any any -> any any (http.uri; xor:\"0\"; content:\"a\"; sid:1;)",
		"alert http any any -> any any (http.uri; xor:\"zz\"; content:\"a\"; sid:1;)",
		"alert http any any -> any any (http.uri; pcrexform:\"abc\"; content:\"a\"; sid:1;)",
		"alert http any any -> any any (http.uri; pcrexform:\"(\"; content:\"a\"; sid:1;)",
		"alert http any any -> any any (http.uri; from_base64: mode x; content:\"a\"; sid:1;)",
		"alert http any any -> any any (http.uri; from_base64: bytes 0; content:\"a\"; sid:1;)",
		"alert http any any -> any any (http.uri; from_base64: offset 1, offset 2; content:\"a\"; sid:1;)",
		"alert http any any -> any any (http.uri; to_md5:x; content:\"a\"; sid:1;)",
		"alert dns any any -> any any (dns.query; domain; sid:1;)",
	};
	REFUSED(bad);
}

/* pcre backtracks when what follows it relatively fails; a relative
 * keyword with no sticky buffer follows its content into a legacy buffer */
static void test_pcre_backtrack_and_legacy_relative(void **state)
{
	(void)state;
	assert_true(pm("pcre:\"/super/\"; content:\"nova\"; within:7;",
		       "this_is_a_super_duper_nova_in_super_nova_now"));
	assert_false(pm("pcre:\"/super/\"; content:\"nova\"; within:4;",
			"this_is_a_super_duper_nova_in_super_nova_now"));
	static const char *const rules[] = {
		"alert tcp any any -> any any (uricontent:\"fix\"; isdataat:!10,relative; sid:1;)",
		"alert tcp any any -> any any (uricontent:\"this\"; byte_extract:1,2,one,string,dec,relative; uricontent:\"_b5ig\"; offset:one; sid:1;)",
		"alert tcp any any -> any any (content:\"x\"; http_uri; pcre:\"/y/R\"; sid:1;)",
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct rule *r = parse(rules[i]);
		if (!r)
			fail_msg("%s: %s", rules[i], pc.err);
		assert_true(rule_list(r, BUF_HTTP_URI) && rule_list(r, BUF_HTTP_URI)->cnt >= 2);
		assert_null(rule_list(r, BUF_PAYLOAD));
		rule_free(r);
	}
	/* not relative: stays in the payload */
	struct rule *r = parse("alert tcp any any -> any any (uricontent:\"x\"; isdataat:5; sid:1;)");
	assert_non_null(r);
	assert_int_equal(rule_list(r, BUF_PAYLOAD)->cnt, 1);
	rule_free(r);
}

/* base64_decode in the payload, base64_data on what it decoded (as the
 * engine runs them: the payload list, then the base64_data list) */
static bool b64m(const char *opts, const char *data)
{
	char text[1024];
	snprintf(text, sizeof(text), "alert tcp any any -> any any (%s sid:1;)", opts);
	struct rule *r = parse(text);
	if (!r)
		fail_msg("rule did not parse: %s: %s", opts, pc.err);
	struct xform_scratch xs = { 0 };
	struct insp st = { 0 };
	st.md = pcre2_match_data_create(32, NULL);
	st.xs = &xs;
	st.buf = guard_copy(data, strlen(data));
	st.len = (uint32_t)strlen(data);
	st.budget = 3000;
	bool ok = payload_inspect(rule_list(r, BUF_PAYLOAD), &st);
	assert_true(rule_list(r, BUF_BASE64_DATA) != NULL);
	assert_true(r->fp_buf != BUF_BASE64_DATA);
	if (ok) {
		st.buf = xs.b[XS_B64];
		st.len = xs.b64_len;
		st.budget = 3000;
		ok = st.len && payload_inspect(rule_list(r, BUF_BASE64_DATA), &st);
	}
	xform_scratch_free(&xs);
	pcre2_match_data_free(st.md);
	rule_free(r);
	return ok;
}

static void test_base64_and_more(void **state)
{
	(void)state;
	/* "foobar" = Zm9vYmFy */
	assert_true(b64m("content:\"k=\"; base64_decode:relative; base64_data; content:\"foobar\"; bsize:6;", "x k=Zm9vYmFy"));
	assert_true(b64m("content:\"k=\"; base64_decode:bytes 4,relative; base64_data; content:\"foo\"; bsize:3;", "k=Zm9vYmFy"));
	assert_true(b64m("base64_decode:offset 2; base64_data; content:\"foo\"; startswith;", "k=Zm9vYmFy"));
	/* a byte that is not base64 ends it; nothing decoded: no match */
	assert_true(b64m("base64_decode; base64_data; content:\"f\"; bsize:1;", "Zm 9v"));
	assert_false(b64m("base64_decode:offset 50; base64_data; pcre:\"/./\";", "Zm9v"));
	static const char *const bad[] = {
		"alert tcp any any -> any any (base64_decode:bytes 0; base64_data; content:\"a\"; sid:1;)",
		"alert tcp any any -> any any (base64_decode:offset x; base64_data; content:\"a\"; sid:1;)",
		"alert tcp any any -> any any (base64_decode:relative,relative; base64_data; content:\"a\"; sid:1;)",
		"alert tcp any any -> any any (base64_data:1; content:\"a\"; sid:1;)",
		"alert tcp any any -> any any (stream_size:server,<; sid:1;)",
		"alert tcp any any -> any any (stream_size:sideways,<,5; sid:1;)",
		"alert tcp any any -> any any (stream_size:both,~,5; sid:1;)",
		"alert tcp any any -> any any (stream_size:either,>,-1; sid:1;)",
		"alert tcp any any -> any any (byte_test:0,=,0,0; sid:1;)",
		"alert tcp any any -> any any (byte_jump:0,0,string; sid:1;)",
		"alert tcp any any -> any any (prefilter:x; sid:1;)",
	};
	REFUSED(bad);
	struct rule *r = parse("alert ip any any -> any any (stream_size:client,>=,100; tcp.hdr; content:\"|50|\"; sid:1;)");
	assert_non_null(r);
	assert_int_equal(r->fc->ssize_which, SS_CLIENT);
	assert_int_equal(r->fc->ssize.op, CMP_GE);
	assert_int_equal(r->proto, 6);
	assert_true(rule_list(r, BUF_TCP_HDR) && rule_list(r, BUF_TCP_HDR)->cnt == 1);
	rule_free(r);
	/* entropy: "abcd" has 2 bits per byte, "aaaa" none */
	assert_true(pm("entropy: value = 2;", "abcd"));
	assert_true(pm("entropy: value 1.9-2.1;", "abcd"));
	assert_false(pm("entropy: value !1.9-2.1;", "abcd"));
	assert_true(pm("entropy: value < 0.1;", "aaaa"));
	assert_true(pm("entropy: offset 4, value >= 2;", "aaaaabcd"));
	assert_true(pm("entropy: bytes 4, value = 0;", "aaaabcd"));
	assert_false(pm("entropy: offset 9, value >= 0;", "aaaabcd"));
	/* asn1 (X.690 A.3's record: an outer length of 133) */
	static const uint8_t a3[] = "\x60\x81\x85\x61\x10\x1A\x04John\x1A\x01P\x1A\x05Smith"
		"\xA0\x0A\x1A\x08" "Director\x42\x01\x33\xA1\x0A\x43\x08" "19710917"
		"\xA2\x12\x61\x10\x1A\x04Mary\x1A\x01T\x1A\x05Smith\xA3\x42\x31\x1F\x61\x11"
		"\x1A\x05Ralph\x1A\x01T\x1A\x05Smith\xA0\x0A\x43\x08" "19571111\x31\x1F\x61\x11"
		"\x1A\x05Susan\x1A\x01" "B\x1A\x05Jones\xA0\x0A\x43\x08" "19590717";
	assert_true(pmb("asn1: oversize_length 132, absolute_offset 0;", a3, sizeof(a3) - 1));
	assert_false(pmb("asn1: oversize_length 133, absolute_offset 0;", a3, sizeof(a3) - 1));
	/* cut short: nothing decodes, nothing is checked */
	assert_false(pmb("asn1: oversize_length 10;", a3, 100));
	assert_true(pmb("asn1: bitstring_overflow;", "\x03\x01\xff", 3));
	assert_false(pmb("asn1: bitstring_overflow;", "\x03\x01\x07", 3));
	/* inside a SEQUENCE, after a content match */
	assert_true(pmb("content:\"AB\"; asn1: bitstring_overflow, relative_offset 1;",
			"xAB?\x30\x03\x03\x01\xff", 9));
	assert_false(pmb("content:\"AB\"; asn1: bitstring_overflow, relative_offset 2;",
			 "xAB?\x30\x03\x03\x01\xff", 9));
	uint8_t real[261];
	memset(real, '5', sizeof(real));
	real[0] = 0x09; /* REAL, 257 bytes of ASCII digits */
	real[1] = 0x82;
	real[2] = 0x01;
	real[3] = 0x01;
	assert_true(pmb("asn1: double_overflow;", real, sizeof(real)));
	real[3] = 0x00; /* 256: not over */
	assert_false(pmb("asn1: double_overflow;", real, 260));
	/* more than 30 objects is a decoding failure, as in Suricata */
	uint8_t many[3 + 31 * 2];
	memcpy(many, "\x03\x01\xff", 3);
	for (int k = 0; k < 31; k++)
		memcpy(many + 3 + 2 * k, "\x05\x00", 2);
	assert_true(pmb("asn1: bitstring_overflow;", many, 3 + 29 * 2));
	assert_false(pmb("asn1: bitstring_overflow;", many, sizeof(many)));
	static const char *const badasn1[] = {
		"alert tcp any any -> any any (asn1: absolute_offset 0; sid:1;)",
		"alert tcp any any -> any any (asn1: oversize_length x; sid:1;)",
		"alert tcp any any -> any any (asn1: bitstring_overflow, sideways; sid:1;)",
		"alert tcp any any -> any any (asn1: bitstring_overflow, absolute_offset 1, relative_offset 2; sid:1;)",
	};
	REFUSED(badasn1);
	static const char *const ldapok[] = {
		"alert ldap any any -> any any (ldap.request.operation:search_request; sid:1;)",
		"alert ldap any any -> any any (ldap.request.operation:3; ldap.responses.count:>1; sid:1;)",
		"alert ldap any any -> any any (ldap.responses.operation:search_result_done,-1; sid:1;)",
		"alert ldap any any -> any any (ldap.responses.result_code:size_limit_exceeded,all; sid:1;)",
		"alert ldap any any -> any any (ldap.request.dn; content:\"dc=example\"; sid:1;)",
	};
	for (size_t i = 0; i < sizeof(ldapok) / sizeof(ldapok[0]); i++) {
		struct rule *lr = parse(ldapok[i]);
		if (!lr)
			fail_msg("refused: %s: %s", ldapok[i], pc.err);
		rule_free(lr);
	}
	static const char *const badldap[] = {
		"alert ldap any any -> any any (ldap.request.operation:frobnicate; sid:1;)",
		"alert ldap any any -> any any (ldap.responses.operation:search_result_done,some; sid:1;)",
		"alert ldap any any -> any any (ldap.responses.result_code:nope; sid:1;)",
		"alert ldap any any -> any any (ldap.responses.count:lots; sid:1;)",
	};
	REFUSED(badldap);
	static const char *const badent[] = {
		"alert tcp any any -> any any (entropy: value > 9; sid:1;)",
		"alert tcp any any -> any any (entropy: bytes 0, value > 1; sid:1;)",
		"alert tcp any any -> any any (entropy: offset 2; sid:1;)",
		"alert tcp any any -> any any (entropy: value 5-4; sid:1;)",
		"alert tcp any any -> any any (flow.pkts:sideways,1; sid:1;)",
		"alert tcp any any -> any any (flow.bytes:toserver; sid:1;)",
		"alert tcp any any -> any any (flow.age:x; sid:1;)",
	};
	REFUSED(badent);
	r = parse("alert ip any any -> any any (flow.pkts:either,=10; flow.bytes:toclient,>3000; flow.age:<5; sid:1;)");
	assert_non_null(r);
	assert_int_equal(r->fc->fpk_dir, FC_EITHER);
	assert_int_equal(r->fc->fby_dir, FC_TOCLIENT);
	assert_true(r->fc->has_fage);
	rule_free(r);
	/* byte_test with 0 bytes: the rest of the buffer as a number */
	assert_true(pm("byte_test:0,=,1234,2,string,dec;", "x 1234"));
	assert_false(pm("byte_test:0,>,1234,2,string,dec;", "x 1234"));
}

static void test_xbits(void **state)
{
	(void)state;
	uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 }, c[4] = { 10, 0, 0, 3 };
	struct xb_key k, k2;
	vtime_t t = VTIME_FROM_SEC(1000);
	/* a host bit set on the source is the same host's as destination */
	xb_key_of(&k, XB_SRC, 4, a, b);
	xbits_change(&k, 1, 0, t, 10);
	xb_key_of(&k2, XB_DST, 4, c, a);
	assert_true(xbits_isset(&k2, 1, t + 1));
	assert_false(xbits_isset(&k2, 2, t + 1));            /* another name */
	assert_false(xbits_isset(&k2, 1, t + VTIME_FROM_SEC(10))); /* expired */
	/* toggle, unset */
	xbits_change(&k, 3, 2, t, 0);
	assert_true(xbits_isset(&k, 3, t + VTIME_FROM_SEC(29)));  /* default 30 s */
	xbits_change(&k, 3, 2, t, 0);
	assert_false(xbits_isset(&k, 3, t));
	xbits_change(&k, 1, 1, t, 0);
	assert_false(xbits_isset(&k, 1, t));
	/* a pair is the pair both ways, and not either host */
	xb_key_of(&k, XB_PAIR, 4, a, b);
	xbits_change(&k, 4, 0, t, 60);
	xb_key_of(&k2, XB_PAIR, 4, b, a);
	assert_true(xbits_isset(&k2, 4, t));
	xb_key_of(&k2, XB_SRC, 4, a, b);
	assert_false(xbits_isset(&k2, 4, t));
	/* a flood of hosts: the table does not grow, the newest are kept */
	for (uint32_t i = 0; i < 4 * XBITS_MAX; i++) {
		uint8_t h[4] = { 192, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		xb_key_of(&k, XB_SRC, 4, h, b);
		xbits_change(&k, 5, 0, t + i, 3600);
	}
	uint8_t last[4] = { 192, (uint8_t)((4 * XBITS_MAX - 1) >> 16), (uint8_t)((4 * XBITS_MAX - 1) >> 8),
			    (uint8_t)(4 * XBITS_MAX - 1) };
	xb_key_of(&k, XB_SRC, 4, last, b);
	assert_true(xbits_isset(&k, 5, t + 4 * XBITS_MAX));
	/* parsing */
	struct rule *r = parse("alert tcp any any -> any any (xbits:set,foo,track ip_pair,expire 5; hostbits:isset,bar,dst; sid:1;)");
	if (!r)
		fail_msg("%s", pc.err);
	assert_int_equal(r->xb_cnt, 2);
	assert_int_equal(r->xb[0].track, XB_PAIR);
	assert_int_equal(r->xb[0].expire, 5);
	assert_int_equal(r->xb[1].op, FB_ISSET);
	assert_int_equal(r->xb[1].track, XB_DST);
	rule_free(r);
	static const char *const bad[] = {
		"alert tcp any any -> any any (xbits:set,foo; sid:1;)",
		"alert tcp any any -> any any (xbits:set,foo,track ip_x; sid:1;)",
		"alert tcp any any -> any any (hostbits:set,foo,both; sid:1;)",
		"alert tcp any any -> any any (hostbits:set; sid:1;)",
		"alert tcp any any -> any any (hostbits:flip,foo; sid:1;)",
		"alert tcp any any -> any any (hostbits:set,foo,src,expire 0; sid:1;)",
		"alert tcp any any -> any any (hostbits:set,a|b; sid:1;)",
	};
	REFUSED(bad);
}

static void test_tag(void **state)
{
	(void)state;
	struct rule *r = parse("alert tcp any any -> any any (tag:session; tag:host,10,seconds,dst; sid:1;)");
	if (!r)
		fail_msg("%s", pc.err);
	assert_int_equal(r->ntags, 2);
	assert_int_equal(r->tags[0].kind, TAG_SESSION);
	assert_int_equal(r->tags[1].metric, TAG_SECONDS);
	assert_true(r->tags[1].dst);
	rule_free(r);
	static const char *const bad[] = {
		"alert tcp any any -> any any (tag:flow; sid:1;)",
		"alert tcp any any -> any any (tag:session,5; sid:1;)",
		"alert tcp any any -> any any (tag:session,0,packets; sid:1;)",
		"alert tcp any any -> any any (tag:host,5,minutes,src; sid:1;)",
		"alert tcp any any -> any any (tag:host,5,packets,both; sid:1;)",
		"alert tcp any any -> any any (tag:session; tag:host; tag:session; sid:1;)",
	};
	REFUSED(bad);
	/* "alert;" in a pass rule */
	r = parse("pass tcp any any -> any 22 (alert; sid:2;)");
	assert_non_null(r);
	assert_true(r->pass_alert);
	rule_free(r);
	assert_null(parse("pass tcp any any -> any 22 (alert:yes; sid:2;)"));
	/* what is left: packets, bytes, seconds */
	struct tag_left t;
	struct tag_spec sp = { TAG_SESSION, TAG_PACKETS, false, 2 };
	tag_start(&t, &sp, 0);
	assert_true(tag_take(&t, 100, 0));
	assert_true(tag_take(&t, 100, 0));
	assert_false(tag_take(&t, 100, 0));
	sp.metric = TAG_BYTES;
	sp.count = 150;
	tag_start(&t, &sp, 0);
	assert_true(tag_take(&t, 100, 0));
	assert_true(tag_take(&t, 100, 0));
	assert_false(tag_take(&t, 1, 0));
	sp.metric = TAG_SECONDS;
	sp.count = 5;
	tag_start(&t, &sp, VTIME_FROM_SEC(10));
	assert_true(tag_take(&t, 1, VTIME_FROM_SEC(15)));
	assert_false(tag_take(&t, 1, VTIME_FROM_SEC(16)));
	sp.count = 0;
	sp.metric = TAG_PACKETS;
	tag_start(&t, &sp, 0);
	assert_int_equal(t.left, TAG_DEFAULT_PACKETS);
	/* a host tag: packets from or to the host */
	uint8_t h[4] = { 192, 0, 2, 7 }, o[4] = { 198, 51, 100, 1 }, x[4] = { 198, 51, 100, 2 };
	sp.count = 2;
	tag_host_set(4, h, &sp, 1);
	assert_false(tag_host_check(4, o, x, 60, 2));
	assert_true(tag_host_check(4, o, h, 60, 2));
	assert_true(tag_host_check(4, h, o, 60, 3));
	assert_false(tag_host_check(4, h, o, 60, 4));
}

static void test_parse_header_and_meta(void **state)
{
	(void)state;
	struct rule *r = parse("drop tcp $HOME_NET any -> !$HOME_NET [80,443,8000:8080] "
			       "(msg:\"ET TEST \\\"quoted\\\" \\; semi\"; classtype:trojan-activity; "
			       "metadata:created_at 2024_01_01, former_category MALWARE; "
			       "sid:2000001; rev:3; gid:1;)");
	assert_non_null(r);
	assert_int_equal(r->action, ACT_DROP);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->sid, 2000001);
	assert_int_equal(r->rev, 3);
	assert_string_equal(r->msg, "ET TEST \"quoted\" ; semi");
	assert_string_equal(r->category, "A Network Trojan was detected");
	assert_int_equal(r->priority, 1);
	assert_int_equal(r->nmeta, 2);
	assert_string_equal(r->meta[0], "\"created_at\":[\"2024_01_01\"]");
	assert_string_equal(r->meta[1], "\"former_category\":[\"MALWARE\"]");
	/* an engine's pool keeps one copy of a part many rules share */
	struct str_pool sp = { 0 };
	const char *x = str_pool_get(&sp, "\"k\":[\"v\"]xyz", 9), *y = str_pool_get(&sp, "\"k\":[\"v\"]", 9);
	assert_ptr_equal(x, y);
	assert_string_equal(x, "\"k\":[\"v\"]");
	assert_ptr_not_equal(str_pool_get(&sp, "\"k\":[\"w\"]", 9), x);
	for (int i = 0; i < 5000; i++) { /* growth keeps what was pooled */
		char b[32];
		int n = snprintf(b, sizeof(b), "\"n\":[\"%d\"]", i);
		assert_non_null(str_pool_get(&sp, b, (size_t)n));
	}
	assert_ptr_equal(str_pool_get(&sp, "\"k\":[\"v\"]", 9), x);
	assert_int_equal(sp.cnt, 5002);
	str_pool_free(&sp);
	uint8_t a[16] = { 192, 168, 1, 1 }, b[16] = { 8, 8, 8, 8 };
	assert_true(addr_match(&r->src, 4, a));
	assert_false(addr_match(&r->src, 4, b));
	assert_true(addr_match(&r->dst, 4, b));
	assert_false(addr_match(&r->dst, 4, a));
	assert_true(port_match(&r->dp, 443));
	assert_true(port_match(&r->dp, 8042));
	assert_false(port_match(&r->dp, 22));
	rule_free(r);
	/* checksum keywords: a bit each, valid or invalid */
	r = parse("alert ip any any -> any any (ipv4-csum:invalid; tcpv4-csum: valid; sid:2;)");
	assert_non_null(r);
	assert_int_equal(r->csum_invalid, CSK_IPV4);
	assert_int_equal(r->csum_valid, CSK_TCPV4);
	rule_free(r);
	/* a flow_start hook; app-layer hooks are not supported */
	r = parse("alert tcp:flow_start any any -> any any (dsize:0; sid:4;)");
	assert_non_null(r);
	assert_true(r->flow_start);
	assert_int_equal(r->proto, 6);
	rule_free(r);
	assert_null(parse("alert http1:request_started any any -> any any (sid:5;)"));
	assert_true(pc.unsupported);
	/* => rules: transactional, indexed both ways */
	r = parse("alert http any any => any 80 (http.uri; content:\"/a\"; http.stat_code; content:\"200\"; sid:3;)");
	assert_non_null(r);
	assert_true(r->txdir && r->bidir);
	rule_free(r);
}

static void test_parse_errors_and_unsupported(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"alert tcp any any -> any any (msg:\"x\";)",                  /* no sid */
		"alert tcp any any => any any (sid:1;)",                      /* => using no direction */
		"alert tcp any any <- any any (sid:1;)",                      /* direction */
		"alert tcp any any -> any any (tcpv4-csum:maybe; sid:1;)",
		"alert ip any any -> any any (ipv4-csum; sid:1;)",
		"alert udp any any -> any any (bypass:1; sid:1;)",
		"alert tcp any any -> any any (content:\"abc; sid:1;)",       /* quote */
		"alert tcp any any -> any any (content:\"|4G|\"; sid:1;)",    /* hex */
		"alert tcp 1.2.3.4/33 any -> any any (sid:1;)",               /* prefix */
		"alert tcp any 70000 -> any any (sid:1;)",                    /* port */
		"alert tcp any any -> any any (nocase; sid:1;)",              /* modifier */
		"alert tcp any any -> any any (pcre:\"/a(/\"; sid:1;)",       /* regex */
		"alert tcp any any -> any any (content:\"a\"; depth:0; sid:1;)",
		"alert tcp any any -> any any (byte_test:2,=,1; sid:1;)",
		"alert tcp $NOPE any -> any any (sid:1;)",
		"alert tcp any any -> any any (sid:1; classtype:nope;)",
		"alert tcp any any -> any any (sid:1)",
		"alert tcp [1.1.1.1,[2.2.2.2 any -> any any (sid:1;)",
		"",
		"alert",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rule *r = parse(bad[i]);
		if (r)
			fail_msg("accepted: %s", bad[i]);
		assert_false(pc.unsupported);
		assert_true(pc.err[0] != '\0');
	}
	assert_null(parse("alert tcp any any -> any any (nfs.procedure; content:\"x\"; sid:1;)"));
	assert_true(pc.unsupported);
	assert_string_equal(pc.kw, "nfs.procedure");
	struct rule *ok = parse("alert tcp any any -> any any (content:\",|20|,\"; sid:1;)");
	assert_non_null(ok);
	rule_free(ok);
	/* Suricata 8's forms: != in numbers, tcp.mss, tls.cert_chain_len,
	 * app-layer-protocol modes, a 0-byte byte_jump, boolean words */
	static const char *const more[] = {
		"alert icmp any any -> any any (itype: != 0; sid:1;)",
		"alert tcp any any -> any any (tcp.mss:<536; sid:1;)",
		"alert tls any any -> any any (tls.cert_chain_len:!2; sid:1;)",
		"alert tcp any any -> any any (app-layer-protocol:!http,final; app-layer-protocol:ssh,to_client; sid:1;)",
		"alert tcp any any -> any any (content:\"|3a 01|\"; byte_jump:0,0,relative,post_offset -7; sid:1;)",
		"alert ftp any any -> any any (ftp.reply_received: off; sid:1;)",
		"alert http any any -> any any (flow:to_client; http_protocol; content:\"HTTP/1.1\"; sid:1;)",
	};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
		struct rule *m = parse(more[i]);
		if (!m)
			fail_msg("refused: %s (%s)", more[i], pc.err);
		rule_free(m);
	}
	/* file keywords hold for any protocol that carries files (HTTP, SMTP,
	 * SMB, FTP), as in Suricata: they set no protocol of their own */
	static const char *const anyproto[] = {
		"alert tcp any any -> any any (filesize:<70; sid:1;)",
		"alert tcp any any -> any any (file.data; content:\"MZ\"; sid:1;)",
		"alert tcp any any -> any any (filename:\"a.exe\"; sid:1;)",
		"alert tcp any any -> any any (filemagic:\"PE32\"; sid:1;)",
		"alert tcp any any -> any any (file.name; content:\"x\"; sid:1;)",
	};
	for (size_t i = 0; i < sizeof(anyproto) / sizeof(anyproto[0]); i++) {
		struct rule *m = parse(anyproto[i]);
		assert_non_null(m);
		assert_int_equal(m->alproto, 0);
		rule_free(m);
	}
	assert_null(parse("alert tcp any any -> any any (app-layer-protocol:http,sideways; sid:1;)"));
	assert_false(pc.unsupported);
	assert_null(parse("alert tcp any any -> any any (byte_test:0,=,1,0; sid:1;)"));
	/* requires: read first, against Suricata 8.0.7; a rule for another
	 * version is skipped whatever else it holds */
	struct rule *rq = parse("alert tcp any any -> any any (requires: version >= 7.0.3 < 9; sid:1;)");
	assert_non_null(rq);
	rule_free(rq);
	rq = parse("alert tcp any any -> any any (requires: version >= 9 | < 7; sid:1;)");
	assert_null(rq);
	assert_true(pc.unsupported && pc.requires_unmet);
	assert_string_equal(pc.kw, "requires version");
	assert_null(parse("alert nope any any -> any any (nosuchkw; requires: version >= 8.0.8; sid:1;)"));
	assert_true(pc.requires_unmet);
	assert_null(parse("alert tcp any any -> any any (requires: version 8; sid:1;)"));
	assert_false(pc.unsupported);
	assert_null(parse("alert dhcp any any -> any any (content:\"x\"; sid:1;)"));
	assert_true(pc.unsupported);
	assert_string_equal(pc.kw, "protocol dhcp");
	/* detected since: bittorrent-dht and ntp rules load */
	ok = parse("alert bittorrent-dht any any -> any any (sid:1;)");
	assert_non_null(ok);
	assert_int_equal(ok->alproto, ALP_BITTORRENT_DHT);
	rule_free(ok);
	ok = parse("alert ntp any any -> any any (sid:1;)");
	assert_non_null(ok);
	assert_int_equal(ok->alproto, ALP_NTP);
	rule_free(ok);
	/* detected without a parser: content rules on the stream load */
	ok = parse("alert smb any any -> any any (content:\"x\"; sid:1;)");
	assert_non_null(ok);
	rule_free(ok);
	assert_null(parse("alert tcp any any -> any any (luajit:x.lua; sid:1;)"));
	assert_true(pc.unsupported);
	assert_string_equal(pc.kw, "luajit");
}

/* replace: what parses, and where a match path leaves its content (the
 * path that matched, after backtracking) */
static void test_replace(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"alert tcp any any -> any any (replace:\"x\"; sid:1;)",
		"alert tcp any any -> any any (content:!\"abc\"; replace:\"xyz\"; sid:1;)",
		"alert tcp any any -> any any (content:\"abc\"; replace:\"ab\"; sid:1;)",
		"alert tcp any any -> any any (content:\"abc\"; replace:abc; sid:1;)",
		"alert http any any -> any any (http.uri; content:\"abc\"; replace:\"xyz\"; sid:1;)",
		"alert tcp any any -> any any (content:\"abc\"; replace:\"xyz\"; replace:\"xyz\"; sid:1;)",
	};
	REFUSED(bad);
	struct rule *r = parse("alert tcp any any -> any any (content:\"is\"; replace:\"I|53|\"; "
			       "content:\"big\"; within:6; sid:1;)");
	assert_non_null(r);
	assert_true(r->replace);
	assert_true(r->flow_flags & RF_NO_STREAM); /* a packet rule */
	const struct sm_list *l = rule_list(r, BUF_PAYLOAD);
	assert_true(l->v[0].u.c.repl && !l->v[1].u.c.repl);
	assert_memory_equal(l->v[0].u.c.pat, "isIS", 4);
	const char *data = "this is a big one";
	struct insp st = { 0 };
	st.md = pcre2_match_data_create(32, NULL);
	st.buf = guard_copy(data, strlen(data));
	st.len = (uint32_t)strlen(data);
	st.budget = 3000;
	assert_true(payload_inspect(l, &st));
	/* "is" at 2 leaves "big" too far; the path that matched has it at 5 */
	assert_int_equal(st.nrep, 1);
	assert_int_equal(st.rep[0].i, 0);
	assert_int_equal(st.rep[0].pos, 5);
	pcre2_match_data_free(st.md);
	rule_free(r);
}

static void test_content_modifiers(void **state)
{
	(void)state;
	assert_true(pm("content:\"abc\";", "xxabcxx"));
	assert_false(pm("content:\"ABC\";", "xxabcxx"));
	assert_true(pm("content:\"ABC\"; nocase;", "xxabcxx"));
	assert_true(pm("content:\"|61 62|c\";", "xxabcxx"));
	assert_true(pm("content:\"abc\"; offset:2; depth:3;", "xxabcxx"));
	assert_false(pm("content:\"abc\"; offset:3;", "xxabcxx"));
	assert_false(pm("content:\"abc\"; depth:4;", "xxabcxx"));
	assert_true(pm("content:\"abc\"; startswith;", "abcxx"));
	assert_false(pm("content:\"abc\"; startswith;", "xabc"));
	assert_true(pm("content:\"abc\"; endswith;", "xxabc"));
	assert_false(pm("content:\"abc\"; endswith;", "xxabcx"));
	assert_true(pm("content:!\"evil\";", "good"));
	assert_false(pm("content:!\"evil\";", "an evil one"));
	/* relative: the second must start 1..3 bytes after the first */
	assert_true(pm("content:\"a\"; content:\"b\"; distance:1; within:2;", "a.b"));
	assert_false(pm("content:\"a\"; content:\"b\"; distance:1; within:2;", "a...b"));
	/* backtracking: first "a" fails the relative check, the second works */
	assert_true(pm("content:\"a\"; content:\"b\"; within:1;", "a..ab"));
	/* negative distance */
	assert_true(pm("content:\"def\"; content:\"abc\"; distance:-6; within:3;", "abcdef"));
	assert_true(pm("content:\"xy\"; isdataat:2,relative;", "xy12"));
	assert_false(pm("content:\"xy\"; isdataat:2,relative;", "xy1"));
	assert_true(pm("content:\"xy\"; isdataat:!2,relative;", "xy1"));
	assert_true(pm("content:\"a\"; bsize:3;", "abc"));
	assert_false(pm("content:\"a\"; bsize:>3;", "abc"));
	assert_true(pm("content:\"a\"; bsize:2<>5;", "abcd"));
}

static void test_pcre_and_bytes(void **state)
{
	(void)state;
	assert_true(pm("pcre:\"/^GET\\s+\\/[a-z]+/i\";", "get /index"));
	assert_false(pm("pcre:\"/^GET/\";", "xGET"));
	assert_true(pm("content:\"id=\"; pcre:\"/^[0-9]{3}/R\";", "x id=123"));
	assert_false(pm("content:\"id=\"; pcre:\"/^[0-9]{3}/R\";", "x id=12a"));
	assert_true(pm("pcre:!\"/evil/\";", "good"));
	assert_true(pm("byte_test:1,=,65,0;", "A"));
	assert_true(pm("byte_test:2,>,0x4140,0;", "AB"));
	assert_true(pm("byte_test:2,=,0x4241,0,little;", "AB"));
	assert_true(pm("byte_test:3,=,123,0,string,dec;", "123"));
	assert_true(pm("byte_test:2,=,255,0,string,hex;", "ff"));
	assert_false(pm("byte_test:4,=,1,0;", "AB")); /* out of bounds */
	assert_true(pm("byte_test:1,&,1,0;", "A"));
	assert_true(pm("byte_test:1,!=,66,0;", "A"));
	/* length-prefixed field: jump over it, then check what follows */
	assert_true(pm("byte_jump:1,0; content:\"OK\"; within:2;", "\003abcOK"));
	assert_false(pm("byte_jump:1,0; content:\"OK\"; within:2;", "\002abcOK"));
	assert_true(pm("byte_extract:1,0,len; content:\"Z\"; offset:len; depth:1;", "\003abZ"));
	assert_true(pm("byte_math:bytes 1, offset 0, oper +, rvalue 1, result v; "
		       "content:\"Z\"; offset:v;", "\002abZ"));
	assert_false(pm("byte_jump:1,0; content:\"x\";", "\377"));
}

static void test_hostile_is_bounded(void **state)
{
	(void)state;
	/* a rule that backtracks over a long run: the budget stops it */
	char data[8192];
	memset(data, 'a', sizeof(data) - 1);
	data[sizeof(data) - 1] = '\0';
	assert_false(pm("content:\"a\"; content:\"a\"; distance:0; content:\"b\"; distance:0;",
			data));
	/* catastrophic regex: the match limit stops it */
	assert_false(pm("pcre:\"/(a+)+b/\";", data));
}

/* addr_set_can: whether a rule side can match inside / outside $HOME_NET.
 * A false must be proved; a true is allowed whenever unsure (it only costs
 * a candidate), but the cases the signature groups rely on are exact. */
static bool can(const char *set, bool in)
{
	struct addr_set s = { 0 }, home = { 0 };
	char err[256];
	if (addr_parse(set, &s, NULL, err, sizeof(err)) < 0)
		fail_msg("%s: %s", set, err);
	if (addr_parse("$HOME_NET", &home, NULL, err, sizeof(err)) < 0)
		fail_msg("$HOME_NET: %s", err);
	bool r = addr_set_can(&s, &home, in);
	addr_set_free(&s);
	addr_set_free(&home);
	return r;
}

/* addr_set_prepare: a prepared set (binary search over merged IPv4
 * intervals) answers exactly as the walk over its items, for random sets
 * of prefixes (overlapping, nested, adjacent, with IPv6 items among them)
 * and random addresses near their edges. */
static void test_addr_prepare(void **state)
{
	(void)state;
	srand(7);
	for (int round = 0; round < 200; round++) {
		char spec[8192] = "[";
		int n = 8 + rand() % 40;
		for (int i = 0; i < n; i++) {
			char item[64];
			if (rand() % 10 == 0)
				snprintf(item, sizeof(item), "2001:db8::%x/%d", rand() % 65536, 96 + rand() % 33);
			else
				snprintf(item, sizeof(item), "10.%d.%d.%d/%d", rand() % 4, rand() % 256,
					 rand() % 256, 8 + rand() % 25);
			strcat(spec, i ? "," : "");
			strcat(spec, item);
		}
		strcat(spec, "]");
		struct addr_set plain = { 0 }, fast = { 0 };
		char err[256];
		if (addr_parse(spec, &plain, NULL, err, sizeof(err)) < 0 ||
		    addr_parse(spec, &fast, NULL, err, sizeof(err)) < 0)
			fail_msg("%s: %s", spec, err);
		assert_int_equal(addr_set_prepare(&fast), 0);
		assert_non_null(fast.r4);
		for (int k = 0; k < 2000; k++) {
			uint8_t a[16] = { 10, (uint8_t)(rand() % 5), (uint8_t)rand(), (uint8_t)rand() };
			if (k % 3 == 0 && plain.cnt) { /* an interval's edge, or just past it */
				const struct addr_item *it = &plain.v[rand() % plain.cnt];
				if (it->ver != 4)
					continue;
				memcpy(a, it->a, 4);
				uint32_t host = it->plen >= 32 ? 0 : (1u << (32 - it->plen)) - 1;
				uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
				/* its first address, the one before, its last, the one after */
				static const int edge[4] = { 0, -1, 1, 2 };
				int e = edge[rand() % 4];
				x &= ~host;
				x = e == 0 ? x : e == -1 ? x - 1 : e == 1 ? x + host : x + host + 1;
				a[0] = (uint8_t)(x >> 24); a[1] = (uint8_t)(x >> 16);
				a[2] = (uint8_t)(x >> 8); a[3] = (uint8_t)x;
			}
			assert_int_equal(addr_match(&plain, 4, a), addr_match(&fast, 4, a));
		}
		addr_set_free(&plain);
		addr_set_free(&fast);
	}
	/* a negated item: not prepared, still answered by the walk */
	struct addr_set s = { 0 };
	char err[256];
	assert_int_equal(addr_parse("[1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,!1.1.1.8]",
				    &s, NULL, err, sizeof(err)), 0);
	assert_int_equal(addr_set_prepare(&s), 0);
	assert_null(s.r4);
	addr_set_free(&s);
}

static void test_addr_set_can(void **state)
{
	(void)state;
	/* default HOME_NET: 192.168/16, 10/8, 172.16/12 */
	assert_true(can("$HOME_NET", true));
	assert_false(can("$HOME_NET", false));
	assert_false(can("$EXTERNAL_NET", true));
	assert_true(can("$EXTERNAL_NET", false));
	assert_true(can("any", true));
	assert_true(can("any", false));
	assert_true(can("10.1.2.3", true));
	assert_false(can("10.1.2.3", false));
	assert_false(can("198.51.100.0/24", true));
	assert_true(can("198.51.100.0/24", false));
	/* a wider prefix holds home and outside addresses */
	assert_true(can("0.0.0.0/0", true));
	assert_true(can("8.0.0.0/6", true)); /* 8.0.0.0-11.255.255.255 holds 10/8 */
	assert_true(can("8.0.0.0/6", false));
	/* a list mixing both */
	assert_true(can("[10.0.0.1,198.51.100.1]", true));
	assert_true(can("[10.0.0.1,198.51.100.1]", false));
	/* negations: !10.0.0.1 leaves the rest of home */
	assert_true(can("!10.0.0.1", true));
	assert_true(can("!10.0.0.1", false));
	assert_false(can("![10.0.0.0/8,192.168.0.0/16,172.16.0.0/12]", true));
	/* IPv6 is never home under the default HOME_NET */
	assert_false(can("2001:db8::/32", true));
	assert_true(can("2001:db8::/32", false));
}

/* The classes a rule lands in: bit dir * 4 + src_in * 2 + dst_in. */
static unsigned classes_of(const char *text)
{
	struct rule *r = parse(text);
	if (!r)
		fail_msg("rule did not parse: %s: %s", text, pc.err);
	struct addr_set home = { 0 };
	char err[256];
	if (addr_parse("$HOME_NET", &home, NULL, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	unsigned m = rule_packet_classes(r, &home);
	addr_set_free(&home);
	rule_free(r);
	return m;
}

#define CLS(dir, si, di) (1u << ((dir) * 4 + (si) * 2 + (di)))

static void test_rule_classes(void **state)
{
	(void)state;
	/* outbound to-server rule: one class */
	assert_int_equal(classes_of("alert tcp $HOME_NET any -> $EXTERNAL_NET any (flow:to_server; sid:1;)"),
			 CLS(0, 1, 0));
	/* its reply side */
	assert_int_equal(classes_of("alert tcp $EXTERNAL_NET any -> $HOME_NET any (flow:established,to_client; sid:1;)"),
			 CLS(1, 0, 1));
	/* no flow keyword: every direction, the no-flow class too */
	assert_int_equal(classes_of("alert udp $HOME_NET any -> $EXTERNAL_NET 53 (sid:1;)"),
			 CLS(0, 1, 0) | CLS(1, 1, 0) | CLS(2, 1, 0));
	/* established needs a flow: not the no-flow class */
	assert_int_equal(classes_of("alert tcp any any -> any any (flow:established; sid:1;)"),
			 0xffu);
	/* <> both orientations */
	assert_int_equal(classes_of("alert tcp $HOME_NET any <> $EXTERNAL_NET any (flow:to_server; sid:1;)"),
			 CLS(0, 1, 0) | CLS(0, 0, 1));
	/* any: all twelve */
	assert_int_equal(classes_of("alert ip any any -> any any (sid:1;)"), 0xfffu);
	/* a specific outside host to a home network, either direction */
	assert_int_equal(classes_of("alert tcp 198.51.100.7 any -> 10.0.0.0/8 any (sid:1;)"),
			 CLS(0, 0, 1) | CLS(1, 0, 1) | CLS(2, 0, 1));
}

/* byte_jump (and byte_test) whose byte count is a byte_extract variable;
 * a count of 0 reads nothing (the value 0), as Suricata does. */
/* The prefilter reports every rule whose pattern occurs; a Hyperscan set
 * that mixes case modes on letters is compiled caseless (a superset), one
 * whose caseless patterns have no letters stays exact; union views keep
 * their own rules. */
static void mpm_hit(void *ctx, uint32_t rule)
{
	*(uint32_t *)ctx |= 1u << rule;
}

static void mpm_hit64(void *ctx, uint32_t rule)
{
	*(uint64_t *)ctx |= 1ull << rule;
}

static uint32_t mpm_hits(const struct mpm *m, const char *buf)
{
	struct mpm_scratch *s = mpm_scratch_grow(NULL, m);
	uint32_t got = 0;
	assert_non_null(s);
	mpm_scan(m, s, (const uint8_t *)buf, (uint32_t)strlen(buf), mpm_hit, &got);
	mpm_scratch_free(s);
	return got;
}

struct id_seen {
	uint32_t id[8];
	unsigned n;
};

static void id_seen_cb(void *ctx, uint32_t id)
{
	struct id_seen *s = ctx;
	if (s->n < 8)
		s->id[s->n++] = id;
}

static void test_mpm_case_modes(void **state)
{
	(void)state;
	char err[256];
	bool hs = !strcmp(mpm_name(), "hyperscan");
#define P(s, nc, r) { (const uint8_t *)(s), sizeof(s) - 1, nc, r }
	const struct mpm_pattern mixed[] = { P("abc", false, 1), P("XyZ", true, 2),
					     P("ABC", false, 3), P("\x03\x04", false, 4),
					     P("xyz", true, 5) };
	struct mpm *m = mpm_build(mixed, 5, NULL, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(mpm_hits(m, "..abc.."), hs ? (1u << 1 | 1u << 3) : 1u << 1);
	assert_int_equal(mpm_hits(m, "xYz"), 1u << 2 | 1u << 5);
	assert_int_equal(mpm_hits(m, "a\x03\x04"), 1u << 4);
	assert_int_equal(mpm_hits(m, "ab"), 0);
	mpm_free(m);
	/* caseless patterns without letters: nothing to fold, exact */
	const struct mpm_pattern exact[] = { P("abc", false, 1), P("\x01\x02", true, 2) };
	m = mpm_build(exact, 2, NULL, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(mpm_hits(m, "ABC"), 0);
	assert_int_equal(mpm_hits(m, "abc\x01\x02"), 1u << 1 | 1u << 2);
	mpm_free(m);
	/* a union of two sets: each view reports its own rules only */
	const struct mpm_pattern s0[] = { P("abc", false, 1), P("xyz", true, 2) };
	const struct mpm_pattern s1[] = { P("ABC", false, 3), P("xyz", true, 4), P("qq", false, 5) };
	const struct mpm_pattern *sets[] = { s0, s1 };
	uint32_t ns[] = { 2, 3 };
	struct mpm *out[2];
	assert_int_equal(mpm_build_union(sets, ns, 2, out, NULL, err, sizeof(err)), 0);
	assert_int_equal(mpm_hits(out[0], "XYZ ABC"), hs ? (1u << 1 | 1u << 2) : 1u << 2);
	assert_int_equal(mpm_hits(out[1], "XYZ ABC"), 1u << 3 | 1u << 4);
	assert_int_equal(mpm_hits(out[1], "abc qq"), hs ? (1u << 3 | 1u << 5) : 1u << 5);
	assert_int_equal(mpm_hits(out[0], "qq"), 0);
	/* pattern ids (a view's own only), each once, and their rules again */
	assert_int_equal(mpm_max_len(out[1]), 3);
	struct mpm_scratch *sc = mpm_scratch_grow(NULL, out[1]);
	assert_non_null(sc);
	struct id_seen ids = { 0 };
	mpm_scan_ids(out[1], sc, (const uint8_t *)"qq ABC qq", 9, id_seen_cb, &ids);
	assert_int_equal(ids.n, 2);
	uint32_t got = 0;
	for (unsigned i = 0; i < ids.n; i++)
		mpm_rules_of(out[1], ids.id[i], mpm_hit, &got);
	assert_int_equal(got, 1u << 3 | 1u << 5);
	ids.n = 0;
	mpm_scan_ids(out[0], sc, (const uint8_t *)"qq", 2, id_seen_cb, &ids);
	assert_int_equal(ids.n, 0); /* qq is out[1]'s */
	mpm_scratch_free(sc);
	mpm_free(out[0]);
	mpm_free(out[1]);
#undef P
}

/* Live databases shared by key: a set with the same patterns (other rules,
 * another order) takes the database a matcher holds instead of compiling
 * one, keeps it when the first holder goes, and the last frees it. */
static void test_mpm_shared(void **state)
{
	(void)state;
	if (strcmp(mpm_name(), "hyperscan"))
		skip();
	char err[256];
#define P(s, nc, r) { (const uint8_t *)(s), sizeof(s) - 1, nc, r }
	const struct mpm_pattern a[] = { P("shared-needle", false, 1), P("Shared-Hay", true, 2) };
	const struct mpm_pattern b[] = { P("shared-hay", true, 7), P("shared-needle", false, 8) };
	const struct mpm_pattern other[] = { P("shared-needle", false, 1), P("shared-other", true, 2) };
#undef P
	struct mpm_cache c = { 0 };
	struct mpm *x = mpm_build(a, 2, &c, err, sizeof(err));
	assert_non_null(x);
	assert_int_equal(c.compiled, 1);
	assert_int_equal(c.shared, 0);
	struct mpm *y = mpm_build(b, 2, &c, err, sizeof(err));
	assert_non_null(y);
	assert_int_equal(c.compiled, 1);
	assert_int_equal(c.shared, 1);
	struct mpm *o = mpm_build(other, 2, &c, err, sizeof(err));
	assert_non_null(o);
	assert_int_equal(c.compiled, 2); /* other patterns: its own */
	mpm_free(x);
	/* y keeps the database x compiled, with its own rules */
	assert_true(mpm_ready(y));
	assert_int_equal(mpm_hits(y, "a shared-needle"), 1u << 8);
	assert_int_equal(mpm_hits(y, "SHARED-HAY"), 1u << 7);
	assert_int_equal(mpm_hits(o, "shared-hay"), 0);
	struct mpm *z = mpm_build(a, 2, &c, err, sizeof(err));
	assert_non_null(z);
	assert_int_equal(c.shared, 2);
	assert_int_equal(mpm_hits(z, "shared-hay shared-needle"), 1u << 1 | 1u << 2);
	mpm_free(y);
	mpm_free(z);
	mpm_free(o);
	/* the last holder freed it: compiled again */
	x = mpm_build(a, 2, &c, err, sizeof(err));
	assert_non_null(x);
	assert_int_equal(c.compiled, 3);
	assert_int_equal(c.shared, 2);
	mpm_free(x);
}

/* Deferred compiling: the quick index reports exactly what a database of
 * the same patterns reports (random sets over a small alphabet, so that
 * windows collide), before and after the background database replaces
 * it; then with background compiling off for the process. */
static uint64_t mpm_hits64(const struct mpm *m, struct mpm_scratch *s, const uint8_t *b,
			   uint32_t len)
{
	uint64_t got = 0;
	mpm_scan(m, s, b, len, mpm_hit64, &got);
	return got;
}

static void mpm_random_set(uint32_t *seed, struct mpm_pattern *p, uint8_t (*bytes)[12],
			   uint32_t n, bool mixed)
{
	static const uint8_t abc[] = { 'a', 'A', 'b', 'B', 0, '/' };
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = 1 + (*seed = *seed * 1103515245u + 12345u) % 7;
		if (i % 5 == 0)
			len += 5; /* some past the 4-byte window */
		for (uint32_t k = 0; k < len; k++)
		{
			*seed = *seed * 1103515245u + 12345u;
			bytes[i][k] = abc[(*seed >> 16) % 6];
		}
		bool nc = mixed ? ((*seed >> 20) & 1) : false;
		p[i] = (struct mpm_pattern){ bytes[i], len, nc, i % 64 };
	}
}

static void test_mpm_quick_index(void **state)
{
	(void)state;
	char err[256];
	uint32_t seed = 7;
	bool hs = !strcmp(mpm_name(), "hyperscan");
	for (int round = 0; round < 2; round++) {
		if (round == 1)
			mpm_background_off();
		for (int t = 0; t < 20; t++) {
			struct mpm_pattern p[48];
			uint8_t bytes[48][12];
			mpm_random_set(&seed, p, bytes, 48, t % 2);
			struct mpm_cache dc = { .defer = true, .threads = 1 };
			struct mpm *q = mpm_build(p, 48, &dc, err, sizeof(err));
			assert_non_null(q);
			if (hs)
				assert_int_equal(dc.deferred, 1);
			/* the union's patterns are p's: built before h, which would
			 * lend it its database (test_mpm_shared) */
			const struct mpm_pattern *sets[] = { p, p + 20 };
			uint32_t ns[] = { 28, 28 };
			struct mpm *uq[2], *uh[2];
			struct mpm_cache uc = { .defer = true, .threads = 1 };
			assert_int_equal(mpm_build_union(sets, ns, 2, uq, &uc, err, sizeof(err)), 0);
			struct mpm *h = mpm_build(p, 48, NULL, err, sizeof(err));
			assert_non_null(h);
			assert_int_equal(mpm_build_union(sets, ns, 2, uh, NULL, err, sizeof(err)), 0);
			if (round == 1 && hs)
				assert_false(mpm_ready(uq[0]));
			struct mpm_scratch *s = mpm_scratch_grow(NULL, q);
			assert_non_null(s);
			s = mpm_scratch_grow(s, h);
			assert_non_null(s);
			/* round 0, odd sets: the database too, once the background
			 * thread has published it (its memory then counts) */
			for (int w = 0; round == 0 && t % 2 && hs && w < 1000 && !mpm_ready(q); w++)
				usleep(10000);
			assert_true(mpm_ready(q) == (round == 0 && t % 2 && hs) ||
				    (round == 0 && t % 2 == 0)); /* even: either, as it comes */
			assert_true(mpm_ready(h) == hs);
			for (int b = 0; b < 50; b++) {
				static const uint8_t abc[] = { 'a', 'A', 'b', 'B', 0, '/', 'c' };
				uint8_t buf[64];
				uint32_t len = (seed = seed * 1103515245u + 12345u) % 64;
				for (uint32_t k = 0; k < len; k++)
				{
					seed = seed * 1103515245u + 12345u;
					buf[k] = abc[(seed >> 16) % 7];
				}
				uint64_t want = mpm_hits64(h, s, buf, len);
				/* and what a plain search says, for sets of one case mode */
				uint64_t ref = 0;
				for (uint32_t i = 0; i < 48; i++)
					for (uint32_t o = 0; p[i].len <= len && o + p[i].len <= len; o++)
						if (!memcmp(buf + o, p[i].pat, p[i].len)) {
							ref |= 1ull << p[i].rule;
							break;
						}
				if (t % 2 == 0)
					assert_true(want == ref);
				assert_true(mpm_hits64(q, s, buf, len) == want);
				/* union views over a quick index (round 1: never
				 * compiled) against views over a database */
				for (int k = 0; k < 2; k++)
					assert_true(mpm_hits64(uq[k], s, buf, len) ==
						    mpm_hits64(uh[k], s, buf, len));
			}
			mpm_scratch_free(s);
			mpm_free(q);
			mpm_free(h);
			for (int k = 0; k < 2; k++) {
				mpm_free(uq[k]);
				mpm_free(uh[k]);
			}
		}
	}
}

static void test_byte_count_variable(void **state)
{
	(void)state;
	assert_true(pm("content:\"AB\"; byte_extract:1,0,n,relative,string; "
		       "byte_jump:n,0,relative,string; content:\"Z\"; within:1;", "AB2071234567Z"));
	assert_false(pm("content:\"AB\"; byte_extract:1,0,n,relative,string; "
			"byte_jump:n,0,relative,string; content:\"Z\"; within:1;", "AB2081234567Z"));
	assert_true(pm("content:\"AB\"; byte_extract:1,0,n,relative,string; "
		       "byte_jump:n,0,relative; isdataat:1,relative;", "AB0x"));
	assert_false(pm("content:\"AB\"; byte_extract:1,0,n,relative,string; "
			"byte_jump:n,0,relative;", "AB9xxxxxxxxxxxx")); /* 9 bytes: not a number */
}

/* config rules: "config: logging disable, type tx, scope tx" and nothing
 * else; the keyword only in a config rule. */
/* Suricata 8 keywords added for the keyword gap (tests/rules/
 * suricata8-keywords.txt): the older header buffer names are sticky buffers
 * of the same buffer, engine-event takes a full event name, and
 * app-layer-protocol has the mode "original". */
static bool in_buf(const char *rule, enum buffer_id b, const char *data)
{
	struct rule *r = parse(rule);
	if (!r)
		fail_msg("rule did not parse: %s: %s", rule, pc.err);
	if (!rule_list(r, b))
		fail_msg("no list in buffer %d: %s", (int)b, rule);
	assert_null(rule_list(r, BUF_PAYLOAD));
	struct insp st = { 0 };
	st.md = pcre2_match_data_create(32, NULL);
	st.buf = guard_copy(data, strlen(data));
	st.len = (uint32_t)strlen(data);
	st.budget = 3000;
	bool ok = payload_inspect(rule_list(r, b), &st);
	pcre2_match_data_free(st.md);
	rule_free(r);
	return ok;
}

static void test_suricata8_keywords(void **state)
{
	(void)state;
	static const struct { const char *kw; enum buffer_id b; const char *yes, *no; } alias[] = {
		{ "http_accept", BUF_HTTP_ACCEPT, "text/html,*/*", "image/png" },
		{ "http_accept_enc", BUF_HTTP_ACCEPT_ENC, "gzip, deflate", "identity" },
		{ "http_accept_lang", BUF_HTTP_ACCEPT_LANG, "en-US,en", "de-DE" },
		{ "http_referer", BUF_HTTP_REFERER, "http://a.example/", "http://b.test/" },
		{ "http_connection", BUF_HTTP_CONNECTION, "keep-alive", "close" },
		{ "http_start", BUF_HTTP_START, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", "POST / HTTP/1.0\r\n\r\n" },
		{ "http_header_names", BUF_HTTP_HEADER_NAMES, "\r\nHost\r\nUser-Agent\r\n\r\n", "\r\nHost\r\n\r\n" },
		{ "http_server", BUF_HTTP_SERVER, "nginx/1.22", "Apache" },
		{ "http_location", BUF_HTTP_LOCATION, "https://a.example/login", "/index.html" },
		{ "dns.query.name", BUF_DNS_QUERIES_RRNAME, "www.example.com", "www.example.org" },
	};
	static const char *const want[] = { "html", "gzip", "en-US", "a.example", "keep-alive", "GET /",
					     "User-Agent", "nginx", "a.example/login", "example.com" };
	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "alert tcp any any -> any any (%s; content:\"%s\"; sid:1;)",
			 alias[i].kw, want[i]);
		if (!in_buf(text, alias[i].b, alias[i].yes))
			fail_msg("%s: no match in \"%s\"", alias[i].kw, alias[i].yes);
		if (in_buf(text, alias[i].b, alias[i].no))
			fail_msg("%s: matched \"%s\"", alias[i].kw, alias[i].no);
		struct rule *r = parse(text);
		assert_non_null(r);
		assert_int_equal(r->alproto, alias[i].b == BUF_DNS_QUERIES_RRNAME ? ALP_DNS : ALP_HTTP);
		rule_free(r);
	}
	/* engine-event: the same event as decode-event / stream-event name */
	struct rule *a = parse("alert ip any any -> any any (engine-event:decoder.ipv4.trunc_pkt; sid:1;)");
	struct rule *b = parse("alert ip any any -> any any (decode-event:ipv4.trunc_pkt; sid:1;)");
	struct rule *c = parse("alert tcp any any -> any any (engine-event:stream.pkt_retransmission; sid:1;)");
	struct rule *d = parse("alert tcp any any -> any any (stream-event:pkt_retransmission; sid:1;)");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_non_null(d);
	assert_int_equal(a->npev, 1);
	assert_int_equal(a->pev[0], b->pev[0]);
	assert_int_equal(c->pev[0], d->pev[0]);
	assert_int_not_equal(a->pev[0], c->pev[0]);
	rule_free(a);
	rule_free(b);
	rule_free(c);
	rule_free(d);
	/* without its prefix the name is no event */
	assert_null(parse("alert ip any any -> any any (engine-event:ipv4.trunc_pkt; sid:1;)"));
	assert_true(pc.err[0]);
	/* app-layer-protocol:PROTO,original */
	struct rule *o = parse("alert tcp any any -> any any (app-layer-protocol:smtp,original; sid:1;)");
	if (!o)
		fail_msg("original refused: %s", pc.err);
	assert_int_equal(o->nalp, 1);
	assert_int_equal(o->alp[0].mode, ALPM_ORIGINAL);
	assert_int_equal(o->alp[0].p, ALP_SMTP);
	rule_free(o);
	assert_null(parse("alert tcp any any -> any any (app-layer-protocol:smtp,originally; sid:1;)"));
	/* ntp.version, ntp.mode, ntp.stratum on an NTP header: a v4 client
	 * request (0x23: version 4, mode 3, stratum 0) and a v3 server reply
	 * (0x1c: version 3, mode 4, stratum 2, reference id LOCL) */
	uint8_t req[48] = { 0x23, 0, 6, 0xe9 }, rep[48] = { 0x1c, 2, 6, 0xe9, [12] = 'L', 'O', 'C', 'L' };
	assert_true(pmb("ntp.version:4;", req, sizeof(req)));
	assert_false(pmb("ntp.version:4;", rep, sizeof(rep)));
	assert_true(pmb("ntp.version:>=3;", rep, sizeof(rep)));
	assert_false(pmb("ntp.version:<3;", rep, sizeof(rep)));
	assert_true(pmb("ntp.version:3-4;", req, sizeof(req)));
	assert_false(pmb("ntp.version:3<>4;", req, sizeof(req)));
	assert_true(pmb("ntp.mode:client;", req, sizeof(req)));
	assert_false(pmb("ntp.mode:client;", rep, sizeof(rep)));
	assert_true(pmb("ntp.mode:!client;", rep, sizeof(rep)));
	assert_true(pmb("ntp.mode:4;", rep, sizeof(rep)));
	assert_true(pmb("ntp.stratum:2;", rep, sizeof(rep)));
	assert_false(pmb("ntp.stratum:2;", req, sizeof(req)));
	assert_true(pmb("ntp.stratum:<1;", req, sizeof(req)));
	/* with content before it, the content stays relative to itself */
	assert_true(pmb("content:\"LOCL\"; ntp.version:3; isdataat:4,relative;", rep, sizeof(rep)));
	static const char *const bad_ntp[] = {
		"alert ntp any any -> any any (ntp.version:8; sid:1;)",
		"alert ntp any any -> any any (ntp.mode:sideways; sid:1;)",
		"alert ntp any any -> any any (ntp.stratum:256; sid:1;)",
		"alert ntp any any -> any any (ntp.stratum; sid:1;)",
	};
	REFUSED(bad_ntp);
	assert_true(in_buf("alert ntp any any -> any any (ntp.reference_id; content:\"LOCL\"; sid:1;)",
			   BUF_NTP_REFERENCE_ID, "LOCL"));
	assert_false(in_buf("alert ntp any any -> any any (ntp.reference_id; content:\"LOCL\"; sid:1;)",
			    BUF_NTP_REFERENCE_ID, "GPS\0"));
}

/* kw_num_parse, the declarative option parser: each shape's accepted forms,
 * its range and its refusals (naming the keyword and quoting the value). */
static int two_names(const char *s)
{
	return !strcmp(s, "low") ? 1 : !strcmp(s, "high") ? 2 : -1;
}

static void test_kw_num_parse(void **state)
{
	(void)state;
	static const char *const tbl[] = { "zero", NULL, "two" };
	const struct kw_num num = { .kw = "k.num", .max = 255 };
	const struct kw_num named = { .kw = "k.name", .max = 15, .names = tbl, .nnames = 3 };
	const struct kw_num looked = { .kw = "k.look", .max = 15, .lookup = two_names,
				       .flags = KN_NAME_NOT, .what = "level" };
	const struct kw_num bang = { .kw = "k.bang", .max = 15, .flags = KN_BANG_NEG };
	const struct kw_num eq = { .kw = "k.eq", .max = 2, .flags = KN_EQ_ONLY };
	static const struct { const char *arg; uint8_t op; uint64_t a, b; } ok[] = {
		{ "5", CMP_EQ, 5, 0 }, { " 7 ", CMP_EQ, 7, 0 }, { "=4", CMP_EQ, 4, 0 },
		{ "<5", CMP_LT, 5, 0 }, { ">9", CMP_GT, 9, 0 }, { "<=7", CMP_LE, 7, 0 },
		{ ">=3", CMP_GE, 3, 0 }, { "!2", CMP_NE, 2, 0 }, { "!=2", CMP_NE, 2, 0 },
		{ "1-3", CMP_RANGE_IN, 1, 3 }, { "1<>4", CMP_RANGE_EX, 1, 4 }, { "0x10", CMP_EQ, 16, 0 },
		{ "255", CMP_EQ, 255, 0 },
	};
	struct numcmp n;
	bool neg;
	char err[128];
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		if (kw_num_parse(&num, ok[i].arg, &n, &neg, err, sizeof(err)) < 0)
			fail_msg("refused \"%s\": %s", ok[i].arg, err);
		assert_int_equal(n.op, ok[i].op);
		assert_int_equal(n.a, ok[i].a);
		if (n.op == CMP_RANGE_IN || n.op == CMP_RANGE_EX)
			assert_int_equal(n.b, ok[i].b);
		assert_false(neg);
	}
	static const char *const bad[] = { "256", "-1", "4-2", "abc", "1<>300", "<", "5x" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (kw_num_parse(&num, bad[i], &n, &neg, err, sizeof(err)) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
		char want[64];
		snprintf(want, sizeof(want), "k.num: bad value \"%s\"", bad[i]);
		assert_string_equal(err, want);
	}
	assert_int_equal(kw_num_parse(&num, "", &n, &neg, err, sizeof(err)), -1);
	assert_string_equal(err, "k.num needs a value");
	assert_int_equal(kw_num_parse(&num, NULL, &n, &neg, err, sizeof(err)), -1);

	/* names from a table (the index) or a lookup, numbers still allowed */
	assert_int_equal(kw_num_parse(&named, "two", &n, &neg, err, sizeof(err)), 0);
	assert_int_equal(n.op, CMP_EQ);
	assert_int_equal(n.a, 2);
	assert_int_equal(kw_num_parse(&named, "<3", &n, &neg, err, sizeof(err)), 0);
	assert_int_equal(n.op, CMP_LT);
	assert_int_equal(kw_num_parse(&named, "one", &n, &neg, err, sizeof(err)), -1);
	assert_string_equal(err, "k.name: bad value \"one\"");
	assert_int_equal(kw_num_parse(&named, "16", &n, &neg, err, sizeof(err)), -1);
	assert_int_equal(kw_num_parse(&looked, "!high", &n, &neg, err, sizeof(err)), 0);
	assert_int_equal(n.op, CMP_NE);
	assert_int_equal(n.a, 2);
	assert_int_equal(kw_num_parse(&looked, "low", &n, &neg, err, sizeof(err)), 0);
	assert_int_equal(n.op, CMP_EQ);
	assert_int_equal(n.a, 1);
	assert_int_equal(kw_num_parse(&looked, "medium", &n, &neg, err, sizeof(err)), -1);
	assert_string_equal(err, "k.look: unknown level \"medium\"");

	/* a leading '!' as the condition's negation; a single number only */
	assert_int_equal(kw_num_parse(&bang, "!3", &n, &neg, err, sizeof(err)), 0);
	assert_true(neg);
	assert_int_equal(n.op, CMP_EQ);
	assert_int_equal(n.a, 3);
	assert_int_equal(kw_num_parse(&eq, "1", &n, &neg, err, sizeof(err)), 0);
	assert_int_equal(n.a, 1);
	assert_int_equal(kw_num_parse(&eq, "<2", &n, &neg, err, sizeof(err)), -1);
	assert_string_equal(err, "k.eq: \"<2\" is not a number from 0 to 2");
	assert_int_equal(kw_num_parse(&eq, "3", &n, &neg, err, sizeof(err)), -1);

	/* rows: where the comparison lands in a rule */
	struct rule *r = parse("alert ip any any -> any any (ttl:10<>20; ip_proto:!tcp; sid:1;)");
	assert_non_null(r);
	assert_true(r->hdr_mask & 1u << HC_TTL);
	assert_int_equal(r->hdr[HC_TTL].op, CMP_RANGE_EX);
	assert_int_equal(r->hdr[HC_TTL].b, 20);
	assert_int_equal(r->hdr[HC_IP_PROTO].op, CMP_NE);
	assert_int_equal(r->hdr[HC_IP_PROTO].a, 6);
	rule_free(r);
	r = parse("alert krb5 any any -> any any (krb5_msg_type:!KRB_AS_REQ; sid:2;)");
	assert_non_null(r);
	assert_int_equal(r->nac, 1);
	assert_int_equal(r->ac[0].type, AC_KRB5);
	assert_int_equal(r->ac[0].mask, KRB5_C_MSG_TYPE);
	assert_int_equal(r->ac[0].c.op, CMP_NE);
	assert_int_equal(r->ac[0].c.a, 10);
	rule_free(r);
	assert_null(parse("alert dns any any -> any any (dns.opcode:16; sid:3;)"));
	assert_string_equal(pc.err, "dns.opcode: bad value \"16\"");
	/* decimal with a leading zero (not octal, as Suricata), and hex with 0x */
	r = parse("alert ip any any -> any any (ttl:010; id:0x10; sid:4;)");
	assert_non_null(r);
	assert_int_equal(r->hdr[HC_TTL].a, 10);
	assert_int_equal(r->hdr[HC_ID].a, 16);
	rule_free(r);
}

static void test_config_rule(void **state)
{
	(void)state;
	struct rule *r = parse("config dns any any -> any any (dns.query; content:\"x\"; "
			       "config: logging disable, type tx, scope tx; sid:1;)");
	assert_non_null(r);
	assert_int_equal(r->action, ACT_CONFIG);
	assert_true(r->config_nolog);
	rule_free(r);
	static const char *const bad[] = {
		"config dns any any -> any any (dns.query; content:\"x\"; sid:1;)",
		"config dns any any -> any any (config: logging disable, type flow, scope tx; sid:1;)",
		"config dns any any -> any any (config: logging disable; sid:1;)",
		"alert dns any any -> any any (config: logging disable, type tx, scope tx; sid:1;)",
	};
	REFUSED(bad);
}


/* frame:NAME: the frame type as Suricata resolves the name (with the
 * rule's protocol), the frame buffer with content on it; unknown frame
 * types skipped as unsupported; the websocket.* conditions as written. */
static void test_frame_and_websocket(void **state)
{
	(void)state;
	static const struct { const char *text; int type, alp; } ok[] = {
		{ "alert websocket any any -> any any (frame:websocket.pdu; content:\"|81 15|ver\"; startswith; sid:1;)",
		  FR_WEBSOCKET_PDU, ALP_WEBSOCKET },
		{ "alert mqtt any any -> any any (frame:pdu; content:\"|10|\"; sid:1;)", FR_MQTT_PDU, ALP_MQTT },
		{ "alert mqtt any any -> any any (frame:header; content:\"|20|\"; sid:1;)", FR_MQTT_HEADER, ALP_MQTT },
		{ "alert http1 any any -> any any (frame:request; content:\"GET\"; sid:1;)", FR_HTTP1_REQUEST, ALP_HTTP1 },
		{ "alert http any any -> any any (frame:http1.response; content:\"uid\"; sid:1;)", FR_HTTP1_RESPONSE, ALP_HTTP },
		{ "alert sip any any -> any any (frame:request.line; content:\"REG\"; sid:1;)", FR_SIP_REQUEST_LINE, ALP_SIP },
		{ "alert tcp any any -> any any (frame:dns.pdu; content:\"x\"; sid:1;)", FR_DNS_PDU, ALP_DNS },
		{ "alert ssh any any -> any any (frame:ssh.record.hdr; content:\"|15|\"; sid:1;)", FR_SSH_RECORD_HDR, ALP_SSH },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct rule *r = parse(ok[i].text);
		if (!r)
			fail_msg("refused: %s: %s", ok[i].text, pc.err);
		assert_int_equal(r->frame_type, ok[i].type);
		assert_int_equal(r->alproto, ok[i].alp);
		assert_true(rule_list(r, BUF_FRAME) && rule_list(r, BUF_FRAME)->cnt == 1);
		rule_free(r);
	}
	/* content on a frame's bytes: startswith / endswith / bsize */
	struct rule *r = parse("alert websocket any any -> any any (frame:websocket.pdu; "
			       "content:\"|81 05|hello\"; startswith; endswith; bsize:7; sid:1;)");
	assert_non_null(r);
	struct insp st = { 0 };
	st.md = pcre2_match_data_create(32, NULL);
	const uint8_t frame[] = "\x81\x05hello";
	st.buf = guard_copy(frame, 7);
	st.len = 7;
	st.budget = 3000;
	assert_true(payload_inspect(rule_list(r, BUF_FRAME), &st));
	st.buf = guard_copy("\x81\x06hello!", 8);
	st.len = 8;
	st.budget = 3000;
	assert_false(payload_inspect(rule_list(r, BUF_FRAME), &st));
	pcre2_match_data_free(st.md);
	rule_free(r);
	/* a frame vigil does not know: skipped, named */
	assert_null(parse("alert http2 any any -> any any (frame:http2.data; content:\"x\"; sid:1;)"));
	assert_true(pc.unsupported);
	assert_string_equal(pc.kw, "frame:http2.data");
	/* SMB's, named within the smb protocol */
	r = parse("alert smb any any -> any any (frame:smb2.data; content:\"x\"; sid:1;)");
	assert_non_null(r);
	rule_free(r);
	assert_null(parse("alert mqtt any any -> any any (frame:nope; content:\"x\"; sid:1;)"));
	assert_true(pc.unsupported);
	/* websocket conditions */
	r = parse("alert websocket any any -> any any (websocket.opcode:text; websocket.flags:fin,!comp; "
		  "websocket.mask:>0; sid:1;)");
	assert_non_null(r);
	assert_int_equal(r->alproto, ALP_WEBSOCKET);
	assert_int_equal(r->nac, 3);
	assert_int_equal(r->ac[0].type, AC_WS_OPCODE);
	assert_int_equal(r->ac[0].c.a, 1);
	assert_int_equal(r->ac[1].type, AC_WS_FLAGS);
	assert_int_equal(r->ac[1].mask, 0xc0);
	assert_int_equal(r->ac[1].neg_mask, 0x80);
	assert_int_equal(r->ac[2].type, AC_WS_MASK);
	assert_int_equal(r->ac[2].c.op, CMP_GT);
	rule_free(r);
	r = parse("alert websocket any any -> any any (websocket.flags:&0x40=0x40; websocket.opcode:!ping; sid:1;)");
	assert_non_null(r);
	assert_int_equal(r->ac[0].mask, 0x40);
	assert_int_equal(r->ac[0].neg_mask, 0x40);
	assert_int_equal(r->ac[1].c.op, CMP_NE);
	assert_int_equal(r->ac[1].c.a, 9);
	rule_free(r);
	static const char *const bad[] = {
		"alert websocket any any -> any any (websocket.opcode:bogus; sid:1;)",
		"alert websocket any any -> any any (websocket.flags:fin,fin; sid:1;)",
		"alert websocket any any -> any any (websocket.flags:rsv2; sid:1;)",
		"alert websocket any any -> any any (websocket.flags:&0x40; sid:1;)",
		"alert websocket any any -> any any (websocket.mask:x; sid:1;)",
		"alert dns any any -> any any (frame:mqtt.pdu; content:\"x\"; sid:1;)",
	};
	REFUSED(bad);
}

/* The keywords of kw_gap.c: tls_cert_* dates parsed as Suricata's forms
 * and matched against a certificate at a packet time; fragoffset, ipopts
 * and vlan.layers as header checks; the LDAP attribute buffers; bad
 * values refused with a reason. */
static void test_kw_gap(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(kw_gap_date("2026-11-22T18:51:43", &t), 0);
	assert_int_equal(t, 1795373503);
	assert_int_equal(kw_gap_date(" 2026-11-22 18:51 ", &t), 0);
	assert_int_equal(t, 1795373460);
	assert_int_equal(kw_gap_date("2026-11", &t), 0);
	assert_int_equal(t, 1793491200);
	assert_int_equal(kw_gap_date("1960-01-01", &t), 0);
	assert_int_equal(t, -315619200);
	assert_int_equal(kw_gap_date("2015", &t), 0); /* a year, as Suricata 9 */
	assert_int_equal(t, 1420070400);
	assert_int_equal(kw_gap_date("20150", &t), 0); /* other digits: epoch seconds */
	assert_int_equal(t, 20150);
	assert_int_equal(kw_gap_date("2026-13-01", &t), -1);
	assert_int_equal(kw_gap_date("12:00", &t), -1);
	assert_int_equal(kw_gap_date("2026-11-22X", &t), -1);
	assert_true(kw_gap_cert_time("2000-02-29T00:00:00", &t) && t == 951782400);
	assert_false(kw_gap_cert_time("", &t));

	/* a certificate valid 2026-11-22T18:51:43 .. 2026-11-23T18:51:43 */
	struct tls_info ti = { 0 };
	strcpy(ti.notbefore, "2026-11-22T18:51:43");
	strcpy(ti.notafter, "2026-11-23T18:51:43");
	static const struct { const char *opt; int64_t now; bool want; } v[] = {
		{ "tls_cert_notbefore:2026-11-22T18:51:43;", 0, true },
		{ "tls_cert_notbefore:2026-11-22T18:51:44;", 0, false },
		{ "tls_cert_notbefore:<2026-11-22T18:51:43;", 0, true }, /* inclusive */
		{ "tls_cert_notbefore:>2026-11-23;", 0, false },
		{ "tls_cert_notafter:>2026-11-23;", 0, true },
		{ "tls_cert_notafter:2026-11-01<>2026-11-30;", 0, true },
		{ "tls_cert_notafter:2026-11-24<>2027-01;", 0, false },
		{ "tls_cert_expired;", 1795459903, false },   /* at notAfter */
		{ "tls_cert_expired;", 1795459904, true },
		{ "tls_cert_valid;", 1795459903, true },
		{ "tls_cert_valid;", 1795459904, false },
		{ "tls_cert_valid;", 0, true },               /* notBefore is not checked */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "alert tls any any -> any any (%s sid:1;)", v[i].opt);
		struct rule *r = parse(text);
		if (!r)
			fail_msg("did not parse: %s: %s", text, pc.err);
		assert_int_equal(r->nac, 1);
		assert_int_equal(r->ac[0].type, AC_TLS_VALIDITY);
		if (kw_gap_tls_validity_ok(&r->ac[0], &ti, v[i].now) != v[i].want)
			fail_msg("%s at %lld: want %d", v[i].opt, (long long)v[i].now, v[i].want);
		struct tls_info none = { 0 };
		assert_false(kw_gap_tls_validity_ok(&r->ac[0], &none, v[i].now));
		rule_free(r);
	}

	struct rule *r = parse("alert ip any any -> any any (fragoffset:!0; ipopts:lsrr; vlan.layers:1-2; sid:1;)");
	assert_non_null(r);
	assert_true(r->hdr_mask & 1u << HC_FRAGOFF);
	assert_int_equal(r->hdr[HC_FRAGOFF].op, CMP_NE);
	assert_int_equal(r->hdr[HC_FRAGOFF].a, 0);
	assert_int_equal(r->hdr[HC_IPOPTS].a, IPOPT_F_LSRR);
	assert_int_equal(r->hdr[HC_VLAN_LAYERS].op, CMP_RANGE_IN);
	assert_int_equal(r->hdr[HC_VLAN_LAYERS].b, 2);
	rule_free(r);
	r = parse("alert ip any any -> any any (ipopts:rtralt; sid:1;)");
	assert_non_null(r);
	assert_int_equal(r->hdr[HC_IPOPTS].a, IPOPT_F_RTRALT);
	rule_free(r);
	r = parse("alert ip any any -> any any (fragoffset:>185; ipopts:ANY; sid:1;)");
	assert_non_null(r);
	assert_int_equal(r->hdr[HC_FRAGOFF].op, CMP_GT);
	assert_int_equal(r->hdr[HC_FRAGOFF].a, 185);
	assert_int_equal(r->hdr[HC_IPOPTS].a, 0);
	rule_free(r);
	r = parse("alert ldap any any -> any any (ldap.request.attribute_type; content:\"mail\"; "
		  "ldap.responses.attribute_type; content:\"cn\"; sid:1;)");
	assert_non_null(r);
	assert_non_null(rule_list(r, BUF_LDAP_REQUEST_ATTRIBUTE_TYPE));
	assert_non_null(rule_list(r, BUF_LDAP_RESPONSES_ATTRIBUTE_TYPE));
	assert_int_equal(r->alproto, ALP_LDAP);
	rule_free(r);

	static const char *const bad[] = {
		"alert tls any any -> any any (tls_cert_notbefore; sid:1;)",
		"alert tls any any -> any any (tls_cert_notbefore:yesterday; sid:1;)",
		"alert tls any any -> any any (tls_cert_notbefore:12:00; sid:1;)",
		"alert tls any any -> any any (tls_cert_notafter:<2020<>2021; sid:1;)",
		"alert tls any any -> any any (tls_cert_notafter:2021-01<>2020-01; sid:1;)",
		"alert tls any any -> any any (tls_cert_expired:yes; sid:1;)",
		"alert ip any any -> any any (fragoffset:8192; sid:1;)",
		"alert ip any any -> any any (fragoffset:<=5; sid:1;)",
		"alert ip any any -> any any (fragoffset:1-5; sid:1;)",
		"alert ip any any -> any any (fragoffset; sid:1;)",
		"alert ip any any -> any any (ipopts:foo; sid:1;)",
		"alert ip any any -> any any (ipopts:rr; ipopts:ts; sid:1;)",
		"alert ip any any -> any any (vlan.layers:x; sid:1;)",
		"alert ip any any -> any any (vlan.layers:256; sid:1;)",
		"alert ldap any any -> any any (ldap.request.attribute_type:x; sid:1;)",
	};
	REFUSED(bad);
}

/* vlan.id: the comparison and the layer as written; bad ones refused. */
static void test_vlan_id(void **state)
{
	(void)state;
	struct rule *r = parse("alert ip any any -> any any (vlan.id:0x12C,1; sid:1;)");
	assert_non_null(r);
	assert_true(r->fc && r->fc->has_vlan);
	assert_int_equal(r->fc->vlan.a, 300);
	assert_int_equal(r->fc->vlan_layer, 1);
	rule_free(r);
	r = parse("alert ip any any -> any any (vlan.id:!500,all; sid:1;)");
	assert_non_null(r);
	assert_int_equal(r->fc->vlan.op, CMP_NE);
	assert_int_equal(r->fc->vlan_layer, VLAN_ALL);
	rule_free(r);
	r = parse("alert ip any any -> any any (vlan.id:400,-1; sid:1;)");
	assert_non_null(r);
	assert_int_equal(r->fc->vlan_layer, VLAN_LAST);
	rule_free(r);
	static const char *const bad[] = {
		"alert ip any any -> any any (vlan.id:5000; sid:1;)",
		"alert ip any any -> any any (vlan.id:100,3; sid:1;)",
		"alert ip any any -> any any (vlan.id:100,first; sid:1;)",
		"alert ip any any -> any any (vlan.id; sid:1;)",
		"alert ipv6 any any -> any any (icmpv6.mtu:-5; sid:1;)",
	};
	REFUSED(bad);
	/* icmpv6.mtu: a header check on ICMPv6 */
	r = parse("alert ipv6 any any -> any any (icmpv6.mtu:<1280; sid:1;)");
	assert_non_null(r);
	assert_true(r->hdr_mask & 1u << HC_ICMPV6_MTU);
	assert_int_equal(r->proto, 58);
	assert_int_equal(r->hdr[HC_ICMPV6_MTU].a, 1280);
	rule_free(r);
}

/* gunzip and zlib_deflate: the decompressed data, cut at max-size; what is
 * not compressed does not match. */
static void test_inflate(void **state)
{
	(void)state;
	static const char gz[] = { 0x1f, (char)0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, (char)0xcb, 0x48,
				   (char)0xcd, (char)0xc9, (char)0xc9, 0x57, 0x48, (char)0xaf, (char)0xca, 0x2c, 0x50, 0x28,
				   (char)0xcf, 0x2f, (char)0xca, 0x49, 0x01, 0x00, 0x6b, 0x7d, (char)0xe8, (char)0xb7, 0x10,
				   0x00, 0x00, 0x00 };
	static const char zl[] = { 0x78, (char)0x9c, (char)0xcb, 0x48, (char)0xcd, (char)0xc9, (char)0xc9, 0x57,
				   (char)0xa8, (char)0xca, (char)0xc9, 0x4c, 0x52, 0x28, (char)0xcf, 0x2f, (char)0xca, 0x49,
				   0x01, 0x00, 0x34, 0x5a, 0x06, 0x2e };
	assert_true(xm("gunzip; content:\"hello gzip world\"; startswith; endswith;", gz, sizeof(gz)));
	assert_true(xm("gunzip: max-size 5; content:\"hello\"; startswith; endswith;", gz, sizeof(gz)));
	assert_false(xm("gunzip: max-size 5; content:\"hello \";", gz, sizeof(gz)));
	assert_true(xm("zlib_deflate; content:\"zlib world\"; endswith;", zl, sizeof(zl)));
	assert_false(xm("gunzip; content:\"hello\";", zl, sizeof(zl))); /* zlib is not gzip */
	assert_false(XM("gunzip; content:\"x\";", "plain text x"));
	static const char *const bad[] = {
		"alert http any any -> any any (http.uri; gunzip: max-size 0; content:\"x\"; sid:1;)",
		"alert http any any -> any any (http.uri; gunzip: size 8; content:\"x\"; sid:1;)",
		"alert http any any -> any any (http.uri; zlib_deflate: max-size 99999999; content:\"x\"; sid:1;)",
	};
	REFUSED(bad);
}

/* dataset: isset/isnotset against a loaded file (strings in base64,
 * digests in hex, ndjson), set answering only the first time, unset,
 * match subdomain, a second rule reusing a set without its type, and the
 * files a rule may not name. */
/* The context a rule's http.uri datajson matches give (alert.context);
 * "" when the rule does not match. */
static void ctx_of(const char *opts, const char *data, char *out, size_t cap)
{
	char text[2048];
	snprintf(text, sizeof(text), "alert http any any -> any any (http.uri; %s sid:1;)", opts);
	struct rule *r = parse(text);
	if (!r)
		fail_msg("rule did not parse: %s: %s", opts, pc.err);
	struct insp st = { 0 };
	st.md = pcre2_match_data_create(32, NULL);
	st.buf = guard_copy(data, strlen(data));
	st.len = (uint32_t)strlen(data);
	st.budget = 3000;
	bool ok = payload_inspect(rule_list(r, BUF_HTTP_URI), &st);
	snprintf(out, cap, "%.*s", ok ? (int)st.ctx_len : 0, st.ctx);
	pcre2_match_data_free(st.md);
	rule_free(r);
}

/* datajson (Suricata 8): a set loaded from ndjson or a JSON array keeps
 * each value's object; an isset match puts it in the alert under
 * context_key (remove_key: without the value's member); the first of
 * duplicate values stays; bad options are refused. */
static void test_datajson(void **state)
{
	(void)state;
	char dir[] = "/tmp/vigil-dj-XXXXXX", cwd[4096];
	assert_non_null(mkdtemp(dir));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	FILE *f = fopen("u.ndjson", "w");
	assert_non_null(f);
	fputs("{\"ioc\": {\"u\": \"/a\"}, \"year\": 2005}\n{\"ioc\": {\"u\": \"/b\"}, \"n\": 2}\n", f);
	fclose(f);
	f = fopen("u.json", "w");
	assert_non_null(f);
	fputs("[\n {\"u\": \"/x\", \"t\": \"first\"},\n {\"u\": \"/x\", \"t\": \"second\"},\n"
	      " {\"u\": \"/y]}\", \"t\": [1, {\"z\": 2}]}\n]\n", f);
	fclose(f);
	char ctx[1024];
	ctx_of("dataset:isset,dj-a,type string,load u.ndjson,format ndjson,context_key hit,value_key ioc.u;",
	       "/a", ctx, sizeof(ctx));
	assert_string_equal(ctx, "{\"hit\":{\"ioc\": {\"u\": \"/a\"}, \"year\": 2005}}");
	ctx_of("dataset:isset,dj-a,type string,load u.ndjson,format ndjson,context_key hit,value_key ioc.u;",
	       "/c", ctx, sizeof(ctx));
	assert_string_equal(ctx, "");
	ctx_of("dataset:isset,dj-r,type string,load u.ndjson,format ndjson,context_key hit,value_key ioc.u,"
	       "remove_key;", "/b", ctx, sizeof(ctx));
	assert_string_equal(ctx, "{\"hit\":{\"ioc\": {}, \"n\": 2}}");
	ctx_of("dataset:isset,dj-j,type string,load u.json,format json,context_key k,value_key u;", "/x", ctx,
	       sizeof(ctx));
	assert_string_equal(ctx, "{\"k\":{\"u\": \"/x\", \"t\": \"first\"}}");
	ctx_of("dataset:isset,dj-j,type string,load u.json,format json,context_key k,value_key u;", "/y]}",
	       ctx, sizeof(ctx));
	assert_string_equal(ctx, "{\"k\":{\"u\": \"/y]}\", \"t\": [1, {\"z\": 2}]}}");
	/* two sets, one rule: both objects */
	ctx_of("dataset:isset,dj-j,type string,load u.json,format json,context_key k,value_key u; "
	       "dataset:isset,dj-j2,type string,load u.json,format json,context_key k2,value_key u,remove_key;",
	       "/x", ctx, sizeof(ctx));
	assert_string_equal(ctx, "{\"k\":{\"u\": \"/x\", \"t\": \"first\"},\"k2\":{\"t\": \"first\"}}");
	static const char *const bad[] = {
		"alert http any any -> any any (http.uri; dataset:isset,dj-b1,type string,load u.ndjson,"
		"remove_key,format ndjson,value_key ioc.u; sid:1;)",
		"alert http any any -> any any (http.uri; dataset:isset,dj-b2,type string,context_key k; sid:1;)",
		"alert http any any -> any any (http.uri; dataset:isset,dj-b3,type string,load u.json,format json,"
		"context_key k,value_key u,array_key a; sid:1;)",
		"alert http any any -> any any (http.uri; dataset:isset,dj-b4,type string,load u.json,format json,"
		"context_key a\"b,value_key u; sid:1;)",
	};
	REFUSED(bad);
	unlink("u.ndjson");
	unlink("u.json");
	assert_int_equal(chdir(cwd), 0);
	rmdir(dir);
}

static void test_dataset(void **state)
{
	(void)state;
	char dir[] = "/tmp/vigil-ds-XXXXXX", cwd[4096];
	assert_non_null(mkdtemp(dir));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	FILE *f = fopen("ua.csv", "w");
	assert_non_null(f);
	fputs("# a comment\nY3VybC83LjQzLjA=\nL2FkbWlu\n", f); /* curl/7.43.0, /admin */
	fclose(f);
	/* a dataset's file with a reputation on a line, a datarep file with a
	 * line without one or out of 0-65535: refused, as Suricata does */
	f = fopen("mix.csv", "w");
	assert_non_null(f);
	fputs("Y3VybA==\nL2FkbWlu,10\n", f);
	fclose(f);
	f = fopen("rmix.csv", "w");
	assert_non_null(f);
	fputs("Y3VybA==,1\nL2FkbWlu\n", f);
	fclose(f);
	f = fopen("rbig.csv", "w");
	assert_non_null(f);
	fputs("Y3VybA==,65536\n", f);
	fclose(f);
	f = fopen("rneg.csv", "w");
	assert_non_null(f);
	fputs("Y3VybA==,-1\n", f);
	fclose(f);
	f = fopen("md5.csv", "w");
	assert_non_null(f);
	fputs("21232f297a57a5a743894a0e4a801fc3\n", f); /* md5("admin") */
	fclose(f);
	f = fopen("dom.json", "w");
	assert_non_null(f);
	fputs("{\"domain\": \"/evil\"}\n", f);
	fclose(f);
	f = fopen("bad.csv", "w");
	assert_non_null(f);
	fputs("Y3VybA==\n!!notbase64\n", f);
	fclose(f);
	assert_true(XM("dataset:isset,t-ua,type string,load ua.csv;", "/admin"));
	assert_false(XM("dataset:isset,t-ua,type string,load ua.csv;", "/admi"));
	assert_true(XM("dataset:isnotset,t-ua,type string,load ua.csv;", "/index"));
	/* set: true when added, then no more */
	assert_true(XM("dataset:set,t-seen,type string;", "/x"));
	assert_false(XM("dataset:set,t-seen,type string;", "/x"));
	assert_true(XM("dataset:isset,t-seen;", "/x")); /* no type: the existing set's */
	assert_true(XM("dataset:unset,t-seen;", "/x"));
	assert_false(XM("dataset:isset,t-seen;", "/x"));
	/* digests: the transformed buffer's bytes against hex lines */
	assert_true(XM("to_md5; dataset:isset,t-md5,type md5,load md5.csv;", "admin"));
	assert_false(XM("to_md5; dataset:isset,t-md5,type md5,load md5.csv;", "root"));
	/* ndjson, and match subdomain over the path's "/" parts is not it:
	 * only dots split, so "/evil.x" has the suffix ".x" only */
	assert_true(XM("dataset:isset,t-dom,type string,load dom.json,format ndjson,value_key domain;", "/evil"));
	f = fopen("sub.csv", "w");
	assert_non_null(f);
	fputs("LmV2aWwuY29t\n", f); /* .evil.com */
	fclose(f);
	assert_true(XM("dataset:isset,t-sub,type string,load sub.csv,match subdomain;", ".mail.evil.com"));
	assert_true(XM("dataset:isset,t-sub,type string,load sub.csv,match subdomain;", ".evil.com"));
	assert_false(XM("dataset:isset,t-sub,type string,load sub.csv,match subdomain;", ".evil.com.org"));
	assert_true(XM("dataset:isnotset,t-sub,type string,load sub.csv,match subdomain;", ".example.com"));
	assert_false(XM("dataset:isnotset,t-sub,type string,load sub.csv,match subdomain;", ".a.evil.com"));
	static const char *const bad[] = {
		"alert http any any -> any any (http.uri; dataset:isset,x1,type string,load /etc/passwd; sid:1;)",
		"alert http any any -> any any (http.uri; dataset:isset,x2,type string,load ../ua.csv; sid:1;)",
		"alert http any any -> any any (http.uri; dataset:isset,x3,type string,save a/../../x; sid:1;)",
		"alert http any any -> any any (http.uri; dataset:isset,x4,type blob; sid:1;)",
		"alert http any any -> any any (http.uri; dataset:isset,x5; sid:1;)",
		"alert http any any -> any any (http.uri; dataset:isset,t-ua,type md5; sid:1;)",
		"alert http any any -> any any (http.uri; dataset:isset,x6,type string,load bad.csv; sid:1;)",
		"alert http any any -> any any (http.uri; dataset:isset,x7,type string,load nofile.csv; sid:1;)",
		"alert tcp any any -> any any (dataset:isset,x8,type string; sid:1;)",
		"alert http any any -> any any (http.uri; dataset:isset,x9,type string,load mix.csv; sid:1;)",
		"alert http any any -> any any (http.uri; datarep:x10,>,1,type string,load rmix.csv; sid:1;)",
		"alert http any any -> any any (http.uri; datarep:x11,>,1,type string,load rbig.csv; sid:1;)",
		"alert http any any -> any any (http.uri; datarep:x12,>,1,type string,load rneg.csv; sid:1;)",
	};
	REFUSED(bad);
	struct rule *r = parse(bad[6]);
	assert_null(r);
	assert_non_null(strstr(pc.err, "bad.csv:2"));
	assert_null(parse(bad[9]));
	assert_non_null(strstr(pc.err, "mix.csv:2: Cannot mix dataset and datarep values for set x9"));
	assert_null(parse(bad[10]));
	assert_non_null(strstr(pc.err, "rmix.csv:2: Cannot mix dataset and datarep values for set x10"));
	assert_null(parse(bad[12]));
	assert_non_null(strstr(pc.err, "invalid datarep value x12"));
	/* datarep: in the set with a reputation that compares */
	f = fopen("rep.csv", "w");
	assert_non_null(f);
	fputs("L2FkbWlu,300\nL2luZGV4,10\n", f); /* /admin 300, /index 10 */
	fclose(f);
	assert_true(XM("datarep:t-rep,>,200,load rep.csv,type string;", "/admin"));
	assert_false(XM("datarep:t-rep,>,200,load rep.csv,type string;", "/index"));
	assert_true(XM("datarep:t-rep,<=,10,load rep.csv,type string;", "/index"));
	assert_false(XM("datarep:t-rep,>,0,load rep.csv,type string;", "/other"));
	static const char *const badrep[] = {
		"alert http any any -> any any (http.uri; datarep:t-rep,!,5,load rep.csv,type string; sid:1;)",
		"alert http any any -> any any (http.uri; datarep:t-ua,>,5,type string; sid:1;)", /* a dataset's name */
		"alert http any any -> any any (http.uri; datarep:x9,>,5,type string,load ua.csv; sid:1;)", /* no ,N */
	};
	REFUSED(badrep);
	/* state: loaded at start (absent: empty), written at exit */
	assert_true(XM("dataset:set,t-state,type string,state st.csv;", "/new"));
	detect_datasets_close(true);
	f = fopen("st.csv", "r");
	assert_non_null(f);
	char line[64] = "";
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_string_equal(line, "L25ldw==\n"); /* "/new" */
	assert_true(XM("dataset:isset,t-state,type string,state st.csv;", "/new"));
	detect_datasets_close(false);
	assert_int_equal(chdir(cwd), 0);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* rpc on real portmapper GETPORT CALL bytes (UDP, and TCP after the
 * record mark), a REPLY, wildcards and bad values; pcre's captures into
 * flow and packet variables, kept only for the path that matches and
 * bounded, compared by flowvar / pktvar. */
static void test_kw_rpc_vars(void **state)
{
	(void)state;
	static const uint8_t call[] = {
		0x80, 0x00, 0x00, 0x38, /* TCP record mark: last fragment, 56 bytes */
		0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, /* xid, CALL */
		0, 0, 0, 2, 0x00, 0x01, 0x86, 0xa0, /* RPC version 2, portmapper 100000 */
		0, 0, 0, 2, 0, 0, 0, 3,             /* version 2, GETPORT */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* AUTH_NULL cred, verf */
		0x00, 0x01, 0x86, 0xa3, 0, 0, 0, 3, 0, 0, 0, 17, 0, 0, 0, 0, /* nfs 3 udp */
	};
	uint8_t reply[sizeof(call)];
	memcpy(reply, call, sizeof(call));
	reply[11] = 1; /* REPLY */
	static const struct { const char *opt; bool want; } v[] = {
		{ "rpc:100000;", true }, { "rpc:100000,2;", true }, { "rpc:100000,2,3;", true },
		{ "rpc:100000,*,3;", true }, { "rpc:100000, *, *;", true }, { "rpc:100000,2,*;", true },
		{ "rpc:100003;", false }, { "rpc:100000,3;", false }, { "rpc:100000,2,4;", false },
		{ "rpc:100000,*,4;", false },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "alert ip any any -> any any (%s sid:1;)", v[i].opt);
		struct rule *r = parse(text);
		if (!r)
			fail_msg("%s: %s", v[i].opt, pc.err);
		if (kw_gap_rpc_ok(r->gap, 6, call, sizeof(call)) != v[i].want ||
		    kw_gap_rpc_ok(r->gap, 17, call + 4, sizeof(call) - 4) != v[i].want)
			fail_msg("rpc %s: want %d", v[i].opt, v[i].want);
		/* a REPLY, the UDP message read as TCP, a short one, ICMP */
		assert_false(kw_gap_rpc_ok(r->gap, 6, reply, sizeof(reply)));
		assert_false(kw_gap_rpc_ok(r->gap, 17, reply + 4, sizeof(reply) - 4));
		assert_false(kw_gap_rpc_ok(r->gap, 6, call + 4, sizeof(call) - 4));
		assert_false(kw_gap_rpc_ok(r->gap, 17, call + 4, 23));
		assert_false(kw_gap_rpc_ok(r->gap, 1, call + 4, sizeof(call) - 4));
		rule_free(r);
	}
	static const char *const bad[] = {
		"alert ip any any -> any any (rpc; sid:1;)",
		"alert ip any any -> any any (rpc:*; sid:1;)",
		"alert ip any any -> any any (rpc:abc; sid:1;)",
		"alert ip any any -> any any (rpc:4294967296; sid:1;)",
		"alert ip any any -> any any (rpc:1,2,3,4; sid:1;)",
		"alert ip any any -> any any (rpc:1,x; sid:1;)",
		"alert ip any any -> any any (rpc:1; rpc:2; sid:1;)",
		"alert ip any any -> any any (flowvar:gid; sid:1;)",
		"alert ip any any -> any any (flowvar:gid,0; sid:1;)",
		"alert ip any any -> any any (flowvar:g$d,\"0\"; sid:1;)",
		"alert ip any any -> any any (pktvar:,\"0\"; sid:1;)",
		"alert tcp any any -> any any (pcre:\"/(a)/, host:x\"; sid:1;)",
		"alert tcp any any -> any any (pcre:\"/(a)/, flow:x, pkt:y\"; sid:1;)",
		"alert tcp any any -> any any (pcre:\"/(?P<flow_a>a)(?P<flow_b>b)(?P<flow_c>c)(?P<flow_d>d)"
		"(?P<flow_e>e)(?P<flow_f>f)(?P<flow_g>g)(?P<flow_h>h)(?P<flow_i>i)/\"; sid:1;)",
	};
	REFUSED(bad);

	/* captures: list form and named groups, and the path that matched */
	struct rule *r = parse("alert tcp any any -> any any (pcre:\"/uid=(\\d+)\\(([^)]+)\\)/, pkt:uid, "
			       "flow:user\"; pcre:\"/^ gid=(?P<flow_gid>\\d+)/R\"; sid:1;)");
	assert_non_null(r);
	const char *data = "uid=7(bob) x uid=0(root) gid=0(root)";
	struct insp st = { 0 };
	st.md = pcre2_match_data_create(32, NULL);
	st.buf = (const uint8_t *)data;
	st.len = (uint32_t)strlen(data);
	st.budget = 3000;
	assert_true(payload_inspect(rule_list(r, BUF_PAYLOAD), &st));
	/* the first uid's captures were dropped: gid= does not follow them */
	assert_int_equal(st.ncap, 3);
	struct kw_vars *vars = NULL;
	kw_vars_commit(&vars, &st, 5);
	const char *name;
	const uint8_t *val;
	uint32_t len;
	assert_true(kw_vars_get(vars, KW_VAR_PKT, 5, 0, &name, &val, &len));
	assert_string_equal(name, "uid");
	assert_int_equal(len, 1);
	assert_memory_equal(val, "0", 1);
	assert_false(kw_vars_get(vars, KW_VAR_PKT, 6, 0, &name, &val, &len)); /* another packet's */
	assert_true(kw_vars_get(vars, KW_VAR_FLOW, 6, 0, &name, &val, &len));
	assert_string_equal(name, "user");
	assert_memory_equal(val, "root", 4);
	assert_true(kw_vars_get(vars, KW_VAR_FLOW, 6, 1, &name, &val, &len));
	assert_string_equal(name, "gid");
	assert_false(kw_vars_get(vars, KW_VAR_FLOW, 6, 2, &name, &val, &len));
	rule_free(r);

	/* flowvar / pktvar: the variable contains the content (Suricata's search) */
	static const struct { const char *opt; uint64_t pkt; bool want; } c[] = {
		{ "flowvar:user,\"root\";", 9, true }, { "flowvar:user,\"oo\";", 9, true },
		{ "flowvar:user,\"|72 6f|\";", 9, true }, { "flowvar:user,\"bob\";", 9, false },
		{ "flowvar:nouser,\"root\";", 9, false }, { "flowvar:uid,\"0\";", 5, false },
		{ "pktvar:uid,\"0\";", 5, true }, { "pktvar:uid,\"0\";", 6, false },
		{ "pktvar:uid,\"1\";", 5, false }, { "flowvar:gid,\"0\"; flowvar:user,\"root\";", 9, true },
		{ "flowvar:gid,\"0\"; pktvar:uid,\"0\";", 9, false },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "alert ip any any -> any any (%s sid:1;)", c[i].opt);
		struct rule *q = parse(text);
		if (!q)
			fail_msg("%s: %s", c[i].opt, pc.err);
		if (kw_gap_vars_ok(q->gap, vars, c[i].pkt) != c[i].want)
			fail_msg("%s at %llu: want %d", c[i].opt, (unsigned long long)c[i].pkt, c[i].want);
		rule_free(q);
	}

	/* limits: KW_VARS_MAX names a flow, KW_VAR_VALUE_MAX bytes a value */
	r = parse("alert tcp any any -> any any (pcre:\"/(\\w+)=(x*)/, flow:n, flow:v\"; sid:1;)");
	assert_non_null(r);
	char big[600];
	memset(big, 'x', sizeof(big));
	memcpy(big, "long=", 5);
	st.buf = (const uint8_t *)big;
	st.len = sizeof(big);
	st.ncap = 0;
	assert_true(payload_inspect(rule_list(r, BUF_PAYLOAD), &st));
	kw_vars_commit(&vars, &st, 9);
	assert_true(kw_vars_get(vars, KW_VAR_FLOW, 9, 3, &name, &val, &len));
	assert_string_equal(name, "v");
	assert_int_equal(len, KW_VAR_VALUE_MAX);
	rule_free(r);
	for (int k = 0; k < 12; k++) {
		char text[160];
		snprintf(text, sizeof(text), "alert tcp any any -> any any (pcre:\"/(a)/, flow:n%d\"; sid:1;)", k);
		r = parse(text);
		assert_non_null(r);
		st.buf = (const uint8_t *)"a";
		st.len = 1;
		st.ncap = 0;
		assert_true(payload_inspect(rule_list(r, BUF_PAYLOAD), &st));
		kw_vars_commit(&vars, &st, 9);
		rule_free(r);
	}
	unsigned n = 0;
	while (kw_vars_get(vars, KW_VAR_FLOW, 9, n, &name, &val, &len))
		n++;
	assert_int_equal(n, KW_VARS_MAX);
	kw_vars_free(vars);
	pcre2_match_data_free(st.md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_header_and_meta),
		cmocka_unit_test(test_kw_rpc_vars),
		cmocka_unit_test(test_parse_errors_and_unsupported),
		cmocka_unit_test(test_content_modifiers),
		cmocka_unit_test(test_pcre_and_bytes),
		cmocka_unit_test(test_hostile_is_bounded),
		cmocka_unit_test(test_addr_set_can),
		cmocka_unit_test(test_addr_prepare),
		cmocka_unit_test(test_rule_classes),
		cmocka_unit_test(test_transforms),
		cmocka_unit_test(test_pcre_backtrack_and_legacy_relative),
		cmocka_unit_test(test_base64_and_more),
		cmocka_unit_test(test_xbits),
		cmocka_unit_test(test_tag),
		cmocka_unit_test(test_dataset),
		cmocka_unit_test(test_datajson),
		cmocka_unit_test(test_inflate),
		cmocka_unit_test(test_vlan_id),
		cmocka_unit_test(test_kw_gap),
		cmocka_unit_test(test_frame_and_websocket),
		cmocka_unit_test(test_byte_count_variable),
		cmocka_unit_test(test_mpm_case_modes),
		cmocka_unit_test(test_mpm_shared),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_mpm_quick_index),
		cmocka_unit_test(test_config_rule),
		cmocka_unit_test(test_suricata8_keywords),
		cmocka_unit_test(test_kw_num_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
