/*
 * maintenance.c: maintenance windows, their phases and the banner.
 *
 * The phase of one window at time now (maint_window_phase), first match;
 * a window is [start, end), and its banner appears exactly 24 h before:
 *
 *   condition                          phase            countdown to
 *   ---------------------------------  ---------------  -------------
 *   cancelled                          MAINT_NONE       -
 *   now <  start - 24 h                MAINT_NONE       -
 *   start - 24 h <= now < start        MAINT_ANNOUNCED  start
 *   start <= now < end                 MAINT_ACTIVE     end (merged)
 *   end <= now                         MAINT_NONE       -
 *
 * So at start - 24 h the countdown reads 24:00:00, at start the window is
 * active and new batches are refused, and at end they are allowed again.
 *
 * Over the set (maint_banner): an active window beats an announced one;
 * among active ones the one that ends last (production resumes only after
 * it), among announced ones the one that starts first; ties go to the later
 * end, then to the smaller id, so every console shows the same window.
 * While active, the countdown runs to the end of the whole stretch of
 * maintenance: windows that overlap or touch the chosen one extend it.
 *
 * A window's record in the set (maint_set_add, _cancel, _prune):
 *
 *   record     event                         next       result
 *   ---------  ----------------------------  ---------  ---------------
 *   unknown    add, fields valid, room       known      MAINT_ADDED
 *   unknown    add, a field wrong            unknown    MAINT_INVALID
 *   unknown    add, set full                 unknown    MAINT_FULL
 *   unknown    cancel                        unknown    MAINT_NOT_FOUND
 *   known      add same id, cancelled        cancelled  MAINT_UPDATED
 *   known      add same id, not cancelled    known      MAINT_UNCHANGED
 *   known      cancel                        cancelled  MAINT_UPDATED
 *   cancelled  add same id / cancel          cancelled  MAINT_UNCHANGED
 *   known or   add same id, other start,     same       MAINT_CONFLICT
 *   cancelled    end, reason or announcer
 *   known or   prune, now - end > keep       unknown    (count removed)
 *   cancelled
 *
 * Cancelled windows stay in the set until pruned, so that the same window
 * arriving again from the historian cannot bring it back.
 *
 * Dates are converted with Howard Hinnant's days_from_civil and its
 * inverse: pure integer arithmetic, no timegm (not standard) and no
 * dependence on the width of time_t.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/i18n.h"
#include "core/util.h"
#include "plant/maintenance.h"

static const char *const phase_names[] = {
	[MAINT_NONE]		= "none",
	[MAINT_ANNOUNCED]	= "announced",
	[MAINT_ACTIVE]		= "active",
};

static const char *const source_names[MAINT_SRC_COUNT_] = {
	[MAINT_SRC_CONFIG]	= "config",
	[MAINT_SRC_CONSOLE]	= "console",
	[MAINT_SRC_HISTORIAN]	= "historian",
};

const char *
maint_phase_name(enum maint_phase p)
{
	if ((unsigned)p >= sizeof phase_names / sizeof phase_names[0])
		return "?";
	return phase_names[p];
}

const char *
maint_source_name(enum maint_source s)
{
	if ((unsigned)s >= MAINT_SRC_COUNT_)
		return "?";
	return source_names[s];
}

/* ---- dates ------------------------------------------------------------ */

static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
days_in_month(int y, int m)
{
	static const int mdays[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : mdays[m - 1];
}

int
maint_time_from_civil(int y, int mo, int d, int h, int mi, int s,
    int64_t *us)
{
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || s < 0 || s > 59)
		return -1;
	*us = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + s;
	*us *= MAINT_US_PER_S;
	return 0;
}

struct civil {
	int y, mo, d, h, mi, s;
	long us;
};

static void
civil_from_us(int64_t t, struct civil *c)
{
	int64_t secs = t / MAINT_US_PER_S, days, sod;

	c->us = (long)(t % MAINT_US_PER_S);
	if (c->us < 0) {
		c->us += 1000000;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	civil_from_days(days, &c->y, &c->mo, &c->d);
	c->h = (int)(sod / 3600);
	c->mi = (int)(sod / 60 % 60);
	c->s = (int)(sod % 60);
}

/* RFC 3339 UTC; six decimals only when t is not a whole second. */
static void
format_time(int64_t t, char *buf, size_t len)
{
	struct civil c;

	civil_from_us(t, &c);
	if (c.us == 0)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.y, c.mo,
		    c.d, c.h, c.mi, c.s);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
		    c.y, c.mo, c.d, c.h, c.mi, c.s, c.us);
}

