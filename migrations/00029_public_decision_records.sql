-- +goose Up
-- A decision record keeps what it published: the record's content as issued (letters.DecisionRecord
-- as JSON, without the letterhead), which names offices and roles, never people. The public
-- decisions page, the API and the public PDF are all built from it, never from the stored PDF, so a
-- record issued before records became anonymous (its PDF names the decision maker, the recommender
-- and whoever declared an interest) never shows those names in public.
ALTER TABLE decision_records ADD COLUMN content jsonb;

-- The records issued before this column existed get their content from the data as it stands: the
-- variation's terms for a variation's record, the award's otherwise (for an award varied since, its
-- terms as varied: the first version's years were not kept anywhere else). Declarations are by the
-- declarer's role; the recommender is by role.
UPDATE decision_records SET content = built.content FROM (SELECT d.id, jsonb_build_object(
    'number', d.number,
    'title', coalesce(nullif(a.service->>'service', ''), a.title)
        || CASE WHEN d.award_version > 1 THEN ' (variation, version ' || d.award_version || ')' ELSE '' END,
    'office', CASE d.decided_role WHEN 'commissioner' THEN 'Police and Crime Commissioner'
        WHEN 'head_of_commissioning' THEN 'Head of Commissioning' WHEN 'officer' THEN 'Commissioning Officer'
        ELSE initcap(replace(d.decided_role, '_', ' ')) END,
    'date', d.created_at,
    'recipient', o.name,
    'recipient_id', CASE WHEN o.charity_number <> '' THEN 'GB-CHC-' || o.charity_number
        WHEN o.company_number <> '' THEN 'GB-COH-' || o.company_number ELSE '' END,
    'scheme', s.name,
    'reference', aw.reference,
    'variation', coalesce(v.summary, CASE WHEN d.award_version > 1 THEN 'Version ' || d.award_version || ' of the award.' ELSE '' END),
    'years', coalesce(
        (SELECT jsonb_agg(jsonb_build_object(
                'label', (yr->>'financial_year') || '-' || lpad((((yr->>'financial_year')::int + 1) % 100)::text, 2, '0'),
                'amount_pence', (yr->>'amount_pence')::bigint) ORDER BY (yr->>'financial_year')::int)
            FROM jsonb_array_elements(v.years) e(yr)),
        (SELECT jsonb_agg(jsonb_build_object(
                'label', ay.financial_year || '-' || lpad(((ay.financial_year + 1) % 100)::text, 2, '0'),
                'amount_pence', ay.amount_pence) ORDER BY ay.financial_year)
            FROM award_years ay WHERE ay.award_id = aw.id),
        jsonb_build_array(jsonb_build_object('label', fy.y || '-' || lpad(((fy.y + 1) % 100)::text, 2, '0'), 'amount_pence', aw.amount_pence))),
    'total_pence', coalesce(
        (SELECT sum((yr->>'amount_pence')::bigint) FROM jsonb_array_elements(v.years) e(yr)),
        (SELECT sum(ay.amount_pence) FROM award_years ay WHERE ay.award_id = aw.id),
        aw.amount_pence),
    'purpose', aw.purpose,
    'conditions', coalesce(v.conditions, aw.conditions),
    'reasons', jsonb_build_array(aw.reasons),
    'band', coalesce(v.delegation_band, aw.delegation_band),
    'rules_version', coalesce(v.rules_version, aw.rules_version),
    'recommended_by', coalesce((SELECT CASE u.role WHEN 'commissioner' THEN 'Police and Crime Commissioner'
            WHEN 'head_of_commissioning' THEN 'Head of Commissioning' WHEN 'officer' THEN 'Commissioning Officer'
            WHEN 'admin' THEN 'Administrator' ELSE initcap(replace(u.role, '_', ' ')) END || ', moderating the assessment panel'
        FROM recommendations r JOIN users u ON u.id = r.recommended_by WHERE r.application_id = a.id), ''),
    'declarations', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'role', CASE u.role WHEN 'assessor' THEN 'An assessor' WHEN 'officer' THEN 'A commissioning officer'
                WHEN 'head_of_commissioning' THEN 'A head of commissioning' WHEN 'commissioner' THEN 'The Commissioner'
                ELSE 'A member of staff' END) ORDER BY c.declared_at, c.user_id)
        FROM conflicts c JOIN users u ON u.id = c.user_id WHERE c.application_id = a.id AND c.has_conflict), '[]'::jsonb)) AS content
FROM decision_records d
JOIN applications a ON a.id = d.application_id
JOIN awards aw ON aw.application_id = a.id
JOIN organisations o ON o.id = a.organisation_id
JOIN schemes s ON s.id = a.scheme_id
LEFT JOIN LATERAL (SELECT CASE WHEN extract(month FROM aw.decided_at AT TIME ZONE 'Europe/London') < 4
        THEN extract(year FROM aw.decided_at AT TIME ZONE 'Europe/London')::int - 1
        ELSE extract(year FROM aw.decided_at AT TIME ZONE 'Europe/London')::int END AS y) fy ON true
LEFT JOIN variations v ON v.application_id = a.id AND v.award_version = d.award_version
WHERE d.content IS NULL) built
WHERE built.id = decision_records.id;

-- +goose Down
ALTER TABLE decision_records DROP COLUMN content;
