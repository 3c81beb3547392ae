/*
 * dialog.c: confirmations, the help box, the read plan and the setpoint
 * entry (see dialog.h for the table of kinds, keys and results).  The
 * e-signature dialogs that follow a confirmed setpoint, or a clock set,
 * are dialog_sign.c's.
 *
 * Quitting stops collection and writing a setpoint acts on the plant, so
 * they always ask, and the safe answer is the default: the
 * focus starts on No, Enter takes the focused button, y or Y says yes, n, N
 * or Esc say no, Left/Right/Tab move the focus.  The keys are also spelled
 * out in the (translated) question, "[y/N]", because the operator may be
 * reading it in Chinese while the keys stay Latin.
 *
 * A setpoint is typed into a field that takes only the characters of a
 * number and is parsed whole (pointval_parse) on Enter: a mistake keeps
 * the dialog open with the reason in it, and only a valid number moves on
 * to the confirmation, which shows the value exactly as it will be written.
 *
 * A batch start on a model with several recipes first asks which one: a
 * short list (name, version, id, run and expected length) chosen with
 * Up/Down and Enter, starting on the recipe the batch screen proposed;
 * the app then opens the e-signature dialogs of the start.
 *
 * The "Apply configuration" view (R while the config dir differs from the
 * version in use) lists what the engine published, wrapped and scrolled
 * like the read plan; Enter on a valid difference hands over to the
 * e-signature dialogs (the app), and nothing else can be done with an
 * invalid config dir but read its errors.
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
#define PLAN_MAX_WIDTH 72       /* columns of a read plan line */
#define PLAN_MAX_LINES 2048     /* wrapped lines of a plan or a review */
#define WRAP_LINE_MAX 1100      /* bytes of one line before wrapping */
#define APPLY_MAX_WIDTH 96      /* columns of the apply view's text */
#define INPUT_WIDTH 40          /* columns inside the setpoint box */

struct help_row {
	const char *keys, *what;
};

/* The device tree's keys, then the keys of every screen. */
static const struct help_row help_rows[] = {
	{ N_("Up/Down, k/j"), N_("Move the selection") },
	{ N_("PgUp/PgDn"), N_("Move by a page") },
	{ N_("Home/End"), N_("First / last row") },
	{ N_("Left/Right, -/+"),
	    N_("Collapse / expand a line or device; Enter toggles") },
	{ N_("r"), N_("Read the selected device or point now") },
	{ N_("w"), N_("Write a setpoint to the selected point") },
	{ N_("c"), N_("Set the clock of the selected device") },
	{ N_("p"), N_("Show the read plan of the selected device") },
	{ N_("/"), N_("Filter by line, device or point") },
	{ N_("Esc"), N_("Clear the filter") },
	{ N_("F2"), N_("Overview: lines and devices, batch, alarms, links") },
	{ N_("F4"), N_("Batch: progress, key points, commands (signed)") },
	{ N_("F5"), N_("Alarms: the alarm list, acknowledge (signed)") },
	{ N_("F6"), N_("Trends: the spectrum, predictions, inference link") },
	{ N_("F7"), N_("Audit trail: events, signatures, chain check") },
};

/* The overview's keys. */
static const struct help_row help_overview_rows[] = {
	{ N_("Arrows, hjkl"), N_("Move between the device cells") },
	{ N_("Home/End"), N_("First / last device") },
	{ N_("Enter"), N_("The selected device on the device table") },
	{ N_("F3"), N_("Devices: points, values, read now, set clock") },
	{ N_("F4"), N_("Batch: progress, key points, commands (signed)") },
	{ N_("F5"), N_("Alarms: the alarm list, acknowledge (signed)") },
	{ N_("F6"), N_("Trends: the spectrum, predictions, inference link") },
	{ N_("F7"), N_("Audit trail: events, signatures, chain check") },
};

/* The audit screen's keys. */
static const struct help_row help_audit_rows[] = {
	{ N_("Up/Down, k/j"), N_("Move the selection") },
	{ N_("PgUp/PgDn"), N_("Move by a page") },
	{ N_("Home/End"), N_("Newest / oldest event") },
	{ N_("Enter"), N_("The event in detail, with its signatures") },
	{ N_("/"), N_("Filter: kind:WORD user:WORD, or any word") },
	{ N_("Esc"), N_("Clear the filter; close the detail") },
	{ N_("F2"), N_("Overview: lines and devices, batch, alarms, links") },
	{ N_("F3"), N_("Back to the device table") },
	{ N_("F4"), N_("Batch: progress, key points, commands (signed)") },
	{ N_("F5"), N_("Alarms: the alarm list, acknowledge (signed)") },
	{ N_("F6"), N_("Trends: the spectrum, predictions, inference link") },
};