/* For people: "2026-11-22 10:00:00 UTC", like esig_manifestation. */
static void
format_time_human(int64_t t, char *buf, size_t len)
{
	struct civil c;

	civil_from_us(t, &c);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d UTC", c.y, c.mo,
	    c.d, c.h, c.mi, c.s);
}

/* n decimal digits at s, or -1. */
/*
 * YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z, nothing else; 0 or -1 with a message
 * naming the field.
 */
static int
parse_time(const char *field, const char *s, int64_t *out, char *err,
    size_t errlen)
{
	int y, mo, d, h, mi, sec, nd = 0;
	long us = 0;
	const char *p;

	y = parse_digits(s, 4);
	if (y < 0 || s[4] != '-' || (mo = parse_digits(s + 5, 2)) < 0 ||
	    s[7] != '-' || (d = parse_digits(s + 8, 2)) < 0 || s[10] != 'T' ||
	    (h = parse_digits(s + 11, 2)) < 0 || s[13] != ':' ||
	    (mi = parse_digits(s + 14, 2)) < 0 || s[16] != ':' ||
	    (sec = parse_digits(s + 17, 2)) < 0) {
		snprintf(err, errlen, _("\"%s\": \"%.40s\" is not a time of "
		    "the form YYYY-MM-DDTHH:MM:SSZ (RFC 3339, UTC)"), field, s);
		return -1;
	}
	p = s + 19;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, nd++) {
			if (nd == 6) {
				snprintf(err, errlen, _("\"%s\": \"%.40s\" has "
				    "more than 6 decimals (microseconds)"),
				    field, s);
				return -1;
			}
			us = us * 10 + (*p - '0');
		}
		if (nd == 0) {
			snprintf(err, errlen, _("\"%s\": \"%.40s\" has no "
			    "digits after the decimal point"), field, s);
			return -1;
		}
		for (int i = nd; i < 6; i++)
			us *= 10;
	}
	if (*p == '\0') {
		snprintf(err, errlen, _("\"%s\": \"%.40s\" has no time zone: "
		    "write it in UTC, ending in Z"), field, s);
		return -1;
	}
	if (*p == '+' || *p == '-') {
		snprintf(err, errlen, _("\"%s\": \"%.40s\" has a UTC offset: "
		    "write it in UTC, ending in Z"), field, s);
		return -1;
	}
	if (p[0] != 'Z' || p[1] != '\0') {
		snprintf(err, errlen, _("\"%s\": \"%.40s\" is not a time of "
		    "the form YYYY-MM-DDTHH:MM:SSZ (RFC 3339, UTC)"), field, s);
		return -1;
	}
	if (y < 1970) {
		snprintf(err, errlen, _("\"%s\": \"%.40s\" is before 1970"),
		    field, s);
		return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) {
		snprintf(err, errlen, _("\"%s\": \"%.40s\" is not a valid "
		    "date"), field, s);
		return -1;
	}
	if (h > 23 || mi > 59 || sec > 59) {
		snprintf(err, errlen, _("\"%s\": \"%.40s\" is not a valid "
		    "time of day"), field, s);
		return -1;
	}
	*out = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    sec) * MAINT_US_PER_S) + us;
	return 0;
}

/* ---- one window ------------------------------------------------------- */

/* Valid UTF-8 without control characters (C0, DEL). */
static bool
text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned c = *p;
		int more;
		unsigned cp, min;

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3; cp = c & 0x07; min = 0x10000;
		} else
			return false;
		for (int i = 1; i <= more; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += more + 1;
	}
	return true;
}

static bool
blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != ' ')
			return false;
	return true;
}

static bool
id_ok(const char *id)
{
	size_t n = 0;

	for (const char *p = id; *p != '\0'; p++, n++) {
		char c = *p;

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == ':' || c == '-'))
			return false;
	}
	return n > 0;
}

