-- Version 20: the service relay (CN104123686A). The providers this till follows through the
-- platform, each with the product its service lines are booked under (sku SERVICE-<ACCOUNT>,
-- inactive: never scanned, searched or priced from the catalogue; no stock), and the
-- conversations with them round by round, kept (failed rounds too) for the history.

CREATE TABLE service_providers (
    account_id  TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    product_id  INTEGER NOT NULL REFERENCES products (id),
    followed_at INTEGER NOT NULL
) STRICT;

CREATE TABLE service_conversations (
    conversation_id TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES service_providers (account_id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    status          TEXT NOT NULL CHECK (status IN ('open', 'done')),
    amount_minor    INTEGER CHECK (amount_minor IS NULL OR amount_minor > 0),
    currency        TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX service_conversations_created ON service_conversations (created_at);

CREATE TABLE service_rounds (
    conversation_id TEXT NOT NULL REFERENCES service_conversations (conversation_id),
    seq             INTEGER NOT NULL,
    idem_key        TEXT NOT NULL UNIQUE,
    request_text    TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('sending', 'answered', 'failed')),
    answer_text     TEXT,
    amount_minor    INTEGER,
    currency        TEXT,
    done            INTEGER NOT NULL DEFAULT 0,
    error_code      TEXT,
    error_message   TEXT,
    created_at      INTEGER NOT NULL,
    answered_at     INTEGER,
    PRIMARY KEY (conversation_id, seq)
) STRICT;
