/*
 * tmpdir.h: the unit tests' private directories under /tmp, removed whole
 * after each test (header only: test code, one copy per test program).
 */
#ifndef JOPE_TEST_TMPDIR_H
#define JOPE_TEST_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
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

#endif
