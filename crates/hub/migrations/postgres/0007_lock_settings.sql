-- What the lock last reported of its settings (answer to get_settings, queued
-- at claim and after every applied change): a JSON object of the hub's setting
-- names (crate::settings::SETTINGS) to values. NULL until it answered.
ALTER TABLE locks ADD COLUMN settings TEXT;
ALTER TABLE locks ADD COLUMN settings_at BIGINT;
