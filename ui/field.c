/*
 * field.c: an editable one-line text field (see field.h).
 */
#include "config.h"

#include <curses.h>
#include <string.h>

#include "core/util.h"
#include "ui/field.h"
#include "ui/text.h"

enum field_key
field_key_of(int key)
{
	switch (key) {
	case KEY_BACKSPACE:
	case 127:
	case 8:
		return FIELD_KEY_ERASE;
	case FIELD_KEY_CTRL_U:
		return FIELD_KEY_CLEAR;
	case '\n':
	case '\r':
	case KEY_ENTER:
		return FIELD_KEY_ENTER;
	case 27:
		return FIELD_KEY_CANCEL;
	case '\t':
	case KEY_DOWN:
		return FIELD_KEY_NEXT;
	case KEY_BTAB:
	case KEY_UP:
		return FIELD_KEY_PREV;
	default:
		return key >= 0x20 && key <= 0xff ? FIELD_KEY_TYPE :
		    FIELD_KEY_OTHER;
	}
}

bool
field_key_wraps(int key)
{
	return key == '\t' || key == KEY_BTAB;
}

void
field_type(char *buf, size_t size, bool *skip, int key)
{
	size_t n = strlen(buf), need = 1;

	if (key >= 0x80 && key < 0xc0) {        /* continuation */
		if (*skip || n + 1 >= size)
			return;
	} else {
		*skip = false;
		if (key >= 0xf0)
			need = 4;
		else if (key >= 0xe0)
			need = 3;
		else if (key >= 0xc0)
			need = 2;
		if (n + need >= size) {
			*skip = true;   /* the whole character, not half */
			return;
		}
	}
	buf[n] = (char)key;
	buf[n + 1] = '\0';
}

bool
field_edit(char *buf, size_t size, bool *skip, int key)
{
	switch (field_key_of(key)) {
	case FIELD_KEY_TYPE:
		field_type(buf, size, skip, key);
		return true;
	case FIELD_KEY_ERASE:
		utf8_erase_last(buf);
		*skip = false;
		return true;
	case FIELD_KEY_CLEAR:
		buf[0] = '\0';
		*skip = false;
		return true;
	default:
		return false;
	}
}

const char *
field_tail(const char *s, int cols)
{
	while (*s != '\0' && text_width(s) > cols) {
		s++;
		while (utf8_cont((unsigned char)*s))
			s++;
	}
	return s;
}
