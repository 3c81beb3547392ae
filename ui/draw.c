/*
 * draw.c: fitted text, fills and frames on a curses window (see draw.h).
 *
 * The buffer for one fitted cell is sized for the worst case (every column
 * a four-byte character plus combining marks) so a long device error text
 * is cut by width, never by an arbitrary byte count.  Writing into the
 * bottom-right cell makes curses report an error it cannot avoid (the
 * cursor has nowhere to go); the character is drawn all the same, so
 * return values of the write calls are deliberately ignored.
 */
#include "config.h"

#include <stdlib.h>

#include "ui/draw.h"

static void
draw_fitted(WINDOW *win, int y, int x, int w, attr_t attr,
    enum text_align align, const char *text, bool cut)
{
	size_t size;
	char stack[1024], *buf = stack;

	if (y < 0 || x < 0 || y >= getmaxy(win) || x >= getmaxx(win))
		return;
	if (w > getmaxx(win) - x)
		w = getmaxx(win) - x;       /* never wrap to the next line */
	if (w <= 0)
		return;
	size = (size_t)w * 8 + 1;
	if (size > sizeof stack && (buf = malloc(size)) == NULL)
		return;
	if (cut)
		text_fit_ellipsis(buf, size, text, w, align);
	else
		text_fit(buf, size, text, w, align);
	wattrset(win, (int)attr);
	(void)mvwaddstr(win, y, x, buf);
	wattrset(win, A_NORMAL);
	if (buf != stack)
		free(buf);
}

void
draw_text(WINDOW *win, int y, int x, int w, attr_t attr,
    enum text_align align, const char *text)
{
	draw_fitted(win, y, x, w, attr, align, text, false);
}

void
draw_text_cut(WINDOW *win, int y, int x, int w, attr_t attr,
    enum text_align align, const char *text)
{
	draw_fitted(win, y, x, w, attr, align, text, true);
}

void
draw_fill(WINDOW *win, const struct rect *r, attr_t attr)
{
	for (int i = 0; i < r->h; i++)
		draw_text(win, r->y + i, r->x, r->w, attr, ALIGN_LEFT, "");
}

void
draw_frame(WINDOW *win, const struct rect *r, attr_t attr)
{
	if (r->h < 2 || r->w < 2)
		return;
	wattrset(win, (int)attr);
	mvwhline(win, r->y, r->x + 1, ACS_HLINE, r->w - 2);
	mvwhline(win, r->y + r->h - 1, r->x + 1, ACS_HLINE, r->w - 2);
	mvwvline(win, r->y + 1, r->x, ACS_VLINE, r->h - 2);
	mvwvline(win, r->y + 1, r->x + r->w - 1, ACS_VLINE, r->h - 2);
	mvwaddch(win, r->y, r->x, ACS_ULCORNER);
	mvwaddch(win, r->y, r->x + r->w - 1, ACS_URCORNER);
	mvwaddch(win, r->y + r->h - 1, r->x, ACS_LLCORNER);
	mvwaddch(win, r->y + r->h - 1, r->x + r->w - 1, ACS_LRCORNER);
	wattrset(win, A_NORMAL);
}
