/*
 * screen_audit.c: the audit trail as the operator sees it (F7).
 *
 * The engine publishes the newest events of the trail (copies, newest
 * first) and the outcome of its last check of the chain in the snapshot
 * (engine_audit.h); this screen only shows them.  The body is
 *
 *	line 1          the chain: intact (how many events checked, when) or
 *	                broken (the first fault, precisely), or not yet checked
 *	line 2          the filter, and how many events it shows
 *	line 3          the table head
 *	the rest        one event a line: seq, time, kind, actor, summary
 *
 * Keys (the app handles quit, help, screen switching and resize first,
 * except while the filter is being typed, when every key comes here):
 *
 *	Up / k, Down / j        move the selection one event
 *	PgUp, PgDn, Home, End   by a page, to the newest or the oldest
 *	Enter                   the selected event in detail: every field,
 *	                        each signature's manifestation (esign.h) and
 *	                        where the chain stands; Esc closes, Up/Down
 *	                        scroll
 *	/                       type a filter; Enter applies, Esc leaves it
 *	Esc                     clear the filter
 *
 * A filter is words: "kind:WORD" (or k:) keeps the events whose kind
 * contains WORD, "user:WORD" (or u:) those whose actor or signers contain
 * it, and a bare word either; all words must match, case ignored.  The
 * selection follows its event (by seq) when new events push it down.  An
 * event opened in detail is copied, so it stays readable when it leaves the
 * list of recent events.
 */
#include "config.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compliance/config_diff.h"
#include "compliance/esign.h"
#include "core/i18n.h"
#include "core/util.h"
#include "ui/draw.h"
#include "ui/field.h"
#include "ui/screen.h"
#include "ui/text.h"
#include "ui/theme.h"

#define FILTER_MAX 128
#define DETAIL_LINES 256
#define KIND_COLS 22
#define ACTOR_COLS 12

struct audit_screen {
	struct screen base;     /* first: the vtable */
	size_t sel, top;        /* in the filtered list */
	int64_t sel_seq;        /* the selected event, 0 none yet */
	int page;
	char filter[FILTER_MAX];
	bool editing;
	char edit[FILTER_MAX];
	bool edit_skip;         /* a character that did not fit (field.h) */
	/* The detail of one event, copied when opened. */
	bool detail;
	struct audit_row shown;
	int scroll, detail_page, detail_lines;
};

/* The user ids of the signatures in a payload, "olga sam". */
static void
payload_signers(const char *payload, char *buf, size_t len)
{
	json_t *root = json_loads(payload, 0, NULL), *sigs, *s;
	size_t i;

	buf[0] = '\0';
	sigs = json_object_get(root, "signatures");
	json_array_foreach(sigs, i, s) {
		const char *u = json_string_value(json_object_get(s, "user"));
		size_t used = strlen(buf);

		if (u != NULL)
			snprintf(buf + used, len - used, "%s%s", used ? " " : "",
			    u);
	}
	json_decref(root);
}

static bool
row_matches(const struct audit_row *r, const char *filter)
{
	char words[FILTER_MAX], signers[256];
	char *save = NULL, *w;
	bool ok = true;

	if (filter[0] == '\0')
		return true;
	str_copy(words, filter, sizeof words);
	payload_signers(r->payload, signers, sizeof signers);
	for (w = strtok_r(words, " ", &save); w != NULL && ok;
	    w = strtok_r(NULL, " ", &save)) {
		if (strncasecmp(w, "kind:", 5) == 0)
			ok = text_contains_ci(r->kind, w + 5);
		else if (strncasecmp(w, "k:", 2) == 0)
			ok = text_contains_ci(r->kind, w + 2);
		else if (strncasecmp(w, "user:", 5) == 0)
			ok = text_contains_ci(r->actor, w + 5) ||
			    text_contains_ci(signers, w + 5);
		else if (strncasecmp(w, "u:", 2) == 0)
			ok = text_contains_ci(r->actor, w + 2) ||
			    text_contains_ci(signers, w + 2);
		else
			ok = text_contains_ci(r->kind, w) ||
			    text_contains_ci(r->actor, w) ||
			    text_contains_ci(signers, w);
	}
	return ok;
}

