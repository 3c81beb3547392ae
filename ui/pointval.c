/*
 * pointval.c: point values to text and back (see pointval.h).
 *
 * Parsing and the exact format run in the C locale (uselocale, for this
 * thread only): the field accepts '.' as the decimal point whatever
 * LC_NUMERIC says, so "12.5" means twelve and a half in every language the
 * console speaks, and the confirmation shows the number the same way.
 */
#include "config.h"

#include <ctype.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "ui/pointval.h"
#include "ui/text.h"

static bool
is_whole(double x)
{
	double a = fabs(x);

	return a - (double)(long long)a < 1e-9 ||
	    (double)(long long)a + 1.0 - a < 1e-9;
}

int
pointval_decimals(const struct point *p)
{
	double s = p->scale, o = p->offset;
	int d;

	if (p->type == VALUE_BOOL)
		return 0;
	if (p->type == VALUE_F32 || p->type == VALUE_F64 || p->scale == 0.0)
		return -1;
	for (d = 0; d < 4 && !(is_whole(s) && is_whole(o)); d++) {
		s *= 10.0;
		o *= 10.0;
	}
	return d;
}

void
pointval_format(char *buf, size_t len, const struct point *p, double v)
{
	format_number(buf, len, v, pointval_decimals(p), p->unit);
}

/* The C locale for numbers, made once; (locale_t)0 when unavailable. */
static locale_t
c_numeric(void)
{
	static locale_t loc;

	if (loc == (locale_t)0)
		loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	return loc;
}

void
pointval_format_exact(char *buf, size_t len, double v)
{
	locale_t loc = c_numeric(), old = (locale_t)0;

	if (loc != (locale_t)0)
		old = uselocale(loc);
	snprintf(buf, len, "%.15g", v);
	if (loc != (locale_t)0)
		uselocale(old);
}

enum pointval_error
pointval_parse(const char *s, double *out)
{
	locale_t loc = c_numeric(), old = (locale_t)0;
	enum pointval_error err = POINTVAL_OK;
	char *end;
	double v;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return POINTVAL_EMPTY;
	if (loc != (locale_t)0)
		old = uselocale(loc);
	v = strtod(s, &end);
	if (loc != (locale_t)0)
		uselocale(old);
	while (isspace((unsigned char)*end))
		end++;
	if (end == s || *end != '\0')
		err = POINTVAL_SYNTAX;
	else if (!isfinite(v))         /* overflow gives HUGE_VAL */
		err = POINTVAL_NOT_FINITE;
	if (err == POINTVAL_OK)
		*out = v == 0.0 ? 0.0 : v;     /* no "-0" */
	return err;
}

void
pointval_field_clear(struct pointval_field *f)
{
	memset(f, 0, sizeof *f);
}

bool
pointval_field_key(struct pointval_field *f, int key)
{
	if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		if (f->len > 0)
			f->text[--f->len] = '\0';
		return true;
	}
	if (!(key >= '0' && key <= '9') && key != '.' && key != '-' &&
	    key != '+' && key != 'e' && key != 'E')
		return false;
	if (f->len < POINTVAL_FIELD_MAX) {
		f->text[f->len++] = (char)key;
		f->text[f->len] = '\0';
	}
	return true;
}
