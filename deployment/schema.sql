-- cellpipe's PostgreSQL schema (docs/postgres.md).
--
-- Applied by `cellpipe db init --db DSN` (or `psql -f deployment/schema.sql`); running it again
-- is safe. Each migration is a numbered block that runs once and is recorded in
-- schema_version: add new migrations at the end, never edit one that has been released.
-- The whole file is one transaction, serialised by an advisory lock, so two hosts that
-- initialise the same database at once cannot interleave.

BEGIN;

SELECT pg_advisory_xact_lock(hashtextextended('cellpipe:schema', 0));

CREATE TABLE IF NOT EXISTS schema_version (
    version     integer PRIMARY KEY,
    description text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- Migration 1: cells, ingested files, per-cycle data, raw points, pipeline state, result cache.
DO $migration$
BEGIN
IF EXISTS (SELECT 1 FROM schema_version WHERE version = 1) THEN
    RETURN;
END IF;

-- Every change to a cell's metadata or cycles takes a new number from this sequence: the
-- incremental mode compares it with the pipeline's watermark.
CREATE SEQUENCE cell_data_version_seq;

-- One row per cell (DESIGN.md "Canonical columns"); metadata beyond the canonical columns
-- lives in `extra` and is carried through to filters and grouping.
CREATE TABLE cell (
    cell_id             text PRIMARY KEY,
    design_name         text,
    experiment_group    text,
    layer_types         text,
    test_status         text CHECK (test_status IN ('active', 'completed', 'failed', 'aborted')),
    start_date          timestamptz,
    year                bigint,
    nominal_capacity_ah double precision,
    chemistry           text,
    form_factor         text,
    tester              text,
    channel             text,
    extra               jsonb NOT NULL DEFAULT '{}'::jsonb,
    n_cycles            bigint NOT NULL DEFAULT 0,
    data_version        bigint NOT NULL DEFAULT nextval('cell_data_version_seq'),
    data_changed_at     timestamptz NOT NULL DEFAULT now()
);

-- One row per ingested file; sha256 makes re-ingesting the same bytes a no-op.
CREATE TABLE testfiles (
    file_id       bigserial PRIMARY KEY,
    path          text NOT NULL,
    size          bigint NOT NULL,
    sha256        text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    format        text NOT NULL,
    rows          bigint NOT NULL,
    file_mtime    timestamptz NOT NULL,
    ingested_at   timestamptz NOT NULL DEFAULT now(),
    superseded_at timestamptz
);

-- A cell's test as the ordered set of its files: seq 1 is the oldest (by file modification
-- time, then ingestion order). cycles_kept counts the cycles of cycle_data that still come
-- from the file; 0 means newer files superseded all of it.
CREATE TABLE mergedtest (
    cell_id     text NOT NULL REFERENCES cell (cell_id) ON DELETE CASCADE,
    file_id     bigint NOT NULL REFERENCES testfiles (file_id) ON DELETE CASCADE,
    seq         integer NOT NULL DEFAULT 0,
    first_cycle bigint,
    last_cycle  bigint,
    cycles      bigint NOT NULL DEFAULT 0,
    cycles_kept bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (cell_id, file_id)
);
CREATE INDEX mergedtest_file ON mergedtest (file_id);

-- One row per cell and cycle (DESIGN.md "cycles"); file_id names the file it came from.
-- No declared foreign keys: their per-row checks cost bulk loads more than half their time.
-- cell_id is checked once per statement instead (cellpipe_cycles_touch, which also locks the
-- cells it touches), deleting a cell deletes its cycles (cellpipe_cell_delete), and only
-- `cellpipe ingest` writes file_id (mergedtest keeps the checked link to testfiles).
CREATE TABLE cycle_data (
    cell_id                 text NOT NULL,
    cycle_index             bigint NOT NULL,
    test_time_s             double precision,
    start_time              timestamptz,
    charge_capacity_ah      double precision,
    discharge_capacity_ah   double precision,
    charge_energy_wh        double precision,
    discharge_energy_wh     double precision,
    v_max                   double precision,
    v_min                   double precision,
    i_max                   double precision,
    i_min                   double precision,
    v_charge_mean           double precision,
    v_discharge_mean        double precision,
    temperature_avg_c       double precision,
    temperature_max_c       double precision,
    internal_resistance_ohm double precision,
    file_id                 bigint,
    PRIMARY KEY (cell_id, cycle_index)
);
CREATE INDEX cycle_data_file ON cycle_data (file_id);

