-- Hotels (issue 16): the front desk. A site is a hotel property: its
-- Ed25519 key (public half in hex, secret half sealed like a binding),
-- its check-out time and its card-number counter; locks made hotel doors
-- (rooms); stays; every card issued. The secret key is never stored in
-- the clear when the hub has a binding key, and never returned.
-- Keep in step with ../postgres/0015_hotel.sql.
CREATE TABLE hotel_properties (
    site_id       INTEGER PRIMARY KEY REFERENCES sites(id) ON DELETE CASCADE,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    public_key    TEXT    NOT NULL,
    secret_sealed TEXT    NOT NULL,
    checkout_time TEXT    NOT NULL DEFAULT '11:00',
    next_card     INTEGER NOT NULL DEFAULT 1001,
    created_at    INTEGER NOT NULL
);

-- A lock as a hotel door. `last_stay` is the newest stay (UTC seconds)
-- issued for the room: a new check-in takes a larger one, so it overrides.
-- `reset_counter` is the lock's when its door configuration was queued: a
-- factory reset since erased it, so the same configuration is sent again.
CREATE TABLE hotel_rooms (
    lock_id    INTEGER PRIMARY KEY REFERENCES locks(id),
    org_id     INTEGER NOT NULL REFERENCES orgs(id),
    site_id    INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    door       INTEGER NOT NULL,
    guest_room INTEGER NOT NULL,
    floor      INTEGER NOT NULL,
    zone       INTEGER NOT NULL,
    building   INTEGER NOT NULL,
    last_stay  INTEGER NOT NULL DEFAULT 0,
    reset_counter INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    UNIQUE (site_id, door)
);

CREATE TABLE hotel_stays (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id         INTEGER NOT NULL REFERENCES orgs(id),
    site_id        INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    lock_id        INTEGER NOT NULL REFERENCES locks(id),
    stay           INTEGER NOT NULL,
    guest          TEXT    NOT NULL,
    until_s        INTEGER NOT NULL,
    generation     INTEGER NOT NULL DEFAULT 0,
    checked_out_at INTEGER,
    created_by     INTEGER,
    created_at     INTEGER NOT NULL
);
CREATE INDEX hotel_stays_lock ON hotel_stays (lock_id, id);

-- Every card issued: number unique per property. `scope` is the floor,
-- zone or building of such staff cards. Hours: weekday bits (0 = Sunday)
-- and minutes after local midnight.
CREATE TABLE hotel_cards (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     INTEGER NOT NULL REFERENCES orgs(id),
    site_id    INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('guest','master','floor','zone','building','emergency')),
    scope      INTEGER,
    lock_id    INTEGER REFERENCES locks(id),
    stay_id    INTEGER REFERENCES hotel_stays(id),
    generation INTEGER NOT NULL DEFAULT 0,
    from_s     INTEGER NOT NULL,
    until_s    INTEGER NOT NULL,
    days       INTEGER NOT NULL,
    from_min   INTEGER NOT NULL,
    to_min     INTEGER NOT NULL,
    holder     TEXT    NOT NULL,
    issued_by  INTEGER,
    issued_at  INTEGER NOT NULL,
    lost_at    INTEGER,
    UNIQUE (site_id, number)
);
CREATE INDEX hotel_cards_stay ON hotel_cards (stay_id);
