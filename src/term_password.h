/*
 * term_password.h: reading a password, or a line of text, for the command
 * line (`jope-smb user ...`).
 *
 * A password never comes from the command line (ps and the shell's history
 * would show it).  When standard input is a terminal, the password is typed
 * with echo off (termios on standard input); the terminal's mode is put back
 * on every path: success, end of input, an error, and SIGINT, SIGTERM,
 * SIGHUP or SIGQUIT, which are then raised again with their previous
 * disposition.  When standard input is not a terminal (a script, a test),
 * every prompt reads exactly one line from it, so a script feeds the answers
 * one per line in the order the command documents (doc/audit.md); nothing
 * is prompted then.  Bytes are read one at a time with read(2), never through
 * stdio, so no copy of a password stays in a stdio buffer and each prompt
 * takes the next line.  A password lives only in sodium_malloc'ed memory
 * (guard pages, mlock'ed, kept out of core dumps) and is wiped when freed.
 */
#ifndef JOPE_TERM_PASSWORD_H
#define JOPE_TERM_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

/* Longest line accepted, in bytes (without the newline). */
#define TERM_LINE_MAX 1024

/* True when standard input is a terminal (prompts are shown, echo is off). */
bool term_interactive(void);

/*
 * Show prompt (on standard error, only when interactive) and read one
 * password.  Returns it NUL-terminated in sodium_malloc'ed memory (free with
 * term_password_free), or NULL with a translated message in err: end of
 * input, a line longer than TERM_LINE_MAX, a read error.  The newline (and a
 * carriage return before it) is not part of the password.
 */
char *term_password_read(const char *prompt, char *err, size_t errlen);

/* Wipe and free a password; NULL is allowed. */
void term_password_free(char *pw);

/*
 * The same for text that may be seen (a user name, a reason): echo stays on.
 * 0, or -1 with err (as above, or a line that does not fit in len).
 */
int term_line_read(const char *prompt, char *buf, size_t len, char *err,
    size_t errlen);

#endif
