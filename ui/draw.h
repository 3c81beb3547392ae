/*
 * draw.h: the few curses primitives every screen, bar and dialog shares.
 *
 * All text reaches the terminal through draw_text, which fits it to a cell
 * of a given width in display columns (text_fit) before writing, so no
 * caller ever writes past the cell it was given and wide characters are
 * never split at the right edge.
 */
#ifndef JOPE_UI_DRAW_H
#define JOPE_UI_DRAW_H

#include <curses.h>

#include "ui/layout.h"
#include "ui/text.h"

/* Write text fitted to w columns at y, x with attributes attr. */
void draw_text(WINDOW *win, int y, int x, int w, attr_t attr,
    enum text_align align, const char *text);
/* The same, with an ellipsis when the text is cut. */
void draw_text_cut(WINDOW *win, int y, int x, int w, attr_t attr,
    enum text_align align, const char *text);
/* Fill a rectangle with blanks in attr. */
void draw_fill(WINDOW *win, const struct rect *r, attr_t attr);
/* A frame around r in attr (box-drawing characters of the terminal). */
void draw_frame(WINDOW *win, const struct rect *r, attr_t attr);

#endif
