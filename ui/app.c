/*
 * app.c: the console's event loop, bars and dialogs around the screens.
 *
 * ui_run is the only code in the program that calls curses, and it does so
 * from one thread.  The loop waits in poll() on three descriptors and
 * nothing else:
 *
 *	stdin           keys (read with getch in nodelay mode until ERR)
 *	state wake fd   the engine published something: drain, copy one
 *	                consistent snapshot, redraw once
 *	signal pipe     SIGWINCH, SIGTERM, SIGHUP, SIGINT: the handlers only
 *	                set a flag and write one byte here (self-pipe)
 *
 * with a timeout at the next whole second for the clock and the ages.
 * Every wake-up ends in at most one redraw: erase, draw every band from the
 * snapshot, wnoutrefresh, doupdate.  A resize (SIGWINCH or KEY_RESIZE) is
 * handled here and only here: resizeterm, new layout, full repaint.
 *
 * Our handlers are installed before the terminal is opened, so ncurses
 * leaves SIGWINCH, SIGINT and SIGTERM to us, and restored after endwin.
 * The terminal is in raw mode: Ctrl-C arrives as a key (and asks to quit
 * like q), Ctrl-Z cannot stop the process (that would stop collection with
 * it) and Ctrl-S cannot freeze our output.
 *
 *	q, F10, Ctrl-C  ask to quit; yes returns 0 (SIGINT asks too)
 *	SIGTERM, SIGHUP, terminal gone  endwin and return 1
 *	F1, ?           help (the keys of the screen shown)
 *	F2, F3, F4,     the overview (the screen the console opens on), the
 *	F5, F6, F7      device table, the batch, the alarm list, the
 *	                inference trends, the audit trail
 *	T               the next theme, dark -> light -> mono (theme.h), at
 *	                once, and the bar names it; a terminal without
 *	                colours stays in mono and says so
 *	R               re-read the version in use (CMD_RELOAD_CONFIG) and
 *	                compare the config dir with it; when they differ,
 *	                the engine's answer opens the "Apply configuration"
 *	                view (the difference, or every error), and from there
 *	                Enter opens the e-signature dialogs of CMD_CONFIG_APPLY
 *	Ctrl-L          repaint everything
 *	anything else   to the screen (move, read now, and p, c, w, which
 *	                ask for the plan, clock and setpoint dialogs; a and
 *	                A, which ask to acknowledge alarms; the batch
 *	                commands and m, which asks for the maintenance form;
 *	                Enter on an overview cell, which asks for that
 *	                device on the device table)
 *
 * F10 quits on every screen, the batch screen too: its commands have
 * F8, F9, F11 and F12 (and a letter each), so the bar and the help say
 * "F10 Quit" everywhere.
 *
 * While a screen edits text (the audit or alarm filter) every key goes to
 * it, and Ctrl-C is Esc there, as in every dialog.
 *
 * Alarms are watched on every screen: the header counts the
 * unacknowledged ones (in the alarm colours while there are any), and a
 * new activation (the list's activations counter grew since the last
 * snapshot) rings the terminal's bell and shows the count in reverse
 * video for ALARM_FLASH_US, without changing the screen, closing a
 * dialog or taking a key.  Acknowledging is signed like a setpoint: a
 * or A on the alarm list open the e-signature dialogs of CMD_ALARM_ACK.
 *
 * Commands that act on the plant (set a clock, write a setpoint) are pushed
 * only from here, and only signed: the setpoint is typed and confirmed, then
 * the e-signature dialogs (dialog_sign.h) ask every signer the policy wants;
 * c goes to them directly.  The command carries the configuration
 * generation the dialogs were opened under; a reload that swaps the model
 * closes such a dialog (its indices would name something else), and an
 * abandoned signature is sent as CMD_SIGN_CANCELLED so that it is audited.
 * The outcome comes back in the snapshot (signing_done_id ends the
 * "Signing..." box; command_seq, command_ok and command_text are shown in
 * the function-key bar, red when it failed, like a reload's).
 *
 * Batch commands are signed too (CMD_BATCH): the batch screen says which
 * command, only when the batch's state allows it; a start asks first for
 * the recipe when the model has several (dialog.h DIALOG_RECIPE), then
 * the e-signature dialogs.  m opens the maintenance form (dialog_maint.h):
 * start, duration and reason, checked on Enter, then the e-signature
 * dialogs of CMD_MAINT_ANNOUNCE; the banner that follows comes from the
 * snapshot like any window's.  Esc in the form or the recipe list is not
 * audited: nothing was signed or asked to be signed yet.
 *
 * Applying the config dir is signed the same way: the view (dialog.h
 * DIALOG_APPLY) shows what the engine's housekeeper published, Esc there
 * goes back with nothing audited (no signature was asked for yet), Enter
 * opens the signature dialogs, and the command carries the token of the
 * difference shown, so that the engine refuses if the files changed since.
 * The status line says while the config dir differs, and the bar and F1
 * call R "Apply config" then, "Reload" otherwise.
 *
 * The function-key bar lists only the keys that work on the selected row
 * (the screen says which); when it is narrow, or a message needs the room,
 * the keys of lowest priority are left out first.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "core/alarm_view.h"
#include "core/i18n.h"
#include "core/util.h"
#include "plant/batch.h"
#include "ui/dialog.h"
#include "ui/dialog_maint.h"
#include "ui/devstate.h"
#include "ui/dialog_sign.h"
#include "ui/draw.h"
#include "ui/layout.h"
#include "ui/pointval.h"
#include "ui/screen.h"
#include "ui/text.h"
#include "ui/theme.h"
#include "ui/ui.h"

#define MESSAGE_US (5 * 1000000)        /* how long a key's message shows */
#define DISK_REFRESH_US (10 * 1000000)  /* fallback statvfs, at most this often */
#define IDLE_READS_MAX 100              /* readable stdin with no key: EOF */
#define ALARM_FLASH_US (3 * 1000000)    /* a new alarm's highlight */

static volatile sig_atomic_t got_winch, got_term, got_hup, got_int;
static int sig_wfd = -1;

static const int handled_signals[] = { SIGWINCH, SIGTERM, SIGHUP, SIGINT };
#define NSIGNALS (sizeof handled_signals / sizeof handled_signals[0])

enum { SCREEN_OVERVIEW, SCREEN_DEVICES, SCREEN_AUDIT, SCREEN_TRENDS,
	SCREEN_ALARMS, SCREEN_BATCH, SCREEN_COUNT };

struct app {
	const struct ui_config *cfg;
	SCREEN *term;
	struct screen *screens[SCREEN_COUNT];
	struct screen *screen;  /* the one shown: screens[cur] */
	int cur;
	struct dialog dialog;
	struct sign_flow sign;  /* a signed action under way */
	struct maint_form maint;        /* m: the window, before its signing */
	uint64_t sign_ids;      /* the last command id given */
	uint64_t reload_pending;        /* R sent, not answered yet; 0 none */
	struct snapshot snap;
	struct sigaction old_sa[NSIGNALS];
	int sigpipe[2];
	bool dirty, repaint, done;
	int status;             /* what ui_run returns */
	int idle_reads;
	char message[256];
	bool message_bad;
	int64_t message_until;
	int64_t disk_free, disk_checked;
	uint64_t alarms_seen;   /* activations of the last alarm list seen */
	int64_t alarm_flash_until;      /* the header's count in reverse */
};

