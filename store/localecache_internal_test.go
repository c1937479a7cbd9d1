package store

import (
	"context"
	"path/filepath"
	"testing"
)

// A member whose locale the process knows costs no statement: with the
// read pool closed, an unchanged locale still goes through, whether English
// (no row) or Spanish (a row).
func TestKnownLocaleReadsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "rallybot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SeedGuild(ctx, "g1"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMemberLocale(ctx, "g1", "en-member", "en-US"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMemberLocale(ctx, "g1", "es-member", "es-419"); err != nil {
		t.Fatal(err)
	}
	if got := db.locales.len(); got != 1 {
		// es-member has nothing in the server: not stored, not cached.
		t.Fatalf("%d members cached, want 1", got)
	}
	// Every read now fails.
	read := db.read
	if err := read.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMemberLocale(ctx, "g1", "en-member", "en-GB"); err != nil {
		t.Errorf("an unchanged (English) locale read the file: %v", err)
	}
	if l, err := db.MemberLocale(ctx, "g1", "en-member"); err != nil || l != "" {
		t.Errorf("MemberLocale = %q, %v from the cache", l, err)
	}
	if err := db.SetMemberLocale(ctx, "g1", "es-member", "es-419"); err == nil {
		t.Error("an unknown member's locale was not read")
	}
}

// The cache holds at most max members, and an invalidation refuses a put
// begun before it.
func TestLocaleCacheBounds(t *testing.T) {
	t.Parallel()
	c := newLocaleCache()
	c.max = 100
	_, _, gen := c.get(localeKey{"g", "0"})
	for i := range 1000 {
		c.put(localeKey{"g", string(rune('a'+i%26)) + string(rune(i))}, "es-419", gen)
	}
	if n := c.len(); n != 100 {
		t.Errorf("%d cached, want the bound 100", n)
	}
	_, _, before := c.get(localeKey{"g", "x"})
	c.invalidate()
	c.put(localeKey{"g", "x"}, "es-419", before)
	if _, ok, _ := c.get(localeKey{"g", "x"}); ok || c.len() != 0 {
		t.Error("a put begun before an invalidation was kept")
	}
}