/* Indices into the list of the events the filter keeps (newest first). */
static size_t
filtered(const struct audit_list *l, const char *filter, size_t *idx)
{
	size_t n = 0;

	for (size_t i = 0; l != NULL && i < l->n; i++)
		if (row_matches(&l->rows[i], filter))
			idx[n++] = i;
	return n;
}

/* A JSON value in a few characters: strings bare, numbers short. */
static void
value_text(const json_t *v, char *buf, size_t len)
{
	char *s;

	if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
		return;
	}
	if (json_is_real(v)) {
		snprintf(buf, len, "%.15g", json_real_value(v));
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	snprintf(buf, len, "%s", s != NULL ? s : "?");
	free(s);
}

/* Add text to buf, cut when it is full (never inside a character). */
static void
cat(char *buf, size_t len, const char *text)
{
	size_t used = strlen(buf), n = strlen(text);

	if (used + 1 >= len)
		return;
	if (n > len - used - 1) {
		n = len - used - 1;
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(buf + used, text, n);
	buf[used + n] = '\0';
}

static void
append(char *buf, size_t len, const char *text)
{
	size_t used = strlen(buf);

	if (used + 1 < len)
		snprintf(buf + used, len - used, "%s%s", used > 0 ? " " : "",
		    text);
}

/*
 * config_apply and config_rollback carry both versions' files whole (for
 * the auditor's export): the screen shows their difference instead.
 */
static bool
is_config_action(const json_t *a)
{
	const char *s = json_string_value(json_object_get(a, "action"));

	return s != NULL && (strcmp(s, "config_apply") == 0 ||
	    strcmp(s, "config_rollback") == 0);
}

/* "version 1 → 2: devices.json $.points[6].scale: 0.1 → 0.01" */
static void
config_summary(const json_t *a, char *buf, size_t len)
{
	const json_t *diff = json_object_get(a, "diff");
	size_t n = json_array_size(diff);
	char t[512], more[128];
	char *line = n == 1 ? config_diff_format(json_array_get(diff, 0)) :
	    NULL;

	if (line == NULL)
		snprintf(more, sizeof more, ngettext("%zu difference",
		    "%zu differences", (unsigned long)n), n);
	/* TRANSLATORS: old version, arrow, new version, what changed. */
	snprintf(t, sizeof t, _("version %d %s %d: %s"),
	    (int)json_integer_value(json_object_get(a, "old_version")),
	    text_utf8() ? "\xe2\x86\x92" : "->",
	    (int)json_integer_value(json_object_get(a, "new_version")),
	    line != NULL ? line : more);
	free(line);
	if (buf[0] != '\0')
		cat(buf, len, " ");
	cat(buf, len, t);
}

/* "FIC-101.SP 24 → 25.5 mL/min", or the action's fields as key=value. */
static void
action_summary(const json_t *a, char *buf, size_t len)
{
	const json_t *obj = json_object_get(a, "point");
	const json_t *oldv = json_object_get(a, "old");
	const json_t *newv = json_object_get(a, "new");
	const char *key;
	json_t *v;
	char t[256], o[64], n[64];

	if (is_config_action(a)) {
		config_summary(a, buf, len);
		return;
	}
	if (obj == NULL)
		obj = json_object_get(a, "device");
	if (json_is_string(obj))
		append(buf, len, json_string_value(obj));
	if (newv != NULL) {
		value_text(oldv != NULL ? oldv : json_null(), o, sizeof o);
		value_text(newv, n, sizeof n);
		snprintf(t, sizeof t, "%s %s %s", json_is_null(oldv) ||
		    oldv == NULL ? "?" : o, text_utf8() ? "\xe2\x86\x92" : "->",
		    n);
		append(buf, len, t);
		if (json_is_string(json_object_get(a, "unit")))
			append(buf, len, json_string_value(json_object_get(a,
			    "unit")));
		return;
	}
	json_object_foreach((json_t *)a, key, v) {
		if (strcmp(key, "action") == 0 || v == obj ||
		    json_is_object(v) || json_is_array(v))
			continue;
		value_text(v, n, sizeof n);
		snprintf(t, sizeof t, "%s=%s", key, n);
		append(buf, len, t);
	}
}

/* One line about an event, from its payload. */
static void
event_summary(const struct audit_row *r, char *buf, size_t len)
{
	json_t *root = json_loads(r->payload, 0, NULL), *v, *sigs;
	const char *key;
	char t[256], n[128];
	size_t i;

	buf[0] = '\0';
	if (!json_is_object(root)) {
		snprintf(buf, len, "%s", r->payload);
		json_decref(root);
		return;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "signatures") == 0)
			continue;
		if (json_is_object(v)) {
			action_summary(v, buf, len);
			continue;
		}
		if (json_is_array(v))
			continue;
		value_text(v, n, sizeof n);
		snprintf(t, sizeof t, "%s=%s", key, n);
		append(buf, len, t);
	}
	sigs = json_object_get(root, "signatures");
	if (json_array_size(sigs) > 0) {
		char names[128] = "";

		json_array_foreach(sigs, i, v) {
			const char *u = json_string_value(json_object_get(v,
			    "user"));
			const char *m = json_string_value(json_object_get(v,
			    "meaning"));
			enum esig_meaning em;

			if (u == NULL)
				continue;
			if (m != NULL && esig_meaning_parse(m, &em) == 0)
				snprintf(t, sizeof t, "%s%s (%s)", i > 0 ? ", " :
				    "", u, esig_meaning_label(em));
			else
				snprintf(t, sizeof t, "%s%s", i > 0 ? ", " : "",
				    u);
			cat(names, sizeof names, t);
		}
		/* TRANSLATORS: the signers of an audit event, "olga, sam". */
		snprintf(t, sizeof t, _("signed: %s"), names);
		append(buf, len, t);
	}
	json_decref(root);
}

