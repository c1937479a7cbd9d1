package store

import "context"

// MemberKeys is memberKeys as names ("rally", "guild"), for the test that
// every table holding member ids is listed.
func MemberKeys() map[string]string {
	out := map[string]string{}
	for t, k := range memberKeys {
		out[t] = map[memberKey]string{byRally: "rally", byGuild: "guild"}[k]
	}
	return out
}

// ExecForTest runs a statement on the write connection, for a test that
// installs a trigger to make a transaction fail midway.
func (db *DB) ExecForTest(ctx context.Context, query string) error {
	_, err := db.write.ExecContext(ctx, query)
	return err
}
