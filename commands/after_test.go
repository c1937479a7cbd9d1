package commands

import (
	"strings"
	"testing"
	"time"

	"rallybot/store"
)

// TestSafeHomeLateCountsTheWholeList: a list of those who did not answer
// "Home safe?" too long for one post goes in several; each says how many
// did not answer in all, not how many it mentions, and mentions its own.
func TestSafeHomeLateCountsTheWholeList(t *testing.T) {
	a := &App{cfg: Config{SafeHomeAfter: 4 * time.Hour}}
	r := store.Rally{ID: 7, Title: "March for due process", ChapterName: "Seattle"}
	s := store.ChapterSupport{SupportChannelID: "1", SupportRoleID: "2"}
	text, _ := a.safeHomeLate(r, s, []string{"301", "302"}, 120)(1)
	for _, want := range []string{"120 of those who came", "<@301> <@302>", "<@&2>"} {
		if !strings.Contains(text, want) {
			t.Errorf("late post lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "2 of those who came") {
		t.Errorf("late post counts its own mentions, not the list:\n%s", text)
	}
}
