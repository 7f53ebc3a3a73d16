/*
 * Writes a few retention curves and cellpipe's fits of them for tests/integration/fits_scipy.sh:
 *   curves.csv  curve,n,y
 *   fits.csv    curve,model,status,p0,p1,p2,p3,g    (g: Bacon-Watts width, fixed)
 * Values are printed with 17 significant digits so they read back exactly.
 */
#include <math.h>
#include <stdio.h>

#include "cellpipe/fit.h"

#define M 240

static unsigned state = 99;

static double noise(double sd)
{
    double s = 0;
    for (int k = 0; k < 12; k++) {
        state = state * 1664525u + 1013904223u;
        s += (double)(state >> 8) / 16777216.0;
    }
    return sd * (s - 6.0);
}

static double curve(int c, double n)
{
    switch (c) {
    case 0:
        return 1.0 - 2.5e-4 * n;
    case 1:
        return 1.01 - 6e-3 * sqrt(n);
    case 2:
        return 0.995 - 3e-6 * pow(n, 1.8);
    case 3:
        return 0.99 * exp(-1.5e-4 * n) - 1e-3 * exp(0.005 * n);
    case 4: {
        double z = n - 700.0;
        return 0.92 - 1.2e-4 * z - 1.0e-4 * z * tanh(z / 20.0);
    }
    default: {
        double x = (n - 600.0) / 30.0, sp = x > 30 ? x : log1p(exp(x));
        return 1.0 - 0.03 * sqrt(n) / sqrt(1000.0) - 5e-5 * n - 3e-6 * (30 * sp) * (30 * sp);
    }
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fits_scipy_export DIR\n");
        return 64;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/curves.csv", argv[1]);
    FILE *fc = fopen(path, "w");
    snprintf(path, sizeof path, "%s/fits.csv", argv[1]);
    FILE *ff = fopen(path, "w");
    if (!fc || !ff)
        return 73;
    fprintf(fc, "curve,n,y\n");
    fprintf(ff, "curve,model,status,p0,p1,p2,p3,g\n");
    for (int c = 0; c < 6; c++) {
        double n[M], y[M];
        for (int i = 0; i < M; i++) {
            n[i] = 4.0 * (i + 1); /* cycles 4 .. 960 */
            y[i] = curve(c, n[i]) + noise(0.002);
            fprintf(fc, "%d,%.17g,%.17g\n", c, n[i], y[i]);
        }
        for (int m = 0; m < CP_MODEL_COUNT; m++) {
            struct cp_fit f;
            if (cp_fit_model((enum cp_model)m, n, y, M, &f) != 0)
                return 70;
            fprintf(ff, "%d,%s,%s", c, cp_model_name((enum cp_model)m),
                    cp_fit_status_name(f.status));
            for (int k = 0; k < 4; k++)
                fprintf(ff, ",%.17g", k < f.np ? f.p[k] : NAN);
            fprintf(ff, ",%.17g\n", m == CP_MODEL_BACON_WATTS ? f.p[4] : NAN);
        }
    }
    return fclose(fc) || fclose(ff) ? 73 : 0;
}
