package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"rallybot/store"
)

// TestForgetMemberSafeHome: forget-me deletes the member's safe-home answer,
// opt-out, and their mention in the support channel's posts.
func TestForgetMemberSafeHome(t *testing.T) {
	ctx := context.Background()
	c0 := newClock(t0)
	db := MustOpen(t, dbPath(t), c0)
	now := t0
	const guild, user, other = "200000000000000001", "500000000000000101", "500000000000000102"
	if _, err := db.SeedGuild(ctx, guild); err != nil {
		t.Fatal(err)
	}
	chapters, err := db.Chapters(ctx, guild)
	if err != nil {
		t.Fatal(err)
	}
	c := chapters[0]
	support := "300000000000000031"
	if _, err := db.SetChapterSupport(ctx, c.ID, store.ChapterSupportUpdate{SupportChannelID: &support}); err != nil {
		t.Fatal(err)
	}
	r, err := db.CreateRally(ctx, store.NewRally{GuildID: guild, ChapterID: c.ID, Title: "March", Location: "Park",
		StartsAt: now.Add(time.Hour), Duration: time.Hour, TimeZone: c.TimeZone, SafeHome: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetAnnouncement(ctx, r.ID, "300000000000000001", "600000000000000001"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{user, other} {
		if _, err := db.SetRSVP(ctx, guild, r.ID, u, store.Going); err != nil {
			t.Fatal(err)
		}
	}
	c0.Add(90 * time.Minute)
	for _, u := range []string{user, other} {
		if _, _, err := db.CheckIn(ctx, guild, r.ID, u); err != nil {
			t.Fatal(err)
		}
	}
	c0.Add(time.Hour)
	if _, err := db.EndRallies(ctx, c0.Now(), store.EndedWork{}); err != nil {
		t.Fatal(err)
	}
	help := func(r store.Rally, s store.ChapterSupport, userID string) store.Notice {
		return func(int64) (string, string) { return "help <@" + userID + ">", "m" }
	}
	if _, _, err := db.AnswerSafeHome(ctx, r.ID, user, store.AnswerHelp, help); err != nil {
		t.Fatal(err)
	}
	before, err := db.SafeHomeRows(ctx, r.ID)
	if err != nil || before != 5 { // two answers rows, two DMs, one post
		t.Fatalf("rows before: %d, %v", before, err)
	}
	if _, err := db.Forget(ctx, guild, user); err != nil {
		t.Fatal(err)
	}
	posts, err := db.PendingRallyPosts(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 1 {
		t.Fatalf("%d pending posts, want the call for help", len(posts))
	}
	for _, p := range posts {
		if strings.Contains(p.Body, user) {
			t.Errorf("post %d still names the forgotten member: %q", p.ID, p.Body)
		}
	}
	if _, _, err := db.AnswerSafeHome(ctx, r.ID, user, store.AnswerSafe, help); !errors.Is(err, store.ErrNotSafeHome) {
		t.Errorf("answer after forget-me: %v, want no safe-home check", err)
	}
	if _, _, err := db.AnswerSafeHome(ctx, r.ID, other, store.AnswerSafe, help); err != nil {
		t.Errorf("the other member's check is gone: %v", err)
	}
}