/*
 * One entry of the function-key bar: shown when the screen's keys have
 * all of its need bits (0: always), dropped lowest priority first.
 */
struct fkey {
	const char *key, *label;
	int priority;
	unsigned need;
};

static const struct fkey main_keys[] = {
	{ "F1", N_("Help"), 9, 0 },
	{ "r", N_("Read"), 7, SCREEN_KEY_READ },
	{ "w", N_("Write"), 6, SCREEN_KEY_WRITE },
	{ "c", N_("Clock"), 5, SCREEN_KEY_CLOCK },
	{ "p", N_("Plan"), 4, SCREEN_KEY_PLAN },
	{ "p", N_("Re-predict"), 6, SCREEN_KEY_REPREDICT },
	{ "a", N_("Acknowledge"), 8, SCREEN_KEY_ACK },
	{ "A", N_("Ack all shown"), 7, SCREEN_KEY_ACK_ALL },
	{ "Enter", N_("Detail"), 6, SCREEN_KEY_DETAIL },
	{ "/", N_("Filter"), 5, SCREEN_KEY_FILTER },
	{ "Esc", N_("Clear"), 4, SCREEN_KEY_CLEAR },
	{ "Esc", N_("Close"), 6, SCREEN_KEY_CLOSE },
	{ "Up/Down", N_("Scroll"), 5, SCREEN_KEY_SCROLL },
	{ "Enter", N_("Device"), 6, SCREEN_KEY_OPEN },
	/* The batch commands: a function key and a letter each. */
	{ "F8/s", N_("Start"), 8, SCREEN_KEY_BATCH_START },
	{ "F9/h", N_("Hold"), 8, SCREEN_KEY_BATCH_HOLD },
	{ "F9/u", N_("Resume"), 8, SCREEN_KEY_BATCH_RESUME },
	{ "F11/t", N_("Stop"), 8, SCREEN_KEY_BATCH_STOP },
	{ "F12/x", N_("Abort"), 7, SCREEN_KEY_BATCH_ABORT },
	{ "m", N_("Maintenance"), 5, SCREEN_KEY_MAINT },
	{ "F2", N_("Overview"), 7, SCREEN_KEY_TO_OVERVIEW },
	{ "F3", N_("Devices"), 7, SCREEN_KEY_TO_DEVICES },
	{ "F4", N_("Batch"), 4, SCREEN_KEY_TO_BATCH },
	/* The first left out: the header counts the alarms anyway. */
	{ "F5", N_("Alarms"), 1, SCREEN_KEY_TO_ALARMS },
	{ "F6", N_("Trends"), 3, SCREEN_KEY_TO_TRENDS },
	{ "F7", N_("Audit"), 3, SCREEN_KEY_TO_AUDIT },
	{ "R", N_("Apply config"), 8, SCREEN_KEY_APPLY },
	{ "R", N_("Reload"), 2, SCREEN_KEY_RELOAD },
	{ "T", N_("Theme"), 0, 0 },
	{ "F10", N_("Quit"), 8, 0 },
};
static const struct fkey confirm_keys[] = {
	{ "y", N_("Yes"), 9, 0 }, { "n", N_("No"), 8, 0 },
};
static const struct fkey plan_keys[] = {
	{ "Esc", N_("Close"), 9, 0 }, { "Up/Down", N_("Scroll"), 8, 1 },
};
static const struct fkey input_keys[] = {
	{ "Enter", N_("OK"), 9, 0 }, { "Esc", N_("Cancel"), 8, 0 },
	{ "Backspace", N_("Erase"), 7, 0 },
};
static const struct fkey sign_keys[] = {
	{ "Enter", N_("Sign"), 9, 0 }, { "Esc", N_("Cancel"), 8, 0 },
	{ "Tab", N_("Next field"), 7, 0 }, { "Left/Right", N_("Meaning"), 6, 0 },
	{ "Ctrl-U", N_("Clear field"), 5, 0 },
};
/* need: 1 Enter applies, 2 the view scrolls, 4 it is out of date */
static const struct fkey apply_keys[] = {
	{ "Enter", N_("Sign and apply"), 9, 1 }, { "Esc", N_("Back"), 8, 0 },
	{ "R", N_("Look again"), 7, 4 }, { "Up/Down", N_("Scroll"), 6, 2 },
};
/* The maintenance form, and the recipe of a start. */
static const struct fkey form_keys[] = {
	{ "Enter", N_("Go on"), 9, 0 }, { "Esc", N_("Cancel"), 8, 0 },
	{ "Tab", N_("Next field"), 7, 0 }, { "Ctrl-U", N_("Clear field"), 5, 0 },
};
static const struct fkey choose_keys[] = {
	{ "Enter", N_("Go on"), 9, 0 }, { "Esc", N_("Cancel"), 8, 0 },
	{ "Up/Down", N_("Choose"), 7, 0 },
};
static const struct fkey wait_keys[] = {
	{ "Esc", N_("Hide"), 9, 0 },
};
static const struct fkey close_keys[] = {
	{ "Esc", N_("Close"), 9, 0 },
};

/* Indexed by enum link_state. */
static const char *const link_names[] = {
	N_("not configured"), N_("unknown"), N_("up"), N_("degraded"),
	N_("down")
};

static void
on_signal(int sig)
{
	int saved = errno;
	ssize_t n = 0;

	if (sig == SIGWINCH)
		got_winch = 1;
	else if (sig == SIGTERM)
		got_term = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGINT)
		got_int = 1;
	if (sig_wfd >= 0)
		n = write(sig_wfd, "s", 1);
	(void)n;
	errno = saved;
}

static int
pipe_open(int fds[2])
{
	if (pipe(fds) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	}
	return 0;
}

static void
pipe_drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		continue;
}

static void
signals_install(struct app *a)
{
	struct sigaction sa;

	got_winch = got_term = got_hup = got_int = 0;
	sig_wfd = a->sigpipe[1];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < NSIGNALS; i++)
		sigaction(handled_signals[i], &sa, &a->old_sa[i]);
}

