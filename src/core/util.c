/*
 * util.c: allocation, strings, time formatting and file-system helpers.
 *
 * Allocation failure aborts: every caller would otherwise need a recovery
 * path that is never tested, and the spool guarantees that nothing committed
 * is lost when the process dies.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "core/util.h"

static void
die_oom(size_t n)
{
	fprintf(stderr, "jope-smb: out of memory (%zu bytes)\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		die_oom(n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		die_oom(n * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		die_oom(n);
	return q;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

size_t
str_copy(char *dst, const char *src, size_t dstlen)
{
	size_t n = strlen(src);

	if (dstlen > 0) {
		size_t m = n < dstlen - 1 ? n : dstlen - 1;

		/* A cut never splits a UTF-8 character: JSON refuses half. */
		while (m < n && m > 0 && ((unsigned char)src[m] & 0xC0) == 0x80)
			m--;
		memcpy(dst, src, m);
		dst[m] = '\0';
	}
	return n;
}

void
utf8_trim_partial(char *s)
{
	size_t n = strlen(s), k = n, need;
	unsigned char lead;

	/* Back to the last lead byte (at most 3 continuation bytes). */
	while (k > 0 && n - k < 4 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
		k--;
	if (k == 0)
		return;
	lead = (unsigned char)s[k - 1];
	if (lead < 0x80)
		return;
	need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	if (n - (k - 1) < need)
		s[k - 1] = '\0';
}

void
utf8_erase_last(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && ((unsigned char)s[n - 1] & 0xC0) == 0x80)
		n--;
	if (n > 0)
		n--;
	s[n] = '\0';
}

void
format_rfc3339_us(int64_t ts_us, char *buf, size_t len)
{
	time_t secs = (time_t)(ts_us / 1000000);
	long us = (long)(ts_us % 1000000);
	struct tm tm;
	char base[24];

	if (us < 0) {
		us += 1000000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ldZ", base, us);
}

int64_t
disk_free_bytes(const char *path)
{
	struct statvfs sv;

	if (statvfs(path, &sv) != 0)
		return -1;
	return (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
}

int
make_dirs(const char *path, unsigned mode)
{
	char buf[4096];
	size_t n = str_copy(buf, path, sizeof buf);

	if (n >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

size_t
utf8_count(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

const char *
login_name(void)
{
	const char *u = getenv("USER");

	return u != NULL && *u != '\0' ? u : "?";
}

int
parse_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}
