/*
 * i18n.h: the gettext macros every user-visible string goes through.
 *
 * _() translates at run time; N_() only marks a string for xgettext so that a
 * table of constant strings can be translated where it is shown.
 */
#ifndef JOPE_I18N_H
#define JOPE_I18N_H

#include <libintl.h>
#include <locale.h>

#define _(s) gettext(s)
#define N_(s) (s)

#endif
