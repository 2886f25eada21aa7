-- +goose Up
-- Every change of money reaches finance and the books.
--
-- An award ended early stands at what was released or paid before it ended (which may be nothing,
-- so the amount may now be £0.00), with the amount the ending cancelled and the day it ended; its
-- end date becomes the end of the quarter in which it ended.
ALTER TABLE awards DROP CONSTRAINT awards_amount_pence_check;
ALTER TABLE awards ADD CONSTRAINT awards_amount_pence_check CHECK (amount_pence >= 0);
ALTER TABLE awards ADD COLUMN cancelled_pence bigint CHECK (cancelled_pence >= 0);
ALTER TABLE awards ADD COLUMN ended_early_on date;

-- A revised award notice (kind 'variation', seq = the award's version; or 'termination', seq 0)
-- tells finance what changed: the total before, each year's amount before and after, and the
-- tranches the change cancelled. Award and payment notices leave them empty.
ALTER TABLE finance_notices ADD COLUMN previous_amount_pence bigint;
ALTER TABLE finance_notices ADD COLUMN changes jsonb NOT NULL DEFAULT '[]';
ALTER TABLE finance_notices ADD COLUMN cancelled jsonb NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE finance_notices DROP COLUMN cancelled;
ALTER TABLE finance_notices DROP COLUMN changes;
ALTER TABLE finance_notices DROP COLUMN previous_amount_pence;
ALTER TABLE awards DROP COLUMN ended_early_on;
ALTER TABLE awards DROP COLUMN cancelled_pence;
ALTER TABLE awards DROP CONSTRAINT awards_amount_pence_check;
ALTER TABLE awards ADD CONSTRAINT awards_amount_pence_check CHECK (amount_pence > 0);
