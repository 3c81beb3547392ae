/*
 * field.h: an editable one-line text field, as the filters of the lists
 * and the fields of the dialogs have it.
 *
 * The text lives in the caller's fixed buffer; the field takes the keys
 * curses delivers.  UTF-8 arrives a byte at a time: a character is kept
 * whole or not at all (when its lead byte does not fit, *skip drops its
 * continuation bytes too).  Backspace erases a character, not a byte,
 * Ctrl-U the whole text.  In a form, Tab and Down go to the next field,
 * Shift-Tab and Up to the previous one; Tab and Shift-Tab go round.  A
 * field shows the end of a text too long for it (field_tail).  Only the
 * KEY_ constants come from curses: all of it works without a terminal.
 */
#ifndef JOPE_UI_FIELD_H
#define JOPE_UI_FIELD_H

#include <stdbool.h>
#include <stddef.h>

#define FIELD_KEY_CTRL_U 21

/* What a key means to a field or a form of fields. */
enum field_key {
	FIELD_KEY_OTHER,        /* none of these: the caller decides */
	FIELD_KEY_TYPE,         /* a printable byte (0x20..0xff but DEL) */
	FIELD_KEY_ERASE,        /* Backspace, DEL, Ctrl-H */
	FIELD_KEY_CLEAR,        /* Ctrl-U */
	FIELD_KEY_ENTER,        /* Enter, Return */
	FIELD_KEY_CANCEL,       /* Esc */
	FIELD_KEY_NEXT,         /* Tab, Down */
	FIELD_KEY_PREV          /* Shift-Tab, Up */
};

enum field_key field_key_of(int key);
/* Whether a NEXT or PREV key goes round the form (Tab, Shift-Tab). */
bool field_key_wraps(int key);

/*
 * Append a typed byte to buf (size bytes, NUL-terminated) when its whole
 * character fits; *skip remembers a character that did not.
 */
void field_type(char *buf, size_t size, bool *skip, int key);
/*
 * Edit buf with key: type a printable byte (field_type), erase the last
 * character, clear it.  True when key was one of those.
 */
bool field_edit(char *buf, size_t size, bool *skip, int key);

/* The end of s that fits in cols display columns. */
const char *field_tail(const char *s, int cols);

#endif
