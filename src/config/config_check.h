/*
 * config_check.h: reading validated values out of a parsed JSON file.
 *
 * The schema code (config.c) asks for a key of an object with a type, a
 * range or a list of allowed words; these functions check it, and when it
 * is wrong add an error located at file:line:column with its JSON path
 * (jsonpos), so that the schema code only says which keys exist and what
 * they mean.  Getters return 1 when the key was found and valid, 0 when
 * absent (the default is kept), -1 when an error was reported.  Internal
 * to the config module.
 */
#ifndef JOPE_CONFIG_CHECK_H
#define JOPE_CONFIG_CHECK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "config/jsonpos.h"

#define PATH_LEN 512

/* Getter flags. */
#define OPT 0
#define REQ 1                       /* report when absent */
#define NONEMPTY 2                  /* strings: "" is an error */

/* One file being validated. */
struct ctx {
	struct config_errors *errs;
	const char *file;
	struct jsonpos pos;
};

enum want { W_STRING, W_INTEGER, W_NUMBER, W_OBJECT, W_ARRAY, W_BOOLEAN };

void cfg_report_at(const struct ctx *c, int line, int column, const char *path,
    const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void cfg_report(const struct ctx *c, const char *path, enum jsonpos_kind kind,
    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cfg_sort_errors(struct config_errors *errs, size_t from);
int cfg_check_type(const struct ctx *c, const json_t *v, const char *path,
    enum want w);
void cfg_check_keys(const struct ctx *c, json_t *obj, const char *path,
    const char *const *allowed);
void cfg_reject_keys(const struct ctx *c, json_t *obj, const char *path,
    const char *const *keys, const char *kind);
void cfg_check_duplicate_keys(const struct ctx *c);
json_t *cfg_get_member(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, char *cpath);
json_t *cfg_get_typed(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, enum want w, char *cpath);
int cfg_get_string(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, char *dst, size_t len);
int cfg_get_bool(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, int *out);
int cfg_get_id(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, char *dst);
int cfg_get_int(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, long long min, long long max, long long *out);
int cfg_get_number(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, double min, double max, double *out);
int cfg_get_enum(const struct ctx *c, json_t *obj, const char *path,
    const char *key, int flags, const char *const *names, int *out);

#endif