static void
format_time(int64_t us, char *buf, size_t len, bool wide)
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;

	if (localtime_r(&secs, &tm) == NULL ||
	    strftime(buf, len, wide ? "%m-%d %H:%M:%S" : "%H:%M:%S", &tm) == 0)
		snprintf(buf, len, "?");
}

/* The chain line: what the engine's last check found. */
static void
chain_text(const struct audit_status *st, char *buf, size_t len,
    enum theme_role *role)
{
	char when[32];

	if (!st->verified) {
		snprintf(buf, len, "%s", _("Chain: not verified yet"));
		*role = ROLE_DIM;
		return;
	}
	format_time(st->at_us, when, sizeof when, false);
	if (st->intact) {
		snprintf(buf, len, ngettext("Chain: intact, %lld event checked "
		    "(%lld user signatures) at %s", "Chain: intact, %lld events "
		    "checked (%lld user signatures) at %s",
		    (unsigned long)st->checked), (long long)st->checked,
		    (long long)st->user_signatures, when);
		*role = ROLE_GOOD;
	} else {
		/* TRANSLATORS: event seq, what is wrong, time of the check. */
		snprintf(buf, len, _("Chain: BROKEN at event %lld: %s (checked "
		    "at %s)"), (long long)st->fault_seq, st->fault, when);
		*role = ROLE_BAD;
	}
}

/* Columns: seq, time, kind, actor, summary (x and w of each). */
struct audit_cols {
	int x[5], w[5];
};

/* As wide as the widest cell of the list (with a blank each side). */
static int
col_width(const struct audit_list *l, size_t field, int head, int least,
    int most)
{
	int w = head;

	for (size_t i = 0; l != NULL && i < l->n; i++) {
		const struct audit_row *r = &l->rows[i];
		int cw;

		if (field == 0) {
			char seq[24];

			snprintf(seq, sizeof seq, "%lld", (long long)r->seq);
			cw = text_width(seq);
		} else
			cw = text_width(field == 2 ? r->kind : r->actor);
		if (cw > w)
			w = cw;
	}
	w += 2;
	return w < least ? least : w > most ? most : w;
}

static void
audit_cols(struct audit_cols *c, int width, const struct audit_list *l)
{
	int want[4] = {
		col_width(l, 0, text_width(_("Seq")), 5, 12),
		width >= 90 ? 16 : 10,
		col_width(l, 2, text_width(_("Kind")), 6, KIND_COLS),
		col_width(l, 3, text_width(_("Actor")), 7, ACTOR_COLS),
	};
	int x = 0;

	for (int i = 0; i < 4; i++) {
		c->x[i] = x;
		c->w[i] = want[i];
		x += want[i] + 1;
	}
	c->x[4] = x;
	c->w[4] = width - x;
	if (c->w[4] < 0)
		c->w[4] = 0;
}

