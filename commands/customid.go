package commands

import (
	"fmt"
	"regexp"
	"strconv"

	"rallybot/store"
)

// Each button kind's custom_id is a contract between the message that carries
// the button and the route that answers its click, possibly months and
// releases later. Its type holds both sides, build and pattern, so neither
// changes without the other; handlers read the pattern's groups by name.

// rsvpCustomID is the announcement's Going / Maybe / Can't go buttons:
// rsvp:<status>:<rally id>, groups "status" and "rally".
type rsvpCustomID struct{}

func (rsvpCustomID) build(status store.RSVPStatus, rallyID int64) string {
	return "rsvp:" + string(status) + ":" + strconv.FormatInt(rallyID, 10)
}

func (rsvpCustomID) pattern() *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`^rsvp:(?P<status>%s|%s|%s):(?P<rally>[1-9][0-9]{0,18})$`,
		store.Going, store.Maybe, store.NotGoing))
}

// roleCustomID is the "Volunteer for a role" button (role:menu:<rally id>)
// and the menu it opens (role:pick:<rally id>), group "rally".
type roleCustomID struct{}

func (roleCustomID) build(kind string, rallyID int64) string {
	return "role:" + kind + ":" + strconv.FormatInt(rallyID, 10)
}

func (roleCustomID) pattern(kind string) *regexp.Regexp {
	return regexp.MustCompile(`^role:` + regexp.QuoteMeta(kind) + `:(?P<rally>[1-9][0-9]{0,18})$`)
}

// calendarCustomID is /myrsvps' "Add to calendar" button: calendar:mine. It
// names no rally: the file holds the clicker's own RSVPs.
type calendarCustomID struct{}

func (calendarCustomID) build() string { return "calendar:mine" }

func (calendarCustomID) pattern() *regexp.Regexp { return regexp.MustCompile(`^calendar:mine$`) }
