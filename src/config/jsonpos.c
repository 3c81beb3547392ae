/*
 * jsonpos.c: a position index for JSON text (see jsonpos.h).
 *
 * A recursive-descent scanner that validates only as much as it needs to
 * find its way: jansson has already judged the text, so numbers and
 * literals are skipped as runs of [A-Za-z0-9+-.].  What it must get exactly
 * right is where things are, which means decoding strings (keys are compared
 * with jansson's decoded keys, escapes and all) and counting columns in
 * code points: a byte starts a new column unless it is a UTF-8 continuation
 * byte (10xxxxxx).  '\n' ends a line; '\r' and '\t' are one column each.
 *
 * The current path lives in one growing buffer; descending appends a
 * suffix and returning truncates it again, and each entry takes a copy.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/jsonpos.h"
#include "core/util.h"

#define SCAN_MAX_DEPTH 2048         /* jansson's JSON_PARSER_MAX_DEPTH */

struct scanner {
	const char *s;
	size_t len, i;
	int line, col;              /* of s[i] */
	int depth;
	struct jsonpos *jp;
	char *path;                 /* current path, NUL-terminated */
	size_t plen, pcap;
};

/* A key as seen in one object, for duplicate detection. */
struct seen_key {
	char *key;
	int line, col;
};

/* A growing byte buffer for decoded strings. */
struct bytes {
	char *p;
	size_t n, cap;
};

static int scan_value(struct scanner *);

/* --- path formatting ---------------------------------------------------- */

/* Bounded writer with snprintf semantics: counts what does not fit. */
struct sink {
	char *p;
	size_t cap, n;
};

static void
sink_putc(struct sink *k, char c)
{
	if (k->n + 1 < k->cap)
		k->p[k->n] = c;
	k->n++;
}

static void
sink_puts(struct sink *k, const char *s)
{
	while (*s != '\0')
		sink_putc(k, *s++);
}

static size_t
sink_end(struct sink *k)
{
	if (k->cap > 0)
		k->p[k->n < k->cap ? k->n : k->cap - 1] = '\0';
	return k->n;
}

