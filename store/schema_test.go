package store_test

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rallybot/store"
)

func rawExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func tableCount(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// untouched records a database file's bytes and checks, after a refusal,
// that they are the same and that no -wal or -shm file was left beside it: a
// refused file must be exactly as its owner left it (a journal-mode switch to
// WAL alone rewrites the header and is sticky).
func untouched(t *testing.T, path string) func() {
	t.Helper()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); !os.IsNotExist(err) {
			t.Fatalf("%s%s exists before the test (%v)", path, suffix, err)
		}
	}
	return func() {
		t.Helper()
		after, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Errorf("the refused file changed (%d bytes → %d; header journal bytes %v → %v)",
				len(before), len(after), before[18:20], after[18:20])
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			if _, err := os.Stat(path + suffix); !os.IsNotExist(err) {
				t.Errorf("the refusal left %s%s behind (%v)", path, suffix, err)
			}
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	t.Run("ErrNewerSchema", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		db := MustOpen(t, path, newClock(t0))
		db.Close()
		rawExec(t, path, `INSERT INTO migrations (name, applied_at) VALUES ('9999_from_the_future.sql', 0)`)
		check := untouched(t, path)
		_, err := store.Open(ctx(), path)
		var newer *store.NewerSchemaError
		if !errors.As(err, &newer) || len(newer.Unknown) != 1 || newer.Unknown[0] != "9999_from_the_future.sql" {
			t.Fatalf("open = %v, want a NewerSchemaError naming 9999_from_the_future.sql", err)
		}
		check()
	})
	t.Run("ErrForeignDatabase", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		rawExec(t, path, `CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)`, `INSERT INTO customers (name) VALUES ('Ada')`)
		check := untouched(t, path)
		_, err := store.Open(ctx(), path)
		if !errors.Is(err, store.ErrForeignDatabase) {
			t.Fatalf("open = %v, want ErrForeignDatabase", err)
		}
		check()
		if n := tableCount(t, path); n != 1 {
			t.Errorf("%d tables after the refusal, want the foreign file untouched (1)", n)
		}
	})
	t.Run("ErrForeignWALDatabase", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		rawExec(t, path, `PRAGMA journal_mode = WAL`, `CREATE TABLE orders (id INTEGER PRIMARY KEY)`)
		check := untouched(t, path)
		_, err := store.Open(ctx(), path)
		if !errors.Is(err, store.ErrForeignDatabase) {
			t.Fatalf("open = %v, want ErrForeignDatabase", err)
		}
		check()
	})
	t.Run("ErrForeignMigrationsTable", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		rawExec(t, path, `CREATE TABLE migrations (version INTEGER PRIMARY KEY, dirty INTEGER)`)
		check := untouched(t, path)
		_, err := store.Open(ctx(), path)
		if !errors.Is(err, store.ErrForeignDatabase) {
			t.Fatalf("open = %v, want ErrForeignDatabase", err)
		}
		check()
	})
	t.Run("OKEmptyFile", func(t *testing.T) {
		t.Parallel()
		path := dbPath(t)
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		MustOpen(t, path, newClock(t0))
	})
}

// TestBackupUnderLoad backs up while members keep RSVPing and restores the
// copy: every RSVP acknowledged before the backup began is in it.
func TestBackupUnderLoad(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.rally(t, 0, t0.Add(48*time.Hour))
	path := f.db.Path()

	var acked sync.Map // user id → true once SetRSVP returned
	var stop atomic.Bool
	var wg sync.WaitGroup
	var n atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				u := fmt.Sprintf("9%017d", n.Add(1))
				if _, err := f.db.SetRSVP(ctx(), "g1", r.ID, u, store.Going); err != nil {
					t.Errorf("rsvp: %v", err)
					return
				}
				acked.Store(u, true)
			}
		}()
	}
	for n.Load() < 200 {
		time.Sleep(time.Millisecond)
	}
	var before []string
	acked.Range(func(k, _ any) bool { before = append(before, k.(string)); return true })
	dest := filepath.Join(t.TempDir(), "backup.db")
	err := store.Backup(ctx(), path, dest)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	st, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode = %v, want 0600", st.Mode().Perm())
	}

	restored := MustOpen(t, dest, newClock(t0))
	att, err := restored.RallyAttendees(ctx(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	going := map[string]bool{}
	for _, u := range att.Going {
		going[u] = true
	}
	for _, u := range before {
		if !going[u] {
			t.Fatalf("RSVP of %s acknowledged before the backup is missing from it (%d acknowledged, %d restored)", u, len(before), len(going))
		}
	}
	rr, err := restored.RallyByID(ctx(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rr.Going != len(att.Going) {
		t.Errorf("restored count %d, rows %d", rr.Going, len(att.Going))
	}
}

func TestBackupRefusesForeignFile(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	rawExec(t, path, `CREATE TABLE customers (id INTEGER PRIMARY KEY)`)
	dest := filepath.Join(t.TempDir(), "b.db")
	if err := store.Backup(ctx(), path, dest); !errors.Is(err, store.ErrForeignDatabase) {
		t.Fatalf("backup = %v, want ErrForeignDatabase", err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("a refused backup left %s behind", dest)
	}
}
