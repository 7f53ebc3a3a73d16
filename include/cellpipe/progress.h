#ifndef CELLPIPE_PROGRESS_H
#define CELLPIPE_PROGRESS_H
/*
 * Progress on a terminal: one line at the bottom of stderr for the stage that runs, with its
 * count and an ETA when the stage knows how much work it has ("models: 412/1000 cells fitted,
 * ETA 3 s"), rewritten in place and erased when the stage ends. Off unless the CLI turns it on
 * (stderr a terminal, text logs, not --quiet, no CI variable): log files, pipes and CI never
 * see it. Log lines erase it and draw it again after themselves (log.c). Thread-safe: workers
 * of the pool call cp_progress_add.
 */
#include <stddef.h>

void cp_progress_enable(int on);
/* A stage begins: its name (the line shows it until cp_progress_end). */
void cp_progress_begin(const char *stage);
/* The stage's work: `total` units of `unit` ("cells fitted", "rows written"). */
void cp_progress_total(size_t total, const char *unit);
/* n more units done; redraws at most ten times a second. */
void cp_progress_add(size_t n);
/* The stage ended: erase the line. */
void cp_progress_end(void);

/* For the logger: erase the line before a log line, draw it again after. */
void cp_progress_hide(void);
void cp_progress_show(void);

#endif
