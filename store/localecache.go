package store

import (
	"hash/maphash"
	"sync"
)

// localeCache is what member_locales holds for a member, as this process
// last wrote or read it, so a click whose locale has not changed reads and
// writes nothing (issue 26). The process is the file's only writer.
//
// It never answers with a value the file no longer holds:
//   - only SetMemberLocale adds or changes a row, and it writes through
//     under the member's stripe lock, after its commit;
//   - every other change to the table is a deletion (forget-me, a high-risk
//     rally's end, retention's idle locales, a departed server), made in a
//     transaction that marks itself (Tx.dropsLocales); update empties the
//     cache after it commits and bumps the generation, so a read or write
//     that began before that commit cannot put back what it saw.
type localeCache struct {
	mu  sync.Mutex
	gen uint64               // bumped by every invalidation
	m   map[localeKey]string // the stored locale; "" for no row
	max int                  // entries kept; past it one goes at random

	seed    maphash.Seed
	stripes [64]sync.Mutex // one member's reads and writes in turn
}

type localeKey struct{ guildID, userID string }

// maxLocales bounds the cache: about 100 bytes an entry, 6 MB at most.
const maxLocales = 65536

func newLocaleCache() *localeCache {
	return &localeCache{m: make(map[localeKey]string), max: maxLocales, seed: maphash.MakeSeed()}
}

// stripe is the lock that orders one member's locale reads and writes.
func (c *localeCache) stripe(k localeKey) *sync.Mutex {
	return &c.stripes[maphash.String(c.seed, k.userID)%uint64(len(c.stripes))]
}

// get returns the cached locale ("" for no row), whether there was one, and
// the generation to put with.
func (c *localeCache) get(k localeKey) (string, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok, c.gen
}

// put records what the file holds for k, unless an invalidation came since
// gen was read.
func (c *localeCache) put(k localeKey, locale string, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for old := range c.m { // map order is random: a random entry goes
			delete(c.m, old)
			break
		}
	}
	c.m[k] = locale
}

// forget drops k (a write that failed: what the file holds is not known).
func (c *localeCache) forget(k localeKey) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// invalidate empties the cache and refuses every put begun before.
func (c *localeCache) invalidate() {
	c.mu.Lock()
	c.gen++
	clear(c.m)
	c.mu.Unlock()
}

// len is the number of members cached (tests).
func (c *localeCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// drop forgets one member's locale, whose row was deleted, and refuses
// every put begun before (one may hold the deleted value).
func (c *localeCache) drop(k localeKey) {
	c.mu.Lock()
	c.gen++
	delete(c.m, k)
	c.mu.Unlock()
}
