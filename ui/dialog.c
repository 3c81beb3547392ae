/*
 * dialog.c: the quit confirmation and the help box (see dialog.h).
 *
 * Quitting stops collection, so it always asks, and the safe answer is the
 * default: the focus starts on No, Enter takes the focused button, y or Y
 * says yes, n, N or Esc say no, Left/Right/Tab move the focus.  The keys
 * are also spelled out in the (translated) question, "[y/N]", because the
 * operator may be reading it in Chinese while the keys stay Latin.
 *
 * Boxes size themselves from the display width of their translated text
 * and wrap it (text_wrap) to the terminal, so a long Chinese sentence stays
 * inside the frame at 80 columns and a tiny terminal cuts rather than
 * scribbles.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/i18n.h"
#include "core/util.h"
#include "ui/dialog.h"
#include "ui/draw.h"
#include "ui/theme.h"

#define DIALOG_MAX_TEXT 56      /* columns of text before wrapping */
#define DIALOG_MAX_LINES 8

static const struct {
	const char *keys, *what;
} help_rows[] = {
	{ N_("Up/Down, k/j"), N_("Move the selection") },
	{ N_("PgUp/PgDn"), N_("Move by a page") },
	{ N_("Home/End"), N_("First / last row") },
	{ N_("r, F5"), N_("Read the selected device or point now") },
	{ N_("R"), N_("Reload the configuration (validated whole)") },
	{ N_("F1, ?"), N_("Show this help") },
	{ N_("Ctrl-L"), N_("Redraw the screen") },
	{ N_("q, F10"), N_("Quit (asks for confirmation)") },
};

/* Wrapped lines of a message: start and length in bytes. */
struct wrapped {
	const char *start[DIALOG_MAX_LINES];
	size_t len[DIALOG_MAX_LINES];
	int n, width;
};

static void
wrap_text(struct wrapped *wr, const char *s, int cols)
{
	char line[512];

	memset(wr, 0, sizeof *wr);
	while (*s != '\0' && wr->n < DIALOG_MAX_LINES) {
		size_t n = text_wrap(s, cols);
		int w;

		wr->start[wr->n] = s;
		wr->len[wr->n] = n;
		if (n >= sizeof line)
			n = sizeof line - 1;
		memcpy(line, s, n);
		line[n] = '\0';
		w = text_width(line);
		if (w > wr->width)
			wr->width = w;
		wr->n++;
		s += wr->len[wr->n - 1];
		while (*s == ' ')
			s++;
		if (*s == '\n')
			s++;
	}
}

/* A box of inner size ih x iw centred in screen; returns its rectangle. */
static struct rect
box_draw(WINDOW *win, const struct rect *screen, int ih, int iw,
    const char *title)
{
	struct rect r;
	int tw;

	r.w = iw + 4;
	r.h = ih + 2;
	if (r.w > screen->w)
		r.w = screen->w;
	if (r.h > screen->h)
		r.h = screen->h;
	r.x = screen->x + (screen->w - r.w) / 2;
	r.y = screen->y + (screen->h - r.h) / 2;
	draw_fill(win, &r, theme_attr(ROLE_DIALOG));
	draw_frame(win, &r, theme_attr(ROLE_DIALOG));
	tw = text_width(title) + 2;
	if (tw > r.w - 4)
		tw = r.w - 4;
	draw_text(win, r.y, r.x + (r.w - tw) / 2, tw,
	    theme_attr(ROLE_DIALOG_TITLE), ALIGN_CENTER, title);
	return r;
}

static void
draw_line(WINDOW *win, const struct rect *r, int row, const char *s,
    size_t len)
{
	char line[512];

	if (row >= r->h - 1)
		return;
	if (len >= sizeof line)
		len = sizeof line - 1;
	memcpy(line, s, len);
	line[len] = '\0';
	draw_text_cut(win, r->y + row, r->x + 2, r->w - 4,
	    theme_attr(ROLE_DIALOG), ALIGN_LEFT, line);
}