int
maint_window_check(const struct maint_window *w, char *err, size_t errlen)
{
	char a[40], b[40];

	if (memchr(w->id, '\0', sizeof w->id) == NULL || !id_ok(w->id)) {
		snprintf(err, errlen, _("\"id\" must be 1 to %d characters of "
		    "A-Z a-z 0-9 . _ : -"), MAINT_ID_MAX - 1);
		return -1;
	}
	if (memchr(w->reason, '\0', sizeof w->reason) == NULL) {
		snprintf(err, errlen, _("\"reason\" is longer than %d bytes"),
		    MAINT_REASON_MAX - 1);
		return -1;
	}
	if (blank(w->reason)) {
		snprintf(err, errlen, _("\"reason\" is empty"));
		return -1;
	}
	if (!text_ok(w->reason)) {
		snprintf(err, errlen, _("\"reason\" has a control character "
		    "or is not valid UTF-8"));
		return -1;
	}
	if (memchr(w->announced_by, '\0', sizeof w->announced_by) == NULL) {
		snprintf(err, errlen, _("\"announced_by\" is longer than %d "
		    "bytes"), MAINT_USER_MAX - 1);
		return -1;
	}
	if (!text_ok(w->announced_by)) {
		snprintf(err, errlen, _("\"announced_by\" has a control "
		    "character or is not valid UTF-8"));
		return -1;
	}
	if ((unsigned)w->source >= MAINT_SRC_COUNT_) {
		snprintf(err, errlen, _("\"source\" is not one of config, "
		    "console, historian"));
		return -1;
	}
	if (w->source != MAINT_SRC_CONFIG && blank(w->announced_by)) {
		snprintf(err, errlen, _("\"announced_by\" is empty: a window "
		    "announced at a console names who announced it"));
		return -1;
	}
	if (w->start_us < 0 || w->start_us > MAINT_TIME_MAX_US) {
		snprintf(err, errlen, _("\"start\" is not within the years "
		    "1970 to 9999"));
		return -1;
	}
	if (w->end_us < 0 || w->end_us > MAINT_TIME_MAX_US) {
		snprintf(err, errlen, _("\"end\" is not within the years "
		    "1970 to 9999"));
		return -1;
	}
	format_time(w->start_us, a, sizeof a);
	format_time(w->end_us, b, sizeof b);
	if (w->end_us <= w->start_us) {
		snprintf(err, errlen, _("\"end\" (%s) is not after \"start\" "
		    "(%s)"), b, a);
		return -1;
	}
	if (w->end_us - w->start_us > MAINT_MAX_DURATION_US) {
		snprintf(err, errlen, _("\"end\" (%s) is more than %d days "
		    "after \"start\" (%s)"), b,
		    (int)(MAINT_MAX_DURATION_US / (24 * MAINT_US_PER_H)), a);
		return -1;
	}
	return 0;
}

void
maint_config_id(int64_t start_us, int64_t end_us, const char *reason,
    char out[MAINT_ID_MAX])
{
	char head[48];
	uint64_t h = UINT64_C(14695981039346656037);
	const unsigned char *parts[2];

	snprintf(head, sizeof head, "%" PRId64 "|%" PRId64 "|", start_us,
	    end_us);
	parts[0] = (const unsigned char *)head;
	parts[1] = (const unsigned char *)reason;
	for (int i = 0; i < 2; i++)
		for (const unsigned char *p = parts[i]; *p != '\0'; p++) {
			h ^= *p;
			h *= UINT64_C(1099511628211);
		}
	snprintf(out, MAINT_ID_MAX, "cfg-%016" PRIx64, h);
}

enum maint_phase
maint_window_phase(const struct maint_window *w, int64_t now_us)
{
	if (w->cancelled)
		return MAINT_NONE;
	if (now_us < w->start_us - MAINT_ANNOUNCE_US)
		return MAINT_NONE;
	if (now_us < w->start_us)
		return MAINT_ANNOUNCED;
	if (now_us < w->end_us)
		return MAINT_ACTIVE;
	return MAINT_NONE;
}

/* ---- the set ---------------------------------------------------------- */

void
maint_set_init(struct maint_set *s)
{
	memset(s, 0, sizeof *s);
}

static struct maint_window *
find(struct maint_set *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->w[i].id, id) == 0)
			return &s->w[i];
	return NULL;
}

const struct maint_window *
maint_set_find(const struct maint_set *s, const char *id)
{
	return find((struct maint_set *)s, id);
}

enum maint_result
maint_set_add(struct maint_set *s, const struct maint_window *w, char *err,
    size_t errlen)
{
	struct maint_window *old;

	if (maint_window_check(w, err, errlen) != 0)
		return MAINT_INVALID;
	old = find(s, w->id);
	if (old != NULL) {
		if (old->start_us != w->start_us || old->end_us != w->end_us ||
		    strcmp(old->reason, w->reason) != 0 ||
		    strcmp(old->announced_by, w->announced_by) != 0) {
			snprintf(err, errlen, _("window %s is known already "
			    "with another start, end, reason or announcer"),
			    w->id);
			return MAINT_CONFLICT;
		}
		if (w->cancelled && !old->cancelled) {
			old->cancelled = true;
			return MAINT_UPDATED;
		}
		return MAINT_UNCHANGED;
	}
	if (s->n == MAINT_SET_CAP) {
		snprintf(err, errlen, _("there are %d maintenance windows "
		    "already: no room for %s"), MAINT_SET_CAP, w->id);
		return MAINT_FULL;
	}
	s->w[s->n++] = *w;
	return MAINT_ADDED;
}

