/*
 * migrate_scripts.h: the migration scripts embedded at build time
 * (sql2c.sh turns the .sql files of src/historian/sql into migrations_sql.c).
 */
#ifndef JOPE_MIGRATE_SCRIPTS_H
#define JOPE_MIGRATE_SCRIPTS_H

struct migration_script {
	const char *file;       /* e.g. "0001_base.up.sql" */
	const char *sql;
};

extern const struct migration_script migration_scripts[];
extern const unsigned migration_script_count;

#endif
