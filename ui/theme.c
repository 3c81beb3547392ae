/*
 * theme.c: colour schemes (see theme.h).
 *
 * Each theme is a table of (foreground, background, attributes) per role;
 * pair n + 1 is role n.  The dark theme keeps the terminal's own background
 * (use_default_colors) so the console looks right in any operator's
 * terminal; light assumes a white background; mono uses only bold,
 * reverse, underline and dim, and is what a terminal without colours gets
 * (has_colors() false, e.g. TERM=vt100), whatever app.json says.
 * Meaning never rests on colour alone: states and qualities are also
 * spelled out in words or letters, so mono loses nothing but speed of
 * reading.
 *
 * The four meanings the operator reads at a glance have one role each,
 * and every theme gives each its own look:
 *
 *	meaning   role        dark            light           mono
 *	alarm     ROLE_ALARM  red             red on white    underline
 *	          ROLE_BAD    bold red        bold red        bold underline
 *	          (an unacknowledged alarm adds bold to ROLE_ALARM)
 *	warning   ROLE_WARN   bold yellow     bold magenta    bold
 *	normal    ROLE_GOOD   bold green      bold green      plain
 *	stale     ROLE_DIM    dim             dim black       dim
 *
 * theme_cycle (the T key) goes dark -> light -> mono -> dark at run time:
 * the colour pairs are set again and the app repaints.  start_color is
 * called the first time a colour theme is wanted, not before, so that a
 * console started in mono sends no colour at all.
 */
#include "config.h"

#include <string.h>

#include "ui/text.h"
#include "ui/theme.h"

struct role_style {
	short fg, bg;
	attr_t attr;
};

/* -1 is the terminal's default colour (use_default_colors). */
static const struct role_style dark[ROLE_COUNT] = {
	[ROLE_NORMAL]       = { -1, -1, A_NORMAL },
	[ROLE_HEADER]       = { COLOR_BLACK, COLOR_CYAN, A_NORMAL },
	[ROLE_HEADER_CLOCK] = { COLOR_BLACK, COLOR_CYAN, A_BOLD },
	[ROLE_STATUS]       = { COLOR_WHITE, COLOR_BLUE, A_NORMAL },
	[ROLE_KEY]          = { COLOR_WHITE, -1, A_BOLD },
	[ROLE_KEY_LABEL]    = { COLOR_BLACK, COLOR_CYAN, A_NORMAL },
	[ROLE_TABLE_HEAD]   = { COLOR_BLACK, COLOR_GREEN, A_NORMAL },
	[ROLE_SELECTED]     = { COLOR_BLACK, COLOR_YELLOW, A_NORMAL },
	[ROLE_GOOD]         = { COLOR_GREEN, -1, A_BOLD },
	[ROLE_WARN]         = { COLOR_YELLOW, -1, A_BOLD },
	[ROLE_BAD]          = { COLOR_RED, -1, A_BOLD },
	[ROLE_DIM]          = { -1, -1, A_DIM },
	[ROLE_POINT]        = { COLOR_CYAN, -1, A_NORMAL },
	[ROLE_DIALOG]       = { COLOR_WHITE, COLOR_BLUE, A_NORMAL },
	[ROLE_DIALOG_TITLE] = { COLOR_YELLOW, COLOR_BLUE, A_BOLD },
	[ROLE_BUTTON]       = { COLOR_WHITE, COLOR_BLUE, A_NORMAL },
	[ROLE_BUTTON_FOCUS] = { COLOR_BLACK, COLOR_WHITE, A_BOLD },
	[ROLE_FIELD]        = { COLOR_BLACK, COLOR_WHITE, A_NORMAL },
	[ROLE_DIALOG_ERROR] = { COLOR_WHITE, COLOR_RED, A_BOLD },
	[ROLE_ALARM]        = { COLOR_RED, -1, A_NORMAL },
	[ROLE_ALARM_COUNT]  = { COLOR_WHITE, COLOR_RED, A_BOLD },
};

