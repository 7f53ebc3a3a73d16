#ifndef CELLPIPE_REPORT_H
#define CELLPIPE_REPORT_H
/*
 * The report folder (DESIGN.md "The report folder"):
 *   <root>/<pipeline>/<YYYY-MM-DD>/   published report
 *   <root>/<pipeline>/.staging-<date>-<pid>/   built here, then renamed into place
 *   <root>/<pipeline>/.lock           flock()ed for the whole run: one run per pipeline
 *   <root>/<pipeline>/latest -> <YYYY-MM-DD>   the newest complete report
 *   <root>/<pipeline>/.old-<date>-<pid>/   the replaced report, until removed after publish
 *   <root>/<pipeline>/.latest.tmp      the new `latest` link, until renamed over it
 *
 * Publishing swaps the staging folder and the published one atomically (renameat2 with
 * RENAME_EXCHANGE; two renames where the file system cannot exchange), then removes the old
 * one: a reader sees the old report or the new one, never a mix. A failed run removes its
 * staging folder; a killed run may leave the three dot names above, which the next run
 * (holding the lock) removes, except an `.old-<date>-*` with no `<date>` beside it (a run
 * killed between the two renames): that is the previous report, and it is renamed back.
 * tests/integration/kill9.sh kills runs at seeded points and checks this.
 */
#include "cellpipe/run.h"

struct cp_error;

struct cp_report_lock {
    int fd;
};

/* Take the pipeline's lock under base (= <root>/<pipeline>, created). CP_ETEMPFAIL when
 * another run holds it. */
int cp_report_lock(struct cp_report_lock *lk, const char *base, struct cp_error *err);
void cp_report_unlock(struct cp_report_lock *lk);

/* Create run->staging_dir (and plots/, results/, mlflow/) under base; set run->report_dir.
 * Removes stale staging folders of killed runs. */
int cp_report_stage(struct cp_run *run, const char *base, struct cp_error *err);
/* Move the staging folder into place, point `latest` at the newest report, prune dated
 * folders older than cfg->report.keep_days. */
int cp_report_publish(struct cp_run *run, const char *base, struct cp_error *err);
/* Remove the staging folder (failed run). */
void cp_report_discard(struct cp_run *run);

#endif
