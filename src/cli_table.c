/*
 * cli_table.c: text tables aligned by display width (cli_table.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "cli_table.h"
#include "core/util.h"

struct cli_table {
	int ncols;
	size_t nrows;           /* row 0 is the header */
	char **cells;           /* nrows * ncols */
	int *width;
};

int
cli_display_width(const char *s)
{
	mbstate_t st;
	int w = 0;

	memset(&st, 0, sizeof st);
	while (*s) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s, MB_CUR_MAX, &st);
		int cw;

		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&st, 0, sizeof st);
			s++;
			w++;
			continue;
		}
		cw = wcwidth(wc);
		w += cw > 0 ? cw : 0;
		s += k;
	}
	return w;
}

struct cli_table *
cli_table_new(int ncols, const char *const *heads)
{
	struct cli_table *t = xcalloc(1, sizeof *t);

	t->ncols = ncols;
	t->width = xcalloc((size_t)ncols, sizeof *t->width);
	cli_table_add(t, heads);
	return t;
}

void
cli_table_add(struct cli_table *t, const char *const *cells)
{
	size_t base = t->nrows * (size_t)t->ncols;

	t->cells = xrealloc(t->cells, (base + (size_t)t->ncols) *
	    sizeof *t->cells);
	for (int c = 0; c < t->ncols; c++) {
		const char *s = cells[c] != NULL ? cells[c] : "";
		int w = cli_display_width(s);

		t->cells[base + (size_t)c] = xstrdup(s);
		if (w > t->width[c])
			t->width[c] = w;
	}
	t->nrows++;
}

void
cli_table_print(const struct cli_table *t, FILE *fp)
{
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * (size_t)t->ncols +
			    (size_t)c];

			fputs(s, fp);
			if (c == t->ncols - 1)
				break;
			for (int k = cli_display_width(s); k < t->width[c] + 2;
			    k++)
				fputc(' ', fp);
		}
		fputc('\n', fp);
	}
}

void
cli_table_free(struct cli_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}