static void
signals_restore(struct app *a)
{
	for (size_t i = 0; i < NSIGNALS; i++)
		sigaction(handled_signals[i], &a->old_sa[i], NULL);
	sig_wfd = -1;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
app_message(struct app *a, const char *text, bool bad)
{
	str_copy(a->message, text, sizeof a->message);
	a->message_bad = bad;
	a->message_until = now_us() + MESSAGE_US;
}

/*
 * The function and cursor keys of the common emulators (xterm, PuTTY,
 * rxvt, the Linux console).  An operator's emulator under a TERM that does
 * not describe it (TERM=linux or vt100 over SSH from an xterm) still sends
 * these; each is taken for its key unless terminfo already binds it.
 */
static void
define_common_keys(void)
{
	static const struct { const char *seq; int key; } keys[] = {
		{ "\033OP", KEY_F(1) }, { "\033OQ", KEY_F(2) },
		{ "\033OR", KEY_F(3) }, { "\033OS", KEY_F(4) },
		{ "\033[11~", KEY_F(1) }, { "\033[12~", KEY_F(2) },
		{ "\033[13~", KEY_F(3) }, { "\033[14~", KEY_F(4) },
		{ "\033[[A", KEY_F(1) }, { "\033[[B", KEY_F(2) },
		{ "\033[[C", KEY_F(3) }, { "\033[[D", KEY_F(4) },
		{ "\033[[E", KEY_F(5) }, { "\033[15~", KEY_F(5) },
		{ "\033[17~", KEY_F(6) }, { "\033[18~", KEY_F(7) },
		{ "\033[19~", KEY_F(8) }, { "\033[20~", KEY_F(9) },
		{ "\033[21~", KEY_F(10) }, { "\033[23~", KEY_F(11) },
		{ "\033[24~", KEY_F(12) }, { "\033[A", KEY_UP },
		{ "\033[B", KEY_DOWN }, { "\033[C", KEY_RIGHT },
		{ "\033[D", KEY_LEFT }, { "\033OA", KEY_UP },
		{ "\033OB", KEY_DOWN }, { "\033OC", KEY_RIGHT },
		{ "\033OD", KEY_LEFT }, { "\033[H", KEY_HOME },
		{ "\033[F", KEY_END }, { "\033[1~", KEY_HOME },
		{ "\033[4~", KEY_END }, { "\033[5~", KEY_PPAGE },
		{ "\033[6~", KEY_NPAGE },
	};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (key_defined(keys[i].seq) == 0)
			define_key(keys[i].seq, keys[i].key);
}

static int
term_open(struct app *a)
{
	const char *term = getenv("TERM");

	a->term = newterm(NULL, stdout, stdin);
	if (a->term == NULL) {
		fprintf(stderr, _("jope-smb: cannot use the terminal "
		    "(TERM=%s)\n"), term != NULL ? term : "");
		return -1;
	}
	set_term(a->term);
	raw();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	define_common_keys();
	nodelay(stdscr, TRUE);
	set_escdelay(50);
	curs_set(0);
	theme_init(a->cfg->model->app.theme);
	bkgdset(' ' | theme_attr(ROLE_NORMAL));
	return 0;
}

/* Take the terminal's new size (SIGWINCH) and repaint everything. */
static void
term_resize(struct app *a)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	else if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	a->repaint = a->dirty = true;
}

/* Free disk: the engine's figure, or our own statvfs when it has none. */
static int64_t
disk_free(struct app *a, int64_t now)
{
	char dir[4096];

	if (a->snap.disk_free_bytes >= 0)
		return a->snap.disk_free_bytes;
	if (a->cfg->spool_path == NULL || a->cfg->spool_path[0] == '\0')
		return -1;
	if (a->disk_checked != 0 && now - a->disk_checked < DISK_REFRESH_US)
		return a->disk_free;
	a->disk_checked = now;
	a->disk_free = disk_free_bytes(a->cfg->spool_path);
	if (a->disk_free < 0) {
		str_copy(dir, a->cfg->spool_path, sizeof dir);
		a->disk_free = disk_free_bytes(dirname(dir));
	}
	return a->disk_free;
}

static const char *
link_label(enum link_state s)
{
	if ((size_t)s >= ARRAY_LEN(link_names))
		return "?";
	return _(link_names[s]);
}

/* A bar of items fitted by layout_status, drawn left to right. */
#define BAR_MAX 7
struct bar {
	char long_text[BAR_MAX][192], short_text[BAR_MAX][192];
	struct status_item item[BAR_MAX];
	int role[BAR_MAX];              /* enum theme_role, 0: the bar's own */
	attr_t extra[BAR_MAX];          /* added to the item's attributes */
	size_t n;
};

static void
bar_add(struct bar *b, int priority, const char *long_text,
    const char *short_text)
{
	if (b->n >= BAR_MAX)
		return;
	snprintf(b->long_text[b->n], sizeof b->long_text[0], "%s", long_text);
	snprintf(b->short_text[b->n], sizeof b->short_text[0], "%s",
	    short_text != NULL ? short_text : long_text);
	b->item[b->n].long_w = text_width(b->long_text[b->n]);
	b->item[b->n].short_w = text_width(b->short_text[b->n]);
	b->item[b->n].priority = priority;
	b->role[b->n] = 0;
	b->extra[b->n] = A_NORMAL;
	b->n++;
}

/* The last item added is drawn in role instead of the bar's colours. */
static void
bar_role(struct bar *b, int role)
{
	if (b->n > 0)
		b->role[b->n - 1] = role;
}

/* The last item added is drawn with these attributes too. */
static void
bar_extra(struct bar *b, attr_t extra)
{
	if (b->n > 0)
		b->extra[b->n - 1] = extra;
}

/* Draw the fitted items from x; returns the column after the last one. */
static int
bar_draw(struct bar *b, int y, int x, int width, attr_t attr)
{
	const int sep = 2;

	layout_status(b->item, b->n, width, sep);
	for (size_t i = 0; i < b->n; i++) {
		const char *t;
		int w;

		if (b->item[i].fit == STATUS_HIDDEN)
			continue;
		t = b->item[i].fit == STATUS_LONG ? b->long_text[i] :
		    b->short_text[i];
		w = text_width(t);
		draw_text(stdscr, y, x, w, (b->role[i] != 0 ?
		    theme_attr((enum theme_role)b->role[i]) : attr) |
		    b->extra[i], ALIGN_LEFT, t);
		x += w + sep;
	}
	return x;
}

/*
 * The unacknowledged alarms, on every screen: kept to the last while
 * there are any (in the alarm colours, in reverse while a new one is
 * announced), the first item left out when there are none.
 */
static void
draw_alarm_count(struct app *a, struct bar *b, int64_t now)
{
	const struct alarm_view *l = a->snap.alarms;
	size_t n = l != NULL ? l->unacked : 0;
	char t1[96], t2[96];

	/* TRANSLATORS: header; "unack": unacknowledged, keep it short. */
	snprintf(t1, sizeof t1, ngettext("Alarms: %zu unack",
	    "Alarms: %zu unack", (unsigned long)n), n);
	snprintf(t2, sizeof t2, _("Alarms: %zu"), n);
	bar_add(b, n > 0 ? 9 : 0, t1, t2);
	if (n == 0)
		return;
	bar_role(b, ROLE_ALARM_COUNT);
	if (now < a->alarm_flash_until)
		bar_extra(b, A_REVERSE);
}

static void
draw_header(struct app *a, const struct rect *r, int64_t now)
{
	const struct app_config *app = &a->snap.model->app;
	struct bar b;
	char clock[64], t1[192], t2[192];
	time_t secs = (time_t)(now / 1000000);
	struct tm tm;
	int cw;

	if (r->h <= 0)
		return;
	memset(&b, 0, sizeof b);
	localtime_r(&secs, &tm);
	strftime(clock, sizeof clock, r->w >= 60 ? "%Y-%m-%d %H:%M:%S" :
	    "%H:%M:%S", &tm);
	cw = text_width(clock);
	draw_text(stdscr, r->y, r->x, r->w, theme_attr(ROLE_HEADER),
	    ALIGN_LEFT, "");
	draw_text(stdscr, r->y, r->x + r->w - cw - 1, cw,
	    theme_attr(ROLE_HEADER_CLOCK), ALIGN_LEFT, clock);
	bar_add(&b, 3, _("Jope.SMB Console"), "Jope.SMB");
	draw_alarm_count(a, &b, now);
	snprintf(t1, sizeof t1, _("Site: %s"), app->site);
	bar_add(&b, 2, t1, app->site);
	snprintf(t1, sizeof t1, _("Console: %s"), app->console_id);
	snprintf(t2, sizeof t2, "%s", app->console_id);
	bar_add(&b, 1, t1, t2);
	bar_draw(&b, r->y, r->x + 1, r->w - cw - 3, theme_attr(ROLE_HEADER));
}

