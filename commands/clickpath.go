package commands

import (
	"sync"

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
