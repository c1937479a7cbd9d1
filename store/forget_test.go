package store_test

import (
	"database/sql"
	"sort"
	"strings"
	"testing"
	"time"

	"rallybot/store"
)

// TestEveryMemberTableIsKeyed reads the migrated schema, not the list in the
// code, for every table with a member-id column, and fails when one is not
// in store's list of how member tables are keyed (or is listed with a key
// column it lacks): a table added without saying whose rows it holds would
// otherwise be deleted by guesswork, or not at all.
func TestEveryMemberTableIsKeyed(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	f := newFixtureAt(t, path)
	raw, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string]map[string]bool{}
	for rows.Next() {
		var tbl, col string
		if err := rows.Scan(&tbl, &col); err != nil {
			t.Fatal(err)
		}
		if cols[tbl] == nil {
			cols[tbl] = map[string]bool{}
		}
		cols[tbl][col] = true
	}
	rows.Close()
	keys := store.MemberKeys()
	var withMembers []string
	for tbl, cs := range cols {
		for c := range cs {
			if c == "user_id" || strings.HasSuffix(c, "_user_id") {
				withMembers = append(withMembers, tbl)
				break
			}
		}
	}
	sort.Strings(withMembers)
	if len(withMembers) < 6 {
		t.Fatalf("only %v hold member ids; the schema was not read", withMembers)
	}
	for _, tbl := range withMembers {
		key, ok := keys[tbl]
		if !ok {
			t.Errorf("table %s holds member ids but is not in store.memberKeys: say whether its rows belong to a rally (rally_id) or a server (guild_id)", tbl)
			continue
		}
		if !cols[tbl][key+"_id"] {
			t.Errorf("table %s is keyed by %s_id, which it does not have", tbl, key)
		}
	}
	for tbl := range keys {
		if cols[tbl] == nil {
			t.Errorf("store.memberKeys lists %s, which is no table", tbl)
		}
	}
	got, err := f.db.MemberTables(ctx())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(withMembers) {
		t.Errorf("MemberTables = %v, want %v", got, withMembers)
	}
}

// TestForgetIsOneTransaction: forget-me from a DM takes the member out of
// two servers' rallies in one transaction: when the last of its deletes
// fails, nothing was deleted anywhere; when it succeeds, everything was.
func TestForgetIsOneTransaction(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.db.SeedGuild(ctx(), "g2"); err != nil {
		t.Fatal(err)
	}
	ch2, err := f.db.ChapterByName(ctx(), "g2", "chicago")
	if err != nil {
		t.Fatal(err)
	}
	a := f.rally(t, 0, t0.Add(72*time.Hour))
	b, err := f.db.CreateRally(ctx(), store.NewRally{GuildID: "g2", ChapterID: ch2.ID, Title: "Other server", Location: "Plaza",
		StartsAt: t0.Add(96 * time.Hour), Duration: 2 * time.Hour, TimeZone: ch2.TimeZone}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []store.Rally{a, b} {
		if _, err := f.db.SetRSVP(ctx(), r.GuildID, r.ID, "me", store.Going); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.db.SetDMReminders(ctx(), "g2", "me", false); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetMemberLocale(ctx(), "g2", "me", "es-419"); err != nil {
		t.Fatal(err)
	}
	going := func() int {
		n := 0
		for _, g := range []string{"g1", "g2"} {
			mine, err := f.db.MemberRSVPs(ctx(), g, "me", f.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			n += len(mine)
		}
		return n
	}
	// The locale is among the last rows deleted; refuse it.
	if err := f.db.ExecForTest(ctx(), `CREATE TRIGGER refuse BEFORE DELETE ON member_locales BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Forget(ctx(), "", "me"); err == nil {
		t.Fatal("forget succeeded past a refused delete")
	}
	if n := going(); n != 2 {
		t.Fatalf("after a failed forget the member has %d RSVPs, want both kept (one transaction)", n)
	}
	if err := f.db.ExecForTest(ctx(), `DROP TRIGGER refuse`); err != nil {
		t.Fatal(err)
	}
	forgotten, err := f.db.Forget(ctx(), "", "me")
	if err != nil {
		t.Fatal(err)
	}
	if len(forgotten.Rallies) != 2 || going() != 0 {
		t.Errorf("forgotten from %v, %d RSVPs left; want both servers' rallies", forgotten.Rallies, going())
	}
	if l, _ := f.db.MemberLocale(ctx(), "g2", "me"); l != "" {
		t.Errorf("locale %q kept", l)
	}
}
