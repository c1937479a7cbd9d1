-- One row the health check rewrites and commits. Taking the write lock proves
-- little: a full disk, or a file system gone read-only under the bot, shows
-- only when bytes reach the file. checks goes up by one each time, because
-- SQLite leaves a page alone when an update does not change its bytes (two
-- checks in one second). The row says nothing about anyone.
CREATE TABLE health (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checks     INTEGER NOT NULL,
    checked_at INTEGER NOT NULL
);
INSERT INTO health (id, checks, checked_at) VALUES (1, 0, 0);