static int
key_is_plain(const char *key)
{
	if (*key == '\0')
		return 0;
	for (; *key != '\0'; key++) {
		unsigned char c = (unsigned char)*key;

		if (!(c == '_' || (c >= '0' && c <= '9') ||
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return 0;
	}
	return 1;
}

/* Write the path suffix for key: .key or ["k\"ey"]. */
static void
put_key_suffix(struct sink *k, const char *key)
{
	char hex[8];

	if (key_is_plain(key)) {
		sink_putc(k, '.');
		sink_puts(k, key);
		return;
	}
	sink_puts(k, "[\"");
	for (; *key != '\0'; key++) {
		unsigned char c = (unsigned char)*key;

		if (c == '"' || c == '\\') {
			sink_putc(k, '\\');
			sink_putc(k, (char)c);
		} else if (c < 0x20) {
			snprintf(hex, sizeof(hex), "\\u%04x", c);
			sink_puts(k, hex);
		} else
			sink_putc(k, (char)c);
	}
	sink_puts(k, "\"]");
}

size_t
jsonpos_path_key(char *buf, size_t len, const char *parent, const char *key)
{
	struct sink k = { buf, len, 0 };

	sink_puts(&k, parent);
	put_key_suffix(&k, key);
	return sink_end(&k);
}

size_t
jsonpos_path_index(char *buf, size_t len, const char *parent, size_t i)
{
	struct sink k = { buf, len, 0 };
	char idx[32];

	snprintf(idx, sizeof(idx), "[%zu]", i);
	sink_puts(&k, parent);
	sink_puts(&k, idx);
	return sink_end(&k);
}

/* --- the scanner's path and entries --------------------------------------- */

static void
path_reserve(struct scanner *sc, size_t extra)
{
	if (sc->plen + extra + 1 > sc->pcap) {
		sc->pcap = (sc->plen + extra + 1) * 2;
		sc->path = xrealloc(sc->path, sc->pcap);
	}
}

static void
path_truncate(struct scanner *sc, size_t len)
{
	sc->plen = len;
	sc->path[len] = '\0';
}

static void
path_push_key(struct scanner *sc, const char *key)
{
	struct sink k = { NULL, 0, 0 };
	size_t need;

	put_key_suffix(&k, key);
	need = k.n;
	path_reserve(sc, need);
	k.p = sc->path + sc->plen;
	k.cap = need + 1;
	k.n = 0;
	put_key_suffix(&k, key);
	sc->plen += sink_end(&k);
}

static void
path_push_index(struct scanner *sc, size_t i)
{
	char idx[32];
	size_t n;

	n = (size_t)snprintf(idx, sizeof(idx), "[%zu]", i);
	path_reserve(sc, n);
	memcpy(sc->path + sc->plen, idx, n + 1);
	sc->plen += n;
}

static struct jsonpos_entry *
add_entry(struct scanner *sc, enum jsonpos_kind kind, int line, int col)
{
	struct jsonpos *jp = sc->jp;
	struct jsonpos_entry *e;

	if (jp->n == jp->cap) {
		jp->cap = jp->cap ? jp->cap * 2 : 64;
		jp->v = xrealloc(jp->v, jp->cap * sizeof(*jp->v));
	}
	e = &jp->v[jp->n++];
	memset(e, 0, sizeof(*e));
	e->path = xstrdup(sc->path);
	e->kind = kind;
	e->line = line;
	e->column = col;
	return e;
}

/* Note where scanning failed (the innermost failure, i.e. the first). */
static int
fail(struct scanner *sc)
{
	struct jsonpos *jp = sc->jp;

	if (jp->err_path == NULL) {
		jp->err_path = xstrdup(sc->path);
		jp->err_line = sc->line;
		jp->err_column = sc->col;
	}
	return -1;
}

/* --- characters ------------------------------------------------------------ */

static int
peek(const struct scanner *sc)
{
	return sc->i < sc->len ? (unsigned char)sc->s[sc->i] : -1;
}

/*
 * Step over one byte.  col counts the characters consumed on this line plus
 * one, so at every character's first byte it is that character's column.
 */
static void
advance(struct scanner *sc)
{
	unsigned char c = (unsigned char)sc->s[sc->i++];

	if (c == '\n') {
		sc->line++;
		sc->col = 1;
	} else if ((c & 0xC0) != 0x80)
		sc->col++;
}

static int
expect(struct scanner *sc, int c)
{
	if (peek(sc) != c)
		return fail(sc);
	advance(sc);
	return 0;
}

static void
skip_space(struct scanner *sc)
{
	for (;;) {
		int c = peek(sc);

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		advance(sc);
	}
}

/* --- strings --------------------------------------------------------------- */

static void
bytes_put(struct bytes *b, unsigned char c)
{
	if (b == NULL)
		return;
	if (b->n + 2 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 32;
		b->p = xrealloc(b->p, b->cap);
	}
	b->p[b->n++] = (char)c;
	b->p[b->n] = '\0';
}

static void
bytes_put_utf8(struct bytes *b, unsigned long cp)
{
	if (cp < 0x80)
		bytes_put(b, (unsigned char)cp);
	else if (cp < 0x800) {
		bytes_put(b, (unsigned char)(0xC0 | (cp >> 6)));
		bytes_put(b, (unsigned char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		bytes_put(b, (unsigned char)(0xE0 | (cp >> 12)));
		bytes_put(b, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
		bytes_put(b, (unsigned char)(0x80 | (cp & 0x3F)));
	} else {
		bytes_put(b, (unsigned char)(0xF0 | (cp >> 18)));
		bytes_put(b, (unsigned char)(0x80 | ((cp >> 12) & 0x3F)));
		bytes_put(b, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
		bytes_put(b, (unsigned char)(0x80 | (cp & 0x3F)));
	}
}

/* Four hex digits after \u. */
static int
scan_hex4(struct scanner *sc, unsigned long *out)
{
	int k, c;

	*out = 0;
	for (k = 0; k < 4; k++) {
		c = peek(sc);
		if (c >= '0' && c <= '9')
			*out = *out * 16 + (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*out = *out * 16 + (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*out = *out * 16 + (unsigned long)(c - 'A' + 10);
		else
			return fail(sc);
		advance(sc);
	}
	return 0;
}

/* \uXXXX, with a following low surrogate when XXXX is a high one. */
static int
scan_unicode_escape(struct scanner *sc, struct bytes *b)
{
	unsigned long cp, lo;

	if (scan_hex4(sc, &cp) == -1)
		return fail(sc);
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (expect(sc, '\\') == -1 || expect(sc, 'u') == -1 ||
		    scan_hex4(sc, &lo) == -1 || lo < 0xDC00 || lo > 0xDFFF)
			return fail(sc);
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	} else if (cp >= 0xDC00 && cp <= 0xDFFF)
		return fail(sc);
	bytes_put_utf8(b, cp);
	return 0;
}

static int
scan_escape(struct scanner *sc, struct bytes *b)
{
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";
	const char *p;
	int c;

	advance(sc);                /* the backslash */
	c = peek(sc);
	if (c == 'u') {
		advance(sc);
		return scan_unicode_escape(sc, b);
	}
	if (c <= 0 || (p = strchr(from, c)) == NULL)
		return fail(sc);
	advance(sc);
	bytes_put(b, (unsigned char)to[p - from]);
	return 0;
}

/* A string at s[i] == '"'; decoded into b unless b is NULL. */
static int
scan_string(struct scanner *sc, struct bytes *b)
{
	int c;

	advance(sc);
	for (;;) {
		c = peek(sc);
		if (c == -1)
			return fail(sc);
		if (c == '"') {
			advance(sc);
			bytes_put(b, '\0');     /* make sure b->p exists */
			if (b != NULL)
				b->n--;
			return 0;
		}
		if (c == '\\') {
			if (scan_escape(sc, b) == -1)
				return fail(sc);
			continue;
		}
		bytes_put(b, (unsigned char)c);
		advance(sc);
	}
}

/* --- values ------------------------------------------------------------------ */

/* Numbers, true, false, null: jansson has checked them already. */
static int
scan_scalar(struct scanner *sc)
{
	size_t start = sc->i;
	int c;

	for (;;) {
		c = peek(sc);
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '+' || c == '-' || c == '.'))
			break;
		advance(sc);
	}
	return sc->i > start ? 0 : fail(sc);
}

static void
free_seen(struct seen_key *seen, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		free(seen[k].key);
	free(seen);
}

/* Record one key, flagging it when the object already had it. */
static void
record_key(struct scanner *sc, struct seen_key **seen, size_t *nseen,
    char *key, int line, int col)
{
	struct jsonpos_entry *e;
	size_t k;

	e = add_entry(sc, JSONPOS_KEY, line, col);
	for (k = 0; k < *nseen; k++) {
		if (strcmp((*seen)[k].key, key) == 0) {
			e->dup_line = (*seen)[k].line;
			e->dup_column = (*seen)[k].col;
			free(key);
			return;
		}
	}
	*seen = xrealloc(*seen, (*nseen + 1) * sizeof(**seen));
	(*seen)[*nseen].key = key;
	(*seen)[*nseen].line = line;
	(*seen)[*nseen].col = col;
	(*nseen)++;
}

/* One "key": value member; the path is restored before returning. */
static int
scan_member(struct scanner *sc, struct seen_key **seen, size_t *nseen)
{
	struct bytes key = { NULL, 0, 0 };
	size_t base = sc->plen;
	int line = sc->line, col = sc->col, rc;

	if (peek(sc) != '"' || scan_string(sc, &key) == -1) {
		free(key.p);
		return fail(sc);
	}
	path_push_key(sc, key.p);
	record_key(sc, seen, nseen, key.p, line, col);
	skip_space(sc);
	rc = expect(sc, ':');
	if (rc == 0) {
		skip_space(sc);
		rc = scan_value(sc);
	}
	path_truncate(sc, base);
	return rc;
}

static int
scan_object(struct scanner *sc)
{
	struct seen_key *seen = NULL;
	size_t nseen = 0;
	int rc = -1;

	advance(sc);
	skip_space(sc);
	if (peek(sc) == '}') {
		advance(sc);
		return 0;
	}
	for (;;) {
		skip_space(sc);
		if (scan_member(sc, &seen, &nseen) == -1)
			break;
		skip_space(sc);
		if (peek(sc) == ',') {
			advance(sc);
			continue;
		}
		rc = expect(sc, '}');
		break;
	}
	free_seen(seen, nseen);
	return rc;
}

static int
scan_array(struct scanner *sc)
{
	size_t base = sc->plen, i;
	int rc;

	advance(sc);
	skip_space(sc);
	if (peek(sc) == ']') {
		advance(sc);
		return 0;
	}
	for (i = 0;; i++) {
		skip_space(sc);
		path_push_index(sc, i);
		rc = scan_value(sc);
		path_truncate(sc, base);
		if (rc == -1)
			return fail(sc);
		skip_space(sc);
		if (peek(sc) == ',') {
			advance(sc);
			continue;
		}
		return expect(sc, ']');
	}
}

static int
scan_value(struct scanner *sc)
{
	int c = peek(sc), rc;

	if (c == -1 || sc->depth >= SCAN_MAX_DEPTH)
		return fail(sc);
	add_entry(sc, JSONPOS_VALUE, sc->line, sc->col);
	sc->depth++;
	if (c == '{')
		rc = scan_object(sc);
	else if (c == '[')
		rc = scan_array(sc);
	else if (c == '"')
		rc = scan_string(sc, NULL);
	else
		rc = scan_scalar(sc);
	sc->depth--;
	return rc;
}

/* --- public ------------------------------------------------------------------ */

int
jsonpos_scan(struct jsonpos *jp, const char *text, size_t len)
{
	struct scanner sc;
	int rc;

	memset(&sc, 0, sizeof(sc));
	sc.s = text;
	sc.len = len;
	sc.line = 1;
	sc.col = 1;
	sc.jp = jp;
	path_reserve(&sc, 1);
	sc.path[0] = '$';
	path_truncate(&sc, 1);

	skip_space(&sc);
	rc = scan_value(&sc);
	if (rc == 0) {
		skip_space(&sc);
		if (sc.i != sc.len)
			rc = fail(&sc);
	}
	free(sc.path);
	return rc;
}

void
jsonpos_free(struct jsonpos *jp)
{
	size_t k;

	for (k = 0; k < jp->n; k++)
		free(jp->v[k].path);
	free(jp->v);
	free(jp->err_path);
	memset(jp, 0, sizeof(*jp));
}

const struct jsonpos_entry *
jsonpos_find(const struct jsonpos *jp, const char *path,
    enum jsonpos_kind kind)
{
	size_t k;

	for (k = jp->n; k > 0; k--) {
		const struct jsonpos_entry *e = &jp->v[k - 1];

		if (e->kind == kind && strcmp(e->path, path) == 0)
			return e;
	}
	return NULL;
}

const char *
jsonpos_path_before(const struct jsonpos *jp, int line, int column)
{
	const char *path = "$";
	size_t k;

	for (k = 0; k < jp->n; k++) {
		const struct jsonpos_entry *e = &jp->v[k];

		if (e->line > line || (e->line == line && e->column > column))
			break;
		if (e->kind == JSONPOS_VALUE)
			path = e->path;
	}
	return path;
}
