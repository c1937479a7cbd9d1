package store

import (
	"context"
	"fmt"
	"time"
)

// GuildLeft records that the bot was removed from the server: its data is
// deleted at deleteAt unless GuildBack comes first. A second removal keeps
// the first date. It returns when the data will be deleted.
func (db *DB) GuildLeft(ctx context.Context, guildID string, deleteAt time.Time) (at time.Time, err error) {
	defer wrap(&err, "guild left")
	var unix int64
	err = db.update(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO guild_departures (guild_id, left_at, delete_at) VALUES (?, ?, ?)
			ON CONFLICT (guild_id) DO UPDATE SET guild_id = guild_id RETURNING delete_at`,
			guildID, tx.now.Unix(), deleteAt.Unix()).Scan(&unix)
	})
	return time.Unix(unix, 0).UTC(), err
}

// GuildBack cancels the deletion of the server's data; it reports whether
// one was scheduled.
func (db *DB) GuildBack(ctx context.Context, guildID string) (back bool, err error) {
	defer wrap(&err, "guild back")
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM guild_departures WHERE guild_id = ?`, guildID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		back = n > 0
		return nil
	})
	return back, err
}

// DeleteDepartedGuilds deletes all the data of each server whose deletion
// is due at now, one transaction per server: every table with a rally_id of
// its rallies or its guild_id, found by reading the schema, so a table added
// later is deleted too. It returns the servers deleted.
func (db *DB) DeleteDepartedGuilds(ctx context.Context, now time.Time) (deleted []string, err error) {
	defer wrap(&err, "delete departed guilds")
	rows, err := db.read.QueryContext(ctx, `SELECT guild_id FROM guild_departures WHERE delete_at <= ? ORDER BY delete_at`, now.Unix())
	if err != nil {
		return nil, err
	}
	var due []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		due = append(due, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, g := range due {
		if err := db.update(ctx, func(tx *Tx) error { return deleteGuild(ctx, tx, g, now) }); err != nil {
			return deleted, fmt.Errorf("server %s: %w", g, err)
		}
		deleted = append(deleted, g)
	}
	return deleted, nil
}

// deleteGuild deletes everything of the server in tx, if its deletion is
// still due (the bot may have come back since it was read).
func deleteGuild(ctx context.Context, tx *Tx, guildID string, now time.Time) error {
	var due bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM guild_departures WHERE guild_id = ? AND delete_at <= ?)`,
		guildID, now.Unix()).Scan(&due); err != nil || !due {
		return err
	}
	tx.dropsLocales = true // member_locales is keyed by guild_id too
	if _, err := deleteMemberRows(ctx, tx, memberScope{guildID: guildID}); err != nil {
		return err
	}
	byRally, err := tablesWithColumn(ctx, tx, "rally_id")
	if err != nil {
		return err
	}
	for _, t := range byRally {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE rally_id IN (SELECT id FROM rallies WHERE guild_id = ?)`, guildID); err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM rallies WHERE guild_id = ?`, guildID); err != nil {
		return err
	}
	byGuild, err := tablesWithColumn(ctx, tx, "guild_id")
	if err != nil {
		return err
	}
	for _, t := range byGuild {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE guild_id = ?`, guildID); err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM guilds WHERE id = ?`, guildID)
	return err
}

// tablesWithColumn lists the tables that have the column, in name order.
func tablesWithColumn(ctx context.Context, q querier, column string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\_%' ESCAPE '\' AND p.name = ?
		ORDER BY m.name`, column)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// GuildData counts the rows the server has in every table keyed by its id
// or its rallies', for tests and the operator.
func (db *DB) GuildData(ctx context.Context, guildID string) (_ int, err error) {
	defer wrap(&err, "guild data")
	n := 0
	for _, col := range []string{"guild_id", "rally_id"} {
		tables, err := tablesWithColumn(ctx, db.read, col)
		if err != nil {
			return 0, err
		}
		for _, t := range tables {
			q := `SELECT COUNT(*) FROM ` + t + ` WHERE guild_id = ?`
			if col == "rally_id" {
				q = `SELECT COUNT(*) FROM ` + t + ` WHERE rally_id IN (SELECT id FROM rallies WHERE guild_id = ?)`
			}
			var c int
			if err := db.read.QueryRowContext(ctx, q, guildID).Scan(&c); err != nil {
				return 0, err
			}
			n += c
		}
	}
	var g int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM guilds WHERE id = ?`, guildID).Scan(&g); err != nil {
		return 0, err
	}
	return n + g, nil
}
