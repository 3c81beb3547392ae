/*
 * theme.h: every colour and glyph the console uses, in one place.
 *
 * After htop's colour schemes: drawing code asks for a role (header, table
 * head, selected row, error ...) and gets curses attributes; which colours
 * a role has is decided only in theme.c, for the dark, light and mono
 * themes of app.json, and T switches between them at run time.  Alarm,
 * warning, normal and stale are ROLE_ALARM (and ROLE_BAD), ROLE_WARN,
 * ROLE_GOOD and ROLE_DIM in every theme (theme.c has the table).  Glyphs
 * (separators, ellipsis) fall back to ASCII when the locale is not UTF-8.
 */
#ifndef JOPE_UI_THEME_H
#define JOPE_UI_THEME_H

#include <curses.h>
#include <stdbool.h>

enum theme_role {
	ROLE_NORMAL,
	ROLE_HEADER,            /* top line */
	ROLE_HEADER_CLOCK,
	ROLE_STATUS,            /* status bar */
	ROLE_KEY,               /* "F10" in the function-key bar */
	ROLE_KEY_LABEL,         /* "Quit" next to it */
	ROLE_TABLE_HEAD,
	ROLE_SELECTED,          /* cursor row */
	ROLE_GOOD,              /* connected, good quality */
	ROLE_WARN,              /* waiting, uncertain */
	ROLE_BAD,               /* hard error, bad quality, error text */
	ROLE_DIM,               /* idle, never polled */
	ROLE_POINT,             /* point rows under a device */
	ROLE_DIALOG,
	ROLE_DIALOG_TITLE,
	ROLE_BUTTON,
	ROLE_BUTTON_FOCUS,
	ROLE_FIELD,             /* a text field in a dialog */
	ROLE_DIALOG_ERROR,      /* why a dialog refused its input */
	ROLE_ALARM,             /* an active alarm (unacknowledged: | A_BOLD,
	                           and the state cell | A_BLINK too) */
	ROLE_ALARM_COUNT,       /* the header's count of unacknowledged
	                           alarms (| A_REVERSE while a new one is
	                           announced) */
	ROLE_COUNT
};

/*
 * Pick a theme by name ("dark", "light", "mono"; unknown names give dark)
 * and set up colour pairs; mono is used whatever the name when the terminal
 * has no colours.  Call after the screen is initialised.
 */
void theme_init(const char *name);
/*
 * The next theme, dark -> light -> mono -> dark (mono stays where there
 * are no colours); returns its name.  The caller repaints.
 */
const char *theme_cycle(void);
/* False on a terminal without colours: mono is all there is. */
bool theme_colours(void);
attr_t theme_attr(enum theme_role role);
/* Name of the theme in use, for tests and the help dialog. */
const char *theme_name(void);

/* Column separator of tables and bars: a box-drawing line or '|'. */
const char *theme_vline(void);

#endif
