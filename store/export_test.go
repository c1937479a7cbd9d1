package store

// DueRemindersQuery is the SQL DueReminders runs, so a test can read SQLite's
// plan for it.
const DueRemindersQuery = dueRemindersQuery

// WriteDSN is the write pool's data source name, so a benchmark's baseline
// runs with the very settings (and statement cache) the store uses.
func WriteDSN(path string) string { return dsn(path, true, false) }

// Synchronous is the write connection's PRAGMA synchronous (1 NORMAL, 2 FULL).
func (db *DB) Synchronous() (n int, err error) {
	err = db.write.QueryRow(`PRAGMA synchronous`).Scan(&n)
	return n, err
}
