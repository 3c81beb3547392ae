/*
 * text.h: display-width helpers, value formatting and the filters' match
 * for the console.
 *
 * A terminal cell is not a byte and not a character: CJK characters take
 * two columns, combining marks none.  Every width the UI computes goes
 * through text_width, and every string placed in a fixed-width cell goes
 * through text_fit, which cuts at a character boundary (never inside a UTF-8
 * sequence, never half of a wide character) and pads to the exact width.
 * Nothing here calls curses, so all of it is unit-tested without a terminal.
 * The multibyte conversions follow LC_CTYPE, which the caller has set.
 */
#ifndef JOPE_UI_TEXT_H
#define JOPE_UI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum text_align { ALIGN_LEFT, ALIGN_RIGHT, ALIGN_CENTER };

/* True when the locale's character set is UTF-8 (box glyphs are safe). */
bool text_utf8(void);

/*
 * Display columns of a multibyte string.  Invalid bytes and control
 * characters count one column each: text_fit shows them as '?'.
 */
int text_width(const char *s);

/*
 * Copy as much of src as fits in cols display columns into dst, then pad
 * with spaces to exactly cols columns, placing the text as align says.
 * When src is cut and ellipsis is set, the last column shows an ellipsis.
 * The result is always NUL-terminated; returns the columns it covers
 * (cols, unless dstsize was too small for the padding).
 */
int text_fit(char *dst, size_t dstsize, const char *src, int cols,
    enum text_align align);
int text_fit_ellipsis(char *dst, size_t dstsize, const char *src, int cols,
    enum text_align align);

/*
 * Length in bytes of the first line of s when wrapped at cols columns:
 * after the last space that keeps the line within cols, or, when there is
 * none (CJK text has no spaces), at the last character that fits.  At
 * least one character is taken so that wrapping always advances.  Callers
 * skip the spaces at the start of the next line themselves.
 */
size_t text_wrap(const char *s, int cols);

/*
 * Whether needle occurs in hay, ASCII letters matching in either case (the
 * filters of the lists); an empty needle occurs everywhere.
 */
bool text_contains_ci(const char *hay, const char *needle);

/*
 * An age in microseconds for a table cell: "0.4 s", "12 s", "5 min",
 * "3 h", "2 d"; negative means never and gives a dash.
 */
void format_age(char *buf, size_t len, int64_t age_us);

/* A byte count in binary units: "512 B", "12.3 GiB"; negative: a dash. */
void format_bytes(char *buf, size_t len, int64_t bytes);

/*
 * A process value with decimals places (decimals < 0: about four significant
 * digits), followed by " unit" when unit is not empty.
 */
void format_number(char *buf, size_t len, double v, int decimals,
    const char *unit);

#endif
