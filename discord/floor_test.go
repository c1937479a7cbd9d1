package discord

import (
	"strconv"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// TestFloorAt: the floor of a send begun at t is a snowflake from a little
// before t, so a message Discord stamped at t (its clock a little behind
// the bot's) is never below it.
func TestFloorAt(t *testing.T) {
	begun := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	floor := FloorAt(begun)
	at, err := discordgo.SnowflakeTimestamp(floor)
	if err != nil {
		t.Fatal(err)
	}
	if want := begun.Add(-clockSlack); !at.Equal(want) {
		t.Errorf("floor %s is from %v, want %v", floor, at.UTC(), want)
	}
	posted := strconv.FormatInt((begun.Add(-time.Minute).UnixMilli()-discordEpoch)<<22, 10)
	if f, _ := strconv.ParseInt(floor, 10, 64); f >= mustInt(t, posted) {
		t.Errorf("a message stamped a minute early by Discord (%s) is below the floor %s", posted, floor)
	}
	if got := FloorAt(time.Time{}); got == "" || got == "0" {
		t.Errorf("FloorAt(zero) = %q: an empty floor would read one page only", got)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