static const struct role_style light[ROLE_COUNT] = {
	[ROLE_NORMAL]       = { COLOR_BLACK, COLOR_WHITE, A_NORMAL },
	[ROLE_HEADER]       = { COLOR_WHITE, COLOR_BLUE, A_NORMAL },
	[ROLE_HEADER_CLOCK] = { COLOR_WHITE, COLOR_BLUE, A_BOLD },
	[ROLE_STATUS]       = { COLOR_BLACK, COLOR_CYAN, A_NORMAL },
	[ROLE_KEY]          = { COLOR_BLACK, COLOR_WHITE, A_BOLD },
	[ROLE_KEY_LABEL]    = { COLOR_WHITE, COLOR_BLUE, A_NORMAL },
	[ROLE_TABLE_HEAD]   = { COLOR_WHITE, COLOR_BLACK, A_NORMAL },
	[ROLE_SELECTED]     = { COLOR_WHITE, COLOR_BLUE, A_NORMAL },
	[ROLE_GOOD]         = { COLOR_GREEN, COLOR_WHITE, A_BOLD },
	[ROLE_WARN]         = { COLOR_MAGENTA, COLOR_WHITE, A_BOLD },
	[ROLE_BAD]          = { COLOR_RED, COLOR_WHITE, A_BOLD },
	[ROLE_DIM]          = { COLOR_BLACK, COLOR_WHITE, A_DIM },
	[ROLE_POINT]        = { COLOR_BLUE, COLOR_WHITE, A_NORMAL },
	[ROLE_DIALOG]       = { COLOR_BLACK, COLOR_CYAN, A_NORMAL },
	[ROLE_DIALOG_TITLE] = { COLOR_BLUE, COLOR_CYAN, A_BOLD },
	[ROLE_BUTTON]       = { COLOR_BLACK, COLOR_CYAN, A_NORMAL },
	[ROLE_BUTTON_FOCUS] = { COLOR_WHITE, COLOR_BLUE, A_BOLD },
	[ROLE_FIELD]        = { COLOR_BLACK, COLOR_WHITE, A_NORMAL },
	[ROLE_DIALOG_ERROR] = { COLOR_WHITE, COLOR_RED, A_BOLD },
	[ROLE_ALARM]        = { COLOR_RED, COLOR_WHITE, A_NORMAL },
	[ROLE_ALARM_COUNT]  = { COLOR_WHITE, COLOR_RED, A_BOLD },
};

static const attr_t mono[ROLE_COUNT] = {
	[ROLE_NORMAL]       = A_NORMAL,
	[ROLE_HEADER]       = A_REVERSE,
	[ROLE_HEADER_CLOCK] = A_REVERSE | A_BOLD,
	[ROLE_STATUS]       = A_REVERSE,
	[ROLE_KEY]          = A_BOLD,
	[ROLE_KEY_LABEL]    = A_REVERSE,
	[ROLE_TABLE_HEAD]   = A_BOLD | A_UNDERLINE,
	[ROLE_SELECTED]     = A_REVERSE,
	[ROLE_GOOD]         = A_NORMAL,
	[ROLE_WARN]         = A_BOLD,
	[ROLE_BAD]          = A_BOLD | A_UNDERLINE,
	[ROLE_DIM]          = A_DIM,
	[ROLE_POINT]        = A_NORMAL,
	[ROLE_DIALOG]       = A_REVERSE,
	[ROLE_DIALOG_TITLE] = A_REVERSE | A_BOLD,
	[ROLE_BUTTON]       = A_REVERSE,
	[ROLE_BUTTON_FOCUS] = A_BOLD,
	[ROLE_FIELD]        = A_UNDERLINE,
	[ROLE_DIALOG_ERROR] = A_BOLD,
	[ROLE_ALARM]        = A_UNDERLINE,
	[ROLE_ALARM_COUNT]  = A_BOLD | A_UNDERLINE,
};

/* The order of theme_cycle. */
static const char *const cycle[] = { "dark", "light", "mono" };

static attr_t attrs[ROLE_COUNT];
static const char *current = "mono";
static bool colour_started;     /* start_color done */

static void
theme_load_mono(void)
{
	memcpy(attrs, mono, sizeof attrs);
	current = "mono";
}

static void
theme_load_colour(const struct role_style *styles, const char *name)
{
	bool defaults = use_default_colors() == OK;

	for (int r = 0; r < ROLE_COUNT; r++) {
		short fg = styles[r].fg, bg = styles[r].bg;

		if (!defaults) {
			if (fg < 0)
				fg = COLOR_WHITE;
			if (bg < 0)
				bg = COLOR_BLACK;
		}
		if (r + 1 >= COLOR_PAIRS || init_pair((short)(r + 1), fg, bg)
		    == ERR) {
			theme_load_mono();
			return;
		}
		attrs[r] = COLOR_PAIR(r + 1) | styles[r].attr;
	}
	current = name;
}

void
theme_init(const char *name)
{
	if (name == NULL || strcmp(name, "mono") == 0 || !has_colors()) {
		theme_load_mono();
		return;
	}
	if (!colour_started) {
		if (start_color() == ERR) {
			theme_load_mono();
			return;
		}
		colour_started = true;
	}
	if (strcmp(name, "light") == 0)
		theme_load_colour(light, "light");
	else
		theme_load_colour(dark, "dark");
}

const char *
theme_cycle(void)
{
	size_t i;

	for (i = 0; i < sizeof cycle / sizeof cycle[0]; i++)
		if (strcmp(current, cycle[i]) == 0)
			break;
	i = i + 1 < sizeof cycle / sizeof cycle[0] ? i + 1 : 0;
	theme_init(cycle[i]);
	return current;
}

bool
theme_colours(void)
{
	return has_colors();
}

attr_t
theme_attr(enum theme_role role)
{
	if ((int)role < 0 || role >= ROLE_COUNT)
		return A_NORMAL;
	return attrs[role];
}

const char *
theme_name(void)
{
	return current;
}

const char *
theme_vline(void)
{
	return text_utf8() ? "\xe2\x94\x82" : "|";
}
