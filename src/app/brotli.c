/*
 * brotli.c - Content-Encoding: br (RFC 7932) for HTTP response bodies.
 *
 * libhtp 0.5 undoes gzip, deflate and lzma; Suricata 8's libhtp-rs also
 * brotli, for a response whose Content-Encoding is "br" alone (in a list
 * of codings "br" is an unknown one to it too).  http.c hands such a body
 * here as it arrives; libbrotlidec's streaming decoder turns it into
 * output one fixed buffer at a time, each handed on at once, so nothing
 * here grows with the body.
 *
 * The limits are libhtp's for gzip (http.h, HTTP_BOMB_*): once more than
 * 1 MiB has come out at over 2048 times what went in, the rest of the
 * body is dropped; after 100 ms spent decoding, the rest passes as sent.
 * The decoder's window (up to 16 MiB, as the stream's own header asks) is
 * memory the sender chooses, so every allocation of the decoder goes
 * through the caller's charge hook (the app memcap); a refused one ends
 * decoding there.  Bytes that are not brotli from the start pass as sent
 * (libhtp-rs first retries them as deflate, zlib and gzip: not done here).
 */
#include <string.h>
#include <time.h>

#include <brotli/decode.h>

#include "alloc.h"
#include "http.h"

#define BR_OUT_CHUNK 8192 /* output handed on per call, as libhtp-rs */

enum { BR_ST_DECODE, BR_ST_PASS, BR_ST_DROP };

struct br_dec {
	BrotliDecoderState *st;
	struct http_mem mem;
	uint64_t in_total, out_total;
	uint64_t spent_us;        /* time spent decoding so far */
	uint8_t state;            /* BR_ST_* */
	uint8_t out[BR_OUT_CHUNK];
};

/* Each block carries its size in front: brotli's free hook is not told. */
struct blk {
	size_t n;
	max_align_t pad[];
};

static void *br_alloc(void *opaque, size_t n)
{
	struct br_dec *d = opaque;
	if (n > SIZE_MAX - sizeof(struct blk))
		return NULL;
	size_t total = sizeof(struct blk) + n;
	if (d->mem.charge && !d->mem.charge(d->mem.ctx, total))
		return NULL;
	struct blk *b = v_malloc(total);
	if (!b) {
		if (d->mem.release)
			d->mem.release(d->mem.ctx, total);
		return NULL;
	}
	b->n = total;
	return b->pad;
}

static void br_free(void *opaque, void *p)
{
	struct br_dec *d = opaque;
	if (!p)
		return;
	struct blk *b = (struct blk *)((uint8_t *)p - offsetof(struct blk, pad));
	if (d->mem.release)
		d->mem.release(d->mem.ctx, b->n);
	v_free(b);
}

struct br_dec *br_dec_new(const struct http_mem *mem)
{
	uint64_t own = sizeof(struct br_dec);
	if (mem && mem->charge && !mem->charge(mem->ctx, own))
		return NULL;
	struct br_dec *d = v_calloc(1, sizeof(*d));
	if (!d)
		goto fail;
	if (mem)
		d->mem = *mem;
	d->st = BrotliDecoderCreateInstance(br_alloc, br_free, d);
	if (!d->st)
		goto fail;
	return d;
fail:
	v_free(d);
	if (mem && mem->release)
		mem->release(mem->ctx, own);
	return NULL;
}

void br_dec_free(struct br_dec *d)
{
	if (!d)
		return;
	struct http_mem mem = d->mem;
	if (d->st)
		BrotliDecoderDestroyInstance(d->st);
	v_free(d);
	if (mem.release)
		mem.release(mem.ctx, sizeof(struct br_dec));
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* More than the limit out, at a ratio over HTTP_BOMB_RATIO (an overflow of
 * the product counts as over). */
static bool is_bomb(const struct br_dec *d)
{
	if (d->out_total <= HTTP_BOMB_LIMIT)
		return false;
	return d->in_total > UINT64_MAX / HTTP_BOMB_RATIO ||
	       d->out_total > d->in_total * HTTP_BOMB_RATIO;
}

int br_dec_feed(struct br_dec *d, const uint8_t *in, size_t n, br_out_fn out, void *ctx)
{
	if (!d || !n)
		return BR_OK;
	if (d->state == BR_ST_PASS) {
		out(ctx, in, n);
		return BR_OK;
	}
	if (d->state == BR_ST_DROP)
		return BR_OK;
	uint64_t t0 = now_us();
	int rc = BR_OK;
	d->in_total += n;
	const uint8_t *next_in = in;
	size_t avail_in = n;
	/* every turn either consumes input or hands on a full buffer: the
	 * decoder stops on its own at the end of the input */
	for (;;) {
		uint8_t *next_out = d->out;
		size_t avail_out = sizeof(d->out);
		BrotliDecoderResult r =
			BrotliDecoderDecompressStream(d->st, &avail_in, &next_in, &avail_out, &next_out, NULL);
		size_t got = sizeof(d->out) - avail_out;
		if (got) {
			d->out_total += got;
			out(ctx, d->out, got);
			if (is_bomb(d)) {
				d->state = BR_ST_DROP;
				rc = BR_BOMB_SIZE;
				break;
			}
		}
		if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT)
			continue;
		if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
			break;
		if (r == BROTLI_DECODER_RESULT_SUCCESS) {
			/* the stream ended: what follows it is not read */
			d->state = BR_ST_DROP;
			break;
		}
		/* an error: not brotli from the start, the body goes as sent;
		 * past output, or out of memory, the rest is dropped */
		int ec = (int)BrotliDecoderGetErrorCode(d->st);
		if (!d->out_total && ec < 0 && ec >= (int)BROTLI_DECODER_ERROR_FORMAT_DISTANCE) {
			d->state = BR_ST_PASS;
			out(ctx, in, n);
		} else {
			d->state = BR_ST_DROP;
		}
		rc = BR_ERROR;
		break;
	}
	d->spent_us += now_us() - t0;
	if (d->state == BR_ST_DECODE && d->spent_us > http_bomb_time_us()) {
		d->state = BR_ST_PASS;
		rc = BR_BOMB_TIME;
	}
	return rc;
}
