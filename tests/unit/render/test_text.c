/* Text is cut before layout (render/text.c): a 2 MB description is laid out as its first
 * 8 KiB, cut on a character boundary. On the old code the long string measured 256 times
 * wider than its first 8 KiB and took seconds. */
#include <cairo.h>
#include <stdint.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/text.h"
#include "harness.h"

TEST(long_text_is_cut_on_a_character)
{
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 10, 10);
    cairo_t *cr = cairo_create(sf);
    struct cp_text tx;
    CHECK_INT(cp_text_init(&tx, cr), 0);
    size_t n = 2u << 20;
    char *big = cp_malloc(n + 1);
    static const char unit[] = "x\xc3\xbc"; /* "xü": 3 bytes; byte 2 continues the ü */
    for (size_t i = 0; i < n; i++)
        big[i] = unit[i % 3];
    big[n] = '\0';
    /* 8192 % 3 == 2: a cut at 8192 bytes would split an ü (Pango then draws nothing and
     * warns); the cut must back off to 8191, a whole number of characters */
    double w_big, w_cut;
    cp_text_measure(&tx, big, 10, 0, &w_big, NULL);
    big[8191] = '\0';
    cp_text_measure(&tx, big, 10, 0, &w_cut, NULL);
    CHECK(w_cut > 0);
    CHECK_NEAR(w_big, w_cut, 1e-9);
    cp_free(big);
    cp_text_release(&tx);
    cairo_destroy(cr);
    cairo_surface_destroy(sf);
}

/* Counts in the summary's key figures: "798,459", not "798459". */
TEST(counts_group_digits_by_three)
{
    char b[32];
    CHECK_STR(cp_text_count(b, sizeof b, 0), "0");
    CHECK_STR(cp_text_count(b, sizeof b, 999), "999");
    CHECK_STR(cp_text_count(b, sizeof b, 1101), "1,101");
    CHECK_STR(cp_text_count(b, sizeof b, 798459), "798,459");
    CHECK_STR(cp_text_count(b, sizeof b, 1000000), "1,000,000");
    CHECK_STR(cp_text_count(b, sizeof b, -1234567), "-1,234,567");
    CHECK_STR(cp_text_count(b, sizeof b, INT64_MIN), "-9,223,372,036,854,775,808");
    char small[6]; /* cut, never overrun, always terminated */
    CHECK_STR(cp_text_count(small, sizeof small, 1234567), "1,234");
}

int main(void)
{
    RUN(long_text_is_cut_on_a_character);
    RUN(counts_group_digits_by_three);
    return DONE();
}
