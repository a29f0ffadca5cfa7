/*
 * tlsstore.c - the certificate store: the server certificate chains
 * tls_store rules ask for, written as Suricata's tls-store output does.
 *
 * Each chain is one PEM file, DIR/SECS.USECS-ID.pem (the packet's time,
 * ID: a run's count of chains from 1), its certificates in the order the
 * server sent them, and beside it DIR/SECS.USECS-ID.meta: the packet's
 * time, pcap packet number, addresses, protocol and ports (SRC the
 * client's) and the leaf's subject, issuer and SHA-1 fingerprint.  Files
 * are 0600 in a 0700 directory (certificates can be evidence).  The store
 * keeps at most tls-store.max-files files: the oldest go first, those an
 * earlier run left included (filestore.c's policy).  A chain is written
 * once per flow: on the packet a tls_store rule matches if the chain is
 * there, else on the packet it arrives on.  One lock guards the list.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "alloc.h"
#include "app.h"
#include "tlsstore.h"
#include "util.h"

#define NAME_LEN 64

struct stored {
	char name[NAME_LEN];
	time_t mtime;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char dir[512];
static bool on;
static uint64_t max_files;
static struct stored *list;    /* oldest first */
static size_t nlist, caplist;
static uint32_t cert_id;
static uint64_t written;

static int cmp_mtime(const void *a, const void *b)
{
	const struct stored *x = a, *y = b;
	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

/* SECS.USECS-ID.pem or .meta, "client-" first or not */
static bool store_name(const char *n)
{
	if (!strncmp(n, "client-", 7))
		n += 7;
	const char *p = n;
	int part = 0;
	for (; *p && part < 3; p++) {
		if (*p >= '0' && *p <= '9')
			continue;
		if ((part == 0 && *p == '.') || (part == 1 && *p == '-') || (part == 2 && *p == '.'))
			part++;
		else
			return false;
		if (p == n || p[-1] < '0' || p[-1] > '9')
			return false;
	}
	return part == 3 && (!strcmp(p, "pem") || !strcmp(p, "meta")) && strlen(n) < NAME_LEN;
}

static void add_stored(const char *name, time_t mtime)
{
	for (size_t i = 0; i < nlist; i++) {
		if (!strcmp(list[i].name, name)) { /* overwritten: now the newest */
			memmove(list + i, list + i + 1, (nlist - i - 1) * sizeof(*list));
			nlist--;
			break;
		}
	}
	if (nlist == caplist) {
		size_t nc = caplist ? caplist * 2 : 64;
		struct stored *nl = v_realloc(list, nc * sizeof(*nl));
		if (!nl)
			return;
		list = nl;
		caplist = nc;
	}
	str_lcpy(list[nlist].name, name, sizeof(list[nlist].name));
	list[nlist].mtime = mtime;
	nlist++;
}

static void evict(void)
{
	size_t k = 0;
	while (k < nlist && nlist - k > max_files) {
		char p[600];
		snprintf(p, sizeof(p), "%s/%s", dir, list[k].name);
		unlink(p);
		k++;
	}
	if (k) {
		memmove(list, list + k, (nlist - k) * sizeof(*list));
		nlist -= k;
	}
}

int tlsstore_init(const char *d, uint64_t files, struct verr *e)
{
	pthread_mutex_lock(&lock);
	str_lcpy(dir, d, sizeof(dir));
	max_files = files ? files : 1;
	cert_id = 0;
	nlist = 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		pthread_mutex_unlock(&lock);
		return verr_set(e, V_EIO, "tls-store.certs-log-dir: %s: %s", dir, strerror(errno));
	}
	DIR *top = opendir(dir);
	for (struct dirent *de; top && (de = readdir(top));) {
		struct stat st;
		char f[1000];
		snprintf(f, sizeof(f), "%s/%s", dir, de->d_name);
		if (store_name(de->d_name) && stat(f, &st) == 0 && S_ISREG(st.st_mode))
			add_stored(de->d_name, st.st_mtime);
	}
	if (top)
		closedir(top);
	if (nlist)
		qsort(list, nlist, sizeof(*list), cmp_mtime);
	evict();
	on = true;
	pthread_mutex_unlock(&lock);
	return 0;
}

bool tlsstore_enabled(void)
{
	return on;
}

uint64_t tlsstore_written(void)
{
	return written;
}

static void addr(uint8_t ver, const uint8_t *a, char out[46])
{
	if (!inet_ntop(ver == 6 ? AF_INET6 : AF_INET, a, out, 46))
		out[0] = '\0';
}

/* Writes n bytes to DIR/name (0600); false on any failure. */
static bool put(const char *name, const char *buf, size_t n)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	bool ok = write(fd, buf, n) == (ssize_t)n;
	return close(fd) == 0 && ok;
}

