-- A claim in flight reserves its site: deleting the site is refused while
-- the reservation lives (and the foreign key holds it), so a lock is never
-- paired into a site deleted meanwhile. Removed when the claim ends (the
-- claim's binding is stored in the same transaction); one left by a hub
-- that stopped mid-claim expires at `until_ms`.
-- Keep in step with ../sqlite/0013_claim_reservation.sql.
CREATE TABLE claim_reservations (
    serial   TEXT PRIMARY KEY,
    site_id  BIGINT NOT NULL REFERENCES sites(id),
    until_ms BIGINT NOT NULL
);
CREATE INDEX claim_reservations_site ON claim_reservations (site_id);
