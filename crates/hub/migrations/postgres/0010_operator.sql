-- Hub operators: accounts that may create and list organisations (a
-- hub-wide power, not a role inside one organisation). The admin that the
-- first run (`tumbler up` / `tumbler hub`) creates is one; on an existing
-- hub the first owner of the first organisation becomes one.
-- Keep in step with ../sqlite/0010_operator.sql.
ALTER TABLE accounts ADD COLUMN operator BIGINT NOT NULL DEFAULT 0;
UPDATE accounts SET operator = 1 WHERE id = (
    SELECT MIN(id) FROM accounts WHERE role = 'owner'
      AND org_id = (SELECT MIN(id) FROM orgs)
);