static void
draw_row(WINDOW *win, int y, int x0, const struct audit_cols *c,
    const char *const text[5], attr_t attr)
{
	for (int i = 0; i < 5; i++) {
		if (c->w[i] <= 0)
			continue;
		draw_text(win, y, x0 + c->x[i], c->w[i], attr, ALIGN_LEFT, "");
		if (c->w[i] > 2)
			draw_text_cut(win, y, x0 + c->x[i] + 1, c->w[i] - 2,
			    attr, i == 0 ? ALIGN_RIGHT : ALIGN_LEFT, text[i]);
		if (i < 4 && c->x[i] + c->w[i] < c->x[4] + c->w[4])
			draw_text(win, y, x0 + c->x[i] + c->w[i], 1, attr,
			    ALIGN_LEFT, theme_vline());
	}
}

/* Keep the selection on its event, in range, and visible. */
static void
sync_selection(struct audit_screen *as, const struct audit_list *l,
    const size_t *idx, size_t n)
{
	size_t page = as->page > 0 ? (size_t)as->page : 1;

	for (size_t i = 0; as->sel_seq != 0 && i < n; i++)
		if (l->rows[idx[i]].seq == as->sel_seq) {
			as->sel = i;
			break;
		}
	if (n == 0) {
		as->sel = as->top = 0;
		as->sel_seq = 0;
		return;
	}
	if (as->sel >= n)
		as->sel = n - 1;
	as->sel_seq = l->rows[idx[as->sel]].seq;
	if (as->sel < as->top)
		as->top = as->sel;
	if (as->sel >= as->top + page)
		as->top = as->sel - page + 1;
	if (n <= page)
		as->top = 0;
	else if (as->top > n - page)
		as->top = n - page;
}

/*
 * A configuration change in detail, from lines[k]: its fields, the hashes
 * of the files before and after, and the difference a line an entry.
 * Returns the new k.
 */
static int
config_lines(const json_t *a, char **lines, int k, int max)
{
	const char *key, *dash = text_utf8() ? "\xe2\x80\x94" : "-";
	const char *arrow = text_utf8() ? "\xe2\x86\x92" : "->";
	const json_t *v, *diff = json_object_get(a, "diff");
	char t[1024], n[512];
	size_t i;

#define ADD(...) do { if (k < max) { snprintf(t, sizeof t, __VA_ARGS__); \
	lines[k++] = xstrdup(t); } } while (0)

	json_object_foreach((json_t *)a, key, v) {
		if (strcmp(key, "old") == 0 || strcmp(key, "new") == 0 ||
		    strcmp(key, "diff") == 0 || strcmp(key, "files") == 0)
			continue;
		value_text(v, n, sizeof n);
		ADD("    %s: %s", key, n);
	}
	json_object_foreach(json_object_get(a, "files"), key, v) {
		const char *o = json_string_value(json_object_get(v,
		    "old_sha256"));
		const char *nw = json_string_value(json_object_get(v,
		    "new_sha256"));

		/* TRANSLATORS: file, old SHA-256, arrow, new SHA-256. */
		ADD(_("    %s sha256: %s %s %s"), key, o != NULL ? o : dash,
		    arrow, nw != NULL ? nw : dash);
	}
	ADD(ngettext("    difference (%zu entry):",
	    "    difference (%zu entries):",
	    (unsigned long)json_array_size(diff)), json_array_size(diff));
	json_array_foreach(diff, i, v) {
		char *line = config_diff_format(v);

		ADD("      %s", line);
		free(line);
	}
	ADD("%s", _("    old, new: both versions' files whole (audit export)"));
#undef ADD
	return k;
}

