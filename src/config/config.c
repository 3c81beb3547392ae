/*
 * config.c: load app.json and devices.json, validate them whole, build the
 * model.
 *
 * Loading is a transaction: every rule is checked against both files and
 * every violation is collected, so one run of `jope-smb check-config` shows
 * all that is wrong; the model is handed out only when nothing is.
 *
 * jansson parses; jsonpos (a second, position-only scan of the same text)
 * turns a JSON path into line:column.  Validation walks the jansson tree and
 * names each place by its path, so an error points at the offending value,
 * at the key for an unknown or repeated key, and at the enclosing object
 * for a missing key.  The getters of config_check.h do the type, range and
 * enum checks once; the per-object functions here say only which keys exist
 * and what they mean.  References between sections are resolved through
 * sorted id indices that also find duplicate ids.  Alarm limits and
 * maintenance windows are judged by their own modules (alarm_limits_check,
 * maint_window_from_json), whose reason is reported at the object it is
 * about.  The schema is documented in doc/configuration.md; keep the two in
 * step.
 */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "config/config.h"
#include "config/config_check.h"
#include "config/jsonpos.h"
#include "core/i18n.h"
#include "core/util.h"

#define SECONDS_MAX 604800.0        /* a week: bounds every executor time */
#define THREADS_MAX 4096
#define RETRIES_MAX 100
#define PERIOD_MS_MAX 604800000LL   /* a week */
#define TIMEOUT_MS_MAX 60000
#define FILE_MAX (16 * 1024 * 1024)   /* no configuration is near this */
#define READ_MAX_REGISTERS 125      /* Modbus: one read of registers */
#define PIXELS_MAX 16384
#define ALARM_DELAY_S_MAX 3600.0    /* an on-delay of an hour is plenty */
#define RUN_MIN_MAX 1440.0          /* one SMB run: at most a day */
#define EXPECTED_H_MAX 8760.0       /* one batch: at most a year */


/* Ids of one section, sorted for duplicate detection and lookup. */
struct id_ref {
	const char *id;
	size_t idx;
};
struct id_index {
	struct id_ref *v;
	size_t n;
};

enum section { SEC_CONNECTORS, SEC_DEVICES, SEC_POINTS, SEC_SPECTRA,
	SEC_EVENTS, SEC_RECIPES };

static const char *const section_key[] = {
	"connectors", "devices", "points", "spectra", "events", "recipes"
};

/* Names of the enums as the JSON files spell them (model.h order). */
static const char *const table_names[] = { "coil", "discrete_input",
    "input_register", "holding_register", NULL };
static const char *const order_names[] = { "ABCD", "CDAB", "BADC", "DCBA",
    NULL };

/* Seconds (fractional allowed) stored as milliseconds. */
static int
get_seconds_ms(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int64_t *ms)
{
	double s;
	int rc = cfg_get_number(c, obj, path, key, OPT, 0.001, SECONDS_MAX, &s);

	if (rc == 1)
		*ms = (int64_t)(s * 1000.0 + 0.5);     /* s > 0: rounds */
	return rc;
}

/* --- id indices ----------------------------------------------------------- */

