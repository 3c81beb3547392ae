/*
 * jsonpos.h: where every value and every key sits in a JSON text.
 *
 * jansson parses the configuration but keeps no positions once parsing has
 * succeeded, and a validation error must still say file:line:column.  So the
 * loader scans the same text a second time with this small scanner, which
 * records, for every value and every object key, its JSON path
 * ($.devices[2].connector) and its 1-based line and column.  It also notices
 * keys repeated within one object, which jansson silently merges (the last
 * one wins, and jsonpos_find() agrees by returning the last entry).
 *
 * Columns count characters (Unicode code points), not bytes, and a tab is
 * one column: that is how jansson counts in its syntax errors, so a position
 * from jansson and one from jsonpos mean the same thing.
 *
 * The scanner is meant for text that jansson accepted.  On malformed text it
 * stops without reading past the end, keeps what it recorded so far and
 * notes the path of the innermost value it was in, which makes a better
 * path for a syntax error than anything jansson says.
 */
#ifndef JOPE_JSONPOS_H
#define JOPE_JSONPOS_H

#include <stddef.h>

enum jsonpos_kind {
	JSONPOS_VALUE,              /* first character of a value */
	JSONPOS_KEY                 /* opening quote of an object key */
};

struct jsonpos_entry {
	char *path;                 /* $, $.a, $.a[0], $["odd key"] */
	enum jsonpos_kind kind;
	int line, column;           /* 1-based */
	int dup_line, dup_column;   /* key: earlier same key in this object, or 0 */
};

struct jsonpos {
	struct jsonpos_entry *v;    /* in text order */
	size_t n, cap;
	char *err_path;             /* malformed: where the scanner stopped */
	int err_line, err_column;
};

/*
 * Index text (which need not be NUL-terminated) into a zeroed jp.  0, or
 * -1 if malformed (err_path, err_line and err_column then say where).
 */
int jsonpos_scan(struct jsonpos *jp, const char *text, size_t len);
void jsonpos_free(struct jsonpos *jp);

/* The last entry with this path and kind, or NULL. */
const struct jsonpos_entry *jsonpos_find(const struct jsonpos *jp,
    const char *path, enum jsonpos_kind kind);

/* Path of the last value that starts at or before line:column, or "$". */
const char *jsonpos_path_before(const struct jsonpos *jp, int line,
    int column);

/*
 * Build child paths the way the scanner does: parent + ".key" (or
 * ["key"] when key is not [A-Za-z0-9_]+), parent + "[i]".  Like snprintf,
 * return the length the full path needs; it was truncated if >= len.
 */
size_t jsonpos_path_key(char *buf, size_t len, const char *parent,
    const char *key);
size_t jsonpos_path_index(char *buf, size_t len, const char *parent,
    size_t i);

#endif