/*
 * Historian: up, draining with its progress, or down with the reason and
 * the next attempt.
 */
static void
draw_historian(struct bar *b, const struct app_config *app,
    const struct snapshot *s, int64_t now)
{
	const struct historian_status *h = &s->hist;
	char t1[192], t2[192];

	if (app->historian_conninfo[0] == '\0') {
		bar_add(b, 4, _("Historian: local store only"),
		    _("Historian: local"));
		return;
	}
	if (s->historian == LINK_UP && h->drain_total > 0) {
		int pct = (int)(100 * h->drain_done / h->drain_total);

		snprintf(t1, sizeof t1, _("Historian: draining %d%% "
		    "(%.0f rows/s)"), pct, h->rows_per_s);
		snprintf(t2, sizeof t2, _("Historian: %d%%"), pct);
		bar_add(b, 4, t1, t2);
		bar_role(b, ROLE_WARN);
	} else if (s->historian == LINK_DOWN) {
		long retry = h->next_retry_us > now ?
		    (long)((h->next_retry_us - now + 999999) / 1000000) : 0;

		/* The reason is long (libpq's); status and the log have it. */
		snprintf(t1, sizeof t1, _("Historian: down, retry in %ld s"),
		    retry);
		snprintf(t2, sizeof t2, _("Historian: down"));
		bar_add(b, 4, t1, t2);
		bar_role(b, ROLE_BAD);
	} else {
		snprintf(t1, sizeof t1, _("Historian: %s"),
		    link_label(s->historian));
		bar_add(b, 4, t1, NULL);
	}
}

/* Records lost to a full spool or to retention: the operator must know. */
static void
draw_spool_alarm(struct bar *b, const struct snapshot *s)
{
	char t1[192], t2[192];

	if (s->spool.dropped_rows > 0) {
		snprintf(t1, sizeof t1, _("Spool full: %lld oldest rows dropped"),
		    (long long)s->spool.dropped_rows);
		snprintf(t2, sizeof t2, _("Spool full"));
		bar_add(b, 6, t1, t2);
		bar_role(b, ROLE_BAD);
	} else if (s->spool.purged_rows > 0) {
		snprintf(t1, sizeof t1, _("Purged: %lld rows never uploaded"),
		    (long long)s->spool.purged_rows);
		snprintf(t2, sizeof t2, _("Purged: %lld"),
		    (long long)s->spool.purged_rows);
		bar_add(b, 6, t1, t2);
		bar_role(b, ROLE_WARN);
	}
}

/* The config dir differs from the version in use: R applies it. */
static void
draw_config_review(struct bar *b, const struct snapshot *s)
{
	const struct config_review *rv = s->config_review;
	char t1[192], t2[192];

	if (rv == NULL)
		return;
	if (rv->valid) {
		snprintf(t1, sizeof t1, _("Config dir differs from version %d "
		    "(R: apply)"), rv->applied_version);
		snprintf(t2, sizeof t2, _("Config dir differs"));
		bar_add(b, 7, t1, t2);
		bar_role(b, ROLE_WARN);
	} else {
		snprintf(t1, sizeof t1, ngettext("Config dir invalid: %zu error "
		    "(R: show)", "Config dir invalid: %zu errors (R: show)",
		    (unsigned long)rv->n), rv->n);
		snprintf(t2, sizeof t2, _("Config dir invalid"));
		bar_add(b, 7, t1, t2);
		bar_role(b, ROLE_BAD);
	}
}

/*
 * Inference: off when not configured; the state, and while the link is
 * not down the p95 round trip; degraded and down in the historian's
 * colours.
 */
static void
draw_inference(struct bar *b, const struct app_config *app,
    const struct snapshot *s)
{
	enum link_state inf = app->inference_endpoint[0] == '\0' ?
	    LINK_NOT_CONFIGURED : s->inference;
	char t1[192], t2[192];

	snprintf(t2, sizeof t2, _("Inference: %s"),
	    inf == LINK_NOT_CONFIGURED ? _("off") : link_label(inf));
	if (inf != LINK_NOT_CONFIGURED && inf != LINK_DOWN &&
	    s->infer.latency_n > 0) {
		/* TRANSLATORS: link state, p95 round trip in ms. */
		snprintf(t1, sizeof t1, _("Inference: %s p95 %.1f ms"),
		    link_label(inf), s->infer.p95_ms);
		/* The p95 is what the operator watches: kept at 80 columns. */
		snprintf(t2, sizeof t2, "%s", t1);
	} else
		snprintf(t1, sizeof t1, _("Inference: %s"), link_label(inf));
	bar_add(b, 2, t1, t2);
	if (inf == LINK_DEGRADED)
		bar_role(b, ROLE_WARN);
	else if (inf == LINK_DOWN)
		bar_role(b, ROLE_BAD);
}

static void
draw_status(struct app *a, const struct rect *r, int64_t now)
{
	const struct app_config *app = &a->snap.model->app;
	const struct snapshot *s = &a->snap;
	struct bar b;
	char t1[192], t2[192], num[32], age[32];
	long long backlog = (long long)(s->spool.rows[SPOOL_SAMPLES] +
	    s->spool.rows[SPOOL_ERRORS] + s->spool.rows[SPOOL_SPECTRA]);

	if (r->h <= 0)
		return;
	memset(&b, 0, sizeof b);
	draw_text(stdscr, r->y, r->x, r->w, theme_attr(ROLE_STATUS),
	    ALIGN_LEFT, "");
	draw_inference(&b, app, s);
	draw_historian(&b, app, s, now);
	format_bytes(num, sizeof num, disk_free(a, now));
	snprintf(t1, sizeof t1, _("Disk free: %s"), num);
	snprintf(t2, sizeof t2, _("Disk: %s"), num);
	bar_add(&b, 3, t1, t2);
	if (s->disk_low)
		bar_role(&b, ROLE_BAD);
	if (s->spool_oldest_us > 0) {
		format_age(age, sizeof age, now - s->spool_oldest_us);
		snprintf(t1, sizeof t1, ngettext("Spool: %lld row waiting, "
		    "oldest %s", "Spool: %lld rows waiting, oldest %s",
		    (unsigned long)backlog), backlog, age);
	} else
		snprintf(t1, sizeof t1, ngettext("Spool: %lld row waiting",
		    "Spool: %lld rows waiting", (unsigned long)backlog),
		    backlog);
	snprintf(t2, sizeof t2, _("Spool: %lld"), backlog);
	bar_add(&b, 1, t1, t2);
	draw_spool_alarm(&b, s);
	draw_config_review(&b, s);
	snprintf(t1, sizeof t1, _("Operator: %s"),
	    a->cfg->operator_name != NULL ? a->cfg->operator_name : "?");
	bar_add(&b, 5, t1, a->cfg->operator_name != NULL ?
	    a->cfg->operator_name : "?");
	bar_draw(&b, r->y, r->x + 1, r->w - 2, theme_attr(ROLE_STATUS));
}

