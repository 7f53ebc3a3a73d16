#ifndef CELLPIPE_DECIMAL_H
#define CELLPIPE_DECIMAL_H
/*
 * The fast path of decimal number parsing (src/core/decimal.c), shared by the text readers'
 * cp_parse_num (textread.h) and the CSV reader's cp_csv_number (csv.h): a number that it
 * takes comes out with the same bits strtod gives, and one it does not take is left to
 * strtod by the caller.
 */

/*
 * Parse "[+-]digits[.digits][(e|E)[+-]digits]" at s (no leading blanks), with at most 15
 * significant digits, at most 4 exponent digits and a value m * 10^k with |k| <= 22; with
 * `comma` nonzero, ',' is a decimal separator as well as '.'. Returns 0 with *out and *end
 * (the first byte not read: where strtod's end would be, except in hexadecimal "0x1A", read
 * as the 0 before the 'x'), or -1 when the text is not of that form (*out and *end untouched):
 * then strtod decides, and may still take it. A caller that wants the text whole therefore
 * refuses hexadecimal, as cp_parse_num and cp_csv_number do (no cycler writes it).
 */
int cp_decimal_fast(const char *s, int comma, double *out, const char **end);

#endif
