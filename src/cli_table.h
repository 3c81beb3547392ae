/*
 * cli_table.h: a text table for the command line, aligned by display width.
 *
 * Column headers and cells may be translated: a CJK character takes two
 * columns, so widths are measured with wcwidth() in the current locale,
 * never with strlen().  The commands that print tables (status, user list,
 * config versions) fill one and print it; the last column is not padded.
 */
#ifndef JOPE_CLI_TABLE_H
#define JOPE_CLI_TABLE_H

#include <stdio.h>

struct cli_table;

struct cli_table *cli_table_new(int ncols, const char *const *heads);
/* One row of ncols cells (copied); NULL cells print as "". */
void cli_table_add(struct cli_table *t, const char *const *cells);
void cli_table_print(const struct cli_table *t, FILE *fp);
void cli_table_free(struct cli_table *t);

/* Columns s takes on a terminal (bytes that are not valid count one). */
int cli_display_width(const char *s);

#endif
