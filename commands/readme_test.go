package commands

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// TestReadmeListsEveryCommand: README's command table has a row for every
// command a member can run, naming each of its options, so the table a new
// organizer reads is the bot they get.
func TestReadmeListsEveryCommand(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string // each row's command with its options: "rally cancel rally [reason]"
	row := regexp.MustCompile("(?m)^\\| `/([^`]+)` \\|")
	for _, m := range row.FindAllStringSubmatch(string(raw), -1) {
		rows = append(rows, m[1])
	}
	var walk func(path string, opts []*discordgo.ApplicationCommandOption)
	walk = func(path string, opts []*discordgo.ApplicationCommandOption) {
		leaf := true
		for _, o := range opts {
			if o.Type == discordgo.ApplicationCommandOptionSubCommand || o.Type == discordgo.ApplicationCommandOptionSubCommandGroup {
				leaf = false
				walk(path+" "+o.Name, o.Options)
			}
		}
		if !leaf {
			return
		}
		args, ok := "", false
		for _, r := range rows {
			if r == path || strings.HasPrefix(r, path+" ") {
				args, ok = strings.TrimPrefix(r, path), true
			}
		}
		if !ok {
			t.Errorf("README's command table has no row for /%s", path)
			return
		}
		for _, o := range opts {
			if !regexp.MustCompile(`(^|[ \[])`+regexp.QuoteMeta(o.Name)+`($|[ \]])`).MatchString(strings.TrimSpace(args)) && !strings.Contains(args, "…") {
				t.Errorf("README's row for /%s does not name its option %s", path, o.Name)
			}
		}
	}
	for _, def := range newTestApp(t).Definitions() {
		walk(def.Name, def.Options)
	}
	if strings.Contains(string(raw), "2026-05-01") {
		t.Error("README's examples use 2026-05-01, a day that has passed; use a date clearly in the future")
	}
}
