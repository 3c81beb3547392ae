/*
 * cmd_log.c: `jope-smb log [--follow] [--json] [--level=LEVEL] [-n N]`.
 *
 * A readable view of STATE_DIR/jope-smb.log, the JSON lines of
 * core/log.c, for troubleshooting over SSH.  Each event becomes one line,
 *
 *   2026-11-21 13:00:01.123 WARN  connect_failed connector=sim-pumps ...
 *
 * the time in local time (TZ; the file's own is UTC), the level, the event
 * and its other fields in the file's order as key=value, a string quoted
 * (JSON style) when it holds a space, a quote, an = or a control character,
 * anything else as JSON text.  Colour (the level, the event) only when
 * standard output is a terminal and NO_COLOR is not set.  A line that is
 * not a JSON object is shown as it is, a line without a known level too,
 * whatever --level says: what cannot be judged is never hidden.  Control
 * characters read from the file are shown as '?' so that a line cannot
 * drive the terminal.  --json passes the lines through untouched instead,
 * those of the chosen levels, and skips (with a note on standard error)
 * those that are not JSON objects, so that the output stays JSON lines.
 *
 * First the last N lines that pass the filter (default 20; found by
 * reading the file backwards, so a large log costs little), then with
 * --follow every new line as it comes.  Following polls the file: at its
 * end, wait up to FOLLOW_WAIT_MS for SIGINT or SIGTERM (sigtimedwait, the
 * signals blocked, as `run` waits), then stat the path: another inode
 * (rotated: the old file is read to its end, then the new one from its
 * start) or a size below what was read (truncated: from the start again)
 * reopens; a path missing for a while (between a rotation's rename and the
 * new file) is waited for.  A line is shown once its newline is there;
 * without --follow an unfinished last line is shown as it is.
 *
 *   exit status
 *   -----------  ---------------------------------------------------
 *   0            shown; with --follow, stopped by SIGINT or SIGTERM
 *   1            the log cannot be opened or read
 *   2            usage error
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "core/i18n.h"
#include "core/log.h"
#include "core/util.h"

#define DEFAULT_LINES	20
#define FOLLOW_WAIT_MS	250
#define BLOCK		65536

struct view {
	bool json;			/* pass the lines through */
	int level;			/* least level shown; -1: every level */
	bool colour;
};

struct reader {
	const char *path;
	int fd;
	dev_t dev;
	ino_t ino;
	off_t off;			/* bytes of the file read so far */
	char *part;			/* a line whose newline is not read yet */
	size_t plen, pcap;
};

/* --- one line ------------------------------------------------------------- */

/* The enum log_level of a line's "level", or -1 when not known. */
static int
level_of(const json_t *obj)
{
	static const char *const names[] = { "debug", "info", "warn",
	    "error" };
	const char *s = json_string_value(json_object_get(obj, "level"));

	for (int i = 0; s != NULL && i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* The line as a JSON object, or NULL. */
static json_t *
parse_line(const char *line, size_t len)
{
	json_t *obj = json_loadb(line, len, 0, NULL);

	if (obj != NULL && !json_is_object(obj)) {
		json_decref(obj);
		obj = NULL;
	}
	return obj;
}

/* Whether a line is shown, obj its parse (NULL: not a JSON object). */
static bool
passes(const struct view *v, const json_t *obj)
{
	int level;

	if (obj == NULL)
		return !v->json;
	level = level_of(obj);
	return v->level < 0 || level < 0 || level >= v->level;
}

static bool
line_passes(const struct view *v, const char *line, size_t len)
{
	json_t *obj;
	bool ok;

	if (!v->json && v->level < 0)
		return true;            /* no need to parse */
	obj = parse_line(line, len);
	ok = passes(v, obj);
	json_decref(obj);
	return ok;
}

/*
 * Write s of len bytes with every control character (C0, DEL, and C1 as
 * UTF-8) as '?', tabs excepted.
 */
static void
put_safe(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len; i++) {
		if (u[i] == 0xc2 && i + 1 < len && u[i + 1] >= 0x80 &&
		    u[i + 1] <= 0x9f) {
			putchar('?');
			i++;
		} else if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
			putchar('?');
		else
			putchar(u[i]);
	}
}

static void
put_safe_str(const char *s)
{
	put_safe(s, strlen(s));
}

/* "2026-11-21T13:00:01.123456Z" as local "2026-11-21 13:00:01.123". */
static bool
time_text(const char *ts, char *buf, size_t len)
{
	struct tm tm = { 0 };
	int n = 0, ms = 0, digits = 0;
	time_t t;

	if (ts == NULL || sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &n) != 6)
		return false;
	if (ts[n] == '.')
		for (n++; ts[n] >= '0' && ts[n] <= '9'; n++)
			if (digits++ < 3)
				ms = ms * 10 + (ts[n] - '0');
	for (; digits > 0 && digits < 3; digits++)
		ms *= 10;
	if (strcmp(ts + n, "Z") != 0)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1 || localtime_r(&t, &tm) == NULL)
		return false;
	n = (int)strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, len - (size_t)n, ".%03d", ms);
	return true;
}