/* The trends screen's keys. */
static const struct help_row help_trends_rows[] = {
	{ N_("p"), N_("Re-predict the latest spectrum now") },
	{ N_("F2"), N_("Overview: lines and devices, batch, alarms, links") },
	{ N_("F3"), N_("Back to the device table") },
	{ N_("F4"), N_("Batch: progress, key points, commands (signed)") },
	{ N_("F5"), N_("Alarms: the alarm list, acknowledge (signed)") },
	{ N_("F7"), N_("Audit trail: events, signatures, chain check") },
};

/* The alarm list's keys. */
static const struct help_row help_alarms_rows[] = {
	{ N_("Up/Down, k/j"), N_("Move the selection") },
	{ N_("PgUp/PgDn"), N_("Move by a page") },
	{ N_("Home/End"), N_("First / last row") },
	{ N_("a, Enter"), N_("Acknowledge the selected alarm (signed)") },
	{ N_("A"), N_("Acknowledge every unacknowledged alarm shown") },
	{ N_("/"), N_("Filter by key, source or name") },
	{ N_("Esc"), N_("Clear the filter") },
	{ N_("F2"), N_("Overview: lines and devices, batch, alarms, links") },
	{ N_("F3"), N_("Back to the device table") },
	{ N_("F4"), N_("Batch: progress, key points, commands (signed)") },
	{ N_("F6"), N_("Trends: the spectrum, predictions, inference link") },
	{ N_("F7"), N_("Audit trail: events, signatures, chain check") },
};

/* The batch screen's keys: each command on a function key and a letter. */
static const struct help_row help_batch_rows[] = {
	{ N_("F8, s"), N_("Start a batch (signed; first the recipe, when "
	    "there are several)") },
	{ N_("F9, h"), N_("Hold the running batch (signed)") },
	{ N_("F9, u"), N_("Resume the held batch (signed)") },
	{ N_("F11, t"), N_("Stop: the current run finishes, then the batch "
	    "is complete (signed)") },
	{ N_("F12, x"), N_("Abort: the batch ends at once (signed)") },
	{ N_("m"), N_("Announce a maintenance window (signed)") },
	{ N_("F2"), N_("Overview: lines and devices, batch, alarms, links") },
	{ N_("F3"), N_("Back to the device table") },
	{ N_("F5"), N_("Alarms: the alarm list, acknowledge (signed)") },
	{ N_("F6"), N_("Trends: the spectrum, predictions, inference link") },
	{ N_("F7"), N_("Audit trail: events, signatures, chain check") },
};

static const struct help_row help_common_rows[] = {
	{ N_("R"), N_("Reload: re-read the applied configuration version") },
	{ N_("F1, ?"), N_("Show this help") },
	{ N_("T"), N_("Next theme: dark, light, mono") },
	{ N_("Ctrl-L"), N_("Redraw the screen") },
	{ N_("q, F10"), N_("Quit (asks for confirmation)") },
};

