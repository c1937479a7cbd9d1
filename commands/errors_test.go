package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// TestUserError: each of store's typed errors is told as its sentence, with
// user text escaped; anything else is internal.
func TestUserError(t *testing.T) {
	wrapped := func(err error) error { return fmt.Errorf("set rsvp: %w", err) }
	for _, c := range []struct {
		name string
		err  error
		code string
		want string
	}{
		{"NoSuchRally", wrapped(store.ErrNoSuchRally), ENotFound, "No such rally. Pick one from the list as you type, or see /rally list."},
		{"NoSuchChapter", &store.NoSuchChapterError{Name: "Atlantis"}, ENotFound, `There is no chapter called "Atlantis" here. Run /chapter list to see the chapters.`},
		{"ChapterExists", &store.ChapterExistsError{Name: "Chicago"}, EConflict, `A chapter called "Chicago" already exists. Pick another name, or change it with /chapter setup.`},
		{"ChapterExistsRenamed", &store.ChapterExistsError{Name: "Chicago", Renamed: true}, EConflict, `A chapter called "Chicago" already exists. Pick another name.`},
		{"ChapterHasRally", &store.ChapterHasRalliesError{Name: "Seattle", Upcoming: 1}, EConflict, "Seattle has 1 upcoming rally. Cancel it with /rally cancel first, then remove the chapter."},
		{"ChapterHasRallies", &store.ChapterHasRalliesError{Name: "Seattle", Upcoming: 3}, EConflict, "Seattle has 3 upcoming rallies. Cancel them with /rally cancel first, then remove the chapter."},
		{"EditCancelled", &store.RallyStateError{Change: store.ChangeEdit, Title: "March", Err: store.ErrRallyCancelled}, EConflict, `"March" was cancelled; it can no longer be edited.`},
		{"EditStarted", &store.RallyStateError{Change: store.ChangeEdit, Title: "March", Err: store.ErrRallyStarted}, EConflict, `"March" has already started; it can no longer be edited.`},
		{"CancelCancelled", &store.RallyStateError{Change: store.ChangeCancel, Title: "March", Err: store.ErrRallyCancelled}, EConflict, `"March" is already cancelled.`},
		{"CancelOver", &store.RallyStateError{Change: store.ChangeCancel, Title: "March", Err: store.ErrRallyOver}, EConflict, `"March" is already over; there is nothing to cancel.`},
		{"RSVPCancelled", wrapped(&store.RallyStateError{Change: store.ChangeRSVP, Title: "March", Err: store.ErrRallyCancelled}), EConflict, `"March" was cancelled, so RSVPs are closed.`},
		{"RSVPStarted", &store.RallyStateError{Change: store.ChangeRSVP, Title: "March", Err: store.ErrRallyStarted}, EConflict, `"March" has already started, so RSVPs are closed.`},
		{"TitleEscaped", &store.RallyStateError{Change: store.ChangeRSVP, Title: "**@everyone** [x](y)", Err: store.ErrRallyStarted}, EConflict, `"\*\*@` + "\u200b" + `everyone\*\* \[x\]\(y\)" has already started, so RSVPs are closed.`},
		{"BadRSVPStatus", wrapped(store.ErrBadRSVPStatus), EInvalid, "RSVP must be Going, Maybe or Can't go."},
		{"Own", invalid("err_days_range", "Max", 31), EInvalid, "`days` must be between 1 and 31."},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := userError(c.err)
			if e == nil {
				t.Fatalf("%v is told as internal", c.err)
			}
			if e.Code != c.code || e.Message != c.want {
				t.Fatalf("got %s %q, want %s %q", e.Code, e.Message, c.code, c.want)
			}
		})
	}
	t.Run("ErrInternal", func(t *testing.T) {
		var logs strings.Builder
		log := slog.New(slog.NewTextHandler(&logs, nil))
		for _, err := range []error{
			errors.New("disk I/O error"),
			&store.RallyStateError{Change: store.ChangeCancel, Title: "March", Err: store.ErrRallyStarted}, // a pair store never returns
		} {
			resp := errorReply(log, English, err)
			if !resp.Ephemeral || resp.Content != "⚠️ "+English.T(internalMessage) {
				t.Errorf("%v: got %+v, want the generic sentence", err, resp)
			}
		}
		if !strings.Contains(logs.String(), "disk I/O error") {
			t.Errorf("internal error not logged: %q", logs.String())
		}
	})
}

// TestStoreErrorsReachTheMember runs handlers on a real store: what store
// refuses reaches the member as today's sentence, escaped.
func TestStoreErrorsReachTheMember(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	seattle, err := a.db.ChapterByName(ctx, testGuild, "Seattle")
	if err != nil {
		t.Fatal(err)
	}
	r, err := a.db.CreateRally(ctx, store.NewRally{GuildID: testGuild, ChapterID: seattle.ID, Title: "Stand_with *us*",
		Location: "Westlake", StartsAt: a.now().Add(48 * time.Hour), Duration: 2 * time.Hour, TimeZone: seattle.TimeZone}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.CancelRally(ctx, testGuild, r.ID, "rain", nil); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(r.ID)
	for _, c := range []struct {
		name string
		i    *discordgo.Interaction
		want string
	}{
		{"RSVPToCancelled", slash(member, "rsvp", "", opt("rally", id), opt("status", "going")), `⚠️ "Stand\_with \*us\*" was cancelled, so RSVPs are closed.`},
		{"ButtonToCancelled", button(member, "rsvp:maybe:"+id), `⚠️ "Stand\_with \*us\*" was cancelled, so RSVPs are closed.`},
		{"CancelCancelled", slash(admin, "rally", "cancel", opt("rally", id)), `⚠️ "Stand\_with \*us\*" is already cancelled.`},
		{"EditCancelled", slash(admin, "rally", "edit", opt("rally", id), opt("title", "New")), `⚠️ "Stand\_with \*us\*" was cancelled; it can no longer be edited.`},
		{"UnknownChapter", slash(admin, "chapter", "remove", opt("chapter", "Atlantis")), `⚠️ There is no chapter called "Atlantis" here. Run /chapter list to see the chapters.`},
		{"UnknownRally", slash(member, "rally", "info", opt("rally", "999")), "⚠️ No such rally. Pick one from the list as you type, or see /rally list."},
		{"ChapterExists", slash(admin, "chapter", "add", opt("name", "chicago"), opt("timezone", "America/Chicago")), `⚠️ A chapter called "chicago" already exists. Pick another name, or change it with /chapter setup.`},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := a.Handle(ctx, c.i)
			if resp == nil || !resp.Ephemeral || resp.Content != c.want {
				t.Fatalf("got %+v, want ephemeral %q", resp, c.want)
			}
		})
	}
}
