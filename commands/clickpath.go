package commands

import (
	"encoding/json"
	"sync"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

// What a click renders again and again, kept once (issue 26: a storm of
// clicks on one announcement renders the same rally's time and offers the
// same needs menu thousands of times a second).

// renderCache holds what was rendered for a key, at most max of them: past
// it the cache starts over. The catalogues are fixed for the process, so a
// key names all a rendering depends on.
type renderCache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V
}

// get is the value kept for k, or render's, kept unless render says not.
func (c *renderCache[K, V]) get(k K, max int, render func() (V, bool)) V {
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return v
	}
	v, keep := render()
	if !keep {
		return v
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= max {
		c.m = make(map[K]V)
	}
	c.m[k] = v
	c.mu.Unlock()
	return v
}

// maxWhens bounds the rendered times kept. Each is one rally's start in one
// language, a few hundred bytes.
const maxWhens = 1024

// whenKey is what a rendered time depends on: the language, the instant and
// the zone it is written in.
type whenKey struct {
	lang  Lang
	start int64
	tz    string
}

// whenCache holds rendered rally times (zonedTimeIn) for the click's reply.
type whenCache = renderCache[whenKey, string]

// when is zonedTime of the rally's start, in l, rendered once per rally,
// language and zone.
func (a *App) when(l Lang, r store.Rally) string {
	return a.whens.get(whenKey{lang: l, start: r.StartsAt.Unix(), tz: r.TimeZone}, maxWhens, func() (string, bool) {
		return zonedTimeIn(l, r.StartsAt, a.zones.location(r.TimeZone)), true
	})
}

// maxMenus bounds the needs menus kept. Each is one rally's menu in one
// language, about 1 KB of JSON.
const maxMenus = 1024

type menuKey struct {
	lang  Lang
	rally int64
}

// menuCache holds the needs menu with nothing picked, encoded, per language
// and rally: every member who has just become going is offered that menu
// (their needs left with their last going), so a storm of Going clicks
// builds and encodes it once instead of once a click.
type menuCache = renderCache[menuKey, discordgo.MessageComponent]

// emptyNeedsMenu is needsMenu(l, rallyID, nil)'s action row, encoded once.
func (a *App) emptyNeedsMenu(l Lang, rallyID int64) discordgo.MessageComponent {
	return a.menus.get(menuKey{lang: l, rally: rallyID}, maxMenus, func() (discordgo.MessageComponent, bool) {
		row := needsMenu(l, rallyID, nil)[0]
		raw, err := json.Marshal(row)
		if err != nil {
			return row, false // sent as built; discordgo reports the error
		}
		return encodedComponent{typ: row.Type(), raw: raw}, true
	})
}

// encodedComponent is a message component already in its JSON form (read
// only: the bytes are shared by every reply that carries it).
type encodedComponent struct {
	typ discordgo.ComponentType
	raw json.RawMessage
}

func (e encodedComponent) Type() discordgo.ComponentType { return e.typ }

func (e encodedComponent) MarshalJSON() ([]byte, error) { return e.raw, nil }