-- Optional raw points (DESIGN.md "timeseries"), streamed one cell at a time.
CREATE TABLE timeseries_data (
    cell_id               text NOT NULL REFERENCES cell (cell_id) ON DELETE CASCADE,
    cycle_index           bigint NOT NULL,
    step_index            bigint,
    test_time_s           double precision NOT NULL,
    current_a             double precision,
    voltage_v             double precision,
    charge_capacity_ah    double precision,
    discharge_capacity_ah double precision,
    charge_energy_wh      double precision,
    discharge_energy_wh   double precision,
    temperature_c         double precision,
    file_id               bigint REFERENCES testfiles (file_id) ON DELETE CASCADE
);
CREATE INDEX timeseries_data_cell ON timeseries_data (cell_id, cycle_index, test_time_s);

-- Per-pipeline state of the incremental mode: the highest cell data_version that the last
-- successful run had seen.
CREATE TABLE pipeline_state (
    pipeline        text PRIMARY KEY,
    watermark       bigint NOT NULL DEFAULT 0,
    last_success_at timestamptz,
    last_report     text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Per-cell results of a pipeline, reused while the cell's data fingerprint (its rows, the
-- pipeline configuration and the cellpipe build) is unchanged.
CREATE TABLE cell_results (
    pipeline    text NOT NULL,
    cell_id     text NOT NULL,
    fingerprint text NOT NULL,
    result      bytea NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline, cell_id)
);

-- Bump a cell's data_version when its metadata changes.
CREATE FUNCTION cellpipe_cell_touch() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.data_version = OLD.data_version
       AND (NEW.design_name, NEW.experiment_group, NEW.layer_types, NEW.test_status,
            NEW.start_date, NEW.year, NEW.nominal_capacity_ah, NEW.chemistry,
            NEW.form_factor, NEW.tester, NEW.channel, NEW.extra)
           IS DISTINCT FROM
           (OLD.design_name, OLD.experiment_group, OLD.layer_types, OLD.test_status,
            OLD.start_date, OLD.year, OLD.nominal_capacity_ah, OLD.chemistry,
            OLD.form_factor, OLD.tester, OLD.channel, OLD.extra) THEN
        NEW.data_version := nextval('cell_data_version_seq');
        NEW.data_changed_at := now();
    END IF;
    RETURN NEW;
END
$fn$;
CREATE TRIGGER cell_touch BEFORE UPDATE ON cell
    FOR EACH ROW EXECUTE FUNCTION cellpipe_cell_touch();

-- Bump data_version and recount n_cycles of the cells whose cycles a statement changed;
-- refuse cycles of an unknown cell (the foreign key, checked once per statement).
CREATE FUNCTION cellpipe_cycles_touch() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    missing text;
BEGIN
    UPDATE cell c
       SET data_version = nextval('cell_data_version_seq'),
           data_changed_at = now(),
           n_cycles = (SELECT count(*) FROM cycle_data d WHERE d.cell_id = c.cell_id)
     WHERE c.cell_id IN (SELECT DISTINCT cell_id FROM changed);
    IF TG_OP <> 'DELETE' THEN
        SELECT ch.cell_id INTO missing FROM changed ch
         WHERE NOT EXISTS (SELECT 1 FROM cell c WHERE c.cell_id = ch.cell_id) LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'cycle_data: cell "%" is not in table cell', missing
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER cycle_data_insert AFTER INSERT ON cycle_data REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION cellpipe_cycles_touch();
CREATE TRIGGER cycle_data_update AFTER UPDATE ON cycle_data REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION cellpipe_cycles_touch();
CREATE TRIGGER cycle_data_delete AFTER DELETE ON cycle_data REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION cellpipe_cycles_touch();