static int
cmp_id_ref(const void *a, const void *b)
{
	const struct id_ref *x = a, *y = b;
	int d = strcmp(x->id, y->id);

	if (d != 0)
		return d;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void
report_duplicate_id(const struct ctx *c, enum section sec, size_t first,
    size_t dup, const char *id)
{
	char fpath[PATH_LEN], dpath[PATH_LEN], base[64];
	const struct jsonpos_entry *e;
	int line;

	snprintf(base, sizeof(base), "$.%s", section_key[sec]);
	jsonpos_path_index(fpath, sizeof(fpath), base, first);
	jsonpos_path_index(dpath, sizeof(dpath), base, dup);
	strncat(fpath, ".id", sizeof(fpath) - strlen(fpath) - 1);
	strncat(dpath, ".id", sizeof(dpath) - strlen(dpath) - 1);
	e = jsonpos_find(&c->pos, fpath, JSONPOS_VALUE);
	line = e ? e->line : 0;
	switch (sec) {
	case SEC_CONNECTORS:
		cfg_report(c, dpath, JSONPOS_VALUE, _("duplicate connector id "
		    "\"%s\" (first at line %d)"), id, line);
		break;
	case SEC_DEVICES:
		cfg_report(c, dpath, JSONPOS_VALUE, _("duplicate device id "
		    "\"%s\" (first at line %d)"), id, line);
		break;
	case SEC_POINTS:
		cfg_report(c, dpath, JSONPOS_VALUE, _("duplicate point id "
		    "\"%s\" (first at line %d)"), id, line);
		break;
	case SEC_SPECTRA:
		cfg_report(c, dpath, JSONPOS_VALUE, _("duplicate spectrum id "
		    "\"%s\" (first at line %d)"), id, line);
		break;
	case SEC_EVENTS:
		cfg_report(c, dpath, JSONPOS_VALUE, _("duplicate event id "
		    "\"%s\" (first at line %d)"), id, line);
		break;
	case SEC_RECIPES:
		cfg_report(c, dpath, JSONPOS_VALUE, _("duplicate recipe id "
		    "\"%s\" (first at line %d)"), id, line);
		break;
	}
}

/*
 * Sort the n ids in ix (empty ones, from elements whose id was missing or
 * invalid, are dropped), report every repeat at the later element, and keep
 * only the first of each so that lookups resolve to it.
 */
static void
index_finish(const struct ctx *c, struct id_index *ix, enum section sec)
{
	size_t k, out = 0, run = 0;

	for (k = 0; k < ix->n; k++)
		if (ix->v[k].id[0] != '\0')
			ix->v[out++] = ix->v[k];
	ix->n = out;
	if (ix->n > 1)
		qsort(ix->v, ix->n, sizeof(*ix->v), cmp_id_ref);
	out = 0;
	for (k = 0; k < ix->n; k++) {
		if (k > 0 && strcmp(ix->v[k].id, ix->v[run].id) == 0) {
			report_duplicate_id(c, sec, ix->v[run].idx,
			    ix->v[k].idx, ix->v[k].id);
			continue;
		}
		run = k;
		ix->v[out++] = ix->v[k];
	}
	ix->n = out;
}

/* Index of id, or -1. */
static long
index_find(const struct id_index *ix, const char *id)
{
	struct id_ref key = { id, 0 };
	size_t lo = 0, hi = ix->n, mid;
	int d;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		d = strcmp(key.id, ix->v[mid].id);
		if (d == 0)
			return (long)ix->v[mid].idx;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* A reference v (at path) to an element of section sec: its index or -1. */
static long
resolve_ref(const struct ctx *c, const json_t *v, const char *path,
    const struct id_index *ix, enum section sec)
{
	const char *id;
	long k;

	if (cfg_check_type(c, v, path, W_STRING) == -1)
		return -1;
	id = json_string_value(v);
	if ((k = index_find(ix, id)) >= 0)
		return k;
	switch (sec) {
	case SEC_CONNECTORS:
		cfg_report(c, path, JSONPOS_VALUE, _("unknown connector \"%.64s\""),
		    id);
		break;
	case SEC_DEVICES:
		cfg_report(c, path, JSONPOS_VALUE, _("unknown device \"%.64s\""), id);
		break;
	case SEC_POINTS:
		cfg_report(c, path, JSONPOS_VALUE, _("unknown point \"%.64s\""), id);
		break;
	case SEC_SPECTRA:
		cfg_report(c, path, JSONPOS_VALUE, _("unknown spectrum \"%.64s\""),
		    id);
		break;
	case SEC_EVENTS:
	case SEC_RECIPES:               /* nothing refers to these */
		break;
	}
	return -1;
}

/* The member key of obj as a reference; -1 if absent or unresolved. */
static long
get_ref(const struct ctx *c, json_t *obj, const char *path, const char *key,
    const struct id_index *ix, enum section sec)
{
	char cpath[PATH_LEN];
	json_t *v = cfg_get_member(c, obj, path, key, REQ, cpath);

	return v != NULL ? resolve_ref(c, v, cpath, ix, sec) : -1;
}

/* --- app.json ------------------------------------------------------------- */

/*
 * tcp://HOST:PORT (HOST a name, an IPv4 address or [IPv6], PORT 1..65535)
 * or ipc://PATH: what zmq_connect takes, checked here so that a typo is a
 * located error and not a console that silently runs without inference.
 */
static bool
zmq_endpoint_ok(const char *e)
{
	const char *host, *colon;
	char *end;
	long port;

	if (strncmp(e, "ipc://", 6) == 0)
		return e[6] != '\0';
	if (strncmp(e, "tcp://", 6) != 0)
		return false;
	host = e + 6;
	colon = strrchr(host, ':');
	if (colon == NULL || colon == host)
		return false;
	if (host[0] == '[' && colon[-1] != ']')
		return false;
	for (const char *p = host; p < colon; p++)
		if (*p == ' ' || *p == '/' || *p == '\t')
			return false;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	return errno == 0 && *end == '\0' && end != colon + 1 && port >= 1 &&
	    port <= 65535;
}

static void
check_inference(const struct ctx *c, json_t *root, struct app_config *app)
{
	static const char *const keys[] = { "endpoint", "model", "timeout_ms",
	    "heartbeat_ms", "target_p95_ms", "latency_window", "queue_max",
	    NULL };
	struct inference_config *ic = &app->inference;
	char path[PATH_LEN], epath[PATH_LEN];
	json_t *o = cfg_get_typed(c, root, "$", "inference", OPT, W_OBJECT, path);
	const char *e = app->inference_endpoint;
	long long n;
	double d;

	if (o == NULL)
		return;
	cfg_check_keys(c, o, path, keys);
	/* Sent as a protocol id, and part of every prediction's tag. */
	cfg_get_id(c, o, path, "model", OPT, ic->model);
	if (cfg_get_int(c, o, path, "timeout_ms", OPT, 10, 60000, &n) == 1)
		ic->timeout_ms = n;
	if (cfg_get_int(c, o, path, "heartbeat_ms", OPT, 100, 3600000, &n) == 1)
		ic->heartbeat_ms = n;
	if (cfg_get_number(c, o, path, "target_p95_ms", OPT, 0.01, 60000,
	    &d) == 1)
		ic->target_p95_ms = d;
	if (cfg_get_int(c, o, path, "latency_window", OPT, 10, 100000, &n) == 1)
		ic->latency_window = (int)n;
	if (cfg_get_int(c, o, path, "queue_max", OPT, 1, 1000, &n) == 1)
		ic->queue_max = (int)n;
	if (cfg_get_string(c, o, path, "endpoint", OPT, app->inference_endpoint,
	    sizeof(app->inference_endpoint)) != 1 || *e == '\0')
		return;
	if (!zmq_endpoint_ok(e)) {
		jsonpos_path_key(epath, sizeof(epath), path, "endpoint");
		cfg_report(c, epath, JSONPOS_VALUE, _("not a ZeroMQ endpoint "
		    "(tcp://host:port or ipc://path)"));
	}
}

/*
 * A password in the conninfo would sit in a world-readable file: refuse
 * "password=" (also sslpassword=, any case, spaces before '=') and the
 * user:secret@ part of a postgresql:// URI.
 */
static int
conninfo_has_password(const char *s)
{
	const char *p, *a, *at = NULL;
	size_t k, alen;

	for (p = s; *p != '\0'; p++) {
		if (strncasecmp(p, "password", 8) != 0)
			continue;
		for (k = 8; p[k] == ' ' || p[k] == '\t'; k++)
			;
		if (p[k] == '=')
			return 1;
	}
	if (strncmp(s, "postgresql://", 13) != 0 &&
	    strncmp(s, "postgres://", 11) != 0)
		return 0;
	a = strstr(s, "://") + 3;
	alen = strcspn(a, "/?");
	for (k = 0; k < alen; k++)
		if (a[k] == '@')
			at = a + k;
	return at != NULL && memchr(a, ':', (size_t)(at - a)) != NULL;
}

static void
check_historian(const struct ctx *c, json_t *root, struct app_config *app)
{
	static const char *const keys[] = { "conninfo", "password_file",
	    "batch_rows", "retry_min_s", "retry_max_s", "timeout_s",
	    "retention_years", NULL };
	struct historian_config *h = &app->historian;
	char path[PATH_LEN], cpath[PATH_LEN];
	json_t *o = cfg_get_typed(c, root, "$", "historian", OPT, W_OBJECT, path);
	long long n;
	double s;

	if (o == NULL)
		return;
	cfg_check_keys(c, o, path, keys);
	cfg_get_string(c, o, path, "password_file", OPT | NONEMPTY,
	    h->password_file, sizeof(h->password_file));
	if (cfg_get_int(c, o, path, "batch_rows", OPT, 1, 1000000, &n) == 1)
		h->batch_rows = n;
	if (cfg_get_number(c, o, path, "retry_min_s", OPT, 0.01, 3600, &s) == 1)
		h->retry_min_ms = (int64_t)(s * 1000.0 + 0.5);
	if (cfg_get_number(c, o, path, "retry_max_s", OPT, 0.01, 3600, &s) == 1)
		h->retry_max_ms = (int64_t)(s * 1000.0 + 0.5);
	if (cfg_get_number(c, o, path, "timeout_s", OPT, 0.1, 3600, &s) == 1)
		h->timeout_ms = (int64_t)(s * 1000.0 + 0.5);
	if (cfg_get_int(c, o, path, "retention_years", OPT, 1, 100, &n) == 1)
		h->retention_years = (int)n;
	if (h->retry_max_ms < h->retry_min_ms) {
		jsonpos_path_key(cpath, sizeof(cpath), path, "retry_max_s");
		cfg_report(c, cpath, JSONPOS_VALUE,
		    _("must not be less than retry_min_s"));
	}
	if (cfg_get_string(c, o, path, "conninfo", OPT, app->historian_conninfo,
	    sizeof(app->historian_conninfo)) != 1)
		return;
	if (conninfo_has_password(app->historian_conninfo)) {
		jsonpos_path_key(cpath, sizeof(cpath), path, "conninfo");
		cfg_report(c, cpath, JSONPOS_VALUE, _("must not contain a password: "
		    "give it in password_file, PGPASSFILE or PGPASSWORD"));
	}
}

static void
check_storage(const struct ctx *c, json_t *root, struct app_config *app)
{
	static const char *const keys[] = { "spool", "durability",
	    "retention_days", "max_mb", "min_free_mb", NULL };
	static const char *const durability[] = { "full", "normal", NULL };
	struct storage_config *st = &app->storage;
	char path[PATH_LEN];
	json_t *o = cfg_get_typed(c, root, "$", "storage", OPT, W_OBJECT, path);
	double d;
	int k;

	if (o == NULL)
		return;
	cfg_check_keys(c, o, path, keys);
	cfg_get_string(c, o, path, "spool", NONEMPTY, app->storage_path,
	    sizeof(app->storage_path));
	if (cfg_get_enum(c, o, path, "durability", OPT, durability, &k) == 1)
		st->sync_full = k == 0;
	/* Fractions of a day are allowed: tests and trials use minutes. */
	if (cfg_get_number(c, o, path, "retention_days", OPT, 0.0001, 3650,
	    &d) == 1)
		st->retention_ms = (int64_t)(d * 86400000.0 + 0.5);
	if (cfg_get_number(c, o, path, "max_mb", OPT, 0, 1048576, &d) == 1)
		st->max_bytes = (int64_t)(d * 1048576.0);
	if (cfg_get_number(c, o, path, "min_free_mb", OPT, 0, 1048576, &d) == 1)
		st->min_free_bytes = (int64_t)(d * 1048576.0);
}

static void
check_compliance(const struct ctx *c, json_t *root, struct app_config *app)
{
	static const char *const keys[] = { "max_failed_logins",
	    "lockout_minutes", "kdf", NULL };
	static const char *const kdfs[] = { "interactive", "moderate",
	    "sensitive", NULL };
	struct compliance_config *cc = &app->compliance;
	char path[PATH_LEN];
	json_t *o = cfg_get_typed(c, root, "$", "compliance", OPT, W_OBJECT,
	    path);
	long long n;
	double d;
	int k;

	if (o == NULL)
		return;
	cfg_check_keys(c, o, path, keys);
	if (cfg_get_int(c, o, path, "max_failed_logins", OPT, 1, 100, &n) == 1)
		cc->max_failures = (int)n;
	if (cfg_get_number(c, o, path, "lockout_minutes", OPT, 0.01, 10080,
	    &d) == 1)
		cc->lockout_ms = (int64_t)(d * 60000.0 + 0.5);
	if (cfg_get_enum(c, o, path, "kdf", OPT, kdfs, &k) == 1)
		cc->kdf = k;
}

/* "signatures": which actions need one or two, and from whom. */
static void
check_signatures(const struct ctx *c, json_t *root, struct app_config *app)
{
	char path[PATH_LEN], err[256];
	json_t *o = cfg_get_typed(c, root, "$", "signatures", OPT, W_OBJECT,
	    path);

	if (o != NULL && approval_policy_from_json(&app->signatures, o, err,
	    sizeof err) != 0)
		cfg_report(c, path, JSONPOS_VALUE, "%s", err);
}

static void
check_executor(const struct ctx *c, json_t *root, struct executor_defaults *x)
{
	static const char *const keys[] = { "keep_alive_s", "guard_s",
	    "retries", "hard_error_s", "threads", NULL };
	char path[PATH_LEN];
	json_t *o = cfg_get_typed(c, root, "$", "executor", OPT, W_OBJECT, path);
	long long n;

	if (o == NULL)
		return;
	cfg_check_keys(c, o, path, keys);
	get_seconds_ms(c, o, path, "keep_alive_s", &x->keep_alive_ms);
	get_seconds_ms(c, o, path, "guard_s", &x->guard_ms);
	get_seconds_ms(c, o, path, "hard_error_s", &x->hard_error_ms);
	if (cfg_get_int(c, o, path, "retries", OPT, 1, RETRIES_MAX, &n) == 1)
		x->retries = (int)n;
	if (cfg_get_int(c, o, path, "threads", OPT, 1, THREADS_MAX, &n) == 1)
		x->threads = (int)n;
}

/*
 * "maintenance": windows announced in the file, each {"start", "end",
 * "reason"} and optionally "id".  The window itself is parsed and checked
 * by maintenance.c (the same parser reads the stored and synced form), so
 * its message is reported at the entry; the keys are checked here first,
 * so that a typo is located at the key and gets a suggestion.  A window
 * without an id gets the stable maint_config_id(): the same file loaded
 * here or at another console names the same window.
 */
static void
check_maintenance(const struct ctx *c, json_t *root, struct model *m)
{
	static const char *const keys[] = { "id", "start", "end", "reason",
	    NULL };
	char path[PATH_LEN], epath[PATH_LEN], fpath[PATH_LEN], err[256];
	json_t *a = cfg_get_typed(c, root, "$", "maintenance", OPT, W_ARRAY,
	    path);
	const struct jsonpos_entry *e;
	size_t n, k, j, before, *at;
	struct maint_window w;
	json_t *o;

	if (a == NULL)
		return;
	n = json_array_size(a);
	if (n > MAINT_SET_CAP)
		cfg_report(c, path, JSONPOS_VALUE, _("too many maintenance "
		    "windows: %zu (at most %d)"), n, MAINT_SET_CAP);
	m->maintenance = xcalloc(n, sizeof(*m->maintenance));
	at = xcalloc(n, sizeof(*at));       /* entry of each window kept */
	json_array_foreach(a, k, o) {
		jsonpos_path_index(epath, sizeof(epath), path, k);
		if (cfg_check_type(c, o, epath, W_OBJECT) == -1)
			continue;
		before = c->errs->n;
		cfg_check_keys(c, o, epath, keys);
		if (c->errs->n != before)
			continue;
		if (maint_window_from_json(o, &w, err, sizeof(err)) != 0) {
			cfg_report(c, epath, JSONPOS_VALUE, "%s", err);
			continue;
		}
		w.source = MAINT_SRC_CONFIG;
		for (j = 0; j < m->nmaintenance; j++)
			if (strcmp(m->maintenance[j].id, w.id) == 0)
				break;
		if (j < m->nmaintenance) {
			jsonpos_path_index(fpath, sizeof(fpath), path, at[j]);
			e = jsonpos_find(&c->pos, fpath, JSONPOS_VALUE);
			cfg_report(c, epath, JSONPOS_VALUE, _("duplicate "
			    "maintenance window id \"%s\" (first at line %d)"),
			    w.id, e ? e->line : 0);
			continue;
		}
		at[m->nmaintenance] = k;
		m->maintenance[m->nmaintenance++] = w;
	}
	free(at);
}

static void
set_app_defaults(struct app_config *app)
{
	str_copy(app->theme, "dark", sizeof(app->theme));
	str_copy(app->storage_path, "spool.db", sizeof(app->storage_path));
	str_copy(app->inference.model, "smb-pls", sizeof app->inference.model);
	app->inference.timeout_ms = 200;
	app->inference.heartbeat_ms = 2000;
	app->inference.target_p95_ms = 20.0;
	app->inference.latency_window = 1000;
	app->inference.queue_max = 16;
	app->historian.batch_rows = 20000;
	app->historian.retry_min_ms = 1000;
	app->historian.retry_max_ms = 60000;
	app->historian.timeout_ms = 30000;
	app->historian.retention_years = 7;
	app->storage.sync_full = true;
	app->storage.retention_ms = INT64_C(90) * 86400000;
	app->storage.max_bytes = 0;
	app->storage.min_free_bytes = INT64_C(256) * 1048576;
	app->compliance.max_failures = 5;
	app->compliance.lockout_ms = INT64_C(15) * 60000;
	app->compliance.kdf = 1;                /* KS_KDF_MODERATE */
	approval_defaults(&app->signatures);
	app->executor.keep_alive_ms = 10000;
	app->executor.guard_ms = 20000;
	app->executor.retries = 3;
	app->executor.hard_error_ms = 300000;
	app->executor.threads = 512;
}

static void
check_app(const struct ctx *c, json_t *root, struct model *m)
{
	static const char *const keys[] = { "site", "console_id", "language",
	    "theme", "inference", "historian", "storage", "executor",
	    "compliance", "signatures", "maintenance", NULL };
	struct app_config *app = &m->app;
	static const char *const languages[] = { "", "en", "zh_TW", "sk",
	    NULL };
	static const char *const themes[] = { "dark", "light", "mono", NULL };
	int k;

	if (cfg_check_type(c, root, "$", W_OBJECT) == -1)
		return;
	cfg_check_keys(c, root, "$", keys);
	cfg_get_string(c, root, "$", "site", REQ | NONEMPTY, app->site,
	    sizeof(app->site));
	cfg_get_id(c, root, "$", "console_id", REQ, app->console_id);
	if (cfg_get_enum(c, root, "$", "language", OPT, languages, &k) == 1)
		str_copy(app->language, languages[k], sizeof(app->language));
	if (cfg_get_enum(c, root, "$", "theme", OPT, themes, &k) == 1)
		str_copy(app->theme, themes[k], sizeof(app->theme));
	check_inference(c, root, app);
	check_historian(c, root, app);
	check_storage(c, root, app);
	check_compliance(c, root, app);
	check_signatures(c, root, app);
	check_executor(c, root, &app->executor);
	check_maintenance(c, root, m);
}

/* --- devices.json: connectors --------------------------------------------- */

static const char *const tcp_keys[] = { "host", "port", NULL };
static const char *const rtu_keys[] = { "serial", "baud", "parity",
    "data_bits", "stop_bits", "rs485", "rts", "inter_frame_delay_ms", NULL };

static void
check_tcp(const struct ctx *c, json_t *o, const char *path,
    struct connector *cn)
{
	long long n;

	cfg_reject_keys(c, o, path, rtu_keys, "tcp");
	cfg_get_string(c, o, path, "host", REQ | NONEMPTY, cn->host,
	    sizeof(cn->host));
	if (cfg_get_int(c, o, path, "port", REQ, 1, 65535, &n) == 1)
		cn->port = (int)n;
}

static void
check_rtu(const struct ctx *c, json_t *o, const char *path,
    struct connector *cn)
{
	static const char *const parities[] = { "N", "E", "O", NULL };
	static const char *const rts_modes[] = { "none", "up", "down", NULL };
	long long n;
	int k;

	cfg_reject_keys(c, o, path, tcp_keys, "rtu");
	cfg_get_string(c, o, path, "serial", REQ | NONEMPTY, cn->serial,
	    sizeof(cn->serial));
	if (cfg_get_int(c, o, path, "baud", REQ, 1, INT_MAX, &n) == 1)
		cn->baud = (int)n;
	if (cfg_get_enum(c, o, path, "parity", OPT, parities, &k) == 1)
		cn->parity = parities[k][0];
	if (cfg_get_int(c, o, path, "data_bits", OPT, 7, 8, &n) == 1)
		cn->data_bits = (int)n;
	if (cfg_get_int(c, o, path, "stop_bits", OPT, 1, 2, &n) == 1)
		cn->stop_bits = (int)n;
	cfg_get_bool(c, o, path, "rs485", OPT, &cn->rs485);
	if (cfg_get_enum(c, o, path, "rts", OPT, rts_modes, &k) == 1)
		cn->rts = (enum rts_mode)k;
	if (cfg_get_int(c, o, path, "inter_frame_delay_ms", OPT, 0, 10000,
	    &n) == 1)
		cn->inter_frame_delay_ms = (int)n;
}

static void
check_connector(const struct ctx *c, json_t *o, const char *path,
    struct connector *cn)
{
	static const char *const keys[] = { "id", "kind", "host", "port",
	    "serial", "baud", "parity", "data_bits", "stop_bits",
	    "rs485", "rts", "inter_frame_delay_ms", "timeout_ms",
	    "max_hold_ms", NULL };
	static const char *const kinds[] = { "tcp", "rtu", NULL };
	long long n;
	int k;

	cn->parity = 'N';
	cn->data_bits = 8;
	cn->stop_bits = 1;
	cn->timeout_ms = 1000;
	cfg_check_keys(c, o, path, keys);
	cfg_get_id(c, o, path, "id", REQ, cn->id);
	if (cfg_get_int(c, o, path, "timeout_ms", OPT, 1, TIMEOUT_MS_MAX, &n) == 1)
		cn->timeout_ms = (int)n;
	if (cfg_get_int(c, o, path, "max_hold_ms", OPT, 0, 3600000, &n) == 1)
		cn->max_hold_ms = n;
	if (cfg_get_enum(c, o, path, "kind", REQ, kinds, &k) != 1)
		return;
	cn->kind = k == 0 ? CONNECTOR_TCP : CONNECTOR_RTU;
	if (cn->kind == CONNECTOR_TCP)
		check_tcp(c, o, path, cn);
	else
		check_rtu(c, o, path, cn);
}

/* --- devices.json: devices ------------------------------------------------ */

/* unit_id: 0..247 on any line, 255 too on TCP (the "not applicable" id). */
static void
check_unit_id(const struct ctx *c, json_t *o, const char *path,
    const struct model *m, long conn, struct device *d)
{
	char upath[PATH_LEN];
	long long n;

	if (cfg_get_int(c, o, path, "unit_id", REQ, 0, 255, &n) != 1)
		return;
	d->unit_id = (int)n;
	if (n <= 247 || (n == 255 && (conn < 0 ||
	    m->connectors[conn].kind == CONNECTOR_TCP)))
		return;
	jsonpos_path_key(upath, sizeof(upath), path, "unit_id");
	cfg_report(c, upath, JSONPOS_VALUE, n == 255 ?
	    _("unit id 255 is only valid on a tcp connector") :
	    _("unit id is out of range (0..247, or 255 on tcp)"));
}

static void
check_device(const struct ctx *c, json_t *o, const char *path,
    struct model *m, const struct id_index *conns, struct device *d)
{
	static const char *const keys[] = { "id", "name", "connector",
	    "unit_id", "max_gap", "clock_address", NULL };
	long long n;
	long conn;

	d->connector = SIZE_MAX;
	d->clock_address = -1;
	cfg_check_keys(c, o, path, keys);
	cfg_get_id(c, o, path, "id", REQ, d->id);
	str_copy(d->name, d->id, sizeof(d->name));
	cfg_get_string(c, o, path, "name", NONEMPTY, d->name, sizeof(d->name));
	if ((conn = get_ref(c, o, path, "connector", conns,
	    SEC_CONNECTORS)) >= 0)
		d->connector = (size_t)conn;
	check_unit_id(c, o, path, m, conn, d);
	if (cfg_get_int(c, o, path, "max_gap", OPT, 0, READ_MAX_REGISTERS - 1,
	    &n) == 1)
		d->max_gap = (int)n;
	/* The clock is three holding registers: A, A+1 seconds, A+2 ms. */
	if (cfg_get_int(c, o, path, "clock_address", OPT, 0, 65533, &n) == 1)
		d->clock_address = (int)n;
}

/* --- devices.json: points ------------------------------------------------- */

static void
check_sim(const struct ctx *c, json_t *o, const char *path,
    struct sim_profile *sim)
{
	static const char *const keys[] = { "wave", "base", "amplitude",
	    "period_s", "phase", "noise", NULL };
	static const char *const waves[] = { "constant", "sine", "square",
	    "sawtooth", NULL };
	char spath[PATH_LEN];
	json_t *s;
	int k;

	memset(sim, 0, sizeof(*sim));
	sim->wave = SIM_CONSTANT;
	sim->period_s = 60;
	if ((s = cfg_get_typed(c, o, path, "sim", OPT, W_OBJECT, spath)) == NULL)
		return;
	cfg_check_keys(c, s, spath, keys);
	if (cfg_get_enum(c, s, spath, "wave", OPT, waves, &k) == 1)
		sim->wave = (enum sim_wave)k;
	cfg_get_number(c, s, spath, "base", OPT, -DBL_MAX, DBL_MAX, &sim->base);
	cfg_get_number(c, s, spath, "amplitude", OPT, -DBL_MAX, DBL_MAX,
	    &sim->amplitude);
	cfg_get_number(c, s, spath, "period_s", OPT, 0.001, 1e9, &sim->period_s);
	cfg_get_number(c, s, spath, "phase", OPT, 0, 1, &sim->phase);
	cfg_get_number(c, s, spath, "noise", OPT, 0, DBL_MAX, &sim->noise);
}

/* Coils and discrete inputs hold bits; registers hold numbers. */
static void
check_point_layout(const struct ctx *c, const char *path, struct point *p)
{
	char tpath[PATH_LEN], apath[PATH_LEN];
	int bits = p->table == TABLE_COIL || p->table == TABLE_DISCRETE_INPUT;
	long end = (long)p->address + point_width(p) - 1;

	jsonpos_path_key(tpath, sizeof(tpath), path, "type");
	jsonpos_path_key(apath, sizeof(apath), path, "address");
	if (bits && p->type != VALUE_BOOL)
		cfg_report(c, tpath, JSONPOS_VALUE,
		    _("a %s table holds only bool values"),
		    modbus_table_name(p->table));
	else if (!bits && p->type == VALUE_BOOL)
		cfg_report(c, tpath, JSONPOS_VALUE, _("bool is only allowed on "
		    "coil and discrete_input tables"));
	else if (end > 65535)
		cfg_report(c, apath, JSONPOS_VALUE, _("a %s at %d ends at register "
		    "%ld, past 65535"), value_type_name(p->type), p->address,
		    end);
}

/* A setpoint: only what Modbus can write (holding registers, coils). */
static void
check_writable(const struct ctx *c, json_t *o, const char *path,
    int table_known, struct point *p)
{
	char wpath[PATH_LEN];

	/* An unknown or missing table is reported already. */
	if (cfg_get_bool(c, o, path, "writable", OPT, &p->writable) != 1 ||
	    !p->writable || !table_known ||
	    p->table == TABLE_HOLDING_REGISTER || p->table == TABLE_COIL)
		return;
	jsonpos_path_key(wpath, sizeof(wpath), path, "writable");
	cfg_report(c, wpath, JSONPOS_VALUE, _("cannot be written: the table is %s; "
	    "only holding_register and coil points are writable"),
	    modbus_table_name(p->table));
}

/*
 * "alarms": the HH/H/L/LL limits of an analog point, in engineering units
 * (after scale and offset), with a deadband and an on-delay.  The limits
 * are judged together by alarm_limits_check(), whose reason is reported at
 * the object; that check is skipped when a member was already wrong, so a
 * mistake is reported once.  type_known: p->type was read without error.
 */
static void
check_alarms(const struct ctx *c, json_t *o, const char *path,
    int type_known, struct point *p)
{
	static const char *const keys[] = { "hh", "h", "l", "ll", "deadband",
	    "delay_s", NULL };
	struct alarm_limits *lim = &p->alarms;
	bool *has[] = { &lim->has_hh, &lim->has_h, &lim->has_l,
	    &lim->has_ll };
	double *val[] = { &lim->hh, &lim->h, &lim->l, &lim->ll };
	char apath[PATH_LEN], dpath[PATH_LEN];
	size_t before = c->errs->n, k;
	const char *why;
	json_t *a;
	double d;
	int rc;

	memset(lim, 0, sizeof(*lim));
	if ((a = cfg_get_typed(c, o, path, "alarms", OPT, W_OBJECT,
	    apath)) == NULL)
		return;
	if (type_known && p->type == VALUE_BOOL) {
		cfg_report(c, apath, JSONPOS_VALUE, _("a bool point cannot have "
		    "alarm limits"));
		return;
	}
	cfg_check_keys(c, a, apath, keys);
	for (k = 0; k < ARRAY_LEN(has); k++) {
		rc = cfg_get_number(c, a, apath, keys[k], OPT, -DBL_MAX, DBL_MAX,
		    val[k]);
		*has[k] = rc == 1;
	}
	if (cfg_get_number(c, a, apath, "deadband", OPT, -DBL_MAX, DBL_MAX,
	    &lim->deadband) == 1 && lim->deadband < 0) {
		jsonpos_path_key(dpath, sizeof(dpath), apath, "deadband");
		cfg_report(c, dpath, JSONPOS_VALUE, _("must not be negative"));
	}
	if (cfg_get_number(c, a, apath, "delay_s", OPT, 0, ALARM_DELAY_S_MAX,
	    &d) == 1)
		lim->delay_ms = (int64_t)(d * 1000.0 + 0.5);
	if (c->errs->n != before)
		return;
	if (!lim->has_hh && !lim->has_h && !lim->has_l && !lim->has_ll)
		cfg_report(c, apath, JSONPOS_VALUE, _("no alarm limit: give at "
		    "least one of \"hh\", \"h\", \"l\", \"ll\""));
	else if ((why = alarm_limits_check(lim)) != NULL)
		cfg_report(c, apath, JSONPOS_VALUE, "%s", why);
	else
		p->has_alarms = true;
}

static void
check_point(const struct ctx *c, json_t *o, const char *path,
    const struct id_index *devs, struct point *p)
{
	static const char *const keys[] = { "id", "name", "device", "table",
	    "address", "type", "byte_order", "scale", "offset", "unit",
	    "writable", "sim", "alarms", NULL };
	static const char *const types[] = { "bool", "uint16", "int16",
	    "uint32", "int32", "float32", "uint64", "int64", "float64",
	    NULL };
	char spath[PATH_LEN];
	long long n;
	long dev;
	int k, ok = 0, table_known = 0, type_known = 0;

	p->device = SIZE_MAX;
	p->order = ORDER_ABCD;
	p->scale = 1;
	cfg_check_keys(c, o, path, keys);
	cfg_get_id(c, o, path, "id", REQ, p->id);
	str_copy(p->name, p->id, sizeof(p->name));
	cfg_get_string(c, o, path, "name", NONEMPTY, p->name, sizeof(p->name));
	if ((dev = get_ref(c, o, path, "device", devs, SEC_DEVICES)) >= 0)
		p->device = (size_t)dev;
	if (cfg_get_enum(c, o, path, "table", REQ, table_names, &k) == 1) {
		p->table = (enum modbus_table)k;
		table_known = 1;
		ok++;
	}
	if (cfg_get_enum(c, o, path, "type", REQ, types, &k) == 1) {
		p->type = (enum value_type)k;
		type_known = 1;
		ok++;
	}
	if (cfg_get_int(c, o, path, "address", REQ, 0, 65535, &n) == 1) {
		p->address = (int)n;
		ok++;
	}
	if (cfg_get_enum(c, o, path, "byte_order", OPT, order_names, &k) == 1)
		p->order = (enum byte_order)k;
	check_writable(c, o, path, table_known, p);
	if (cfg_get_number(c, o, path, "scale", OPT, -DBL_MAX, DBL_MAX,
	    &p->scale) == 1 && p->scale == 0) {
		jsonpos_path_key(spath, sizeof(spath), path, "scale");
		cfg_report(c, spath, JSONPOS_VALUE, _("must not be 0"));
	}
	cfg_get_number(c, o, path, "offset", OPT, -DBL_MAX, DBL_MAX, &p->offset);
	cfg_get_string(c, o, path, "unit", OPT, p->unit, sizeof(p->unit));
	check_sim(c, o, path, &p->sim);
	check_alarms(c, o, path, type_known, p);
	if (ok == 3)
		check_point_layout(c, path, p);
}

/* --- devices.json: spectra ------------------------------------------------ */

static void
check_spectrum(const struct ctx *c, json_t *o, const char *path,
    const struct id_index *devs, struct spectrum *sp)
{
	/* "alarms" is known, to say why it is wrong here. */
	static const char *const keys[] = { "id", "name", "device", "table",
	    "address", "pixels", "type", "byte_order", "alarms", NULL };
	/* Indices into table_names / the value types of a pixel. */
	static const char *const tables[] = { "input_register",
	    "holding_register", NULL };
	static const enum modbus_table table_of[] = { TABLE_INPUT_REGISTER,
	    TABLE_HOLDING_REGISTER };
	static const char *const types[] = { "uint16", "int16", "float32",
	    NULL };
	static const enum value_type type_of[] = { VALUE_U16, VALUE_I16,
	    VALUE_F32 };
	char name[MODEL_NAME_MAX], apath[PATH_LEN];
	long long n;
	long dev, end;
	int k, rt, ok = 0;

	sp->device = SIZE_MAX;
	sp->table = TABLE_INPUT_REGISTER;
	sp->type = VALUE_F32;
	sp->order = ORDER_ABCD;
	cfg_check_keys(c, o, path, keys);
	if (json_object_get(o, "alarms") != NULL) {
		jsonpos_path_key(apath, sizeof(apath), path, "alarms");
		cfg_report(c, apath, JSONPOS_KEY, _("alarm limits apply to "
		    "points, not to spectra"));
	}
	cfg_get_id(c, o, path, "id", REQ, sp->id);
	/* The name is checked like a point's; the model does not keep it. */
	cfg_get_string(c, o, path, "name", NONEMPTY, name, sizeof(name));
	if ((dev = get_ref(c, o, path, "device", devs, SEC_DEVICES)) >= 0)
		sp->device = (size_t)dev;
	if (cfg_get_enum(c, o, path, "table", OPT, tables, &k) == 1)
		sp->table = table_of[k];
	if ((rt = cfg_get_enum(c, o, path, "type", OPT, types, &k)) == 1)
		sp->type = type_of[k];
	if (cfg_get_enum(c, o, path, "byte_order", OPT, order_names, &k) == 1)
		sp->order = (enum byte_order)k;
	if (cfg_get_int(c, o, path, "address", REQ, 0, 65535, &n) == 1) {
		sp->address = (int)n;
		ok++;
	}
	if (cfg_get_int(c, o, path, "pixels", REQ, 1, PIXELS_MAX, &n) == 1) {
		sp->pixels = (int)n;
		ok++;
	}
	if (ok < 2 || rt == -1)         /* the size is not known */
		return;
	end = (long)sp->address + (long)sp->pixels *
	    value_type_width(sp->type) - 1;
	if (end > 65535) {
		jsonpos_path_key(apath, sizeof(apath), path, "address");
		cfg_report(c, apath, JSONPOS_VALUE, _("%d %s pixels at %d end at "
		    "register %ld, past 65535"), sp->pixels,
		    value_type_name(sp->type), sp->address, end);
	}
}

/*
 * Spectra have ids of their own (events name them under "spectra"), but a
 * spectrum id must not also be a point id: both name series in the
 * historian and in the console.
 */
static void
check_spectrum_point_clash(const struct ctx *c, const struct model *m,
    const struct id_index *spx, const struct id_index *pts)
{
	char path[PATH_LEN], ppath[PATH_LEN];
	const struct jsonpos_entry *e;

	for (size_t k = 0; k < spx->n; k++) {
		long p = index_find(pts, spx->v[k].id);

		if (p < 0)
			continue;
		jsonpos_path_index(path, sizeof(path), "$.spectra",
		    spx->v[k].idx);
		strncat(path, ".id", sizeof(path) - strlen(path) - 1);
		jsonpos_path_index(ppath, sizeof(ppath), "$.points", (size_t)p);
		strncat(ppath, ".id", sizeof(ppath) - strlen(ppath) - 1);
		e = jsonpos_find(&c->pos, ppath, JSONPOS_VALUE);
		cfg_report(c, path, JSONPOS_VALUE, _("spectrum id \"%s\" is "
		    "already a point id (line %d)"),
		    m->spectra[spx->v[k].idx].id, e ? e->line : 0);
	}
}

/* --- devices.json: events ------------------------------------------------- */

/*
 * Mark the entries of one section that the array under key names (mark is
 * indexed like the section).  1 when the key is present, 0 when absent,
 * -1 when it or any id in it was bad (reported).
 */
static int
mark_refs(const struct ctx *c, json_t *o, const char *path, const char *key,
    const struct id_index *ix, enum section sec, unsigned char *mark)
{
	char apath[PATH_LEN], epath[PATH_LEN];
	json_t *a, *v;
	size_t k;
	long i;
	int rc = 1;

	if ((a = cfg_get_typed(c, o, path, key, OPT, W_ARRAY, apath)) == NULL)
		return json_object_get(o, key) ? -1 : 0;
	json_array_foreach(a, k, v) {
		jsonpos_path_index(epath, sizeof(epath), apath, k);
		if ((i = resolve_ref(c, v, epath, ix, sec)) < 0)
			rc = -1;
		else
			mark[i] = 1;
	}
	return rc;
}

/* Mark every point of the devices named in "devices". */
static int
mark_event_devices(const struct ctx *c, json_t *o, const char *path,
    const struct id_index *devs, const struct model *m, unsigned char *mark)
{
	unsigned char *dmark = xcalloc(m->ndevices + 1, 1);
	int rc = mark_refs(c, o, path, "devices", devs, SEC_DEVICES, dmark);

	/* A point whose own device did not resolve has no valid index. */
	for (size_t i = 0; i < m->npoints; i++)
		if (m->points[i].device < m->ndevices &&
		    dmark[m->points[i].device])
			mark[i] = 1;
	free(dmark);
	return rc;
}

/* The selected points, in file order (which keeps registers together). */
static void
collect_marked(struct periodic_event *ev, const unsigned char *mark,
    size_t n)
{
	size_t k;

	ev->points = xcalloc(n, sizeof(*ev->points));
	for (k = 0; k < n; k++)
		if (mark[k])
			ev->points[ev->npoints++] = k;
}

/* The selected spectra, in file order. */
static void
collect_marked_spectra(struct periodic_event *ev, const unsigned char *mark,
    size_t n)
{
	size_t k;

	ev->spectra = xcalloc(n, sizeof(*ev->spectra));
	for (k = 0; k < n; k++)
		if (mark[k])
			ev->spectra[ev->nspectra++] = k;
}

/*
 * "points" and "devices" select points ("devices": every point of those
 * devices, never their spectra); "spectra" selects spectra.  At least one
 * of the three must be there.
 */
static void
check_event(const struct ctx *c, json_t *o, const char *path,
    const struct model *m, const struct id_index *devs,
    const struct id_index *pts, const struct id_index *spx,
    struct periodic_event *ev)
{
	static const char *const keys[] = { "id", "period_ms", "phase_ms",
	    "points", "devices", "spectra", NULL };
	unsigned char *mark = xcalloc(m->npoints, 1);
	unsigned char *smark = xcalloc(m->nspectra, 1);
	long long period = PERIOD_MS_MAX, n;
	int rp, rd, rs;

	cfg_check_keys(c, o, path, keys);
	cfg_get_id(c, o, path, "id", REQ, ev->id);
	if (cfg_get_int(c, o, path, "period_ms", REQ, 100, PERIOD_MS_MAX, &n) == 1)
		ev->period_ms = period = n;
	if (cfg_get_int(c, o, path, "phase_ms", OPT, 0, period - 1, &n) == 1)
		ev->phase_ms = n;
	rp = mark_refs(c, o, path, "points", pts, SEC_POINTS, mark);
	rd = mark_event_devices(c, o, path, devs, m, mark);
	rs = mark_refs(c, o, path, "spectra", spx, SEC_SPECTRA, smark);
	collect_marked(ev, mark, m->npoints);
	collect_marked_spectra(ev, smark, m->nspectra);
	free(mark);
	free(smark);
	if (rp == 0 && rd == 0 && rs == 0)
		cfg_report(c, path, JSONPOS_VALUE, _("missing required key "
		    "\"points\", \"devices\" or \"spectra\""));
	else if (rp >= 0 && rd >= 0 && rs >= 0 && ev->npoints == 0 &&
	    ev->nspectra == 0)
		cfg_report(c, path, JSONPOS_VALUE, rs == 0 ?
		    _("selects no points") :
		    _("selects no points and no spectra"));
}

/* --- devices.json: recipes ------------------------------------------------ */

/*
 * A duration that must be greater than 0 and at most max, in the unit
 * unit_ms milliseconds long; stored as whole milliseconds, at least 1.
 * Like the getters: 1 found and valid, 0 absent, -1 reported.
 */
static int
get_duration(const struct ctx *c, json_t *o, const char *path,
    const char *key, double max, double unit_ms, int64_t *ms)
{
	char cpath[PATH_LEN];
	json_t *v = cfg_get_typed(c, o, path, key, REQ, W_NUMBER, cpath);
	double d;

	if (v == NULL)
		return json_object_get(o, key) ? -1 : 0;
	d = json_number_value(v);
	if (!(d > 0.0 && d <= max)) {
		cfg_report(c, cpath, JSONPOS_VALUE, _("%g is out of range "
		    "(more than 0, at most %g)"), d, max);
		return -1;
	}
	*ms = (int64_t)(d * unit_ms + 0.5);
	if (*ms < 1)
		*ms = 1;
	return 1;
}

/*
 * The points a recipe names, in its own order (the batch screen shows
 * them so): at least one, each once.
 */
static void
check_recipe_points(const struct ctx *c, json_t *o, const char *path,
    const struct id_index *pts, struct recipe *r)
{
	char apath[PATH_LEN], epath[PATH_LEN], fpath[PATH_LEN];
	const struct jsonpos_entry *e;
	size_t n, k, j, *at;
	json_t *a, *v;
	long i;

	if ((a = cfg_get_typed(c, o, path, "points", REQ, W_ARRAY,
	    apath)) == NULL)
		return;
	if ((n = json_array_size(a)) == 0) {
		cfg_report(c, apath, JSONPOS_VALUE, _("a recipe needs at least "
		    "one point"));
		return;
	}
	r->points = xcalloc(n, sizeof(*r->points));
	at = xcalloc(n, sizeof(*at));       /* element of each point kept */
	json_array_foreach(a, k, v) {
		jsonpos_path_index(epath, sizeof(epath), apath, k);
		if ((i = resolve_ref(c, v, epath, pts, SEC_POINTS)) < 0)
			continue;
		for (j = 0; j < r->npoints; j++)
			if (r->points[j] == (size_t)i)
				break;
		if (j < r->npoints) {
			jsonpos_path_index(fpath, sizeof(fpath), apath, at[j]);
			e = jsonpos_find(&c->pos, fpath, JSONPOS_VALUE);
			cfg_report(c, epath, JSONPOS_VALUE, _("point \"%s\" is "
			    "listed twice (first at line %d, column %d)"),
			    json_string_value(v), e ? e->line : 0,
			    e ? e->column : 0);
			continue;
		}
		at[r->npoints] = k;
		r->points[r->npoints++] = (size_t)i;
	}
	free(at);
}

/*
 * A recipe: what a batch runs.  Durations are in the units operators use:
 * one SMB run (a full cycle of the rotary valve) in minutes, the whole
 * batch in hours.
 */
static void
check_recipe(const struct ctx *c, json_t *o, const char *path,
    const struct id_index *pts, struct recipe *r)
{
	static const char *const keys[] = { "id", "name", "version",
	    "run_min", "expected_h", "points", NULL };
	char epath[PATH_LEN];
	int rr, re;

	cfg_check_keys(c, o, path, keys);
	cfg_get_id(c, o, path, "id", REQ, r->id);
	cfg_get_string(c, o, path, "name", REQ | NONEMPTY, r->name,
	    sizeof(r->name));
	cfg_get_string(c, o, path, "version", REQ | NONEMPTY, r->version,
	    sizeof(r->version));
	rr = get_duration(c, o, path, "run_min", RUN_MIN_MAX, 60000.0,
	    &r->run_ms);
	re = get_duration(c, o, path, "expected_h", EXPECTED_H_MAX, 3600000.0,
	    &r->expected_ms);
	if (rr == 1 && re == 1 && r->expected_ms < r->run_ms) {
		jsonpos_path_key(epath, sizeof(epath), path, "expected_h");
		cfg_report(c, epath, JSONPOS_VALUE, _("a batch cannot be "
		    "shorter than one run (run_min)"));
	}
	check_recipe_points(c, o, path, pts, r);
}

/* --- devices.json: sections ----------------------------------------------- */

/*
 * The array at $.<section>: its elements are checked by the caller one by
 * one; here only its presence and type, and the element type.  Returns the
 * array (NULL when absent or wrong) and sets *n to its length.
 */
static json_t *
get_section(const struct ctx *c, json_t *root, enum section sec, int flags,
    size_t *n)
{
	char path[PATH_LEN];
	json_t *a;

	a = cfg_get_typed(c, root, "$", section_key[sec], flags, W_ARRAY, path);
	*n = a ? json_array_size(a) : 0;
	return a;
}

/* The element at k, if it is an object; its path goes into path. */
static json_t *
get_element(const struct ctx *c, json_t *a, enum section sec, size_t k,
    char *path)
{
	char base[64];
	json_t *o = json_array_get(a, k);

	snprintf(base, sizeof(base), "$.%s", section_key[sec]);
	jsonpos_path_index(path, PATH_LEN, base, k);
	return cfg_check_type(c, o, path, W_OBJECT) == 0 ? o : NULL;
}

static void
index_start(struct id_index *ix, size_t n)
{
	ix->v = xcalloc(n, sizeof(*ix->v));
	ix->n = n;
}

/*
 * Two connectors on one physical line (one serial port, or one host and
 * port) would let the executor open it twice at once: rule 2 is about
 * lines, so a line must be one connector; its devices go under it.
 */
static void
check_shared_endpoints(const struct ctx *c, const struct model *m)
{
	char path[PATH_LEN];

	for (size_t k = 1; k < m->nconnectors; k++) {
		const struct connector *b = &m->connectors[k];

		for (size_t j = 0; j < k; j++) {
			const struct connector *a = &m->connectors[j];
			int same = a->kind == b->kind &&
			    (b->kind == CONNECTOR_RTU ?
			    b->serial[0] && strcmp(a->serial, b->serial) == 0 :
			    b->host[0] && b->port > 0 && a->port == b->port &&
			    strcmp(a->host, b->host) == 0);

			if (!same)
				continue;
			jsonpos_path_index(path, sizeof(path), "$.connectors", k);
			strncat(path, b->kind == CONNECTOR_RTU ? ".serial" :
			    ".port", sizeof(path) - strlen(path) - 1);
			cfg_report(c, path, JSONPOS_VALUE, _("connector \"%s\" is "
			    "the same line as connector \"%s\"; put both "
			    "lines' devices under one connector"), b->id,
			    a->id);
			break;
		}
	}
}

static void
load_connectors(const struct ctx *c, json_t *root, struct model *m,
    struct id_index *ix)
{
	char path[PATH_LEN];
	json_t *a = get_section(c, root, SEC_CONNECTORS, REQ, &m->nconnectors);
	json_t *o;
	size_t k;

	m->connectors = xcalloc(m->nconnectors, sizeof(*m->connectors));
	index_start(ix, m->nconnectors);
	for (k = 0; k < m->nconnectors; k++) {
		if ((o = get_element(c, a, SEC_CONNECTORS, k, path)) != NULL)
			check_connector(c, o, path, &m->connectors[k]);
		ix->v[k].id = m->connectors[k].id;
		ix->v[k].idx = k;
	}
	index_finish(c, ix, SEC_CONNECTORS);
	check_shared_endpoints(c, m);
}

static void
load_devices(const struct ctx *c, json_t *root, struct model *m,
    const struct id_index *conns, struct id_index *ix)
{
	char path[PATH_LEN];
	json_t *a = get_section(c, root, SEC_DEVICES, REQ, &m->ndevices);
	json_t *o;
	size_t k;

	m->devices = xcalloc(m->ndevices, sizeof(*m->devices));
	index_start(ix, m->ndevices);
	for (k = 0; k < m->ndevices; k++) {
		if ((o = get_element(c, a, SEC_DEVICES, k, path)) != NULL)
			check_device(c, o, path, m, conns, &m->devices[k]);
		ix->v[k].id = m->devices[k].id;
		ix->v[k].idx = k;
	}
	index_finish(c, ix, SEC_DEVICES);
}

static void
load_points(const struct ctx *c, json_t *root, struct model *m,
    const struct id_index *devs, struct id_index *ix)
{
	char path[PATH_LEN];
	json_t *a = get_section(c, root, SEC_POINTS, REQ, &m->npoints);
	json_t *o;
	size_t k;

	m->points = xcalloc(m->npoints, sizeof(*m->points));
	index_start(ix, m->npoints);
	for (k = 0; k < m->npoints; k++) {
		m->points[k].device = SIZE_MAX;
		if ((o = get_element(c, a, SEC_POINTS, k, path)) != NULL)
			check_point(c, o, path, devs, &m->points[k]);
		ix->v[k].id = m->points[k].id;
		ix->v[k].idx = k;
	}
	index_finish(c, ix, SEC_POINTS);
}

static void
load_spectra(const struct ctx *c, json_t *root, struct model *m,
    const struct id_index *devs, const struct id_index *pts,
    struct id_index *ix)
{
	char path[PATH_LEN];
	json_t *a = get_section(c, root, SEC_SPECTRA, OPT, &m->nspectra);
	json_t *o;
	size_t k;

	m->spectra = xcalloc(m->nspectra, sizeof(*m->spectra));
	index_start(ix, m->nspectra);
	for (k = 0; k < m->nspectra; k++) {
		if ((o = get_element(c, a, SEC_SPECTRA, k, path)) != NULL)
			check_spectrum(c, o, path, devs, &m->spectra[k]);
		ix->v[k].id = m->spectra[k].id;
		ix->v[k].idx = k;
	}
	index_finish(c, ix, SEC_SPECTRA);
	check_spectrum_point_clash(c, m, ix, pts);
}

static void
load_events(const struct ctx *c, json_t *root, struct model *m,
    const struct id_index *devs, const struct id_index *pts,
    const struct id_index *spx)
{
	char path[PATH_LEN];
	json_t *a = get_section(c, root, SEC_EVENTS, OPT, &m->nevents);
	struct id_index ix;
	json_t *o;
	size_t k;

	m->events = xcalloc(m->nevents, sizeof(*m->events));
	index_start(&ix, m->nevents);
	for (k = 0; k < m->nevents; k++) {
		if ((o = get_element(c, a, SEC_EVENTS, k, path)) != NULL)
			check_event(c, o, path, m, devs, pts, spx,
			    &m->events[k]);
		ix.v[k].id = m->events[k].id;
		ix.v[k].idx = k;
	}
	index_finish(c, &ix, SEC_EVENTS);
	free(ix.v);
}

static void
load_recipes(const struct ctx *c, json_t *root, struct model *m,
    const struct id_index *pts)
{
	char path[PATH_LEN];
	json_t *a = get_section(c, root, SEC_RECIPES, OPT, &m->nrecipes);
	struct id_index ix;
	json_t *o;
	size_t k;

	m->recipes = xcalloc(m->nrecipes, sizeof(*m->recipes));
	index_start(&ix, m->nrecipes);
	for (k = 0; k < m->nrecipes; k++) {
		if ((o = get_element(c, a, SEC_RECIPES, k, path)) != NULL)
			check_recipe(c, o, path, pts, &m->recipes[k]);
		ix.v[k].id = m->recipes[k].id;
		ix.v[k].idx = k;
	}
	index_finish(c, &ix, SEC_RECIPES);
	free(ix.v);
}

static void
check_devices_file(const struct ctx *c, json_t *root, struct model *m)
{
	static const char *const keys[] = { "connectors", "devices", "points",
	    "spectra", "events", "recipes", NULL };
	struct id_index conns = { NULL, 0 }, devs = { NULL, 0 };
	struct id_index pts = { NULL, 0 }, spx = { NULL, 0 };

	if (cfg_check_type(c, root, "$", W_OBJECT) == -1)
		return;
	cfg_check_keys(c, root, "$", keys);
	load_connectors(c, root, m, &conns);
	load_devices(c, root, m, &conns, &devs);
	load_points(c, root, m, &devs, &pts);
	load_spectra(c, root, m, &devs, &pts, &spx);
	load_events(c, root, m, &devs, &pts, &spx);
	load_recipes(c, root, m, &pts);
	free(conns.v);
	free(devs.v);
	free(pts.v);
	free(spx.v);
}

/* --- files ---------------------------------------------------------------- */

/* The whole file in a NUL-terminated buffer, or NULL with errno set. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *fp;
	char *buf = NULL;
	size_t cap = 0, n = 0, got;
	int saved;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n - 1, fp);
		n += got;
	} while (got > 0 && n <= FILE_MAX);
	if (ferror(fp) || n > FILE_MAX) {
		saved = n > FILE_MAX ? EFBIG : errno ? errno : EIO;
		fclose(fp);
		free(buf);
		errno = saved;
		return NULL;
	}
	fclose(fp);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * The path for a syntax error: where the scanner stopped, if it stopped
 * too (it sees the same structure as jansson), else the last value that
 * began before jansson's position (jansson rejected something the scanner
 * does not judge, such as a malformed number).
 */
static const char *
syntax_error_path(const struct jsonpos *pos, const json_error_t *jerr)
{
	if (pos->err_path != NULL)
		return pos->err_path;
	return jsonpos_path_before(pos, jerr->line, jerr->column);
}

/*
 * Read and parse dir/name into c (c->file, c->pos) and return the tree, or
 * NULL after reporting why not.  file must outlive c.
 */
static json_t *
parse_file(struct ctx *c, char *file, size_t filelen, const char *dir,
    const char *name)
{
	size_t dlen = strlen(dir), len = 0, skip;
	json_error_t jerr;
	json_t *root;
	char *text;

	snprintf(file, filelen, "%s%s%s", dir,
	    dlen > 0 && dir[dlen - 1] == '/' ? "" : "/", name);
	c->file = file;
	if ((text = read_file(file, &len)) == NULL) {
		cfg_report_at(c, 0, 0, "$", _("cannot read: %s"), strerror(errno));
		return NULL;
	}
	/* Editors hide a UTF-8 byte order mark, so columns must not count it. */
	skip = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	jsonpos_scan(&c->pos, text + skip, len - skip);
	root = json_loadb(text + skip, len - skip, 0, &jerr);
	free(text);
	if (root == NULL) {
		cfg_report_at(c, jerr.line, jerr.column,
		    syntax_error_path(&c->pos, &jerr), _("syntax error: %s"),
		    jerr.text);
		return NULL;
	}
	cfg_check_duplicate_keys(c);
	return root;
}

int
config_load(const char *dir, struct model **out, struct config_errors *errs)
{
	char app_file[PATH_LEN], dev_file[PATH_LEN];
	struct ctx app = { errs, NULL, { NULL, 0, 0, NULL, 0, 0 } };
	struct ctx dev = { errs, NULL, { NULL, 0, 0, NULL, 0, 0 } };
	struct model *m = xcalloc(1, sizeof(*m));
	size_t before = errs->n, mark;
	json_t *root;

	set_app_defaults(&m->app);
	if ((root = parse_file(&app, app_file, sizeof(app_file), dir,
	    "app.json")) != NULL)
		check_app(&app, root, m);
	json_decref(root);
	cfg_sort_errors(errs, before);
	mark = errs->n;
	if ((root = parse_file(&dev, dev_file, sizeof(dev_file), dir,
	    "devices.json")) != NULL)
		check_devices_file(&dev, root, m);
	json_decref(root);
	cfg_sort_errors(errs, mark);
	jsonpos_free(&app.pos);
	jsonpos_free(&dev.pos);
	if (errs->n > before) {
		model_free(m);
		*out = NULL;
		return -1;
	}
	*out = m;
	return 0;
}