/* The detail as lines (malloc'ed each; the caller frees them). */
static int
detail_lines(const struct audit_screen *as, const struct audit_status *st,
    char **lines, int max)
{
	const struct audit_row *r = &as->shown;
	json_t *root = json_loads(r->payload, 0, NULL), *v, *sigs;
	const char *key;
	char t[1024], n[512], when[40];
	int k = 0;
	size_t i;

#define LINE(...) do { if (k < max) { snprintf(t, sizeof t, __VA_ARGS__); \
	lines[k++] = xstrdup(t); } } while (0)

	LINE(_("Event %lld: %s"), (long long)r->seq, r->kind);
	format_rfc3339_us(r->ts_us, when, sizeof when);
	LINE(_("Time: %s"), when);
	LINE(_("Actor: %s"), r->actor[0] != '\0' ? r->actor :
	    _("(the console)"));
	if (!json_is_object(root)) {
		LINE("%s", r->payload);
	} else {
		json_object_foreach(root, key, v) {
			const char *k2;
			json_t *v2;

			if (strcmp(key, "signatures") == 0)
				continue;
			if (!json_is_object(v)) {
				value_text(v, n, sizeof n);
				LINE("%s: %s", key, n);
				continue;
			}
			LINE("%s:", key);
			if (is_config_action(v)) {
				k = config_lines(v, lines, k, max);
				continue;
			}
			json_object_foreach(v, k2, v2) {
				value_text(v2, n, sizeof n);
				LINE("    %s: %s", k2, n);
			}
		}
	}
	sigs = json_object_get(root, "signatures");
	if (json_array_size(sigs) > 0)
		LINE("%s", _("Signatures:"));
	json_array_foreach(sigs, i, v) {
		struct esig s;
		char err[160];

		if (esig_from_json(v, &s, err, sizeof err) != 0) {
			/* TRANSLATORS: number, why the signature is unreadable. */
			LINE(_("  %zu. unreadable: %s"), i + 1, err);
			continue;
		}
		esig_manifestation(&s, n, sizeof n);
		LINE("  %zu. %s", i + 1, n);
	}
	json_decref(root);
	LINE("%s", "");
	if (st->verified && !st->intact && st->fault_seq == r->seq)
		LINE("%s", _("The chain breaks at this event."));
	chain_text(st, n, sizeof n, &(enum theme_role){ ROLE_NORMAL });
	LINE("%s", n);
#undef LINE
	return k;
}

static void
draw_detail(struct audit_screen *as, WINDOW *win, const struct view *v)
{
	const struct rect *a = &v->area;
	static const struct audit_status none;
	const struct audit_status *st = v->snap != NULL ?
	    &v->snap->audit_status : &none;
	char *lines[DETAIL_LINES];
	const char *wrapped[DETAIL_LINES * 4];
	size_t wlen[DETAIL_LINES * 4];
	bool indent[DETAIL_LINES * 4];
	int n = detail_lines(as, st, lines, DETAIL_LINES), nw = 0, cols;

	cols = a->w - 2;
	if (cols < 8)
		cols = 8;
	for (int i = 0; i < n; i++) {
		const char *p = lines[i];

		do {
			bool cont = p != lines[i];
			size_t len = text_wrap(p, cont ? cols - 4 : cols);

			if (nw >= DETAIL_LINES * 4)
				break;
			wrapped[nw] = p;
			wlen[nw] = len;
			indent[nw++] = cont;
			p += len;
			while (*p == ' ')
				p++;
		} while (*p != '\0');
	}
	as->detail_page = a->h - 1;
	as->detail_lines = nw;
	if (as->scroll > nw - as->detail_page)
		as->scroll = nw - as->detail_page;
	if (as->scroll < 0)
		as->scroll = 0;
	draw_text(win, a->y, a->x, a->w, theme_attr(ROLE_TABLE_HEAD),
	    ALIGN_LEFT, _(" Audit event — Esc returns to the list"));
	for (int i = 0; i < as->detail_page && as->scroll + i < nw; i++) {
		int k = as->scroll + i;
		char line[1100];
		bool bad = st->verified && !st->intact &&
		    st->fault_seq == as->shown.seq;
		enum theme_role role = ROLE_NORMAL;

		snprintf(line, sizeof line, "%s%.*s", indent[k] ? "    " : "",
		    (int)wlen[k], wrapped[k]);
		if (bad && strstr(line, _("The chain breaks at this event.")))
			role = ROLE_BAD;
		draw_text(win, a->y + 1 + i, a->x + 1, a->w - 1,
		    theme_attr(role), ALIGN_LEFT, line);
	}
	for (int i = 0; i < n; i++)
		free(lines[i]);
}

