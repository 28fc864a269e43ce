-- Pictures and sounds, named by the SHA-256 of their bytes: a re-upload is the same row,
-- and every API process serves every file. A quiz's questions refer to them by id.

CREATE TABLE media (
    id           text        PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
    content_type text        NOT NULL,
    size         integer     NOT NULL CHECK (size > 0),
    data         bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
