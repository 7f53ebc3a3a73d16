-- Cycles for the `postgres` source: one row per cell and cycle, canonical columns.
--
-- :cell_ids (text[]) holds the cells that cells.sql returned, so both queries see the same
-- selection (they run in one REPEATABLE READ READ ONLY transaction). No ORDER BY: cellpipe
-- sorts and groups the rows itself, and a server-side sort of every cycle costs more.
SELECT d.cell_id, d.cycle_index, d.test_time_s, d.start_time, d.charge_capacity_ah,
       d.discharge_capacity_ah, d.charge_energy_wh, d.discharge_energy_wh, d.v_max, d.v_min,
       d.i_max, d.i_min, d.v_charge_mean, d.v_discharge_mean, d.temperature_avg_c,
       d.temperature_max_c, d.internal_resistance_ohm
  FROM cycle_data d
  JOIN unnest(:cell_ids::text[]) AS s (cell_id) ON s.cell_id = d.cell_id
