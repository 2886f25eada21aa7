-- +goose Up
-- Every version of every scheme's rules, whole, with who made it, in which role, when and why. A
-- scheme's current rules stay in schemes.rules (and rules_version); applications keep the rules they
-- were submitted under in applications.submitted_rules. Rows are only ever inserted.
CREATE TABLE scheme_rules_versions (
    scheme_id   bigint NOT NULL REFERENCES schemes(id),
    version     int NOT NULL,
    rules       jsonb NOT NULL,
    at          timestamptz NOT NULL,
    actor_id    bigint REFERENCES users(id),   -- NULL: Grantflow itself or the command line
    actor_name  text NOT NULL,
    actor_role  text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    PRIMARY KEY (scheme_id, version)
);

-- The rules in force now are each scheme's first kept version; earlier ones were not kept.
INSERT INTO scheme_rules_versions (scheme_id, version, rules, at, actor_name, actor_role, reason)
SELECT id, rules_version, rules, now(), 'Grantflow', 'system', 'The rules in force when Grantflow began keeping versions'
FROM schemes;

-- +goose Down
DROP TABLE scheme_rules_versions;