enum maint_result
maint_set_cancel(struct maint_set *s, const char *id)
{
	struct maint_window *w = find(s, id);

	if (w == NULL)
		return MAINT_NOT_FOUND;
	if (w->cancelled)
		return MAINT_UNCHANGED;
	w->cancelled = true;
	return MAINT_UPDATED;
}

size_t
maint_set_prune(struct maint_set *s, int64_t now_us, int64_t keep_us)
{
	size_t kept = 0, n = s->n;

	for (size_t i = 0; i < n; i++) {
		if (now_us - s->w[i].end_us > keep_us)
			continue;
		if (kept != i)
			s->w[kept] = s->w[i];
		kept++;
	}
	s->n = kept;
	return n - kept;
}

/* ---- banner and batch starts ------------------------------------------ */

/* Does a beat b: a ends later (active) or starts sooner (announced)? */
static bool
better(const struct maint_window *a, const struct maint_window *b,
    enum maint_phase phase)
{
	if (phase == MAINT_ACTIVE && a->end_us != b->end_us)
		return a->end_us > b->end_us;
	if (phase == MAINT_ANNOUNCED && a->start_us != b->start_us)
		return a->start_us < b->start_us;
	if (a->end_us != b->end_us)
		return a->end_us > b->end_us;
	return strcmp(a->id, b->id) < 0;
}

static const struct maint_window *
pick(const struct maint_set *s, int64_t now_us, enum maint_phase phase)
{
	const struct maint_window *best = NULL;

	for (size_t i = 0; i < s->n; i++) {
		const struct maint_window *w = &s->w[i];

		if (maint_window_phase(w, now_us) != phase)
			continue;
		if (best == NULL || better(w, best, phase))
			best = w;
	}
	return best;
}

/* The end of the stretch of maintenance that runs until end. */
static int64_t
stretch_end(const struct maint_set *s, int64_t end)
{
	bool grew = true;

	while (grew) {
		grew = false;
		for (size_t i = 0; i < s->n; i++) {
			const struct maint_window *w = &s->w[i];

			if (!w->cancelled && w->start_us <= end &&
			    w->end_us > end) {
				end = w->end_us;
				grew = true;
			}
		}
	}
	return end;
}

void
maint_banner(const struct maint_set *s, int64_t now_us,
    struct maint_banner *out)
{
	const struct maint_window *w;

	memset(out, 0, sizeof *out);
	if ((w = pick(s, now_us, MAINT_ACTIVE)) != NULL) {
		out->phase = MAINT_ACTIVE;
		out->until_us = stretch_end(s, w->end_us);
	} else if ((w = pick(s, now_us, MAINT_ANNOUNCED)) != NULL) {
		out->phase = MAINT_ANNOUNCED;
		out->until_us = w->start_us;
	} else
		return;
	out->w = *w;
	out->countdown_us = out->until_us - now_us;
}

bool
maint_batch_start_allowed(const struct maint_set *s, int64_t now_us,
    const struct maint_window **blocking)
{
	const struct maint_window *w = pick(s, now_us, MAINT_ACTIVE);

	if (blocking != NULL)
		*blocking = w;
	return w == NULL;
}

const struct maint_window *
maint_next_start_after(const struct maint_set *s, int64_t now_us)
{
	const struct maint_window *best = NULL;

	for (size_t i = 0; i < s->n; i++) {
		const struct maint_window *w = &s->w[i];

		if (w->cancelled || w->start_us <= now_us)
			continue;
		if (best == NULL || better(w, best, MAINT_ANNOUNCED))
			best = w;
	}
	return best;
}

/* ---- text ------------------------------------------------------------- */

void
maint_format_countdown(int64_t us, char *buf, size_t len)
{
	int64_t secs = 0;

	if (len == 0)
		return;
	if (us > 0)
		secs = us / MAINT_US_PER_S + (us % MAINT_US_PER_S != 0);
	snprintf(buf, len, "%02" PRId64 ":%02d:%02d", secs / 3600,
	    (int)(secs / 60 % 60), (int)(secs % 60));
}