/* R while the config dir differs: instead of the first common row. */
static const struct help_row help_apply_row = {
	N_("R"), N_("Apply config: the config dir's difference, then sign it")
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

struct rect
dialog_box(WINDOW *win, const struct rect *screen, int ih, int iw,
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

/* Text columns of a dialog on this screen. */
static int
text_cols(const struct rect *screen, int max)
{
	int cols = screen->w - 6;

	if (cols > max)
		cols = max;
	return cols < 1 ? 1 : cols;
}

/* A question with Yes and No buttons under it. */
static void
draw_confirm(const struct dialog *d, WINDOW *win, const struct rect *screen,
    const char *title, const char *question)
{
	struct wrapped wr;
	struct rect r;
	char yes[64], no[64];
	int iw, yw, nw, x;

	wrap_text(&wr, question, text_cols(screen, DIALOG_MAX_TEXT));
	snprintf(yes, sizeof yes, "[ %s ]", _("Yes"));
	snprintf(no, sizeof no, "[ %s ]", _("No"));
	yw = text_width(yes);
	nw = text_width(no);
	iw = wr.width > yw + nw + 3 ? wr.width : yw + nw + 3;
	r = dialog_box(win, screen, wr.n + 2, iw, title);
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
draw_quit(const struct dialog *d, WINDOW *win, const struct rect *screen)
{
	draw_confirm(d, win, screen, _("Quit"),
	    _("Quit the console? Collection stops. [y/N]"));
}

static void
draw_write_confirm(const struct dialog *d, WINDOW *win,
    const struct rect *screen)
{
	char q[512], value[64];

	pointval_format_exact(value, sizeof value, d->value);
	if (d->unit[0] != '\0')
		/* TRANSLATORS: value, unit, point id. */
		snprintf(q, sizeof q, _("Write %s %s to %s? [y/N]"), value,
		    d->unit, d->point_id);
	else
		/* TRANSLATORS: value, point id. */
		snprintf(q, sizeof q, _("Write %s to %s? [y/N]"), value,
		    d->point_id);
	draw_confirm(d, win, screen, _("Confirm write"), q);
}

/*
 * The read plan, wrapped: each wrapped line is a piece of d->plan, the
 * continuation of a long request indented by two columns.
 */
struct plan_lines {
	size_t start[PLAN_MAX_LINES], len[PLAN_MAX_LINES];
	bool indent[PLAN_MAX_LINES];
	int n, width;
};

static void
plan_wrap(struct plan_lines *pl, const char *plan, int cols)
{
	char line[WRAP_LINE_MAX];
	const char *p = plan;

	memset(pl, 0, sizeof *pl);
	while (*p != '\0' && pl->n < PLAN_MAX_LINES) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p), off = 0;
		size_t keep = len;

		/* A longer line is cut, on a character's boundary. */
		if (keep >= sizeof line) {
			keep = sizeof line - 1;
			while (keep > 0 && ((unsigned char)p[keep] & 0xc0) ==
			    0x80)
				keep--;
		}
		memcpy(line, p, keep);
		line[keep] = '\0';
		do {
			bool indent = off > 0;
			int c = indent && cols > 4 ? cols - 2 : cols;
			size_t n = text_wrap(line + off, c);
			char piece[sizeof line];
			int w;

			memcpy(piece, line + off, n);
			piece[n] = '\0';
			w = text_width(piece) + (indent ? 2 : 0);
			if (w > pl->width)
				pl->width = w;
			pl->start[pl->n] = (size_t)(p - plan) + off;
			pl->len[pl->n] = n;
			pl->indent[pl->n++] = indent;
			off += n;
			while (line[off] == ' ')
				off++;
		} while (line[off] != '\0' && pl->n < PLAN_MAX_LINES);
		p += len;
		if (*p == '\n')
			p++;
	}
}

static void
draw_plan(struct dialog *d, WINDOW *win, const struct rect *screen,
    const struct snapshot *snap)
{
	static struct plan_lines pl;    /* large; the UI has one thread */
	const char *empty = _("No read plan yet.");
	char title[256], footer[256];
	struct rect r;
	int iw, page, cols = text_cols(screen, PLAN_MAX_WIDTH);

	snprintf(title, sizeof title, _("Read plan — %s"), d->device_id);
	/* The plan changes when a device refuses a merged read: keep up. */
	if (snap != NULL && snap->config_generation == d->config_gen &&
	    d->device < snap->ndevices)
		str_copy(d->plan, snap->devices[d->device].plan,
		    sizeof d->plan);
	plan_wrap(&pl, d->plan, cols);
	if (pl.n == 0) {
		pl.start[0] = 0;
		pl.len[0] = 0;
		pl.n = 1;
		pl.width = text_width(empty);
	}
	page = screen->h - 6;           /* frame, blank, footer, margins */
	if (page > pl.n)
		page = pl.n;
	if (page < 1)
		page = 1;
	d->page = page;
	d->nlines = pl.n;
	if (d->scroll > pl.n - page)
		d->scroll = pl.n - page;
	if (d->scroll < 0)
		d->scroll = 0;
	if (pl.n > page)
		snprintf(footer, sizeof footer, _("Lines %d-%d of %d"),
		    d->scroll + 1, d->scroll + page, pl.n);
	else
		snprintf(footer, sizeof footer, "%s", _("Esc closes."));
	iw = pl.width;
	if (text_width(footer) > iw)
		iw = text_width(footer);
	if (text_width(title) + 2 > iw)
		iw = text_width(title) + 2;
	if (iw > screen->w - 4)
		iw = screen->w - 4;
	r = dialog_box(win, screen, page + 2, iw, title);
	if (d->plan[0] == '\0') {
		draw_line(win, &r, 1, empty, strlen(empty));
	} else {
		for (int i = 0; i < page; i++) {
			int k = d->scroll + i;

			if (pl.indent[k]) {
				char piece[sizeof d->plan + 2];

				snprintf(piece, sizeof piece, "  %.*s",
				    (int)pl.len[k], d->plan + pl.start[k]);
				draw_line(win, &r, 1 + i, piece,
				    strlen(piece));
			} else {
				draw_line(win, &r, 1 + i,
				    d->plan + pl.start[k], pl.len[k]);
			}
		}
	}
	draw_line(win, &r, page + 2, footer, strlen(footer));
}

/* One line of a box in role, cut to its width. */
static void
draw_line_role(WINDOW *win, const struct rect *r, int row, const char *s,
    size_t len, enum theme_role role)
{
	char line[WRAP_LINE_MAX + 4];

	if (row >= r->h - 1)
		return;
	if (len >= sizeof line)
		len = sizeof line - 1;
	memcpy(line, s, len);
	line[len] = '\0';
	draw_text_cut(win, r->y + row, r->x + 2, r->w - 4, theme_attr(role),
	    ALIGN_LEFT, line);
}

/* The review's lines as one text, a line each (malloc'ed). */
static char *
review_text(const struct config_review *rv)
{
	size_t len = 1;
	char *text, *p;

	for (size_t i = 0; i < rv->n; i++)
		len += strlen(rv->lines[i]) + 1;
	if (rv->n == 0 && !rv->valid)
		len += strlen(rv->message) + 1;
	p = text = xmalloc(len);
	for (size_t i = 0; i < rv->n; i++)
		p += sprintf(p, "%s%s", i > 0 ? "\n" : "", rv->lines[i]);
	if (rv->n == 0 && !rv->valid)
		p += sprintf(p, "%s", rv->message);
	*p = '\0';
	return text;
}

/* What the view says above the lines. */
static void
apply_head(const struct dialog *d, char *buf, size_t len)
{
	char one[512], two[256];

	if (!d->apply_valid) {
		/* TRANSLATORS: the config dir, version in use, errors. */
		snprintf(buf, len, ngettext("%s differs from the applied "
		    "version %d but is not valid: it cannot be applied (%zu "
		    "error).", "%s differs from the applied version %d but is "
		    "not valid: it cannot be applied (%zu errors).",
		    (unsigned long)d->apply_n), d->apply_dir, d->apply_old,
		    d->apply_n);
		return;
	}
	/* TRANSLATORS: the config dir, version in use, differences. */
	snprintf(one, sizeof one, ngettext("%s differs from the applied "
	    "version %d in %zu place.", "%s differs from the applied version "
	    "%d in %zu places.", (unsigned long)d->apply_n), d->apply_dir,
	    d->apply_old, d->apply_n);
	/* TRANSLATORS: the new version number, signatures needed. */
	snprintf(two, sizeof two, ngettext("Applying it makes version %d and "
	    "needs %d signature:", "Applying it makes version %d and needs %d "
	    "signatures:", (unsigned long)d->apply_need), d->apply_new,
	    d->apply_need);
	snprintf(buf, len, "%s %s", one, two);
}

/*
 * The "Apply configuration" view: what the config dir would change (or
 * why it cannot be applied), scrolled like a read plan.
 */
static void
draw_apply(struct dialog *d, WINDOW *win, const struct rect *screen)
{
	static struct plan_lines pl;    /* large; the UI has one thread */
	const char *title = _("Apply configuration");
	const char *note = d->apply_error;
	char head[1024], footer[256], lines[64], *text;
	struct wrapped hw;
	struct rect r;
	int cols = text_cols(screen, APPLY_MAX_WIDTH), iw, page, row;
	enum theme_role role = d->apply_valid ? ROLE_DIALOG :
	    ROLE_DIALOG_ERROR;

	if (d->review == NULL)
		return;
	apply_head(d, head, sizeof head);
	wrap_text(&hw, head, cols);
	text = review_text(d->review);
	plan_wrap(&pl, text, cols);
	if (note[0] == '\0' && d->apply_stale)
		note = _("The config dir changed since this was shown: press R "
		    "to look again.");
	page = screen->h - 4 - 2 - hw.n - 3;
	if (page > pl.n)
		page = pl.n;
	if (page < 1)
		page = 1;
	d->page = page;
	d->nlines = pl.n;
	if (d->scroll > pl.n - page)
		d->scroll = pl.n - page;
	if (d->scroll < 0)
		d->scroll = 0;
	lines[0] = '\0';
	if (pl.n > page)
		/* TRANSLATORS: first and last line shown, lines. */
		snprintf(lines, sizeof lines, _("Lines %d-%d of %d"),
		    d->scroll + 1, d->scroll + page, pl.n);
	snprintf(footer, sizeof footer, "%s%s%s", lines, lines[0] != '\0' ?
	    "  " : "", d->apply_valid ? _("Enter: sign and apply.  Esc: back.") :
	    _("Fix the files, then press R again.  Esc: back."));
	iw = pl.width > hw.width ? pl.width : hw.width;
	if (text_width(footer) > iw)
		iw = text_width(footer);
	if (text_width(note) > iw)
		iw = text_width(note);
	if (text_width(title) + 2 > iw)
		iw = text_width(title) + 2;
	if (iw > cols)
		iw = cols;
	r = dialog_box(win, screen, hw.n + page + 3, iw, title);
	for (row = 0; row < hw.n; row++)
		draw_line(win, &r, 1 + row, hw.start[row], hw.len[row]);
	row = 1 + hw.n + 1;
	for (int i = 0; i < page && d->scroll + i < pl.n; i++) {
		int k = d->scroll + i;
		char piece[WRAP_LINE_MAX + 4];

		snprintf(piece, sizeof piece, "%s%.*s", pl.indent[k] ? "  " :
		    "", (int)pl.len[k], text + pl.start[k]);
		draw_line_role(win, &r, row + i, piece, strlen(piece), role);
	}
	row += page;
	if (note[0] != '\0')
		draw_line_role(win, &r, row, note, strlen(note),
		    ROLE_DIALOG_ERROR);
	draw_line(win, &r, row + 1, footer, strlen(footer));
	free(text);
}

static const char *
input_error(enum pointval_error e)
{
	switch (e) {
	case POINTVAL_EMPTY:
		return _("Type a value first.");
	case POINTVAL_SYNTAX:
		return _("Not a number; use digits, '.', '-' and 'e'.");
	case POINTVAL_NOT_FINITE:
		return _("The value must be a finite number.");
	default:
		return "";
	}
}

static void
draw_write_input(const struct dialog *d, WINDOW *win,
    const struct rect *screen, const struct snapshot *snap)
{
	const char *label = _("New value:");
	const char *footer = _("Enter confirms, Esc cancels.");
	char title[256], line[256], value[64];
	struct rect r;
	int iw = INPUT_WIDTH, lw, uw, fw, x, y;

	if (d->unit[0] != '\0')
		/* TRANSLATORS: point id, unit. */
		snprintf(title, sizeof title, _("Write setpoint %s (%s)"),
		    d->point_id, d->unit);
	else
		snprintf(title, sizeof title, _("Write setpoint %s"),
		    d->point_id);
	snprintf(value, sizeof value, "%s", text_utf8() ? "\xe2\x80\x94" : "-");
	if (snap != NULL && snap->model != NULL &&
	    snap->config_generation == d->config_gen &&
	    d->point < snap->npoints && d->point < snap->model->npoints &&
	    snap->points[d->point].has_value)
		pointval_format(value, sizeof value,
		    &snap->model->points[d->point],
		    snap->points[d->point].value);
	snprintf(line, sizeof line, _("Current value: %s"), value);
	if (text_width(title) + 2 > iw)
		iw = text_width(title) + 2;
	if (text_width(line) > iw)
		iw = text_width(line);
	if (text_width(footer) > iw)
		iw = text_width(footer);
	/* As wide as any reason, so that the box keeps its size. */
	for (int e = POINTVAL_EMPTY; e <= POINTVAL_NOT_FINITE; e++)
		if (text_width(input_error((enum pointval_error)e)) > iw)
			iw = text_width(input_error((enum pointval_error)e));
	if (iw > screen->w - 4)
		iw = screen->w - 4;
	r = dialog_box(win, screen, 6, iw, title);
	draw_line(win, &r, 1, line, strlen(line));
	/* New value: [12.5_      ] unit */
	y = r.y + 3;
	lw = text_width(label);
	uw = d->unit[0] != '\0' ? text_width(d->unit) + 1 : 0;
	x = r.x + 2;
	if (3 < r.h - 1) {
		char shown[POINTVAL_FIELD_MAX + 2];

		fw = r.w - 4 - lw - 1 - uw;
		if (fw > POINTVAL_FIELD_MAX + 2)
			fw = POINTVAL_FIELD_MAX + 2;
		draw_text(win, y, x, lw, theme_attr(ROLE_DIALOG), ALIGN_LEFT,
		    label);
		x += lw + 1;
		if (fw > 0) {
			/* The end of the text stays visible, then a cursor. */
			const char *t = d->field.text;
			int tw = (int)d->field.len;

			if (tw > fw - 1)
				t += tw - (fw - 1);
			snprintf(shown, sizeof shown, "%s_", t);
			draw_text(win, y, x, fw, theme_attr(ROLE_FIELD),
			    ALIGN_LEFT, shown);
			x += fw + 1;
		}
		if (uw > 0 && x < r.x + r.w - 2)
			draw_text(win, y, x, r.x + r.w - 2 - x,
			    theme_attr(ROLE_DIALOG), ALIGN_LEFT, d->unit);
	}
	if (d->error != POINTVAL_OK && 4 < r.h - 1)
		draw_text_cut(win, r.y + 4, r.x + 2, r.w - 4,
		    theme_attr(ROLE_DIALOG_ERROR), ALIGN_LEFT,
		    input_error(d->error));
	draw_line(win, &r, 6, footer, strlen(footer));
}

/* Keep the chosen recipe within range and on the page. */
static void
recipe_scroll(struct dialog *d, size_t n)
{
	if (n == 0)
		return;
	if (d->recipe >= n)
		d->recipe = n - 1;
	if (d->page < 1)
		d->page = 1;
	if ((int)d->recipe < d->scroll)
		d->scroll = (int)d->recipe;
	if ((int)d->recipe >= d->scroll + d->page)
		d->scroll = (int)d->recipe - d->page + 1;
}

/* The recipes of a batch start, one a line, the chosen one highlighted. */
static void
draw_recipe(struct dialog *d, WINDOW *win, const struct rect *screen,
    const struct snapshot *snap)
{
	const char *title = _("Start a batch: which recipe?");
	const char *footer = _("Up/Down chooses, Enter goes on to the "
	    "signatures, Esc cancels.");
	const struct model *m = snap != NULL ? snap->model : NULL;
	char line[512], run[32], total[32];
	struct rect r;
	size_t n;
	int iw, page;

	/* The dialog is closed when a reload changes the model (the app). */
	if (m == NULL || snap->config_generation != d->config_gen)
		return;
	n = m->nrecipes;
	iw = text_width(footer);
	if (text_width(title) + 2 > iw)
		iw = text_width(title) + 2;
	for (size_t i = 0; i < n; i++) {
		format_age(run, sizeof run, m->recipes[i].run_ms * 1000);
		format_age(total, sizeof total, m->recipes[i].expected_ms * 1000);
		/* TRANSLATORS: recipe name, version, id, the length of a run
		 * and of the batch ("2 min", "1 h"). */
		snprintf(line, sizeof line, _("%s v%s (%s): runs of %s, about "
		    "%s"), m->recipes[i].name, m->recipes[i].version,
		    m->recipes[i].id, run, total);
		if (text_width(line) + 2 > iw)
			iw = text_width(line) + 2;
	}
	if (iw > screen->w - 4)
		iw = screen->w - 4;
	page = screen->h - 6;
	if (page > (int)n)
		page = (int)n;
	if (page < 1)
		page = 1;
	d->page = page;
	d->nlines = (int)n;
	recipe_scroll(d, n);
	r = dialog_box(win, screen, page + 2, iw, title);
	for (int i = 0; i < page && (size_t)(d->scroll + i) < n; i++) {
		const struct recipe *rc = &m->recipes[d->scroll + i];
		bool on = (size_t)(d->scroll + i) == d->recipe;

		format_age(run, sizeof run, rc->run_ms * 1000);
		format_age(total, sizeof total, rc->expected_ms * 1000);
		snprintf(line, sizeof line, _("%s v%s (%s): runs of %s, about "
		    "%s"), rc->name, rc->version, rc->id, run, total);
		if (1 + i < r.h - 1)
			draw_text_cut(win, r.y + 1 + i, r.x + 2, r.w - 4,
			    theme_attr(on ? ROLE_BUTTON_FOCUS : ROLE_DIALOG),
			    ALIGN_LEFT, line);
	}
	draw_line(win, &r, page + 2, footer, strlen(footer));
}

static void
draw_help(const struct dialog *d, WINDOW *win, const struct rect *screen)
{
	const char *footer = _("Press any key to close.");
	const struct help_row *rows[ARRAY_LEN(help_rows) +
	    ARRAY_LEN(help_overview_rows) +
	    ARRAY_LEN(help_audit_rows) + ARRAY_LEN(help_trends_rows) +
	    ARRAY_LEN(help_alarms_rows) + ARRAY_LEN(help_batch_rows) +
	    ARRAY_LEN(help_common_rows)];
	struct rect r;
	int kw = 0, dw = 0, iw, n = 0;

	if (d->help_audit)
		for (size_t i = 0; i < ARRAY_LEN(help_audit_rows); i++)
			rows[n++] = &help_audit_rows[i];
	else if (d->help_trends)
		for (size_t i = 0; i < ARRAY_LEN(help_trends_rows); i++)
			rows[n++] = &help_trends_rows[i];
	else if (d->help_alarms)
		for (size_t i = 0; i < ARRAY_LEN(help_alarms_rows); i++)
			rows[n++] = &help_alarms_rows[i];
	else if (d->help_batch)
		for (size_t i = 0; i < ARRAY_LEN(help_batch_rows); i++)
			rows[n++] = &help_batch_rows[i];
	else if (d->help_overview)
		for (size_t i = 0; i < ARRAY_LEN(help_overview_rows); i++)
			rows[n++] = &help_overview_rows[i];
	else
		for (size_t i = 0; i < ARRAY_LEN(help_rows); i++)
			rows[n++] = &help_rows[i];
	for (size_t i = 0; i < ARRAY_LEN(help_common_rows); i++)
		rows[n++] = i == 0 && d->help_apply ? &help_apply_row :
		    &help_common_rows[i];
	for (int i = 0; i < n; i++) {
		int w = text_width(_(rows[i]->keys));

		if (w > kw)
			kw = w;
		w = text_width(_(rows[i]->what));
		if (w > dw)
			dw = w;
	}
	iw = kw + 2 + dw;
	if (text_width(footer) > iw)
		iw = text_width(footer);
	r = dialog_box(win, screen, n + 2, iw, d->help_audit ?
	    _("Keys of the audit trail") : d->help_trends ?
	    _("Keys of the trends screen") : d->help_alarms ?
	    _("Keys of the alarm list") : d->help_batch ?
	    _("Keys of the batch screen") : d->help_overview ?
	    _("Keys of the overview") : _("Keys"));
	for (int i = 0; i < n && i + 1 < r.h - 1; i++) {
		int y = r.y + 1 + i, dx = r.x + 2 + kw + 2;

		draw_text(win, y, r.x + 2, kw, theme_attr(ROLE_DIALOG_TITLE),
		    ALIGN_LEFT, _(rows[i]->keys));
		draw_text_cut(win, y, dx, r.x + r.w - 2 - dx,
		    theme_attr(ROLE_DIALOG), ALIGN_LEFT, _(rows[i]->what));
	}
	draw_line(win, &r, n + 2, footer, strlen(footer));
}

void
dialog_open(struct dialog *d, enum dialog_kind kind)
{
	config_review_release(d->review);
	memset(d, 0, sizeof *d);
	d->kind = kind;
	d->focus = 1;           /* No: the safe answer */
}

static void
open_device(struct dialog *d, enum dialog_kind kind,
    const struct snapshot *snap, size_t device)
{
	dialog_open(d, kind);
	d->config_gen = snap->config_generation;
	d->device = device;
	if (snap->model != NULL && device < snap->model->ndevices)
		str_copy(d->device_id, snap->model->devices[device].id,
		    sizeof d->device_id);
}

void
dialog_open_plan(struct dialog *d, const struct snapshot *snap,
    size_t device)
{
	open_device(d, DIALOG_PLAN, snap, device);
	if (device < snap->ndevices)
		str_copy(d->plan, snap->devices[device].plan, sizeof d->plan);
}

void
dialog_open_help(struct dialog *d, bool audit, bool apply)
{
	dialog_open(d, DIALOG_HELP);
	d->help_audit = audit;
	d->help_apply = apply;
}

void
dialog_open_apply(struct dialog *d, const struct snapshot *snap)
{
	const struct config_review *rv = snap->config_review;

	dialog_open(d, DIALOG_APPLY);
	d->config_gen = snap->config_generation;
	if (rv == NULL)
		return;
	config_review_acquire(rv);
	d->review = rv;
	d->apply_valid = rv->valid;
	str_copy(d->apply_token, rv->token, sizeof d->apply_token);
	str_copy(d->apply_dir, rv->dir, sizeof d->apply_dir);
	d->apply_old = rv->applied_version;
	d->apply_new = rv->new_version;
	d->apply_need = rv->signatures;
	d->apply_n = rv->n;
	if (rv->valid && rv->n == 1) {
		/* Cut on a character's boundary. */
		size_t len = strlen(rv->lines[0]);

		if (len >= sizeof d->apply_first) {
			len = sizeof d->apply_first - 1;
			while (len > 0 && ((unsigned char)rv->lines[0][len] &
			    0xc0) == 0x80)
				len--;
		}
		memcpy(d->apply_first, rv->lines[0], len);
		d->apply_first[len] = '\0';
	}
}

void
dialog_open_recipe(struct dialog *d, const struct snapshot *snap,
    size_t recipe)
{
	dialog_open(d, DIALOG_RECIPE);
	d->config_gen = snap->config_generation;
	d->page = 1;
	/* Keys may come before the first draw counts the recipes. */
	d->nlines = snap->model != NULL ? (int)snap->model->nrecipes : 0;
	d->recipe = d->nlines > 0 && recipe >= (size_t)d->nlines ?
	    (size_t)d->nlines - 1 : recipe;
}

void
dialog_dismiss(struct dialog *d)
{
	config_review_release(d->review);
	d->review = NULL;
	d->kind = DIALOG_NONE;
}

void
dialog_open_write(struct dialog *d, const struct snapshot *snap,
    size_t point)
{
	const struct point *p = NULL;

	if (snap->model != NULL && point < snap->model->npoints)
		p = &snap->model->points[point];
	open_device(d, DIALOG_WRITE_INPUT, snap, p != NULL ? p->device : 0);
	d->point = point;
	if (p != NULL) {
		str_copy(d->point_id, p->id, sizeof d->point_id);
		str_copy(d->unit, p->unit, sizeof d->unit);
	}
	pointval_field_clear(&d->field);
}

bool
dialog_bound(const struct dialog *d)
{
	return d->kind == DIALOG_PLAN || d->kind == DIALOG_APPLY ||
	    d->kind == DIALOG_WRITE_INPUT || d->kind == DIALOG_WRITE_CONFIRM ||
	    d->kind == DIALOG_RECIPE;
}

bool
dialog_scrolls(const struct dialog *d)
{
	return (d->kind == DIALOG_PLAN || d->kind == DIALOG_APPLY) &&
	    d->page > 0 &&
	    (d->scroll > 0 || d->scroll + d->page < d->nlines);
}

void
dialog_draw(struct dialog *d, WINDOW *win, const struct rect *screen,
    const struct snapshot *snap)
{
	switch (d->kind) {
	case DIALOG_QUIT:
		draw_quit(d, win, screen);
		break;
	case DIALOG_HELP:
		draw_help(d, win, screen);
		break;
	case DIALOG_PLAN:
		draw_plan(d, win, screen, snap);
		break;
	case DIALOG_WRITE_INPUT:
		draw_write_input(d, win, screen, snap);
		break;
	case DIALOG_WRITE_CONFIRM:
		draw_write_confirm(d, win, screen);
		break;
	case DIALOG_APPLY:
		draw_apply(d, win, screen);
		break;
	case DIALOG_RECIPE:
		draw_recipe(d, win, screen, snap);
		break;
	default:
		break;
	}
}

static enum dialog_result
dialog_close(struct dialog *d, enum dialog_result r)
{
	dialog_dismiss(d);
	return r;
}

static enum dialog_result
confirm_key(struct dialog *d, int key)
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

/* The scrolling keys of the plan and the apply view. */
static void
scroll_key(struct dialog *d, int key)
{
	int page = d->page > 1 ? d->page - 1 : 1;

	switch (key) {
	case KEY_UP:
	case 'k':
		d->scroll--;
		break;
	case KEY_DOWN:
	case 'j':
		d->scroll++;
		break;
	case KEY_PPAGE:
		d->scroll -= page;
		break;
	case KEY_NPAGE:
	case ' ':
		d->scroll += page;
		break;
	case KEY_HOME:
	case 'g':
		d->scroll = 0;
		break;
	case KEY_END:
	case 'G':
		d->scroll = d->nlines;
		break;
	default:
		break;
	}
	/* The draw clamps against the wrapped lines; keep it near. */
	if (d->scroll > d->nlines - d->page)
		d->scroll = d->nlines - d->page;
	if (d->scroll < 0)
		d->scroll = 0;
}

static enum dialog_result
plan_key(struct dialog *d, int key)
{
	switch (key) {
	case 27:
	case '\n':
	case '\r':
	case KEY_ENTER:
	case 'q':
	case 'Q':
		return dialog_close(d, DIALOG_NO);
	default:
		scroll_key(d, key);
		return DIALOG_OPEN;
	}
}

/* Enter goes on to the signatures only with something to apply. */
static enum dialog_result
apply_key(struct dialog *d, int key)
{
	switch (key) {
	case 27:
	case 'q':
	case 'Q':
		return dialog_close(d, DIALOG_NO);
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (!d->apply_valid)
			str_copy(d->apply_error, _("An invalid configuration "
			    "cannot be applied; nothing was done."),
			    sizeof d->apply_error);
		else if (d->apply_stale)
			str_copy(d->apply_error, _("The config dir changed "
			    "since this was shown: press R to look again."),
			    sizeof d->apply_error);
		else
			return dialog_close(d, DIALOG_YES);
		return DIALOG_OPEN;
	default:
		scroll_key(d, key);
		return DIALOG_OPEN;
	}
}

/* Up/Down choose (the draw keeps the choice in range), Enter takes it. */
static enum dialog_result
recipe_key(struct dialog *d, int key)
{
	switch (key) {
	case 27:
	case 'q':
	case 'Q':
		return dialog_close(d, DIALOG_NO);
	case '\n':
	case '\r':
	case KEY_ENTER:
		return dialog_close(d, DIALOG_YES);
	case KEY_UP:
	case 'k':
		if (d->recipe > 0)
			d->recipe--;
		return DIALOG_OPEN;
	case KEY_DOWN:
	case 'j':
		if (d->recipe + 1 < (size_t)d->nlines)
			d->recipe++;
		return DIALOG_OPEN;
	case KEY_HOME:
	case 'g':
		d->recipe = 0;
		return DIALOG_OPEN;
	case KEY_END:
	case 'G':
		if (d->nlines > 0)
			d->recipe = (size_t)d->nlines - 1;
		return DIALOG_OPEN;
	default:
		return DIALOG_OPEN;
	}
}

static enum dialog_result
input_key(struct dialog *d, int key)
{
	switch (key) {
	case 27:
		return dialog_close(d, DIALOG_NO);
	case '\n':
	case '\r':
	case KEY_ENTER:
		d->error = pointval_parse(d->field.text, &d->value);
		if (d->error == POINTVAL_OK) {
			d->kind = DIALOG_WRITE_CONFIRM;
			d->focus = 1;
		}
		return DIALOG_OPEN;
	default:
		if (pointval_field_key(&d->field, key))
			d->error = POINTVAL_OK;
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
	case DIALOG_WRITE_CONFIRM:
		return confirm_key(d, key);
	case DIALOG_HELP:
		return dialog_close(d, DIALOG_NO);
	case DIALOG_PLAN:
		return plan_key(d, key);
	case DIALOG_APPLY:
		return apply_key(d, key);
	case DIALOG_WRITE_INPUT:
		return input_key(d, key);
	case DIALOG_RECIPE:
		return recipe_key(d, key);
	default:
		return DIALOG_NO;
	}
}
