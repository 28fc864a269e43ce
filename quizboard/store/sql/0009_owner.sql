-- Hosts are the app's users: a quiz records the one who created it (its JWT's sub);
-- NULL for a quiz the admin created.

ALTER TABLE quizzes ADD COLUMN owner text;
CREATE INDEX quizzes_owner ON quizzes (owner, id DESC) WHERE owner IS NOT NULL;