void
maint_refusal_text(const struct maint_banner *b, char *buf, size_t len)
{
	char until[40];

	if (len == 0)
		return;
	format_time_human(b->until_us, until, sizeof until);
	snprintf(buf, len, _("Batch start refused: maintenance until %s "
	    "(%s)"), until, b->w.reason);
	utf8_trim_partial(buf);
}

/* ---- JSON ------------------------------------------------------------- */

json_t *
maint_window_to_json(const struct maint_window *w)
{
	char err[8], start[40], end[40];

	if (maint_window_check(w, err, sizeof err) != 0)
		return NULL;
	format_time(w->start_us, start, sizeof start);
	format_time(w->end_us, end, sizeof end);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}",
	    "id", w->id, "start", start, "end", end, "reason", w->reason,
	    "announced_by", w->announced_by,
	    "source", source_names[w->source], "cancelled", w->cancelled);
}

/* A string member into dst (size dstlen); 0, or -1 with a message. */
static int
get_string(const json_t *j, const char *key, bool required, char *dst,
    size_t dstlen, char *err, size_t errlen)
{
	const json_t *v = json_object_get(j, key);
	size_t n;

	if (v == NULL) {
		if (!required)
			return 0;
		snprintf(err, errlen, _("\"%s\" is missing"), key);
		return -1;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, _("\"%s\" must be a string"), key);
		return -1;
	}
	n = json_string_length(v);
	if (n != strlen(json_string_value(v))) {
		snprintf(err, errlen, _("\"%s\" contains a NUL character"), key);
		return -1;
	}
	if (n >= dstlen) {
		snprintf(err, errlen, _("\"%s\" is longer than %zu bytes"), key,
		    dstlen - 1);
		return -1;
	}
	memcpy(dst, json_string_value(v), n + 1);
	return 0;
}

static int
get_time(const json_t *j, const char *key, int64_t *out, char *err,
    size_t errlen)
{
	char text[64];

	if (get_string(j, key, true, text, sizeof text, err, errlen) != 0)
		return -1;
	return parse_time(key, text, out, err, errlen);
}

int
maint_window_from_json(const json_t *j, struct maint_window *out, char *err,
    size_t errlen)
{
	static const char *const keys[] = { "id", "start", "end", "reason",
	    "announced_by", "source", "cancelled" };
	struct maint_window w;
	char source[16] = "config";
	const char *key;
	const json_t *v;
	int src;

	if (!json_is_object(j)) {
		snprintf(err, errlen, _("a maintenance window must be a JSON "
		    "object"));
		return -1;
	}
	json_object_foreach((json_t *)j, key, v) {
		size_t k = 0;

		while (k < sizeof keys / sizeof keys[0] &&
		    strcmp(key, keys[k]) != 0)
			k++;
		if (k == sizeof keys / sizeof keys[0]) {
			snprintf(err, errlen, _("unknown key \"%.64s\""), key);
			return -1;
		}
	}
	memset(&w, 0, sizeof w);
	if (get_time(j, "start", &w.start_us, err, errlen) != 0 ||
	    get_time(j, "end", &w.end_us, err, errlen) != 0 ||
	    get_string(j, "reason", true, w.reason, sizeof w.reason, err,
	    errlen) != 0 ||
	    get_string(j, "id", false, w.id, sizeof w.id, err, errlen) != 0 ||
	    get_string(j, "announced_by", false, w.announced_by,
	    sizeof w.announced_by, err, errlen) != 0 ||
	    get_string(j, "source", false, source, sizeof source, err,
	    errlen) != 0)
		return -1;
	for (src = 0; src < MAINT_SRC_COUNT_; src++)
		if (strcmp(source, source_names[src]) == 0)
			break;
	if (src == MAINT_SRC_COUNT_) {
		snprintf(err, errlen, _("\"source\" is not one of config, "
		    "console, historian"));
		return -1;
	}
	w.source = (enum maint_source)src;
	v = json_object_get(j, "cancelled");
	if (v != NULL && !json_is_boolean(v)) {
		snprintf(err, errlen, _("\"cancelled\" must be true or false"));
		return -1;
	}
	w.cancelled = json_is_true(v);
	if (w.id[0] == '\0' && json_object_get(j, "id") == NULL)
		maint_config_id(w.start_us, w.end_us, w.reason, w.id);
	if (maint_window_check(&w, err, errlen) != 0)
		return -1;
	*out = w;
	return 0;
}
