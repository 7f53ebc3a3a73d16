#ifndef CELLPIPE_DTOA_H
#define CELLPIPE_DTOA_H
/*
 * Number formatting for text output (CSV): the shortest decimal that reads back (strtod) to
 * the same double, by the Ryu algorithm (src/core/dtoa.c), with no printf, no locale and no
 * allocation. Layout is the one the CSV files have always had (docs/output-numbers.md):
 *
 *  - plain notation when the decimal exponent X (value = d.ddd x 10^X) is in -4 <= X < P,
 *    P = max(15, number of digits), and for 1e-6 <= |v| < 1e-4 with at most 9 decimals
 *    ("0.00001"); otherwise %g-style exponent notation: "1.5e-07", "1e+15", "-2.5e+300";
 *  - no trailing zeros, no "+", no leading zeros beyond "0.";
 *  - 0 and -0 are "0"; infinities are "inf" and "-inf"; NaN is the empty string.
 *
 * Buffers must hold CP_DTOA_BUFSIZE bytes (bytes past the returned length may be written);
 * the output is not NUL-terminated, the length is returned.
 */
#include <stddef.h>
#include <stdint.h>

#define CP_DTOA_BUFSIZE 48 /* more than the longest text (24): the writer copies fixed blocks */

/* Shortest digits of a finite, nonzero |v|: v = *digits x 10^*exp10, digits without trailing
 * zeros, and the closest to v of the shortest decimals that read back to v. Returns the number
 * of digits (1..17). */
int cp_dtoa_shortest(double v, uint64_t *digits, int *exp10);

/* Format v as described above into out; returns the length (0 for NaN). */
size_t cp_dtoa_format(double v, char *out);

/* Format an integer in decimal into out (at least 21 bytes); returns the length. */
size_t cp_dtoa_format_i64(int64_t v, char *out);

#endif