static void
draw_quit(const struct dialog *d, WINDOW *win, const struct rect *screen)
{
	struct wrapped wr;
	struct rect r;
	char yes[64], no[64];
	int iw, yw, nw, x, cols = screen->w - 6;

	if (cols > DIALOG_MAX_TEXT)
		cols = DIALOG_MAX_TEXT;
	if (cols < 1)
		cols = 1;
	wrap_text(&wr, _("Quit the console? Collection stops. [y/N]"), cols);
	snprintf(yes, sizeof yes, "[ %s ]", _("Yes"));
	snprintf(no, sizeof no, "[ %s ]", _("No"));
	yw = text_width(yes);
	nw = text_width(no);
	iw = wr.width > yw + nw + 3 ? wr.width : yw + nw + 3;
	r = box_draw(win, screen, wr.n + 2, iw, _("Quit"));
	for (int i = 0; i < wr.n; i++)
		draw_line(win, &r, 1 + i, wr.start[i], wr.len[i]);
	if (wr.n + 2 >= r.h - 1)
		return;
	x = r.x + (r.w - (yw + nw + 3)) / 2;
	draw_text(win, r.y + wr.n + 2, x, yw,
	    theme_attr(d->focus == 0 ? ROLE_BUTTON_FOCUS : ROLE_BUTTON),
	    ALIGN_LEFT, yes);
	draw_text(win, r.y + wr.n + 2, x + yw + 3, nw,
	    theme_attr(d->focus == 1 ? ROLE_BUTTON_FOCUS : ROLE_BUTTON),
	    ALIGN_LEFT, no);
}

static void
draw_help(WINDOW *win, const struct rect *screen)
{
	const char *footer = _("Press any key to close.");
	struct rect r;
	int kw = 0, dw = 0, iw, n = (int)ARRAY_LEN(help_rows);

	for (int i = 0; i < n; i++) {
		int w = text_width(_(help_rows[i].keys));

		if (w > kw)
			kw = w;
		w = text_width(_(help_rows[i].what));
		if (w > dw)
			dw = w;
	}
	iw = kw + 2 + dw;
	if (text_width(footer) > iw)
		iw = text_width(footer);
	r = box_draw(win, screen, n + 2, iw, _("Keys"));
	for (int i = 0; i < n && i + 1 < r.h - 1; i++) {
		int y = r.y + 1 + i, dx = r.x + 2 + kw + 2;

		draw_text(win, y, r.x + 2, kw, theme_attr(ROLE_DIALOG_TITLE),
		    ALIGN_LEFT, _(help_rows[i].keys));
		draw_text_cut(win, y, dx, r.x + r.w - 2 - dx,
		    theme_attr(ROLE_DIALOG), ALIGN_LEFT, _(help_rows[i].what));
	}
	draw_line(win, &r, n + 2, footer, strlen(footer));
}

void
dialog_open(struct dialog *d, enum dialog_kind kind)
{
	d->kind = kind;
	d->focus = 1;           /* No: the safe answer */
}

void
dialog_draw(const struct dialog *d, WINDOW *win, const struct rect *screen)
{
	if (d->kind == DIALOG_QUIT)
		draw_quit(d, win, screen);
	else if (d->kind == DIALOG_HELP)
		draw_help(win, screen);
}

static enum dialog_result
dialog_close(struct dialog *d, enum dialog_result r)
{
	d->kind = DIALOG_NONE;
	return r;
}

static enum dialog_result
quit_key(struct dialog *d, int key)
{
	switch (key) {
	case 'y':
	case 'Y':
		return dialog_close(d, DIALOG_YES);
	case 'n':
	case 'N':
	case 27:                /* Esc */
		return dialog_close(d, DIALOG_NO);
	case '\n':
	case '\r':
	case KEY_ENTER:
		return dialog_close(d, d->focus == 0 ? DIALOG_YES : DIALOG_NO);
	case KEY_LEFT:
	case KEY_RIGHT:
	case '\t':
	case KEY_BTAB:
	case 'h':
	case 'l':
		d->focus = !d->focus;
		return DIALOG_OPEN;
	default:
		return DIALOG_OPEN;
	}
}

enum dialog_result
dialog_key(struct dialog *d, int key)
{
	if (key == KEY_RESIZE || key == ERR)
		return DIALOG_OPEN;
	switch (d->kind) {
	case DIALOG_QUIT:
		return quit_key(d, key);
	case DIALOG_HELP:
		return dialog_close(d, DIALOG_NO);
	default:
		return DIALOG_NO;
	}
}
