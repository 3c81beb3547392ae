/* batch_fixture: a spool with a finished batch, through the spool's own C
 * API, for tests/integration/test_batch_report.sh.
 *
 *   batch_fixture record STATE_DIR SPOOL T0
 *   batch_fixture republish STATE_DIR SPOOL T0
 *   batch_fixture poison STATE_DIR SPOOL T0
 *   batch_fixture samples SPOOL T0 FROM TO
 *
 * record puts the record of batch B-T1 (complete) and of an older batch
 * B-T0 into the spool (spool_batch_put), and appends two batch_record
 * audit events of B-T1, running then complete, sealed with the console
 * key of STATE_DIR (audit_log_append), as the console does after each
 * transition: the uploader folds them into the historian's batches table.
 * republish appends the complete record's event once more, unchanged: the
 * fold must leave the historian's row as it is.  poison appends a
 * batch_record event whose id holds a NUL character (written "\u0000",
 * which jsonb refuses): it must not hold up the trail nor the fold of the
 * other records.
 * samples puts samples FROM..TO-1 of the fixed list below (spool_put), in
 * reverse order so that the report must sort them.  T0 is the time of
 * sample 0 in whole seconds since the epoch; the test computes the same
 * times to write the CSV it expects:
 *
 *   #  offset     point      value          quality    tag        batch
 *   0  0          FT-101     1.5            good       -          B-T1
 *   1  0          AT-501.C1  0.25           good       smb-pls@3  B-T1
 *   2  0.5 s      FT-101     2              good       -          B-T1
 *   3  1.000001 s FT-101     (none)         bad        -          B-T1
 *   4  1.000001 s "PT, 1"    -3e-07         uncertain  -          B-T1
 *   5  2 s        AT-501.C1  0.1            good       smb-pls@3  B-T1
 *   6  2 s        FT-101     123456789.125  good       -          B-T1
 *   7  3 s        AT-501.C1  1/3            good       smb-pls@3  B-T1
 *   8  1.5 s      FT-101     9              good       -          B-T0
 *   9  2.5 s      FT-101     8              good       -          (none)
 *
 * Exit status 0, or 1 with a message on standard error.
 */
#include "config.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compliance/audit_log.h"
#include "compliance/console_key.h"
#include "core/util.h"
#include "store/spool.h"

#define US	INT64_C(1000000)

struct fixed_sample {
	int64_t offset_us;
	const char *point;
	double value;
	enum quality quality;
	const char *tag, *batch;
};

static const struct fixed_sample fixed[] = {
	{ 0, "FT-101", 1.5, QUALITY_GOOD, NULL, "B-T1" },
	{ 0, "AT-501.C1", 0.25, QUALITY_GOOD, "smb-pls@3", "B-T1" },
	{ 500000, "FT-101", 2.0, QUALITY_GOOD, NULL, "B-T1" },
	{ 1000001, "FT-101", NAN, QUALITY_BAD, NULL, "B-T1" },
	{ 1000001, "PT, 1", -3e-07, QUALITY_UNCERTAIN, NULL, "B-T1" },
	{ 2000000, "AT-501.C1", 0.1, QUALITY_GOOD, "smb-pls@3", "B-T1" },
	{ 2000000, "FT-101", 123456789.125, QUALITY_GOOD, NULL, "B-T1" },
	{ 3000000, "AT-501.C1", 1.0 / 3, QUALITY_GOOD, "smb-pls@3", "B-T1" },
	{ 1500000, "FT-101", 9.0, QUALITY_GOOD, NULL, "B-T0" },
	{ 2500000, "FT-101", 8.0, QUALITY_GOOD, NULL, NULL },
};

static int
die(const char *what, const char *why)
{
	fprintf(stderr, "batch_fixture: %s: %s\n", what, why);
	return 1;
}

static json_t *
time_json(int64_t us)
{
	char buf[40];

	if (us <= 0)
		return json_null();
	format_rfc3339_us(us, buf, sizeof buf);
	return json_string(buf);
}

static json_t *
transition(const char *event, const char *from, const char *to, int64_t us,
    const char *user, const char *second, int64_t seq)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:I,s:s,s:s,s:I}", "event", event,
	    "from", from, "to", to, "time", time_json(us), "time_us",
	    (json_int_t)us, "user", user, "second_user", second, "audit_seq",
	    (json_int_t)seq);
}

/* The record as plant/batch_record.h writes it. */
static json_t *
record(const char *id, const char *state, int64_t started, int64_t ended,
    int64_t updated, json_t *transitions)
{
	json_t *j = json_pack("{s:s,s:{s:s,s:s,s:s,s:I,s:I},s:s,s:s,s:s}",
	    "id", id, "recipe", "id", "racemate-sep", "name",
	    "Racemate separation", "version", "3", "run_ms",
	    (json_int_t)120000, "expected_ms", (json_int_t)3600000, "state",
	    state, "started_by", "olga", "console", "ipc-1");

	json_object_set_new(j, "started", time_json(started));
	json_object_set_new(j, "started_us", json_integer(started));
	json_object_set_new(j, "ended", time_json(ended));
	json_object_set_new(j, "ended_us", json_integer(ended));
	json_object_set_new(j, "held_total_ms", json_integer(2500));
	json_object_set_new(j, "holds", json_integer(1));
	json_object_set_new(j, "held_since_us", json_integer(0));
	json_object_set_new(j, "run", json_integer(1));
	json_object_set_new(j, "stop_run", json_integer(1));
	json_object_set_new(j, "samples", json_integer(8));
	json_object_set_new(j, "errors", json_integer(0));
	json_object_set_new(j, "alarms", json_integer(1));
	json_object_set_new(j, "transitions", transitions);
	json_object_set_new(j, "transitions_dropped", json_integer(0));
	json_object_set_new(j, "updated", time_json(updated));
	return j;
}

