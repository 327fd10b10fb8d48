-- Hotels (issue 16): the front desk. A site is a hotel property: its
-- Ed25519 key (public half in hex, secret half sealed like a binding),
-- its check-out time and its card-number counter; locks made hotel doors
-- (rooms); stays; every card issued. The secret key is never stored in
-- the clear when the hub has a binding key, and never returned.
-- Keep in step with ../sqlite/0015_hotel.sql.
CREATE TABLE hotel_properties (
    site_id       BIGINT PRIMARY KEY REFERENCES sites(id) ON DELETE CASCADE,
    org_id        BIGINT NOT NULL REFERENCES orgs(id),
    public_key    TEXT    NOT NULL,
    secret_sealed TEXT    NOT NULL,
    checkout_time TEXT    NOT NULL DEFAULT '11:00',
    next_card     BIGINT NOT NULL DEFAULT 1001,
    created_at    BIGINT NOT NULL
);

-- A lock as a hotel door. `last_stay` is the newest stay (UTC seconds)
-- issued for the room: a new check-in takes a larger one, so it overrides.
-- `reset_counter` is the lock's when its door configuration was queued: a
-- factory reset since erased it, so the same configuration is sent again.
CREATE TABLE hotel_rooms (
    lock_id    BIGINT PRIMARY KEY REFERENCES locks(id),
    org_id     BIGINT NOT NULL REFERENCES orgs(id),
    site_id    BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    door       BIGINT NOT NULL,
    guest_room BIGINT NOT NULL,
    floor      BIGINT NOT NULL,
    zone       BIGINT NOT NULL,
    building   BIGINT NOT NULL,
    last_stay  BIGINT NOT NULL DEFAULT 0,
    reset_counter BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    UNIQUE (site_id, door)
);

CREATE TABLE hotel_stays (
    id             BIGSERIAL PRIMARY KEY,
    org_id         BIGINT NOT NULL REFERENCES orgs(id),
    site_id        BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    lock_id        BIGINT NOT NULL REFERENCES locks(id),
    stay           BIGINT NOT NULL,
    guest          TEXT    NOT NULL,
    until_s        BIGINT NOT NULL,
    generation     BIGINT NOT NULL DEFAULT 0,
    checked_out_at BIGINT,
    created_by     BIGINT,
    created_at     BIGINT NOT NULL
);
CREATE INDEX hotel_stays_lock ON hotel_stays (lock_id, id);

-- Every card issued: number unique per property. `scope` is the floor,
-- zone or building of such staff cards. Hours: weekday bits (0 = Sunday)
-- and minutes after local midnight.
CREATE TABLE hotel_cards (
    id         BIGSERIAL PRIMARY KEY,
    org_id     BIGINT NOT NULL REFERENCES orgs(id),
    site_id    BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    number     BIGINT NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('guest','master','floor','zone','building','emergency')),
    scope      BIGINT,
    lock_id    BIGINT REFERENCES locks(id),
    stay_id    BIGINT REFERENCES hotel_stays(id),
    generation BIGINT NOT NULL DEFAULT 0,
    from_s     BIGINT NOT NULL,
    until_s    BIGINT NOT NULL,
    days       BIGINT NOT NULL,
    from_min   BIGINT NOT NULL,
    to_min     BIGINT NOT NULL,
    holder     TEXT    NOT NULL,
    issued_by  BIGINT,
    issued_at  BIGINT NOT NULL,
    lost_at    BIGINT,
    UNIQUE (site_id, number)
);
CREATE INDEX hotel_cards_stay ON hotel_cards (stay_id);