static const char *
level_colour(int level)
{
	switch (level) {
	case LOG_DEBUG: return "\033[2m";
	case LOG_WARN: return "\033[33m";
	case LOG_ERROR: return "\033[1;31m";
	case LOG_INFO: return "\033[32m";
	}
	return "";
}

/* A string bare when it can be, else JSON-quoted; others as JSON. */
static void
put_value(const json_t *val)
{
	const char *s = json_string_value(val);
	char *text;

	if (s != NULL && *s != '\0' && strpbrk(s, " \"=\\") == NULL) {
		bool plain = true;

		for (const unsigned char *u = (const unsigned char *)s; *u; u++)
			if (*u < 0x20 || *u == 0x7f)
				plain = false;
		if (plain) {
			put_safe_str(s);
			return;
		}
	}
	text = json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_PRESERVE_ORDER);
	if (text != NULL)
		put_safe_str(text);
	free(text);
}

static void
put_pretty(const struct view *v, const json_t *obj)
{
	const char *ts = json_string_value(json_object_get(obj, "ts"));
	const char *lv = json_string_value(json_object_get(obj, "level"));
	const char *ev = json_string_value(json_object_get(obj, "event"));
	int level = level_of(obj);
	char when[64], name[8];
	const char *key;
	json_t *val;

	if (time_text(ts, when, sizeof when))
		fputs(when, stdout);
	else
		put_safe_str(ts != NULL ? ts : "-");
	snprintf(name, sizeof name, "%-5.5s", lv != NULL ? lv : "?");
	for (char *c = name; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	putchar(' ');
	if (v->colour)
		fputs(level_colour(level), stdout);
	put_safe_str(name);
	if (v->colour)
		fputs("\033[0m", stdout);
	putchar(' ');
	if (v->colour)
		fputs("\033[1m", stdout);
	put_safe_str(ev != NULL ? ev : "?");
	if (v->colour)
		fputs("\033[0m", stdout);
	json_object_foreach((json_t *)obj, key, val) {
		if (strcmp(key, "ts") == 0 || strcmp(key, "level") == 0 ||
		    strcmp(key, "event") == 0)
			continue;
		putchar(' ');
		put_safe_str(key);
		putchar('=');
		put_value(val);
	}
	putchar('\n');
}

/* Show one line (without its newline) as the view says. */
static void
show_line(const struct view *v, const char *line, size_t len)
{
	json_t *obj;

	if (len == 0)
		return;
	obj = parse_line(line, len);
	if (!passes(v, obj)) {
		if (obj == NULL)
			fprintf(stderr, _("jope-smb: log: a line that is not a "
			    "JSON object was skipped\n"));
	} else if (v->json) {
		fwrite(line, 1, len, stdout);
		putchar('\n');
	} else if (obj != NULL)
		put_pretty(v, obj);
	else {
		put_safe(line, len);
		putchar('\n');
	}
	json_decref(obj);
}

/* --- the last N lines ------------------------------------------------------- */

/* Whether the line at [start, end) of the file passes; false on error. */
static bool
stored_line_passes(const struct view *v, int fd, off_t start, off_t end)
{
	size_t len = (size_t)(end - start);
	char *buf;
	bool ok;

	if (!v->json && v->level < 0)
		return true;
	buf = xmalloc(len + 1);
	ok = pread(fd, buf, len, start) == (ssize_t)len &&
	    line_passes(v, buf, len);
	free(buf);
	return ok;
}

/*
 * Where the last n lines that pass start in the first end bytes of fd,
 * read backwards block by block; empty lines do not count.
 */
static off_t
tail_offset(const struct view *v, int fd, off_t end, long n)
{
	char *blk;
	off_t pos = end, line_end = end;
	long found = 0;

	if (n <= 0)
		return end;
	blk = xmalloc(BLOCK);
	while (pos > 0) {
		size_t len = pos > BLOCK ? BLOCK : (size_t)pos;

		if (pread(fd, blk, len, pos - (off_t)len) != (ssize_t)len)
			break;
		pos -= (off_t)len;
		for (size_t i = len; i-- > 0;) {
			off_t at = pos + (off_t)i;

			if (blk[i] != '\n')
				continue;
			if (at + 1 < line_end && stored_line_passes(v, fd,
			    at + 1, line_end) && ++found == n) {
				free(blk);
				return at + 1;
			}
			line_end = at;
		}
	}
	free(blk);
	return 0;
}

/* --- reading forward, following --------------------------------------------- */

static int
reader_open(struct reader *r)
{
	struct stat st;

	if ((r->fd = open(r->path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(r->fd, &st) != 0) {
		close(r->fd);
		r->fd = -1;
		return -1;
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	r->off = 0;
	r->plen = 0;
	return 0;
}

static void
part_add(struct reader *r, const char *s, size_t len)
{
	if (r->plen + len > r->pcap) {
		r->pcap = (r->plen + len) * 2;
		r->part = xrealloc(r->part, r->pcap);
	}
	memcpy(r->part + r->plen, s, len);
	r->plen += len;
}

/* Show the complete lines of buf; keep an unfinished one for later. */
static void
consume(const struct view *v, struct reader *r, const char *buf, size_t len)
{
	const char *nl;

	while (len > 0 && (nl = memchr(buf, '\n', len)) != NULL) {
		size_t n = (size_t)(nl - buf);

		if (r->plen > 0) {
			part_add(r, buf, n);
			show_line(v, r->part, r->plen);
			r->plen = 0;
		} else
			show_line(v, buf, n);
		buf = nl + 1;
		len -= n + 1;
	}
	if (len > 0)
		part_add(r, buf, len);
}

/* Read to the end of the file; 0, or -1 with errno on a read error. */
static int
read_to_end(const struct view *v, struct reader *r, bool follow,
    const sigset_t *stop)
{
	static char buf[BLOCK];
	struct timespec zero = { 0, 0 };
	ssize_t n;

	for (;;) {
		n = read(r->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		r->off += n;
		consume(v, r, buf, (size_t)n);
		fflush(stdout);
		/* A log that never stops growing must not stop a signal. */
		if (follow && sigtimedwait(stop, NULL, &zero) > 0)
			return 1;
	}
	return n < 0 ? -1 : 0;
}

/*
 * At the end of the file: reopen when the path names another file now
 * (rotated: what came to the old one meanwhile is read first) or a
 * shorter one (truncated).  1 when a signal came, 0, -1 on a read error.
 */
static int
check_replaced(const struct view *v, struct reader *r, const sigset_t *stop)
{
	struct stat st;
	int old = r->fd, rc;

	if (stat(r->path, &st) != 0)
		return 0;               /* renamed away; the new one comes */
	if (st.st_dev == r->dev && st.st_ino == r->ino) {
		if (st.st_size >= r->off)
			return 0;
		fprintf(stderr, _("jope-smb: log: %s was truncated; reading "
		    "it from its start\n"), r->path);
		if (lseek(r->fd, 0, SEEK_SET) == 0) {
			r->off = 0;
			r->plen = 0;
		}
		return 0;
	}
	if ((rc = read_to_end(v, r, true, stop)) != 0)
		return rc;
	if (r->plen > 0) {              /* the old file's unfinished line */
		show_line(v, r->part, r->plen);
		r->plen = 0;
	}
	if (reader_open(r) != 0) {
		r->fd = old;            /* not there after all: wait on */
		return 0;
	}
	close(old);
	fprintf(stderr, _("jope-smb: log: %s was replaced (rotated); reading "
	    "the new file\n"), r->path);
	return 0;
}

/* Follow until SIGINT or SIGTERM; 0, or -1 with errno on a read error. */
static int
follow(const struct view *v, struct reader *r, const sigset_t *stop)
{
	struct timespec wait = { 0, FOLLOW_WAIT_MS * 1000000L };
	int rc;

	for (;;) {
		if ((rc = read_to_end(v, r, true, stop)) != 0)
			return rc > 0 ? 0 : -1;
		if (sigtimedwait(stop, NULL, &wait) > 0 ||
		    (rc = check_replaced(v, r, stop)) > 0)
			return 0;
		if (rc < 0)
			return -1;
	}
}

/* --- the command ------------------------------------------------------------ */

static bool
want_colour(void)
{
	const char *no = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && (no == NULL || *no == '\0');
}

static int
show_log(const struct options *o, const char *path)
{
	struct view v = { o->json, o->level, !o->json && want_colour() };
	struct reader r = { .path = path, .fd = -1 };
	sigset_t stop;
	struct stat st;
	int rc = 0;

	/* Blocked before anything, so that a signal waits for sigtimedwait. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (o->follow)
		sigprocmask(SIG_BLOCK, &stop, NULL);
	if (reader_open(&r) != 0 || fstat(r.fd, &st) != 0) {
		if (errno == ENOENT)
			fprintf(stderr, _("jope-smb: no log at %s: no engine "
			    "has run on state dir %s\n"), path,
			    options_state_dir(o));
		else
			fprintf(stderr, _("jope-smb: log: cannot open %s: %s\n"),
			    path, strerror(errno));
		return EXIT_FAILURE_;
	}
	r.off = tail_offset(&v, r.fd, st.st_size, o->lines >= 0 ? o->lines :
	    DEFAULT_LINES);
	if (lseek(r.fd, r.off, SEEK_SET) != r.off)
		rc = -1;
	else if (o->follow)
		rc = follow(&v, &r, &stop);
	else if ((rc = read_to_end(&v, &r, false, &stop)) == 0 && r.plen > 0)
		show_line(&v, r.part, r.plen);
	if (rc != 0)
		fprintf(stderr, _("jope-smb: log: cannot read %s: %s\n"), path,
		    strerror(errno));
	fflush(stdout);
	close(r.fd);
	free(r.part);
	return rc == 0 ? EXIT_OK : EXIT_FAILURE_;
}

int
cmd_log(const struct options *o)
{
	char path[4096];

	if (o->argc != 0) {
		fprintf(stderr, _("jope-smb: log takes no operand\n"
		    "Usage: jope-smb log [--follow] [--json] [--level=LEVEL] "
		    "[-n N]\n"));
		return EXIT_USAGE;
	}
	snprintf(path, sizeof path, "%s/jope-smb.log", options_state_dir(o));
	return show_log(o, path);
}
