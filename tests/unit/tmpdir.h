/*
 * tmpdir.h: the unit tests' private directories under /tmp, removed whole
 * after each test (header only: test code, one copy per test program).
 * tmpdir_fixture_setup / _teardown are the cmocka fixture of a test that
 * works on one file (a spool, a keystore) in a directory of its own.
 */
#ifndef JOPE_TEST_TMPDIR_H
#define JOPE_TEST_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int
tmpdir_remove_entry(const char *name, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	/* A test may have made something read-only: removable again. */
	chmod(name, 0700);
	return remove(name);
}

/* Remove dir and everything below it; a test's teardown. */
static inline void
tmpdir_remove(const char *dir)
{
	nftw(dir, tmpdir_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A test's directory and the path of its file in it. */
struct tmpdir_fixture {
	char dir[64];
	char path[128];
};

/*
 * A new directory /tmp/PREFIX-XXXXXX (mkdtemp(3)) with path set to FILE in
 * it, as *state; 0, or -1 when it cannot be made.
 */
static inline int
tmpdir_fixture_setup(void **state, const char *prefix, const char *file)
{
	struct tmpdir_fixture *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/%s-XXXXXX", prefix);
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/%s", f->dir, file);
	*state = f;
	return 0;
}

/* Remove the directory with everything in it, and the fixture. */
static inline int
tmpdir_fixture_teardown(void **state)
{
	struct tmpdir_fixture *f = *state;

	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

#endif