/* The chain as PEM, each certificate's base64 in lines of 64. */
static char *pem_of(const struct tls_info *t, size_t *len)
{
	size_t cap = 0;
	for (unsigned i = 0; i < t->ncerts; i++)
		cap += 60 + (size_t)t->cert_len[i] / 3 * 4 + 4 + (size_t)t->cert_len[i] / 48 + 2;
	char *out = v_malloc(cap + 1), *b64 = NULL;
	size_t o = 0;
	for (unsigned i = 0; out && i < t->ncerts; i++) {
		const uint8_t *der = t->chain + t->cert_off[i];
		v_free(b64);
		b64 = v_malloc(4 * ((size_t)t->cert_len[i] + 2) / 3 + 1);
		if (!b64) {
			v_free(out);
			return NULL;
		}
		size_t bl = base64_encode(der, t->cert_len[i], b64);
		o += (size_t)sprintf(out + o, "-----BEGIN CERTIFICATE-----\n");
		for (size_t k = 0; k < bl; k += 64) {
			size_t l = bl - k < 64 ? bl - k : 64;
			memcpy(out + o, b64 + k, l);
			o += l;
			out[o++] = '\n';
		}
		o += (size_t)sprintf(out + o, "-----END CERTIFICATE-----\n");
	}
	v_free(b64);
	*len = o;
	return out;
}

static void write_chain(struct tls_info *t, const struct tlsstore_pkt *p)
{
	t->store = TLSSTORE_DONE;
	size_t pl = 0;
	char *pem = pem_of(t, &pl);
	if (!pem)
		return;
	char meta[2048], tb[64], sip[46], dip[46];
	time_t secs = (time_t)VTIME_SEC(p->ts);
	struct tm tm;
	localtime_r(&secs, &tm);
	snprintf(tb, sizeof(tb), "%02d/%02d/%02d-%02d:%02d:%02d.%06u", tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)VTIME_USEC(p->ts));
	const uint8_t *cs = p->dir ? p->dst : p->src, *ss = p->dir ? p->src : p->dst;
	uint16_t cp = p->dir ? p->dp : p->sp, sp = p->dir ? p->sp : p->dp;
	addr(p->ip_ver, cs, sip);
	addr(p->ip_ver, ss, dip);
	int ml = snprintf(meta, sizeof(meta), "TIME:              %s\n", tb);
	if (p->pcap_cnt)
		ml += snprintf(meta + ml, sizeof(meta) - (size_t)ml, "PCAP PKT NUM:      %llu\n",
			       (unsigned long long)p->pcap_cnt);
	ml += snprintf(meta + ml, sizeof(meta) - (size_t)ml,
		       "SRC IP:            %s\nDST IP:            %s\nPROTO:             %u\n"
		       "SRC PORT:          %u\nDST PORT:          %u\n"
		       "TLS SUBJECT:       %.*s\nTLS ISSUERDN:      %.*s\nTLS FINGERPRINT:   %s\n",
		       sip, dip, p->proto, cp, sp, t->subject ? (int)t->subject_len : 0,
		       t->subject ? t->subject : "", t->issuer ? (int)t->issuer_len : 0,
		       t->issuer ? t->issuer : "", t->fingerprint);
	if (ml >= (int)sizeof(meta))
		ml = (int)sizeof(meta) - 1;
	pthread_mutex_lock(&lock);
	char name[NAME_LEN];
	snprintf(name, sizeof(name), "%llu.%llu-%u.pem", (unsigned long long)VTIME_SEC(p->ts),
		 (unsigned long long)VTIME_USEC(p->ts), ++cert_id);
	time_t now = time(NULL);
	if (put(name, pem, pl)) {
		add_stored(name, now);
		written++;
		memcpy(name + strlen(name) - 3, "meta", 5);
		if (put(name, meta, (size_t)ml)) {
			add_stored(name, now);
			written++;
		}
		evict();
	}
	pthread_mutex_unlock(&lock);
	v_free(pem);
}

void tlsstore_want(struct tls_info *t, const struct tlsstore_pkt *p)
{
	if (!on || (t->store & TLSSTORE_DONE))
		return;
	if (p->pseudo) {
		t->store = TLSSTORE_ASKED | (p->dir ? TLSSTORE_WAIT1 : TLSSTORE_WAIT0);
		return;
	}
	t->store = TLSSTORE_ASKED;
	if (t->chain && t->ncerts)
		write_chain(t, p);
}

void tlsstore_pending(struct tls_info *t, const struct tlsstore_pkt *p)
{
	if (!on || t->store & TLSSTORE_DONE || !(t->store & TLSSTORE_ASKED) || p->pseudo ||
	    (t->store & TLSSTORE_WAIT0 && p->dir != 0) || (t->store & TLSSTORE_WAIT1 && p->dir != 1))
		return;
	if (t->chain && t->ncerts)
		write_chain(t, p);
}
