/*
 * copybin.c: the binary COPY encoder (copybin.h).
 *
 * Layout (PostgreSQL docs, "COPY ... Binary Format"): an 11-byte signature,
 * int32 flags, int32 header-extension length; per row an int16 field count
 * and per field an int32 length (-1 for NULL) and the bytes; an int16 -1 at
 * the end.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "historian/copybin.h"

/* 2000-01-01T00:00:00Z in µs since the Unix epoch. */
#define PG_EPOCH_US INT64_C(946684800000000)

static const unsigned char signature[11] = {
	'P', 'G', 'C', 'O', 'P', 'Y', '\n', 0xff, '\r', '\n', 0
};

static unsigned char *
room(struct copybin *b, size_t n)
{
	unsigned char *p;

	if (b->len + n > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : 65536;

		while (cap < b->len + n)
			cap *= 2;
		b->buf = xrealloc(b->buf, cap);
		b->cap = cap;
	}
	p = b->buf + b->len;
	b->len += n;
	return p;
}

static void
be16(struct copybin *b, uint16_t v)
{
	unsigned char *p = room(b, 2);

	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void
be32(struct copybin *b, uint32_t v)
{
	unsigned char *p = room(b, 4);

	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (24 - 8 * i));
}

static void
be64(struct copybin *b, uint64_t v)
{
	unsigned char *p = room(b, 8);

	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (56 - 8 * i));
}

void
copybin_reset(struct copybin *b)
{
	b->len = 0;
	memcpy(room(b, sizeof signature), signature, sizeof signature);
	be32(b, 0);     /* flags: no OIDs */
	be32(b, 0);     /* no header extension */
}

void
copybin_init(struct copybin *b)
{
	memset(b, 0, sizeof *b);
	copybin_reset(b);
}

void
copybin_free(struct copybin *b)
{
	free(b->buf);
	memset(b, 0, sizeof *b);
}

void
copybin_row(struct copybin *b, int nfields)
{
	be16(b, (uint16_t)nfields);
}

void
copybin_null(struct copybin *b)
{
	be32(b, UINT32_MAX);    /* -1 */
}

void
copybin_int2(struct copybin *b, int16_t v)
{
	be32(b, 2);
	be16(b, (uint16_t)v);
}

void
copybin_int4(struct copybin *b, int32_t v)
{
	be32(b, 4);
	be32(b, (uint32_t)v);
}

void
copybin_int8(struct copybin *b, int64_t v)
{
	be32(b, 8);
	be64(b, (uint64_t)v);
}

void
copybin_float8(struct copybin *b, double v)
{
	uint64_t bits;

	if (isnan(v)) {
		copybin_null(b);
		return;
	}
	memcpy(&bits, &v, sizeof bits);
	be32(b, 8);
	be64(b, bits);
}

void
copybin_bytea(struct copybin *b, const void *p, size_t n)
{
	be32(b, (uint32_t)n);
	if (n > 0)
		memcpy(room(b, n), p, n);
}

void
copybin_text(struct copybin *b, const char *s)
{
	if (s == NULL)
		copybin_null(b);
	else
		copybin_bytea(b, s, strlen(s));
}

void
copybin_timestamptz(struct copybin *b, int64_t unix_us)
{
	copybin_int8(b, unix_us - PG_EPOCH_US);
}

void
copybin_finish(struct copybin *b)
{
	be16(b, UINT16_MAX);    /* -1 */
}
