package commands

import (
	"encoding/json"
	"sync"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// What a click renders again and again, kept once (issue 26: a storm of
// clicks on one announcement renders the same rally's time thousands of
// times a second).

// maxWhens bounds the rendered times kept: past it the cache starts over.
// Each is one rally's start in one language, a few hundred bytes.
const maxWhens = 1024

// whenKey is what a rendered time depends on: the language, the instant and
// the zone it is written in. The catalogues are fixed for the process.
type whenKey struct {
	lang  Lang
	start int64
	tz    string
}

// whenCache holds rendered rally times (zonedTimeIn) for the click's reply.
type whenCache struct {
	mu sync.Mutex
	m  map[whenKey]string
}

// when is zonedTime of the rally's start, in l, rendered once per rally,
// language and zone.
func (a *App) when(l Lang, r store.Rally) string {
	k := whenKey{lang: l, start: r.StartsAt.Unix(), tz: r.TimeZone}
	c := &a.whens
	c.mu.Lock()
	s, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return s
	}
	s = zonedTimeIn(l, r.StartsAt, a.zones.location(r.TimeZone))
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxWhens {
		c.m = make(map[whenKey]string)
	}
	c.m[k] = s
	c.mu.Unlock()
	return s
}

// maxMenus bounds the needs menus kept: past it the cache starts over. Each
// is one rally's menu in one language, about 1 KB of JSON.
const maxMenus = 1024

type menuKey struct {
	lang  Lang
	rally int64
}

// menuCache holds the needs menu with nothing picked, encoded, per language
// and rally: every member who has just become going is offered that menu
// (their needs left with their last going), so a storm of Going clicks
// builds and encodes it once instead of once a click.
type menuCache struct {
	mu sync.Mutex
	m  map[menuKey]encodedComponent
}

// emptyNeedsMenu is needsMenu(l, rallyID, nil)'s action row, encoded once.
func (a *App) emptyNeedsMenu(l Lang, rallyID int64) discordgo.MessageComponent {
	k := menuKey{lang: l, rally: rallyID}
	c := &a.menus
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return e
	}
	row := needsMenu(l, rallyID, nil)[0]
	raw, err := json.Marshal(row)
	if err != nil {
		return row // sent as built; discordgo reports the error
	}
	e = encodedComponent{typ: row.Type(), raw: raw}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxMenus {
		c.m = make(map[menuKey]encodedComponent)
	}
	c.m[k] = e
	c.mu.Unlock()
	return e
}

// encodedComponent is a message component already in its JSON form (read
// only: the bytes are shared by every reply that carries it).
type encodedComponent struct {
	typ discordgo.ComponentType
	raw json.RawMessage
}

func (e encodedComponent) Type() discordgo.ComponentType { return e.typ }

func (e encodedComponent) MarshalJSON() ([]byte, error) { return e.raw, nil }