-- Deleting cells deletes their cycles (the ON DELETE CASCADE of the missing foreign key).
CREATE FUNCTION cellpipe_cell_delete() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM cycle_data d USING gone g WHERE d.cell_id = g.cell_id;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER cell_delete AFTER DELETE ON cell REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION cellpipe_cell_delete();

INSERT INTO schema_version (version, description)
VALUES (1, 'cell, testfiles, mergedtest, cycle_data, timeseries_data, pipeline_state, cell_results');
END
$migration$;

-- Migration 2: timeseries_data holds every raw point as a reader hands it over, so the
-- `postgres` source can replay a file's series exactly as the files source reads it: its
-- position in the file (point_index: the replay order), the Unix time stamp (the clock of a
-- file without test time) and the resistance column; cycle and test time may be unknown (a
-- reader that infers cycles, a file with stamps only). testfiles.timeseries_points counts the
-- points stored for a file (NULL: ingested with --no-timeseries).
DO $migration$
BEGIN
IF EXISTS (SELECT 1 FROM schema_version WHERE version = 2) THEN
    RETURN;
END IF;
ALTER TABLE timeseries_data
    ADD COLUMN point_index bigint,
    ADD COLUMN stamp double precision,
    ADD COLUMN internal_resistance_ohm double precision,
    ALTER COLUMN cycle_index DROP NOT NULL,
    ALTER COLUMN test_time_s DROP NOT NULL;
CREATE INDEX timeseries_data_file ON timeseries_data (cell_id, file_id, point_index);
-- Per-row foreign key checks cost a COPY of raw points more than half its time (200,000
-- points: 4.6 s with them, 1.8 s without): as for cycle_data, they are checked once per
-- statement instead, and deleting a cell or a file deletes its points.
ALTER TABLE timeseries_data
    DROP CONSTRAINT IF EXISTS timeseries_data_cell_id_fkey,
    DROP CONSTRAINT IF EXISTS timeseries_data_file_id_fkey;
CREATE FUNCTION cellpipe_points_check() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    missing text;
BEGIN
    SELECT ch.cell_id INTO missing FROM (SELECT DISTINCT cell_id FROM changed) ch
     WHERE NOT EXISTS (SELECT 1 FROM cell c WHERE c.cell_id = ch.cell_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'timeseries_data: cell "%" is not in table cell', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT ch.file_id::text INTO missing FROM (SELECT DISTINCT file_id FROM changed) ch
     WHERE ch.file_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM testfiles f WHERE f.file_id = ch.file_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'timeseries_data: file_id % is not in table testfiles', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER timeseries_data_insert AFTER INSERT ON timeseries_data
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cellpipe_points_check();
CREATE TRIGGER timeseries_data_update AFTER UPDATE ON timeseries_data
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION cellpipe_points_check();
CREATE FUNCTION cellpipe_points_cell_delete() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM timeseries_data t USING gone g WHERE t.cell_id = g.cell_id;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER cell_delete_points AFTER DELETE ON cell REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION cellpipe_points_cell_delete();
CREATE FUNCTION cellpipe_points_file_delete() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM timeseries_data t USING gone g WHERE t.file_id = g.file_id;
    RETURN NULL;
END
$fn$;
CREATE TRIGGER testfiles_delete_points AFTER DELETE ON testfiles REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION cellpipe_points_file_delete();
ALTER TABLE testfiles ADD COLUMN timeseries_points bigint;
INSERT INTO schema_version (version, description)
VALUES (2, 'timeseries_data: point_index, stamp, internal_resistance_ohm, checks per statement; testfiles.timeseries_points');
END
$migration$;

COMMIT;
