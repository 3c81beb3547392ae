/*
 * dialog.h: modal dialogs drawn over the current screen.
 *
 * A dialog is a little state (which one, which button has the focus) with a
 * draw/key pair, like a screen.  It never blocks: the app keeps polling and
 * redrawing the live table behind it, and routes keys to the dialog while
 * one is open.
 */
#ifndef JOPE_UI_DIALOG_H
#define JOPE_UI_DIALOG_H

#include <curses.h>

#include "ui/layout.h"

enum dialog_kind {
	DIALOG_NONE,
	DIALOG_QUIT,            /* confirm quitting: collection stops */
	DIALOG_HELP             /* the key bindings */
};

enum dialog_result {
	DIALOG_OPEN,            /* still open */
	DIALOG_YES,             /* confirmed; the dialog is closed */
	DIALOG_NO               /* cancelled or dismissed; closed */
};

struct dialog {
	enum dialog_kind kind;
	int focus;              /* 0: Yes, 1: No */
};

void dialog_open(struct dialog *d, enum dialog_kind kind);
/* Draw centred in screen (the whole terminal). */
void dialog_draw(const struct dialog *d, WINDOW *win, const struct rect *screen);
enum dialog_result dialog_key(struct dialog *d, int key);

#endif
