-- +goose Up
-- Where an application's beneficiaries are, to ward level where its scheme lists wards: the wards it
-- named (a service's details, or the grassroots form's ward question), kept beside areas so the
-- register, 360Giving's beneficiaryLocation and the Panel's locality figures read one column.
ALTER TABLE applications ADD COLUMN wards text[] NOT NULL DEFAULT '{}';
UPDATE applications SET wards = ARRAY(SELECT jsonb_array_elements_text(service->'wards'))
    WHERE jsonb_typeof(service->'wards') = 'array';
UPDATE applications SET wards = ARRAY(SELECT jsonb_array_elements_text(answers->'wards'))
    WHERE service IS NULL AND jsonb_typeof(answers->'wards') = 'array';

-- +goose Down
ALTER TABLE applications DROP COLUMN wards;
