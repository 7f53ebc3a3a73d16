-- Cells for the `postgres` source: one row per cell, canonical metadata columns; `extra`
-- (jsonb) becomes one column per key.
--
-- Named parameters (:name) are bound by cellpipe (PQexecParams or set_config), never pasted
-- into this text. Each is NULL when the pipeline sets no such filter. Cast every parameter
-- (:x::text[]) so that PostgreSQL knows its type. Available: :design_name, :experiment_group,
-- :layer_types, :test_status, :year, :cell_id (text[]), :where (jsonb, {"column": [values]}),
-- :pipeline (text).
SELECT c.cell_id, c.design_name, c.experiment_group, c.layer_types, c.test_status,
       c.start_date, c.year, c.nominal_capacity_ah, c.chemistry, c.form_factor, c.tester,
       c.channel, c.extra
  FROM cell c
 WHERE (:design_name::text[] IS NULL OR c.design_name = ANY (:design_name::text[]))
   AND (:experiment_group::text[] IS NULL OR c.experiment_group = ANY (:experiment_group::text[]))
   AND (:layer_types::text[] IS NULL OR c.layer_types = ANY (:layer_types::text[]))
   AND (:test_status::text[] IS NULL OR c.test_status = ANY (:test_status::text[]))
   AND (:year::text[] IS NULL OR c.year::text = ANY (:year::text[]))
   AND (:cell_id::text[] IS NULL OR c.cell_id = ANY (:cell_id::text[]))
   -- any other column, canonical or in `extra`, compared as text
   AND (:where::jsonb IS NULL OR NOT EXISTS (
            SELECT 1
              FROM jsonb_each(:where::jsonb) AS w (col, vals)
             WHERE (COALESCE(to_jsonb(c) -> w.col, c.extra -> w.col) #>> '{}'
                    = ANY (ARRAY(SELECT jsonb_array_elements_text(w.vals)))) IS NOT TRUE))
 ORDER BY c.cell_id
