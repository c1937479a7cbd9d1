// Package store keeps rallybot's state in one SQLite file: guild settings,
// chapters, rallies, RSVPs and the record of every reminder and summary sent.
// It knows nothing of Discord or cron; callers pass the time they act at.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is the SQLite store. Writes go through a single connection opened with
// BEGIN IMMEDIATE, so a transaction that reads and then writes takes the write
// lock up front and waits out the busy timeout instead of failing at once with
// "database is locked". Reads use their own pool and never block on writers (WAL).
type DB struct {
	write *sql.DB
	read  *sql.DB
	path  string

	commit *committer // RSVP clicks, group-committed

	locales *localeCache // member_locales as last written or read (localecache.go)
	notes   noteCache    // the notices the file may hold (notecache.go)

	// Now is the clock; tests replace it. Each transaction reads it once.
	Now func() time.Time

	onOwed atomic.Pointer[func()]
}

// Options are how the file is opened.
type Options struct {
	// SyncFull makes every commit wait for the disk (synchronous=FULL): a
	// power loss then loses no acknowledged RSVP. The default (NORMAL, in WAL
	// mode) can lose the last commits before an outage, never corrupt.
	SyncFull bool
}

// Open opens (creating if needed) the database file at path, checks it and
// brings its schema up to date.
func Open(ctx context.Context, filePath string) (*DB, error) {
	return OpenWith(ctx, filePath, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, filePath string, opts Options) (*DB, error) {
	if filePath == "" {
		return nil, errors.New("empty database path")
	}
	if filePath != ":memory:" {
		// Create the file ourselves so it is private: SQLite gives the -wal and
		// -shm files the same mode as the database.
		f, err := os.OpenFile(filePath, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		f.Close()
	}
	known, err := knownMigrations()
	if err != nil {
		return nil, err
	}
	if err := inspect(ctx, filePath, known); err != nil {
		return nil, err
	}
	write, err := sql.Open("sqlite3", dsn(filePath, true, opts.SyncFull))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	db := &DB{write: write, path: filePath, Now: time.Now, locales: newLocaleCache()}

	if err := db.check(ctx); err != nil {
		write.Close()
		return nil, err
	}
	if err := db.migrate(ctx, known); err != nil {
		write.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if err := db.notes.load(ctx, db.write); err != nil {
		write.Close()
		return nil, fmt.Errorf("read notices: %w", err)
	}
	read, err := sql.Open("sqlite3", dsn(filePath, false, opts.SyncFull))
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(4)
	db.read = read
	db.startCommitter()
	return db, nil
}

// dsn is the data source name of the write pool (write) or of the read pool.
func dsn(filePath string, write, syncFull bool) string {
	params := url.Values{}
	params.Set("_journal_mode", "WAL")
	params.Set("_foreign_keys", "on")
	params.Set("_busy_timeout", "5000")
	params.Set("_secure_delete", "on")
	params.Set("_synchronous", "NORMAL")
	if syncFull {
		params.Set("_synchronous", "FULL")
	}
	// Without a cache go-sqlite3 prepares every statement on every call;
	// each connection keeps its own, and the store runs fewer than 64
	// distinct statements on the hot paths.
	params.Set("_stmt_cache_size", "64")
	if write {
		params.Set("_txlock", "immediate")
	} else {
		params.Set("_query_only", "on")
	}
	// The path is a URI here: escape what would end or change it, or the data
	// would go to another (world-readable) file.
	return "file:" + uriEscape(filePath) + "?" + params.Encode()
}

// Close closes both pools.
func (db *DB) Close() error {
	db.stopCommitter()
	var errs []error
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	errs = append(errs, db.write.Close())
	return errors.Join(errs...)
}

// inspect reads the file before anything may change it: the connection sets
// no journal mode (the write pool's switch to WAL rewrites the header, and
// sticks) and may not write (query_only). A damaged file, another
// application's tables or a newer schema are refused while the file is
// still byte for byte as its owner left it. It reads through a read-write
// connection all the same: a read-only one cannot remove the -wal and -shm
// files SQLite makes beside a WAL file when it closes.
func inspect(ctx context.Context, filePath string, known []string) (err error) {
	if filePath == ":memory:" {
		return nil
	}
	params := url.Values{}
	params.Set("_busy_timeout", "5000")
	params.Set("_query_only", "on")
	conn, err := sql.Open("sqlite3", "file:"+uriEscape(filePath)+"?"+params.Encode())
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	conn.SetMaxOpenConns(1)
	var res string
	if err := conn.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("integrity check failed: %s", res)
	}
	_, _, err = pendingMigrations(ctx, conn, known)
	return err
}

// check confirms the write pool's connection is in WAL mode, which the
// store's concurrency (readers beside the one writer) relies on.
func (db *DB) check(ctx context.Context) error {
	var mode string
	if err := db.write.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	return nil
}

// migrate checks again, now under the write lock, that the file is
// rallybot's and not from a newer version, then applies, in name order,
// every embedded migration not yet recorded in it, all in one transaction:
// a failure leaves the file as it was, never half-migrated.
func (db *DB) migrate(ctx context.Context, known []string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	pending, fresh, err := pendingMigrations(ctx, tx, known)
	if err != nil {
		return err
	}
	if fresh {
		if _, err := tx.ExecContext(ctx,
			`CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
			return fmt.Errorf("create migrations table: %w", err)
		}
	}
	for _, name := range pending {
		body, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (name, applied_at) VALUES (?, ?)`, name, db.Now().Unix()); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return tx.Commit()
}

// Migrations lists the migrations recorded in the database, in order.
func (db *DB) Migrations(ctx context.Context) (_ []string, err error) {
	defer wrap(&err, "migrations")
	rows, err := db.read.QueryContext(ctx, `SELECT name FROM migrations ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Tx is a write transaction with the one timestamp it acts at.
type Tx struct {
	*sql.Tx
	now time.Time
	// owed: the transaction owes Discord a message (the outbox, a member's
	// DM); once it commits, OnOwed is told.
	owed bool
	// dropsLocales: the transaction deletes member_locales rows, and the
	// locale cache is emptied once it is over (localecache.go).
	dropsLocales bool
	// forgetLocales: the members whose locale row the transaction deleted
	// (their last RSVP, request or role gone), forgotten by the locale
	// cache once it is over.
	forgetLocales []localeKey
}

// OnOwed sets what is called after each commit that owed Discord a message:
// the drainer's kick, so owed work goes out at once.
func (db *DB) OnOwed(fn func()) { db.onOwed.Store(&fn) }

// update runs fn in a write transaction and commits it if fn returns nil.
func (db *DB) update(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	tx := &Tx{Tx: sqlTx, now: db.Now().UTC()}
	defer func() {
		if tx.dropsLocales {
			// After the commit (or the rollback): a read begun before
			// it cannot put back a deleted locale.
			db.locales.invalidate()
		}
		for _, k := range tx.forgetLocales {
			db.locales.drop(k)
		}
	}()
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return err
	}
	if fn := db.onOwed.Load(); tx.owed && fn != nil {
		(*fn)()
	}
	return nil
}

// isUniqueViolation reports whether err is a UNIQUE constraint failure.
func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// ErrCheckpointBusy means a reader kept the log from being emptied; the
// frames stay until the next checkpoint.
var ErrCheckpointBusy = errors.New("wal checkpoint blocked by a reader")

// CheckpointBusyTimeout is the most a checkpoint waits for readers. It holds
// the one write connection while it waits, so every click waits with it: it
// is kept far below what a member would notice, and a checkpoint a reader
// blocks (a backup, Litestream) is retried later instead of waited out.
const CheckpointBusyTimeout = 100 * time.Millisecond

// writeBusyTimeout is the write pool's own busy timeout (dsn), restored
// after a checkpoint.
const writeBusyTimeout = 5000

// Checkpoint copies the write-ahead log into the database and truncates the
// log to nothing. Deleted rows leave the database file at once (secure_delete
// zeroes them), but the pages that held them stay in the -wal file until a
// checkpoint overwrites it; after forgetting a member or purging old RSVPs the
// ids must not linger there. With a reader holding an older snapshot it
// gives up after CheckpointBusyTimeout with ErrCheckpointBusy: the caller
// tries again later.
func (db *DB) Checkpoint(ctx context.Context) (err error) {
	defer wrap(&err, "checkpoint")
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, CheckpointBusyTimeout.Milliseconds())); err != nil {
		return err
	}
	defer func() {
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA busy_timeout = %d`, writeBusyTimeout)); rerr != nil {
			// A connection left with the short timeout would fail writes
			// that should wait: drop it, the pool opens a fresh one.
			conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, rerr)
		}
	}()
	var busy, logFrames, moved int
	if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &moved); err != nil {
		if strings.Contains(err.Error(), "database is locked") || strings.Contains(err.Error(), "busy") {
			return ErrCheckpointBusy
		}
		return err
	}
	if busy != 0 {
		return ErrCheckpointBusy
	}
	return nil
}
