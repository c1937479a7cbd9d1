-- A summary run keeps what it posts, so a retry or a restart resends the very
-- same messages (no line lost or repeated between parts rendered at different
-- times), and the counts those messages show, which become the baseline for
-- the next summary's changes once the run is posted. Counts only: no user ids.
ALTER TABLE summary_runs ADD COLUMN parts TEXT;   -- JSON: one array of embeds per message
ALTER TABLE summary_runs ADD COLUMN counts TEXT;  -- JSON: {"<rally id>": {"going": n, "maybe": n, "waitlist": n}}
