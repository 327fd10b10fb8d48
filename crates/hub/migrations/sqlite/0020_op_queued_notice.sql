-- PostgreSQL announces queued operations to every hub (0020 there); an SQLite
-- hub is alone with its file and wakes its own job runner. Kept so both
-- backends number their migrations alike.
SELECT 1;
