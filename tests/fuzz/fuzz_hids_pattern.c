/*
 * fuzz_hids_pattern.c - libFuzzer target for the three pattern languages
 * of OSSEC/Wazuh rules (src/hids/pattern.c).  The first byte picks the
 * language: OS_Match, OS_Regex without and with captures, PCRE2 (case
 * sensitive or caseless), the exact string of <action>, or the word
 * match of if_group; the rest is "pattern NUL subject" (no NUL: all
 * pattern, empty subject).  Both are copied into buffers of exactly their
 * length, so a read past either end is caught.  What matches must say so
 * with and without a match record (a rule asks without one, a decoder
 * with), and every capture and the resume offset must lie inside the
 * subject; a subject that lacks every literal run a pattern requires
 * (hpat_required_lits) must not match it.  Nothing may crash, leak or
 * read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hmatch m;

static char *dup_n(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		enum hpat_type type;
		bool captures, caseless;
	} modes[] = {
		{ HP_OSMATCH, false, false }, { HP_OSREGEX, false, false }, { HP_OSREGEX, true, false },
		{ HP_PCRE2, true, false },    { HP_PCRE2, true, true },     { HP_STRING, false, false },
		{ HP_NONE, false, false }, /* hpat_word_match */
	};
	if (size < 1 || size > 65536)
		return 0;
	unsigned mode = data[0] % (sizeof(modes) / sizeof(modes[0]));
	const uint8_t *p = data + 1, *end = data + size;
	const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
	size_t plen = nul ? (size_t)(nul - p) : (size_t)(end - p);
	const uint8_t *s = nul ? nul + 1 : end;
	char *pat = dup_n(p, plen), *subj = dup_n(s, (size_t)(end - s));
	if (!pat || !subj)
		goto out;
	if (modes[mode].type == HP_NONE) {
		(void)hpat_word_match(pat, subj);
		goto out;
	}
	struct hpat hp = { 0 };
	struct verr e = { "" };
	hp.caseless = modes[mode].caseless;
	if (hpat_compile(&hp, modes[mode].type, pat, modes[mode].captures, &e) == 0) {
		size_t slen = strlen(subj);
		bool with = hpat_exec(&hp, subj, &m);
		bool without = hpat_exec(&hp, subj, NULL);
		if (with != without)
			abort(); /* a rule and a decoder would disagree on this subject */
		if (with) {
			if (m.next > slen || m.ncap > HPAT_MAX_CAPS)
				abort();
			for (size_t i = 0; i < m.ncap; i++)
				if (m.cap[i].p < subj || m.cap[i].p > subj + slen ||
				    m.cap[i].len > (size_t)(subj + slen - m.cap[i].p))
					abort(); /* a capture outside the subject */
		}
		size_t next = m.next, ncap = m.ncap;
		/* the empty subject, which decoders hand over after a prematch
		 * that consumed the whole line */
		(void)hpat_exec(&hp, subj + slen, &m);
		/* answers from the literal table (the line declared with it) are
		 * the line's own: on the line, and on a suffix of it */
		const char *suf = subj + slen / 2;
		bool suf_plain = hpat_exec(&hp, suf, NULL);
		/* (one input in eight: compiling a table is slow) */
		struct hpat_lits *L = data[0] >= 0xe0 ? hpat_lits_new() : NULL;
		struct hpat_scan *sc = L ? hpat_scan_new() : NULL;
		if (L && sc && hpat_lits_add(L, &hp) == 0 && hpat_lits_build(L, &e) == 0) {
			hpat_subject(subj, L, sc);
			bool t_line = hpat_exec(&hp, subj, &m), t_suf = hpat_exec(&hp, suf, NULL);
			/* a line lacking every required run does not match (the
			 * decoders skip such prematches without running them) */
			uint32_t ids[64];
			int nk = hpat_required_lits(&hp, L, ids, 64);
			bool lacks = nk > 0 && hpat_subject_lacks(L, subj, ids, (size_t)nk);
			hpat_subject(NULL, NULL, NULL);
			if (t_line != with || t_suf != suf_plain || (lacks && with))
				abort();
			if (with && (m.next != next || m.ncap != ncap))
				abort();
		}
		hpat_scan_free(sc);
		hpat_lits_free(L);
	} else if (!e.msg[0]) {
		abort(); /* a refusal must say why */
	}
	hpat_free(&hp);
	hpat_free(&hp); /* freeing twice is allowed: the first leaves it empty */
out:
	free(pat);
	free(subj);
	return 0;
}