static void
audit_draw(struct screen *s, WINDOW *win, const struct view *v)
{
	struct audit_screen *as = (struct audit_screen *)s;
	const struct rect *a = &v->area;
	const struct audit_list *l = v->snap != NULL ? v->snap->audit : NULL;
	size_t idx[AUDIT_RECENT_MAX + 1], n;
	struct audit_cols c;
	enum theme_role role;
	char text[512], seq[24], when[32], summary[512];
	const char *cells[5];

	if (a->h <= 0 || a->w <= 0)
		return;
	if (as->detail) {
		draw_detail(as, win, v);
		return;
	}
	chain_text(&v->snap->audit_status, text, sizeof text, &role);
	draw_text_cut(win, a->y, a->x + 1, a->w - 1, theme_attr(role),
	    ALIGN_LEFT, text);
	n = filtered(l, as->filter, idx);
	if (a->h > 1) {
		if (as->editing) {
			snprintf(text, sizeof text, _("Filter: %s_"),
			    as->edit);
			draw_text_cut(win, a->y + 1, a->x + 1, a->w - 1,
			    theme_attr(ROLE_FIELD), ALIGN_LEFT, text);
		} else if (as->filter[0] != '\0') {
			/* TRANSLATORS: filter, shown, all. */
			snprintf(text, sizeof text, _("Filter: %s — %zu of %zu "
			    "events"), as->filter, n, l != NULL ? l->n : 0);
			draw_text_cut(win, a->y + 1, a->x + 1, a->w - 1,
			    theme_attr(ROLE_WARN), ALIGN_LEFT, text);
		} else {
			snprintf(text, sizeof text, ngettext("%zu recent event, "
			    "newest first (/ filters by kind or user)",
			    "%zu recent events, newest first (/ filters by "
			    "kind or user)", (unsigned long)n), n);
			draw_text_cut(win, a->y + 1, a->x + 1, a->w - 1,
			    theme_attr(ROLE_DIM), ALIGN_LEFT, text);
		}
	}
	if (a->h <= 2)
		return;
	audit_cols(&c, a->w, l);
	cells[0] = _("Seq");
	cells[1] = _("Time");
	cells[2] = _("Kind");
	cells[3] = _("Actor");
	cells[4] = _("Summary");
	draw_text(win, a->y + 2, a->x, a->w, theme_attr(ROLE_TABLE_HEAD),
	    ALIGN_LEFT, "");
	draw_row(win, a->y + 2, a->x, &c, cells, theme_attr(ROLE_TABLE_HEAD));
	as->page = a->h - 3;
	sync_selection(as, l, idx, n);
	if (n == 0 && a->h > 4)
		draw_text(win, a->y + 4, a->x, a->w, theme_attr(ROLE_DIM),
		    ALIGN_CENTER, l == NULL ? _("Reading the audit trail…") :
		    _("No events."));
	for (int i = 0; i < as->page && as->top + (size_t)i < n; i++) {
		size_t k = as->top + (size_t)i;
		const struct audit_row *r = &l->rows[idx[k]];
		bool sel = k == as->sel;

		snprintf(seq, sizeof seq, "%lld", (long long)r->seq);
		format_time(r->ts_us, when, sizeof when, c.w[1] >= 16);
		event_summary(r, summary, sizeof summary);
		cells[0] = seq;
		cells[1] = when;
		cells[2] = r->kind;
		cells[3] = r->actor[0] != '\0' ? r->actor : "-";
		cells[4] = summary;
		draw_row(win, a->y + 3 + i, a->x, &c, cells,
		    theme_attr(sel ? ROLE_SELECTED : ROLE_NORMAL));
	}
}

static void
detail_open(struct audit_screen *as, const struct audit_list *l,
    const size_t *idx, size_t n)
{
	const struct audit_row *r;

	if (n == 0 || as->sel >= n)
		return;
	r = &l->rows[idx[as->sel]];
	free(as->shown.payload);
	as->shown = *r;
	as->shown.payload = xstrdup(r->payload);
	as->detail = true;
	as->scroll = 0;
}

