/*
 * util.h: small helpers shared by the whole engine.
 *
 * Allocation that aborts on exhaustion (the console cannot do anything useful
 * without memory, and a half-built record is worse than a clean stop),
 * bounded string copies, and time formatting.
 */
#ifndef JOPE_UTIL_H
#define JOPE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Copy src into dst of size dstlen, always NUL-terminated; returns strlen(src). */
/* Copy src into dst, cut (never inside a UTF-8 character) to fit; strlen(src). */
size_t str_copy(char *dst, const char *src, size_t dstlen);
/* Drop an incomplete UTF-8 character at the end of s (a cut snprintf's). */
void utf8_trim_partial(char *s);
/* Remove the last character (not byte) of s: a Backspace in a field. */
void utf8_erase_last(char *s);

/* RFC 3339 UTC with microseconds: 2026-11-21T05:01:08.123456Z (buf >= 32). */
void format_rfc3339_us(int64_t ts_us, char *buf, size_t len);

/* Free bytes available to an unprivileged user on the file system of path, or -1. */
int64_t disk_free_bytes(const char *path);

/* mkdir -p with mode; 0 on success or when it already exists. */
int make_dirs(const char *path, unsigned mode);

/* A UTF-8 continuation byte (10xxxxxx): not the start of a character. */
static inline bool
utf8_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}
/* The n characters at s as a decimal number; -1 when one is not a digit. */
int parse_digits(const char *s, int n);

/* Characters (code points) of a UTF-8 string: its bytes that start one. */
size_t utf8_count(const char *s);
/* Who runs this process, for the audit trail: $USER, else "?". */
const char *login_name(void);

#endif
