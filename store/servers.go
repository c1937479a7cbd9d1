package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
)

// ServersIn lists every server (guild) id the database file at filePath
// holds anything for, reading it without migrating or changing it; a file
// that does not exist holds none and is not created. The sandbox uses it to
// refuse a real bot's database before opening it.
func ServersIn(ctx context.Context, filePath string) (_ []string, err error) {
	defer wrap(&err, "servers in database")
	if _, err := os.Stat(filePath); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	params := url.Values{}
	params.Set("_busy_timeout", "5000")
	params.Set("_query_only", "on")
	conn, err := sql.Open("sqlite3", "file:"+uriEscape(filePath)+"?"+params.Encode())
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	conn.SetMaxOpenConns(1)

	// Every table with a guild_id column, and the guilds table itself: a
	// server can be named in a table whose rows outlive its guild row.
	rows, err := conn.QueryContext(ctx, `
		SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND (p.name = 'guild_id' OR (m.name = 'guilds' AND p.name = 'id'))`)
	if err != nil {
		return nil, err
	}
	var queries []string
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			rows.Close()
			return nil, err
		}
		queries = append(queries, fmt.Sprintf(`SELECT DISTINCT %q FROM %q`, column, table))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, q := range queries {
		rows, err := conn.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id sql.NullString
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			if id.Valid {
				seen[id.String] = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}
