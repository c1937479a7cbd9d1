package store

// DueRemindersQuery is the SQL DueReminders runs, so a test can read SQLite's
// plan for it.
const DueRemindersQuery = dueRemindersQuery
