/*
 * pointval.h: a point's value as text, and text back into a value.
 *
 * The device table and the setpoint dialog show a value the same way
 * (pointval_format), and the setpoint dialog's edit field takes only the
 * characters of a decimal number and parses it strictly (pointval_parse):
 * the whole text must be one finite number, so "12.5x", "1e999" or an
 * empty field are refused with a reason instead of writing something else
 * than what the operator typed.  Nothing here calls curses or gettext: the
 * caller translates the reasons, and the unit tests need no terminal.
 */
#ifndef JOPE_UI_POINTVAL_H
#define JOPE_UI_POINTVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "config/model.h"

/* Decimals that show a scaled integer register exactly; -1: automatic. */
int pointval_decimals(const struct point *p);

/* The value as the table shows it, with the point's unit. */
void pointval_format(char *buf, size_t len, const struct point *p, double v);

/* The value exactly enough to confirm a write ("12.5", "1e+06"), no unit. */
void pointval_format_exact(char *buf, size_t len, double v);

enum pointval_error {
	POINTVAL_OK,
	POINTVAL_EMPTY,         /* nothing typed */
	POINTVAL_SYNTAX,        /* not one number, or trailing characters */
	POINTVAL_NOT_FINITE     /* NaN, infinite or out of double's range */
};

/* Parse all of s as one finite decimal number (strtod, C locale syntax). */
enum pointval_error pointval_parse(const char *s, double *out);

/* The edit field of a number: printable ASCII only, never a locale's. */
#define POINTVAL_FIELD_MAX 24
struct pointval_field {
	char text[POINTVAL_FIELD_MAX + 1];
	size_t len;
};

void pointval_field_clear(struct pointval_field *f);
/*
 * Apply a key: digits, '.', '-', '+', 'e' and 'E' are appended (while
 * there is room), Backspace removes the last character.  True when the
 * key was one of these (used, even if the field was full or empty).
 */
bool pointval_field_key(struct pointval_field *f, int key);

#endif