static bool
screen_grabs(struct app *a)
{
	return a->screen->grabs_keys != NULL &&
	    a->screen->grabs_keys(a->screen);
}

/*
 * The layout, with one line under the header for the maintenance banner
 * while a window is announced or in progress (and the body has room).
 */
static void
app_layout(const struct app *a, struct layout *lo, struct rect *banner)
{
	layout_compute(lo, LINES, COLS);
	memset(banner, 0, sizeof *banner);
	if (lo->too_small || a->snap.maint.phase == MAINT_NONE ||
	    lo->body.h < 6)
		return;
	*banner = lo->body;
	banner->h = 1;
	lo->body.y++;
	lo->body.h--;
}

static void
format_local(int64_t us, char *buf, size_t len)
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;

	localtime_r(&secs, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

/* The maintenance banner: coming (warning colours) or in progress. */
static void
draw_banner(const struct app *a, const struct rect *r)
{
	const struct maint_banner *b = &a->snap.maint;
	char cd[32], start[32], end[32], text[512];

	if (r->h <= 0)
		return;
	maint_format_countdown(b->countdown_us, cd, sizeof cd);
	format_local(b->w.start_us, start, sizeof start);
	format_local(b->phase == MAINT_ACTIVE ? b->until_us : b->w.end_us, end,
	    sizeof end);
	/* The same day twice says nothing: the end's time of day is enough
	 * (at 80 columns the reason needs the room). */
	if (b->phase == MAINT_ANNOUNCED && strncmp(start, end, 11) == 0)
		memmove(end, end + 11, strlen(end + 11) + 1);
	if (b->phase == MAINT_ANNOUNCED)
		/* TRANSLATORS: countdown HH:MM:SS, start, end, reason. */
		snprintf(text, sizeof text, _("Maintenance in %s (%s to %s): "
		    "%s"), cd, start, end, b->w.reason);
	else
		/* TRANSLATORS: end, countdown HH:MM:SS, reason. */
		snprintf(text, sizeof text, _("MAINTENANCE until %s (%s left), "
		    "no new batch: %s"), end, cd, b->w.reason);
	draw_text_cut(stdscr, r->y, r->x, r->w, theme_attr(b->phase ==
	    MAINT_ACTIVE ? ROLE_ALARM_COUNT : ROLE_WARN) | A_BOLD, ALIGN_LEFT,
	    text);
}

/* The view of the body, for the screen's draw, key and keys. */
static void
view_init(struct app *a, struct view *v, int64_t now)
{
	struct layout lo;
	struct rect banner;

	app_layout(a, &lo, &banner);
	memset(v, 0, sizeof *v);
	v->model = a->snap.model;  /* changes on a reload */
	v->snap = &a->snap;
	v->cmdq = a->cfg->cmdq;
	v->now_us = now;
	v->area = lo.body;
}

/* The keys of the other screens than cur. */
static unsigned
screen_to_keys(int cur)
{
	return (cur != SCREEN_OVERVIEW ? SCREEN_KEY_TO_OVERVIEW : 0) |
	    (cur != SCREEN_DEVICES ? SCREEN_KEY_TO_DEVICES : 0) |
	    (cur != SCREEN_BATCH ? SCREEN_KEY_TO_BATCH : 0) |
	    (cur != SCREEN_ALARMS ? SCREEN_KEY_TO_ALARMS : 0) |
	    (cur != SCREEN_TRENDS ? SCREEN_KEY_TO_TRENDS : 0) |
	    (cur != SCREEN_AUDIT ? SCREEN_KEY_TO_AUDIT : 0);
}

/*
 * Fit the keys whose need is met into the bar (layout_status drops the
 * lowest priority first), leaving a message the room it needs but never
 * less than the two keys of highest priority.  show[i] says which; returns
 * how many items there were.
 */
static void
fkeys_fit(const struct fkey *keys, size_t n, unsigned have, int width,
    int message_w, bool *show)
{
	struct status_item item[ARRAY_LEN(main_keys)];
	size_t idx[ARRAY_LEN(main_keys)], m = 0;
	int best[2] = { -1, -1 }, least = 0, budget;

	for (size_t i = 0; i < n && m < ARRAY_LEN(item); i++) {
		int w = text_width(keys[i].key) + 1 + text_width(_(keys[i].label));

		show[i] = false;
		if ((keys[i].need & have) != keys[i].need)
			continue;
		item[m].long_w = item[m].short_w = w;
		item[m].priority = keys[i].priority;
		idx[m++] = i;
	}
	for (size_t j = 0; j < m; j++) {
		if (best[0] < 0 || item[j].priority > item[best[0]].priority) {
			best[1] = best[0];
			best[0] = (int)j;
		} else if (best[1] < 0 ||
		    item[j].priority > item[best[1]].priority)
			best[1] = (int)j;
	}
	for (int k = 0; k < 2; k++)
		if (best[k] >= 0)
			least += item[best[k]].long_w + (k > 0 ? 2 : 0);
	/* Two blanks after the last key, and one after the message. */
	budget = width - 2 - (message_w > 0 ? message_w + 1 : 0);
	if (budget < least)
		budget = least;
	layout_status(item, m, budget, 2);
	for (size_t j = 0; j < m; j++)
		show[idx[j]] = item[j].fit != STATUS_HIDDEN;
}

static void
draw_keys(struct app *a, const struct rect *r, int64_t now)
{
	const struct fkey *keys = main_keys;
	size_t n = ARRAY_LEN(main_keys);
	bool show[ARRAY_LEN(main_keys)];
	unsigned have = 0;
	int x = r->x, end = r->x + r->w, mw;
	bool message = a->message[0] != '\0' && now < a->message_until;
	struct view v;

	if (r->h <= 0)
		return;
	if (a->sign.stage == SIGN_FORM) {
		keys = sign_keys;
		n = ARRAY_LEN(sign_keys);
	} else if (a->sign.stage == SIGN_WAIT) {
		keys = wait_keys;
		n = ARRAY_LEN(wait_keys);
	} else if (a->sign.stage == SIGN_REFUSED) {
		keys = close_keys;
		n = ARRAY_LEN(close_keys);
	} else if (a->maint.open) {
		keys = form_keys;
		n = ARRAY_LEN(form_keys);
	} else switch (a->dialog.kind) {
	case DIALOG_NONE:
		if (screen_grabs(a)) {
			keys = input_keys;
			n = ARRAY_LEN(input_keys);
			break;
		}
		view_init(a, &v, now);
		have = a->screen->keys(a->screen, &v);
		have |= screen_to_keys(a->cur);
		have |= a->snap.config_review != NULL ? SCREEN_KEY_APPLY :
		    SCREEN_KEY_RELOAD;
		break;
	case DIALOG_QUIT:
	case DIALOG_WRITE_CONFIRM:
		keys = confirm_keys;
		n = ARRAY_LEN(confirm_keys);
		break;
	case DIALOG_HELP:
	case DIALOG_PLAN:
		keys = plan_keys;
		n = ARRAY_LEN(plan_keys);
		have = dialog_scrolls(&a->dialog) ? 1 : 0;
		break;
	case DIALOG_WRITE_INPUT:
		keys = input_keys;
		n = ARRAY_LEN(input_keys);
		break;
	case DIALOG_RECIPE:
		keys = choose_keys;
		n = ARRAY_LEN(choose_keys);
		break;
	case DIALOG_APPLY:
		keys = apply_keys;
		n = ARRAY_LEN(apply_keys);
		have = (a->dialog.apply_valid && !a->dialog.apply_stale ? 1 : 0) |
		    (dialog_scrolls(&a->dialog) ? 2 : 0) |
		    (a->dialog.apply_stale ? 4 : 0);
		break;
	default:
		n = 0;
		break;
	}
	fkeys_fit(keys, n, have, r->w, message ? text_width(a->message) : 0,
	    show);
	draw_text(stdscr, r->y, r->x, r->w, theme_attr(ROLE_KEY_LABEL),
	    ALIGN_LEFT, "");
	for (size_t i = 0; i < n && x < end; i++) {
		const char *label = _(keys[i].label);
		int kw = text_width(keys[i].key), lw = text_width(label) + 3;

		if (!show[i])
			continue;
		if (x + kw + lw > end)
			break;
		draw_text(stdscr, r->y, x, kw, theme_attr(ROLE_KEY),
		    ALIGN_LEFT, keys[i].key);
		draw_text(stdscr, r->y, x + kw + 1, lw - 1,
		    theme_attr(ROLE_KEY_LABEL), ALIGN_LEFT, label);
		x += kw + lw;
	}
	if (!message)
		return;
	mw = text_width(a->message);
	if (mw > end - x - 1)
		mw = end - x - 1;
	if (mw > 0)
		draw_text_cut(stdscr, r->y, end - mw - 1, mw,
		    theme_attr(a->message_bad ? ROLE_BAD : ROLE_KEY_LABEL),
		    ALIGN_RIGHT, a->message);
}

/* The notice shown instead of the table, wrapped and centred. */
static void
draw_too_small(const struct rect *all)
{
	char text[256], line[256];
	const char *p = text;
	int n = 0, y;

	snprintf(text, sizeof text, _("Terminal too small: %dx%d, need %dx%d"),
	    all->w, all->h, LAYOUT_MIN_COLS, LAYOUT_MIN_LINES);
	if (all->w <= 0 || all->h <= 0)
		return;
	for (const char *q = p; *q != '\0'; n++) {
		q += text_wrap(q, all->w);
		while (*q == ' ' || *q == '\n')
			q++;
	}
	y = n < all->h ? (all->h - n) / 2 : 0;
	while (*p != '\0' && y < all->h) {
		size_t len = text_wrap(p, all->w);

		if (len >= sizeof line)
			len = sizeof line - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		draw_text(stdscr, y++, 0, all->w, theme_attr(ROLE_WARN),
		    ALIGN_CENTER, line);
		p += len;
		while (*p == ' ' || *p == '\n')
			p++;
	}
}

static void
app_redraw(struct app *a)
{
	struct layout lo;
	struct rect all = { 0, 0, LINES, COLS }, banner;
	struct view v;
	int64_t now = now_us();

	app_layout(a, &lo, &banner);
	werase(stdscr);
	if (lo.too_small)
		draw_too_small(&all);
	else {
		view_init(a, &v, now);
		draw_header(a, &lo.header, now);
		draw_banner(a, &banner);
		a->screen->draw(a->screen, stdscr, &v);
		draw_status(a, &lo.status, now);
		draw_keys(a, &lo.keys, now);
	}
	if (a->dialog.kind != DIALOG_NONE)
		dialog_draw(&a->dialog, stdscr, &all, &a->snap);
	if (a->maint.open && !lo.too_small)
		maint_form_draw(&a->maint, stdscr, &all, now);
	if (a->sign.stage != SIGN_NONE && !lo.too_small)
		sign_flow_draw(&a->sign, stdscr, &all);
	if (a->repaint)
		clearok(curscr, TRUE);
	wnoutrefresh(stdscr);
	doupdate();
	a->dirty = a->repaint = false;
}

/* The operator confirmed the value to write: now the signatures. */
static void
dialog_confirmed(struct app *a, enum dialog_kind kind)
{
	struct dialog *d = &a->dialog;

	if (kind == DIALOG_APPLY) {
		struct sign_config sc = { d->apply_dir, d->apply_token,
		    d->apply_old, d->apply_new, d->apply_need, d->apply_n,
		    d->apply_first };

		sign_flow_begin_config(&a->sign, &a->snap, &sc,
		    a->cfg->operator_name, ++a->sign_ids);
		return;
	}
	if (kind == DIALOG_RECIPE) {
		sign_flow_begin_batch(&a->sign, &a->snap, BATCH_EV_START,
		    d->recipe, a->cfg->operator_name, ++a->sign_ids);
		return;
	}
	if (kind != DIALOG_WRITE_CONFIRM)
		return;
	/* The dialog was closed if a reload had changed the model. */
	sign_flow_begin_write(&a->sign, &a->snap, d->point, d->value,
	    a->cfg->operator_name, ++a->sign_ids);
}

/* Esc in an e-signature dialog (or a reload): audited, then forgotten. */
static void
sign_cancel(struct app *a, const char *why)
{
	struct command c;

	sign_flow_cancel_command(&a->sign, &c);
	sign_flow_reset(&a->sign);
	if (a->cfg->cmdq == NULL || !cmdq_push(a->cfg->cmdq, &c)) {
		app_message(a, _("Command queue full: the cancellation could "
		    "not be recorded."), true);
		return;
	}
	app_message(a, why, true);
}

/* A key for the e-signature dialogs and their boxes. */
static void
sign_key(struct app *a, int ch)
{
	struct sign_flow *f = &a->sign;
	char text[256];
	bool pushed;

	switch (sign_flow_key(f, ch)) {
	case SIGN_EV_SUBMIT:
		pushed = a->cfg->cmdq != NULL && cmdq_push(a->cfg->cmdq,
		    &f->cmd);
		if (pushed) {
			/* TRANSLATORS: action, object. */
			snprintf(text, sizeof text, _("Signing: %s %s"),
			    f->action, f->object);
			app_message(a, text, false);
		} else
			app_message(a, _("Command queue full, try again."),
			    true);
		sign_flow_submitted(f, pushed);
		break;
	case SIGN_EV_CANCEL:
		sign_cancel(a, _("Signature cancelled (audited)."));
		break;
	default:
		break;
	}
}

/* A key for the maintenance form: Enter on a valid window signs it. */
static void
maint_key(struct app *a, int ch)
{
	struct maint_form *m = &a->maint;

	switch (maint_form_key(m, ch, now_us())) {
	case MAINT_FORM_DONE:
		sign_flow_begin_maint(&a->sign, &a->snap, m->start_us,
		    m->end_us, m->reason, a->cfg->operator_name,
		    ++a->sign_ids);
		maint_form_close(m);
		break;
	case MAINT_FORM_CANCEL:
		app_message(a, _("No maintenance window announced."), false);
		break;
	default:
		break;
	}
}

static void
screen_switch(struct app *a, int which)
{
	a->cur = which;
	a->screen = a->screens[which];
	a->repaint = true;
}

/* T: the next theme, at once, and its name in the bar. */
static void
theme_next(struct app *a)
{
	/* Indexed like theme.c's cycle: the names in the bar. */
	static const char *const names[][2] = {
		{ "dark", N_("dark") }, { "light", N_("light") },
		{ "mono", N_("mono") },
	};
	const char *name = theme_cycle(), *shown = name;
	char text[160];

	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (strcmp(name, names[i][0]) == 0)
			shown = _(names[i][1]);
	bkgdset(' ' | theme_attr(ROLE_NORMAL));
	a->repaint = true;
	if (!theme_colours()) {
		snprintf(text, sizeof text, _("This terminal has no colours: "
		    "theme %s"), shown);
		app_message(a, text, false);
		return;
	}
	/* TRANSLATORS: the theme now in use (dark, light, mono). */
	snprintf(text, sizeof text, _("Theme: %s"), shown);
	app_message(a, text, false);
}

/* Open the dialog a screen key asked for. */
static void
screen_action(struct app *a, const struct key_result *kr)
{
	switch (kr->action) {
	case ACTION_PLAN:
		dialog_open_plan(&a->dialog, &a->snap, kr->device);
		break;
	case ACTION_CLOCK:
		sign_flow_begin_clock(&a->sign, &a->snap, kr->device,
		    a->cfg->operator_name, ++a->sign_ids);
		break;
	case ACTION_WRITE:
		dialog_open_write(&a->dialog, &a->snap, kr->point);
		break;
	case ACTION_ALARM_ACK:
		sign_flow_begin_alarm_ack(&a->sign, &a->snap, kr->alarm,
		    kr->filter, kr->count, a->cfg->operator_name,
		    ++a->sign_ids);
		break;
	case ACTION_BATCH:
		/* Several recipes: which one, before anyone signs. */
		if (kr->batch_event == BATCH_EV_START &&
		    a->snap.model != NULL && a->snap.model->nrecipes > 1)
			dialog_open_recipe(&a->dialog, &a->snap, kr->recipe);
		else
			sign_flow_begin_batch(&a->sign, &a->snap,
			    kr->batch_event, kr->recipe,
			    a->cfg->operator_name, ++a->sign_ids);
		break;
	case ACTION_MAINT:
		maint_form_open(&a->maint, now_us());
		break;
	case ACTION_SHOW_DEVICE:
		screen_devices_select(a->screens[SCREEN_DEVICES], a->snap.model,
		    kr->device);
		screen_switch(a, SCREEN_DEVICES);
		break;
	default:
		break;
	}
}

/*
 * R, on the table or in the apply view: the engine re-reads the version
 * in use and compares the config dir with it afresh; its answer
 * (reload_answered) opens the apply view when they differ.
 */
static void
reload_request(struct app *a)
{
	struct command c = { .kind = CMD_RELOAD_CONFIG };

	c.id = ++a->sign_ids;
	if (a->cfg->cmdq != NULL && cmdq_push(a->cfg->cmdq, &c)) {
		a->reload_pending = c.id;
		app_message(a, _("Reloading the configuration..."), false);
	} else
		app_message(a, _("The engine is busy; try again"), true);
}

/* The engine answered R: the difference (or the errors) to look at. */
static void
reload_answered(struct app *a)
{
	bool free_ = a->dialog.kind == DIALOG_NONE ||
	    a->dialog.kind == DIALOG_APPLY;

	/* Never over a dialog or a signature opened meanwhile. */
	if (a->sign.stage != SIGN_NONE || !free_)
		return;
	if (a->snap.config_review != NULL)
		dialog_open_apply(&a->dialog, &a->snap);
	else if (a->dialog.kind == DIALOG_APPLY)
		dialog_dismiss(&a->dialog);
}

static void
app_key(struct app *a, int ch)
{
	struct key_result kr;
	struct view v;

	a->dirty = true;
	if (ch == KEY_RESIZE) {
		a->repaint = true;
		return;
	}
	if (ch == 12) {         /* Ctrl-L */
		a->repaint = true;
		return;
	}
	if (ch == 26) {         /* Ctrl-Z: raw mode, so no SIGTSTP */
		app_message(a, _("The console cannot be suspended: collection "
		    "would stop."), true);
		return;
	}
	if (ch == 3)            /* Ctrl-C: raw mode, so no SIGINT */
		ch = (a->dialog.kind == DIALOG_NONE ||
		    a->dialog.kind == DIALOG_QUIT) &&
		    a->sign.stage == SIGN_NONE && !a->maint.open &&
		    !screen_grabs(a) ? 'q' : 27;
	if (a->sign.stage != SIGN_NONE) {
		sign_key(a, ch);
		return;
	}
	if (a->maint.open) {
		maint_key(a, ch);
		return;
	}
	if (a->dialog.kind == DIALOG_APPLY && ch == 'R') {
		reload_request(a);
		return;
	}
	if (a->dialog.kind != DIALOG_NONE) {
		enum dialog_kind kind = a->dialog.kind;

		if (dialog_key(&a->dialog, ch) != DIALOG_YES)
			return;
		if (kind == DIALOG_QUIT) {
			a->status = 0;
			a->done = true;
		} else
			dialog_confirmed(a, kind);
		return;
	}
	view_init(a, &v, now_us());
	if (screen_grabs(a)) {
		memset(&kr, 0, sizeof kr);
		a->screen->key(a->screen, ch, &v, &kr);
		return;
	}
	switch (ch) {
	case 'q':
	case 'Q':
	case KEY_F(10):
		dialog_open(&a->dialog, DIALOG_QUIT);
		return;
	case KEY_F(1):
	case '?':
		dialog_open_help(&a->dialog, a->cur == SCREEN_AUDIT,
		    a->snap.config_review != NULL);
		a->dialog.help_trends = a->cur == SCREEN_TRENDS;
		a->dialog.help_alarms = a->cur == SCREEN_ALARMS;
		a->dialog.help_batch = a->cur == SCREEN_BATCH;
		a->dialog.help_overview = a->cur == SCREEN_OVERVIEW;
		return;
	case 'T':
		theme_next(a);
		return;
	case KEY_F(2):
		screen_switch(a, SCREEN_OVERVIEW);
		return;
	case KEY_F(3):
		screen_switch(a, SCREEN_DEVICES);
		return;
	case KEY_F(4):
		screen_switch(a, SCREEN_BATCH);
		return;
	case KEY_F(5):
		screen_switch(a, SCREEN_ALARMS);
		return;
	case KEY_F(6):
		screen_switch(a, SCREEN_TRENDS);
		return;
	case KEY_F(7):
		screen_switch(a, SCREEN_AUDIT);
		return;
	case 'R':
		reload_request(a);
		return;
	default:
		break;
	}
	memset(&kr, 0, sizeof kr);
	if (!a->screen->key(a->screen, ch, &v, &kr))
		return;
	if (kr.message[0] != '\0')
		app_message(a, kr.message, kr.bad);
	screen_action(a, &kr);
}

/* Read every key waiting; returns how many there were. */
static int
keys_read(struct app *a)
{
	int ch, n = 0;

	while (!a->done && (ch = getch()) != ERR) {
		app_key(a, ch);
		n++;
	}
	return n;
}

static void
signals_check(struct app *a)
{
	if (got_term || got_hup) {
		got_term = got_hup = 0;
		a->status = 1;
		a->done = true;
		return;
	}
	if (got_winch) {
		got_winch = 0;
		term_resize(a);
	}
	if (got_int) {
		got_int = 0;
		if (a->dialog.kind != DIALOG_QUIT)
			dialog_open(&a->dialog, DIALOG_QUIT);
		a->dirty = true;
	}
}

static void
terminal_lost(struct app *a)
{
	a->status = 1;
	a->done = true;
}

/*
 * A new alarm since the last snapshot seen: the bell and the header's
 * count in reverse for a while; the screen, a dialog and the keys are
 * left as they are.  The counter only grows; should it ever start again
 * (a new board), what it counts now is new.
 */
static void
alarms_announce(struct app *a, int64_t now)
{
	const struct alarm_view *l = a->snap.alarms;

	if (l == NULL || l->activations == a->alarms_seen)
		return;
	if (l->activations > a->alarms_seen || l->activations > 0) {
		beep();
		a->alarm_flash_until = now + ALARM_FLASH_US;
	}
	a->alarms_seen = l->activations;
}

/* Copy the engine's new state and tell the operator what is news in it. */
static void
snapshot_take(struct app *a)
{
	char status[sizeof a->snap.config_status];
	unsigned generation = a->snap.config_generation;
	uint64_t seq = a->snap.command_seq;

	str_copy(status, a->snap.config_status, sizeof status);
	state_drain_wake(a->cfg->state);
	state_copy(a->cfg->state, &a->snap);
	/* A reload's outcome is news: show it once it arrives. */
	if (strcmp(status, a->snap.config_status) != 0 &&
	    a->snap.config_status[0] != '\0')
		app_message(a, a->snap.config_status,
		    a->snap.config_generation == generation);
	/* So is a command's (a clock set, a setpoint written, or not). */
	if (a->snap.command_seq != seq && a->snap.command_text[0] != '\0')
		app_message(a, a->snap.command_text, !a->snap.command_ok);
	/* A signature about the old model would sign the wrong thing. */
	if (sign_flow_snapshot(&a->sign, &a->snap))
		sign_cancel(a, _("The configuration was reloaded; the "
		    "signature was cancelled."));
	alarms_announce(a, now_us());
	/* A dialog about the old model would act on the wrong device. */
	if (dialog_bound(&a->dialog) &&
	    a->dialog.config_gen != a->snap.config_generation) {
		dialog_dismiss(&a->dialog);
		app_message(a, _("The configuration was reloaded; the dialog "
		    "was closed."), true);
	}
	/* R answered: the apply view, fresh, when the config dir differs. */
	if (a->reload_pending != 0 &&
	    a->snap.reload_done_id == a->reload_pending) {
		a->reload_pending = 0;
		reload_answered(a);
	}
	/* The apply view says when the engine sees another config dir. */
	if (a->dialog.kind == DIALOG_APPLY)
		a->dialog.apply_stale = a->snap.config_review !=
		    a->dialog.review;
	a->dirty = true;
}

/* Wait for a key, an engine update, a signal or the next second. */
static void
app_wait(struct app *a)
{
	struct pollfd pfd[3];
	int64_t now = now_us();
	int n, timeout = (int)(1000 - (now / 1000) % 1000) + 5;

	if (a->message[0] != '\0' && now >= a->message_until) {
		a->message[0] = '\0';
		a->dirty = true;
	}
	/* A new alarm's highlight ends on time, not at the next second. */
	if (a->alarm_flash_until != 0 && now >= a->alarm_flash_until) {
		a->alarm_flash_until = 0;
		a->dirty = true;
	} else if (a->alarm_flash_until != 0 &&
	    (a->alarm_flash_until - now) / 1000 + 1 < timeout)
		timeout = (int)((a->alarm_flash_until - now) / 1000) + 1;
	pfd[0].fd = STDIN_FILENO;
	pfd[1].fd = state_wake_fd(a->cfg->state);
	pfd[2].fd = a->sigpipe[0];
	for (int i = 0; i < 3; i++) {
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	n = poll(pfd, 3, timeout);
	if (n < 0 && errno != EINTR) {
		terminal_lost(a);
		return;
	}
	if (n == 0)
		a->dirty = true;        /* the clock and the ages moved */
	if (pfd[2].revents & POLLIN)
		pipe_drain(a->sigpipe[0]);
	signals_check(a);
	if (a->done)
		return;
	if (pfd[1].revents & POLLIN)
		snapshot_take(a);
	if (pfd[0].revents & POLLIN) {
		if (keys_read(a) > 0)
			a->idle_reads = 0;
		else if (++a->idle_reads >= IDLE_READS_MAX)
			terminal_lost(a);
	}
	if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
		terminal_lost(a);
}

static void
app_close(struct app *a)
{
	if (a->term != NULL) {
		endwin();
		delscreen(a->term);
		a->term = NULL;
	}
	signals_restore(a);
	close(a->sigpipe[0]);
	close(a->sigpipe[1]);
	sign_flow_reset(&a->sign);      /* wipes any password typed */
	dialog_dismiss(&a->dialog);     /* lets go of a review */
	for (int i = 0; i < SCREEN_COUNT; i++)
		if (a->screens[i] != NULL)
			a->screens[i]->free(a->screens[i]);
	snapshot_free(&a->snap);
}

int
ui_run(const struct ui_config *cfg)
{
	struct app a;

	memset(&a, 0, sizeof a);
	a.cfg = cfg;
	a.disk_free = -1;
	if (pipe_open(a.sigpipe) != 0) {
		fprintf(stderr, _("jope-smb: cannot create a pipe: %s\n"),
		    strerror(errno));
		return 1;
	}
	signals_install(&a);
	if (term_open(&a) != 0) {
		app_close(&a);
		return 1;
	}
	a.screens[SCREEN_OVERVIEW] = screen_overview_new();
	a.screens[SCREEN_DEVICES] = screen_devices_new(cfg->model);
	a.screens[SCREEN_AUDIT] = screen_audit_new();
	a.screens[SCREEN_TRENDS] = screen_trends_new();
	a.screens[SCREEN_ALARMS] = screen_alarms_new();
	a.screens[SCREEN_BATCH] = screen_batch_new();
	a.cur = SCREEN_OVERVIEW;
	a.screen = a.screens[SCREEN_OVERVIEW];
	state_drain_wake(cfg->state);
	state_copy(cfg->state, &a.snap);
	/* Alarms already there at start are listed, not announced. */
	if (a.snap.alarms != NULL)
		a.alarms_seen = a.snap.alarms->activations;
	a.dirty = true;
	while (!a.done) {
		if (a.dirty)
			app_redraw(&a);
		app_wait(&a);
	}
	app_close(&a);
	return a.status;
}
