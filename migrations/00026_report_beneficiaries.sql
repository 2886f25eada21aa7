-- +goose Up
-- Who a grassroots grant reached, from its end-of-grant report: counts by area, ward (where the
-- scheme lists wards) and age band, the same shape as a monitoring return's beneficiaries
-- ([{"area", "ward", "age_band", "count"}]), so the Panel's figures read both alike.
ALTER TABLE grant_reports ADD COLUMN beneficiaries jsonb NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE grant_reports DROP COLUMN beneficiaries;
