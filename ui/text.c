/*
 * text.c: display-width arithmetic and value formatting (see text.h).
 *
 * Strings are walked with mbrtowc and measured with wcwidth, never with
 * strlen: one CJK character is three UTF-8 bytes and two columns, a
 * combining accent two bytes and no column.  A byte sequence the locale
 * cannot decode, or a control character, is shown as one '?' so that a
 * malformed device error text can never move the columns after it.
 * Formatting lives here too because the widths of its results matter to the
 * table layout and are checked by the same unit tests.
 */
#include "config.h"

#include <langinfo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>
#include <wctype.h>

#include "ui/text.h"

/* One decoded character: its bytes in the source and its columns. */
struct glyph {
	size_t len;             /* bytes consumed from the source */
	int width;              /* display columns */
	bool replace;           /* show as '?' */
};

/* Bounded output buffer that never splits a character. */
struct out {
	char *p;
	size_t size, used;
};

static void
glyph_next(const char *s, mbstate_t *ps, struct glyph *g)
{
	wchar_t wc;
	size_t n = mbrtowc(&wc, s, MB_CUR_MAX, ps);
	int w;

	if (n == (size_t)-1 || n == (size_t)-2) {
		memset(ps, 0, sizeof *ps);
		g->len = 1;
		g->width = 1;
		g->replace = true;
		return;
	}
	g->len = n == 0 ? 1 : n;
	w = wcwidth(wc);
	if (w < 0 || iswcntrl((wint_t)wc)) {
		g->width = 1;
		g->replace = true;
		return;
	}
	g->width = w;
	g->replace = false;
}

static bool
out_put(struct out *o, const char *p, size_t n)
{
	if (o->used + n + 1 > o->size)
		return false;   /* a shorter piece (a pad) may still fit */
	memcpy(o->p + o->used, p, n);
	o->used += n;
	o->p[o->used] = '\0';
	return true;
}

static int
out_pad(struct out *o, int n)
{
	int done = 0;

	while (done < n && out_put(o, " ", 1))
		done++;
	return done;
}

bool
text_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs != NULL && (strcmp(cs, "UTF-8") == 0 ||
	    strcmp(cs, "utf8") == 0);
}

int
text_width(const char *s)
{
	mbstate_t st;
	struct glyph g;
	int w = 0;

	memset(&st, 0, sizeof st);
	while (*s != '\0') {
		glyph_next(s, &st, &g);
		w += g.width;
		s += g.len;
	}
	return w;
}

/* Copy glyphs of src worth at most cols columns; returns the columns used. */
static int
copy_cols(struct out *o, const char *src, int cols, bool *cut)
{
	mbstate_t st;
	struct glyph g;
	int w = 0;

	*cut = false;
	memset(&st, 0, sizeof st);
	while (*src != '\0') {
		glyph_next(src, &st, &g);
		if (w + g.width > cols) {
			*cut = true;
			break;
		}
		if (g.replace ? !out_put(o, "?", 1) : !out_put(o, src, g.len))
			break;
		w += g.width;
		src += g.len;
	}
	return w;
}

static int
fit(char *dst, size_t dstsize, const char *src, int cols,
    enum text_align align, bool ellipsis)
{
	struct out o = { dst, dstsize, 0 };
	const char *dots = text_utf8() ? "\xe2\x80\xa6" : "~";
	int width, left = 0, used;
	bool cut;

	if (dstsize == 0)
		return 0;
	dst[0] = '\0';
	if (cols <= 0)
		return 0;
	width = text_width(src);
	if (width > cols) {
		/* Cut: no alignment, the text fills the cell. */
		used = copy_cols(&o, src, ellipsis ? cols - 1 : cols, &cut);
		if (ellipsis && out_put(&o, dots, strlen(dots)))
			used++;
		return used + out_pad(&o, cols - used);
	}
	if (align == ALIGN_RIGHT)
		left = cols - width;
	else if (align == ALIGN_CENTER)
		left = (cols - width) / 2;
	used = out_pad(&o, left);
	used += copy_cols(&o, src, cols - used, &cut);
	return used + out_pad(&o, cols - used);
}

int
text_fit(char *dst, size_t dstsize, const char *src, int cols,
    enum text_align align)
{
	return fit(dst, dstsize, src, cols, align, false);
}

int
text_fit_ellipsis(char *dst, size_t dstsize, const char *src, int cols,
    enum text_align align)
{
	return fit(dst, dstsize, src, cols, align, true);
}

size_t
text_wrap(const char *s, int cols)
{
	mbstate_t st;
	struct glyph g;
	size_t pos = 0, last_space = 0;
	int w = 0;

	memset(&st, 0, sizeof st);
	while (s[pos] != '\0' && s[pos] != '\n') {
		glyph_next(s + pos, &st, &g);
		if (w + g.width > cols) {
			if (last_space > 0)
				return last_space;
			return pos > 0 ? pos : g.len;
		}
		if (s[pos] == ' ')
			last_space = pos;
		w += g.width;
		pos += g.len;
	}
	return pos;
}

static const char *
never_dash(void)
{
	return text_utf8() ? "\xe2\x80\x94" : "-";
}

bool
text_contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (n == 0)
		return true;
	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

void
format_age(char *buf, size_t len, int64_t age_us)
{
	int64_t s;

	if (age_us < 0) {
		snprintf(buf, len, "%s", never_dash());
		return;
	}
	s = age_us / 1000000;
	if (age_us < 10 * 1000000)
		snprintf(buf, len, "%.1f s", (double)age_us / 1e6);
	else if (s < 60)
		snprintf(buf, len, "%lld s", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lld min", (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, len, "%lld h", (long long)(s / 3600));
	else
		snprintf(buf, len, "%lld d", (long long)(s / 86400));
}

void
format_bytes(char *buf, size_t len, int64_t bytes)
{
	static const char *units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v;
	size_t i;

	if (bytes < 0) {
		snprintf(buf, len, "%s", never_dash());
		return;
	}
	if (bytes < 1024) {
		snprintf(buf, len, "%lld B", (long long)bytes);
		return;
	}
	v = (double)bytes / 1024.0;
	for (i = 0; v >= 1024.0 && i + 1 < sizeof units / sizeof units[0]; i++)
		v /= 1024.0;
	snprintf(buf, len, "%.1f %s", v, units[i]);
}

void
format_number(char *buf, size_t len, double v, int decimals,
    const char *unit)
{
	const char *sep = unit != NULL && unit[0] != '\0' ? " " : "";

	if (unit == NULL)
		unit = "";
	if (decimals < 0) {
		double a = fabs(v);

		if (!isfinite(v) || a >= 1000.0)
			decimals = 0;
		else if (a >= 100.0)
			decimals = 1;
		else if (a >= 10.0)
			decimals = 2;
		else
			decimals = 3;
	}
	if (decimals > 9)
		decimals = 9;
	if (isfinite(v)) {
		double scaled = v;

		for (int i = 0; i < decimals; i++)
			scaled *= 10.0;
		if (fabs(scaled) < 0.5)
			v = 0.0;        /* would print as "-0.000" */
	}
	snprintf(buf, len, "%.*f%s%s", decimals, v, sep, unit);
}