static int
put_record(struct spool *sp, json_t *rec)
{
	char *text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc = spool_batch_put(sp, json_string_value(json_object_get(rec,
	    "id")), json_string_value(json_object_get(rec, "state")),
	    json_integer_value(json_object_get(rec, "started_us")),
	    json_integer_value(json_object_get(rec, "ended_us")), text);

	free(text);
	return rc;
}

static int
do_record(const char *state_dir, struct spool *sp, int64_t t0, bool again)
{
	int64_t started = t0 - US, ended = t0 + 10 * US;
	struct console_key *key;
	json_t *running, *done, *old;
	char err[512];

	if ((key = console_key_load(state_dir, err, sizeof err)) == NULL)
		return die(state_dir, err);
	running = again ? NULL : record("B-T1", "running", started, 0,
	    started, json_pack("[o]", transition("start", "idle", "running",
	    started, "olga", "", 11)));
	done = record("B-T1", "complete", started, ended, ended,
	    json_pack("[o,o,o,o,o]",
	    transition("start", "idle", "running", started, "olga", "", 11),
	    transition("hold", "running", "held", t0 + 4 * US, "olga", "", 12),
	    transition("resume", "held", "running", t0 + 6500000, "olga", "",
	    13),
	    transition("stop", "running", "stopping", t0 + 8 * US, "sue",
	    "quinn", 14),
	    transition("run_end", "stopping", "complete", ended, "", "", 0)));
	old = record("B-T0", "aborted", started - 3600 * US,
	    started - 1800 * US, started - 1800 * US, json_array());
	if ((running != NULL && audit_log_append(sp, key, "batch_record", "",
	    json_incref(running), 0, err, sizeof err) < 0) ||
	    audit_log_append(sp, key, "batch_record", "", json_incref(done), 0,
	    err, sizeof err) < 0) {
		console_key_free(key);
		return die("audit_log_append", err);
	}
	console_key_free(key);
	if (put_record(sp, old) != 0 || put_record(sp, done) != 0)
		return die("spool_batch_put", spool_last_error(sp));
	json_decref(running);
	json_decref(done);
	json_decref(old);
	return 0;
}

static int
do_poison(const char *state_dir, struct spool *sp)
{
	struct console_key *key;
	char err[512];
	int64_t seq;

	if ((key = console_key_load(state_dir, err, sizeof err)) == NULL)
		return die(state_dir, err);
	seq = audit_log_append(sp, key, "batch_record", "", json_pack(
	    "{s:s%,s:s}", "id", "B-P\0", (size_t)4, "state", "running"), 0,
	    err, sizeof err);
	console_key_free(key);
	return seq < 0 ? die("audit_log_append", err) : 0;
}

static int
do_samples(struct spool *sp, int64_t t0, int from, int to)
{
	if (from < 0 || to > (int)ARRAY_LEN(fixed) || from > to)
		return die("samples", "FROM TO out of range");
	for (int i = to - 1; i >= from; i--) {
		const struct fixed_sample *f = &fixed[i];
		struct spool_sample s = { f->point, f->value, f->quality,
		    t0 + f->offset_us, f->batch, f->tag };

		if (spool_put(sp, &s, 1, NULL, 0) != 0)
			return die("spool_put", spool_last_error(sp));
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct spool *sp;
	char err[512];
	int rc;

	if (argc == 5 && (strcmp(argv[1], "record") == 0 ||
	    strcmp(argv[1], "republish") == 0)) {
		if (spool_open(argv[3], &sp, err, sizeof err) != 0)
			return die(argv[3], err);
		rc = do_record(argv[2], sp, strtoll(argv[4], NULL, 10) * US,
		    strcmp(argv[1], "republish") == 0);
	} else if (argc == 5 && strcmp(argv[1], "poison") == 0) {
		if (spool_open(argv[3], &sp, err, sizeof err) != 0)
			return die(argv[3], err);
		rc = do_poison(argv[2], sp);
	} else if (argc == 6 && strcmp(argv[1], "samples") == 0) {
		if (spool_open(argv[2], &sp, err, sizeof err) != 0)
			return die(argv[2], err);
		rc = do_samples(sp, strtoll(argv[3], NULL, 10) * US,
		    atoi(argv[4]), atoi(argv[5]));
	} else {
		fprintf(stderr, "usage: batch_fixture record|republish|poison "
		    "STATE_DIR SPOOL T0\n"
		    "       batch_fixture samples SPOOL T0 FROM TO\n");
		return 2;
	}
	spool_close(sp);
	return rc;
}