static bool
detail_key(struct audit_screen *as, int key)
{
	int page = as->detail_page > 1 ? as->detail_page - 1 : 1;

	switch (key) {
	case 27:
	case '\n':
	case '\r':
	case KEY_ENTER:
	case KEY_BACKSPACE:
	case 127:
		as->detail = false;
		return true;
	case KEY_UP:
	case 'k':
		as->scroll--;
		break;
	case KEY_DOWN:
	case 'j':
		as->scroll++;
		break;
	case KEY_PPAGE:
		as->scroll -= page;
		break;
	case KEY_NPAGE:
	case ' ':
		as->scroll += page;
		break;
	case KEY_HOME:
		as->scroll = 0;
		break;
	case KEY_END:
		as->scroll = as->detail_lines;
		break;
	default:
		return false;
	}
	if (as->scroll > as->detail_lines - as->detail_page)
		as->scroll = as->detail_lines - as->detail_page;
	if (as->scroll < 0)
		as->scroll = 0;
	return true;
}

static bool
edit_key(struct audit_screen *as, int key)
{
	switch (field_key_of(key)) {
	case FIELD_KEY_CANCEL:
		as->editing = false;
		return true;
	case FIELD_KEY_ENTER:
		str_copy(as->filter, as->edit, sizeof as->filter);
		as->editing = false;
		as->sel = as->top = 0;
		as->sel_seq = 0;
		return true;
	default:
		field_edit(as->edit, sizeof as->edit, &as->edit_skip, key);
		return true;
	}
}

static void
move_by(struct audit_screen *as, long delta, size_t n)
{
	if (n == 0)
		return;
	as->sel = selection_moved(as->sel, delta, n);
	as->sel_seq = 0;        /* follow the index; the draw takes its seq */
}

static bool
audit_key(struct screen *s, int key, const struct view *v,
    struct key_result *out)
{
	struct audit_screen *as = (struct audit_screen *)s;
	const struct audit_list *l = v->snap != NULL ? v->snap->audit : NULL;
	size_t idx[AUDIT_RECENT_MAX + 1], n = filtered(l, as->filter, idx);
	long page = as->page > 1 ? as->page - 1 : 1;

	(void)out;
	if (as->editing)
		return edit_key(as, key);
	if (as->detail)
		return detail_key(as, key);
	/* The selection as the last draw left it. */
	sync_selection(as, l, idx, n);
	switch (key) {
	case KEY_UP:
	case 'k':
		move_by(as, -1, n);
		return true;
	case KEY_DOWN:
	case 'j':
		move_by(as, 1, n);
		return true;
	case KEY_PPAGE:
		move_by(as, -page, n);
		return true;
	case KEY_NPAGE:
	case ' ':
		move_by(as, page, n);
		return true;
	case KEY_HOME:
	case 'g':
		move_by(as, -(long)n, n);
		return true;
	case KEY_END:
	case 'G':
		move_by(as, (long)n, n);
		return true;
	case '\n':
	case '\r':
	case KEY_ENTER:
		detail_open(as, l, idx, n);
		return true;
	case '/':
		as->editing = true;
		str_copy(as->edit, as->filter, sizeof as->edit);
		return true;
	case 27:
		if (as->filter[0] == '\0')
			return false;
		as->filter[0] = '\0';
		as->sel_seq = 0;
		return true;
	default:
		return false;
	}
}

static unsigned
audit_keys(struct screen *s, const struct view *v)
{
	struct audit_screen *as = (struct audit_screen *)s;
	const struct audit_list *l = v->snap != NULL ? v->snap->audit : NULL;
	unsigned keys = SCREEN_KEY_FILTER;

	if (as->detail)
		return SCREEN_KEY_CLOSE | SCREEN_KEY_SCROLL;
	if (l != NULL && l->n > 0)
		keys |= SCREEN_KEY_DETAIL;
	if (as->filter[0] != '\0')
		keys |= SCREEN_KEY_CLEAR;
	return keys;
}

static bool
audit_grabs_keys(struct screen *s)
{
	return ((struct audit_screen *)s)->editing;
}

static void
audit_free(struct screen *s)
{
	struct audit_screen *as = (struct audit_screen *)s;

	free(as->shown.payload);
	free(as);
}

struct screen *
screen_audit_new(void)
{
	struct audit_screen *as = xcalloc(1, sizeof *as);

	as->base.draw = audit_draw;
	as->base.key = audit_key;
	as->base.keys = audit_keys;
	as->base.grabs_keys = audit_grabs_keys;
	as->base.free = audit_free;
	as->page = 1;
	return &as->base;
}
