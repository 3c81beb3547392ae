/*
 * term_password.c: passwords and answers read from standard input
 * (term_password.h).
 *
 * Why not getpass(3): it is obsolete, returns a static buffer that is never
 * wiped, reads through stdio, and leaves the terminal without echo when a
 * signal arrives at the wrong moment.  Here the terminal state and the
 * signals are one guard: guard_begin() blocks SIGINT, SIGTERM, SIGHUP and
 * SIGQUIT, installs a handler that only records the signal, and turns echo
 * off; the read loop waits in ppoll() with the caller's mask, so a signal
 * can only arrive while waiting (never between a check and a blocking
 * read); guard_end() restores the terminal, the handlers and the mask, and
 * raises a caught signal again so that the process ends (or does whatever
 * it did before) exactly as if the signal had arrived without us.  A signal
 * the process ignored stays ignored.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "core/i18n.h"
#include "core/util.h"
#include "term_password.h"

static const int guarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NSIGNALS ARRAY_LEN(guarded_signals)

static volatile sig_atomic_t caught;

static void
on_signal(int sig)
{
	caught = sig;
}

struct guard {
	bool tty_changed;
	bool installed[NSIGNALS];
	struct termios saved;
	struct sigaction old[NSIGNALS];
	sigset_t oldmask, waitmask;
};

enum line_result { LINE_OK, LINE_EOF, LINE_ERROR, LINE_TOO_LONG,
	LINE_INTERRUPTED };

bool
term_interactive(void)
{
	return isatty(STDIN_FILENO) == 1;
}

static void
guard_begin(struct guard *g, bool echo_off)
{
	struct sigaction sa;
	sigset_t block;
	struct termios t;

	memset(g, 0, sizeof *g);
	sigemptyset(&block);
	for (size_t i = 0; i < NSIGNALS; i++)
		sigaddset(&block, guarded_signals[i]);
	sigprocmask(SIG_BLOCK, &block, &g->oldmask);
	g->waitmask = g->oldmask;
	caught = 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NSIGNALS; i++) {
		struct sigaction cur;

		if (sigaction(guarded_signals[i], NULL, &cur) == 0 &&
		    cur.sa_handler == SIG_IGN)
			continue;
		if (sigaction(guarded_signals[i], &sa, &g->old[i]) == 0) {
			g->installed[i] = true;
			sigdelset(&g->waitmask, guarded_signals[i]);
		}
	}
	if (echo_off && tcgetattr(STDIN_FILENO, &g->saved) == 0) {
		t = g->saved;
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
		t.c_lflag |= ECHONL;
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0)
			g->tty_changed = true;
	}
}

static void
guard_end(struct guard *g)
{
	int sig = caught;

	if (g->tty_changed)
		tcsetattr(STDIN_FILENO, TCSANOW, &g->saved);
	for (size_t i = 0; i < NSIGNALS; i++)
		if (g->installed[i])
			sigaction(guarded_signals[i], &g->old[i], NULL);
	caught = 0;
	if (sig != 0) {
		/* Still blocked: pending until the old mask is back. */
		fputc('\n', stderr);
		raise(sig);
	}
	sigprocmask(SIG_SETMASK, &g->oldmask, NULL);
}

/*
 * One line from standard input into buf (cap bytes with the NUL).  A line
 * that does not fit is read to its end and refused.
 */
static enum line_result
read_line(const struct guard *g, char *buf, size_t cap)
{
	size_t n = 0;
	bool too_long = false, any = false;
	char c = 0;

	for (;;) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		ssize_t k;

		if (caught)
			return LINE_INTERRUPTED;
		if (ppoll(&p, 1, NULL, &g->waitmask) < 0) {
			if (errno == EINTR)
				continue;
			return LINE_ERROR;
		}
		k = read(STDIN_FILENO, &c, 1);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0)
			return LINE_ERROR;
		if (k == 0) {
			if (!any)
				return LINE_EOF;
			break;
		}
		any = true;
		if (c == '\n')
			break;
		if (n + 1 < cap)
			buf[n++] = c;
		else
			too_long = true;
	}
	sodium_memzero(&c, sizeof c);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return too_long ? LINE_TOO_LONG : LINE_OK;
}

static int
read_answer(const char *prompt, char *buf, size_t cap, bool secret,
    char *err, size_t errlen)
{
	bool tty = term_interactive();
	enum line_result r;
	struct guard g;
	int saved_errno;

	if (tty && prompt != NULL) {
		fputs(prompt, stderr);
		fflush(stderr);
	}
	guard_begin(&g, secret && tty);
	r = read_line(&g, buf, cap);
	saved_errno = errno;
	if (r != LINE_OK)
		sodium_memzero(buf, cap);
	guard_end(&g);
	switch (r) {
	case LINE_OK:
		return 0;
	case LINE_EOF:
		snprintf(err, errlen, _("no answer to \"%s\": end of input"),
		    prompt != NULL ? prompt : "");
		break;
	case LINE_TOO_LONG:
		snprintf(err, errlen, _("the answer to \"%s\" is longer than "
		    "%zu bytes"), prompt != NULL ? prompt : "", cap - 1);
		break;
	case LINE_INTERRUPTED:
		snprintf(err, errlen, _("interrupted"));
		break;
	case LINE_ERROR:
		snprintf(err, errlen, _("cannot read standard input: %s"),
		    strerror(saved_errno));
		break;
	}
	return -1;
}

char *
term_password_read(const char *prompt, char *err, size_t errlen)
{
	char *pw;

	if (sodium_init() < 0) {
		snprintf(err, errlen, _("cannot initialise libsodium"));
		return NULL;
	}
	if ((pw = sodium_malloc(TERM_LINE_MAX + 1)) == NULL) {
		snprintf(err, errlen, _("out of locked memory"));
		return NULL;
	}
	if (read_answer(prompt, pw, TERM_LINE_MAX + 1, true, err,
	    errlen) != 0) {
		sodium_free(pw);
		return NULL;
	}
	return pw;
}

void
term_password_free(char *pw)
{
	if (pw != NULL)
		sodium_free(pw);	/* wipes before freeing */
}

int
term_line_read(const char *prompt, char *buf, size_t len, char *err,
    size_t errlen)
{
	return read_answer(prompt, buf, len, false, err, errlen);
}
