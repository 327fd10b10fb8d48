-- Rentals (issue 16): listings with doors, check-in/out times and reservation
-- feeds (iCal exports) the hub polls; each reservation is a person with a
-- DateRange PIN grant on the listing's doors. A change that would remove
-- codes on a failing or emptied feed waits in rental_pending for a person.
-- Keep in step with ../postgres/0016_rentals.sql.
CREATE TABLE listings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    site_id     INTEGER NOT NULL REFERENCES sites(id),
    name        TEXT    NOT NULL,
    -- NULL: the site's zone.
    time_zone   TEXT,
    check_in    TEXT    NOT NULL,
    check_out   TEXT    NOT NULL,
    -- JSON array of lock ids.
    lock_ids    TEXT    NOT NULL,
    pin_source  TEXT    NOT NULL CHECK (pin_source IN ('generate','phone_last4')),
    -- 1: a cleaner code for each turnover day (check-out to check-in).
    cleaner_codes INTEGER NOT NULL,
    -- Minutes between polls of each feed.
    poll_minutes INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, name)
);
CREATE TABLE listing_feeds (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    listing_id     INTEGER NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    url            TEXT    NOT NULL,
    etag           TEXT,
    last_modified  TEXT,
    failures       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    last_polled_at INTEGER,
    next_poll_at   INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (listing_id, url)
);
CREATE INDEX listing_feeds_due ON listing_feeds (next_poll_at);
CREATE TABLE reservations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    listing_id  INTEGER NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    feed_id     INTEGER NOT NULL REFERENCES listing_feeds(id) ON DELETE CASCADE,
    uid         TEXT    NOT NULL,
    summary     TEXT    NOT NULL,
    start_date  TEXT    NOT NULL,
    end_date    TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('active','cancelled')),
    person_id   INTEGER REFERENCES people(id),
    -- The guest's PIN sealed under the hub's key (never in the clear).
    pin_sealed  TEXT,
    batch_id    INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (feed_id, uid)
);
CREATE TABLE rental_pending (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    listing_id  INTEGER NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    feed_id     INTEGER NOT NULL UNIQUE REFERENCES listing_feeds(id) ON DELETE CASCADE,
    reason      TEXT    NOT NULL,
    -- JSON: the feed's stays as fetched, applied on confirm.
    stays       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
