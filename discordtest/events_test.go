package discordtest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

func TestScheduledEventBodiesChecked(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	if !specFound(t) {
		t.Skip("no OpenAPI spec")
	}
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	start := time.Now().Add(24 * time.Hour).UTC()
	end := start.Add(time.Hour)
	params := &discordgo.GuildScheduledEventParams{Name: "March", ScheduledStartTime: &start, ScheduledEndTime: &end,
		PrivacyLevel: discordgo.GuildScheduledEventPrivacyLevelGuildOnly, EntityType: discordgo.GuildScheduledEventEntityTypeExternal,
		EntityMetadata: &discordgo.GuildScheduledEventEntityMetadata{Location: "Park"}}
	ev, err := dg.GuildScheduledEventCreate(guildID, params)
	if err != nil || ev.ID == "" || ev.Status != discordgo.GuildScheduledEventStatusScheduled {
		t.Fatalf("create: %v %+v", err, ev)
	}

	// A location longer than Discord's 100 characters breaks the schema.
	long := *params
	long.EntityMetadata = &discordgo.GuildScheduledEventEntityMetadata{Location: strings.Repeat("x", 101)}
	_, err = dg.GuildScheduledEventCreate(guildID, &long)
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 50035 {
		t.Fatalf("long location err = %v", err)
	}
	if v := srv.TakeViolations(); len(v) != 1 || !strings.Contains(v[0].Reason, "entity_metadata") {
		t.Fatalf("violations = %+v", v)
	}

	if _, err := dg.GuildScheduledEventEdit(guildID, ev.ID, &discordgo.GuildScheduledEventParams{Status: discordgo.GuildScheduledEventStatusCanceled}); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if _, err := dg.GuildScheduledEventEdit(guildID, ev.ID, &discordgo.GuildScheduledEventParams{Status: discordgo.GuildScheduledEventStatusActive}); err == nil {
		t.Fatal("a canceled event was started again")
	}
	if err := dg.GuildScheduledEventDelete(guildID, ev.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if n := len(srv.ScheduledEvents(guildID)); n != 0 {
		t.Fatalf("%d events after delete", n)
	}

	srv.DenyManageEvents(guildID)
	_, err = dg.GuildScheduledEventCreate(guildID, params)
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 50013 {
		t.Fatalf("without Manage Events err = %v", err)
	}
}

func TestMultipartUploads(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{})
	dg := newSession(t, srv, testToken, discordgo.IntentsGuilds)
	// A part that is neither payload_json nor files[n] is refused.
	body := "--b\r\nContent-Disposition: form-data; name=\"payload_json\"\r\nContent-Type: application/json\r\n\r\n" +
		`{"content":"hi","allowed_mentions":{"parse":[]}}` + "\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello\r\n--b--\r\n"
	_, err := dg.RequestRaw("POST", discordgo.EndpointChannelMessages(chanID), "multipart/form-data; boundary=b", []byte(body), "", 0)
	if err == nil {
		t.Fatal("a stray part was accepted")
	}
	if v := srv.TakeViolations(); len(v) != 1 || !strings.Contains(v[0].Reason, "files[n]") {
		t.Fatalf("violations = %+v", v)
	}
	// A multipart body on a route whose spec takes only JSON is refused.
	ok := strings.Replace(body, `name="file"`, `name="files[0]"`, 1)
	_, err = dg.RequestRaw("POST", discordgo.EndpointGuildScheduledEvents(guildID), "multipart/form-data; boundary=b", []byte(ok), "", 0)
	if err == nil || !specFound(t) {
		return
	}
	if v := srv.TakeViolations(); len(v) != 1 || !strings.Contains(v[0].Reason, "multipart") {
		t.Fatalf("violations = %+v", v)
	}
}
