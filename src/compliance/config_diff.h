/*
 * config_diff.h: what changes between two configurations, as JSON paths.
 *
 * The difference people sign when they apply a configuration: one entry per
 * changed value, with the JSON path of config_error (that is, of
 * check-config), the old and the new value:
 *
 *   devices.json $.points[3].scale: 0.1 → 0.01
 *   devices.json $.devices[4] (id "pump-9"): added {"id":"pump-9",...}
 *   devices.json $.devices[2] (id "raman"): removed {"id":"raman",...}
 *   app.json $.theme: "dark" → "light"
 *
 * Each entry is a JSON object {"file", "path", "op", "old", "new"} with op
 * one of "changed", "added" (no "old"), "removed" (no "new") and
 * "reordered", and "id" when the element is matched by id.  Objects are
 * compared member by member.  An array whose elements are all objects with
 * a string "id", unique in each version, is compared by id (devices,
 * points, connectors...): an element's path carries its index in the new
 * file ("removed": in the old one), and a change of order alone is one
 * "reordered" entry whose old and new are the lists of ids.  Other arrays
 * are compared index by index.  Values of different types, or numbers
 * that differ (1 and 1.0 too: the file changed), are "changed".
 */
#ifndef JOPE_CONFIG_DIFF_H
#define JOPE_CONFIG_DIFF_H

#include <stddef.h>

#include <jansson.h>

/*
 * Append to out (an array) the differences of file (a name for the
 * entries, "app.json") from a to b.  Either may be NULL: a file that does
 * not exist (every member of the other one is added or removed).
 */
void config_diff_json(const char *file, const json_t *a, const json_t *b,
    json_t *out);

/*
 * The difference of two configurations given as file contents (each
 * NUL-terminated JSON text, or NULL for none).  A new array, or NULL with
 * err when a text is not JSON.
 */
json_t *config_diff_texts(const char *old_app, const char *old_devices,
    const char *new_app, const char *new_devices, char *err, size_t errlen);

/* One entry as one line for people (no newline), malloc'ed. */
char *config_diff_format(const json_t *entry);

/*
 * A value in the shortest compact JSON that reads back as the same value
 * (0.1, not 0.10000000000000001), malloc'ed.
 */
char *config_diff_value(const json_t *v);

#endif
