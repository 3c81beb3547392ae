/*
 * copybin.h: PostgreSQL's binary COPY format, written into a growing buffer.
 *
 * Why binary: the server takes int8, float8 and timestamptz as they are,
 * instead of parsing their text, and a float survives bit for bit (see
 * doc/historian.md for the measurement).  Values are big-endian; a
 * timestamptz is µs since 2000-01-01 UTC.
 */
#ifndef JOPE_COPYBIN_H
#define JOPE_COPYBIN_H

#include <stddef.h>
#include <stdint.h>

struct copybin {
	unsigned char *buf;
	size_t len, cap;
};

void copybin_init(struct copybin *b);            /* writes the header */
void copybin_reset(struct copybin *b);           /* empty, header again */
void copybin_free(struct copybin *b);
void copybin_row(struct copybin *b, int nfields);
void copybin_null(struct copybin *b);
void copybin_int2(struct copybin *b, int16_t v);
void copybin_int4(struct copybin *b, int32_t v);
void copybin_int8(struct copybin *b, int64_t v);
void copybin_float8(struct copybin *b, double v); /* NaN: NULL */
void copybin_text(struct copybin *b, const char *s); /* NULL: NULL */
void copybin_bytea(struct copybin *b, const void *p, size_t n);
/* Unix time in µs as a timestamptz. */
void copybin_timestamptz(struct copybin *b, int64_t unix_us);
void copybin_finish(struct copybin *b);          /* writes the trailer */

#endif
