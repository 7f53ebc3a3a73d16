#ifndef CELLPIPE_SOURCES_FILES_INTERNAL_H
#define CELLPIPE_SOURCES_FILES_INTERNAL_H
/* Private to the files source (src/sources/files.c, files_timeseries.c). */
struct cp_run;
struct cp_error;

/* report.timeseries_bdf: timeseries/<cell_id>.bdf.csv in the staging folder for every input of
 * the run read by a raw-series reader (read again, streamed, never held in memory), so that
 * a failed run publishes none. The files source's `save` op. 0 or a negative code. */
int cp_files_save_timeseries(const struct cp_run *run, struct cp_error *err);

#endif
