package commands

import (
	"bytes"
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"rallybot/store"
)

const (
	defaultExportDays = 30
	maxExportDays     = 366
	csvContentType    = "text/csv; charset=utf-8"
)

// exportSubcommand is /summary export.
func exportSubcommand() *discordgo.ApplicationCommandOption {
	minDays := float64(1)
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "export",
		Description: "Turnout per rally as a CSV file for spreadsheets (only you see it)",
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "days", Description: "Rallies from this many days back to as many ahead (default 30)",
				MinValue: &minDays, MaxValue: maxExportDays},
		}}
}

// summaryExport answers with a CSV of every rally from days back to days
// ahead: counts only, never who.
func (a *App) summaryExport(ctx context.Context, in *Input) (*Response, error) {
	days := int64(defaultExportDays)
	if n, ok, err := in.int("days"); err != nil {
		return nil, err
	} else if ok {
		if n < 1 || n > maxExportDays {
			return nil, invalid("err_days_range", "Max", maxExportDays)
		}
		days = n
	}
	from, until := in.Now.AddDate(0, 0, -int(days)), in.Now.AddDate(0, 0, int(days))
	rallies, err := a.db.ExportRallies(ctx, in.GuildID, from, until)
	if err != nil {
		return nil, err
	}
	if len(rallies) == 0 {
		return ephemeral(in.Lang.T("export_none", "From", timestamp(from, "d"), "Until", timestamp(until, "d"))), nil
	}
	ids := make([]int64, len(rallies))
	for i, r := range rallies {
		ids[i] = r.ID
	}
	needs, err := a.db.RallyNeeds(ctx, ids...)
	if err != nil {
		return nil, err
	}
	for i := range rallies {
		rallies[i].Needs = needs[rallies[i].ID]
	}
	data, err := turnoutCSV(in.Lang, rallies)
	if err != nil {
		return nil, err
	}
	name := "turnout-" + in.Now.UTC().Format("2006-01-02") + ".csv"
	return &Response{
		Content:   in.Lang.T("export_done", "Count", len(rallies), "From", timestamp(from, "d"), "Until", timestamp(until, "d")),
		Ephemeral: true,
		Files:     []File{{Name: name, ContentType: csvContentType, Data: data}},
	}, nil
}

// exportColumn is one column of the turnout CSV. Its header is in the
// reader's language: the message csv_<header>, or for a safety role's two
// columns csv_filled and csv_needed with the role's csv_role_<role>.
type exportColumn struct {
	header string
	title  func(Lang) string
	value  func(store.ExportRally) string
}

// exportColumns are the CSV's columns. A column added later goes last, so a
// sheet built on an earlier export still finds each column where it was:
// the original seven, then action, the safety roles, checked_in, and the
// counts of needs. Each
// safety role is two numeric columns, filled and needed, rather than one
// "1/2" cell, which spreadsheets read as a date.
func exportColumns(l Lang) []exportColumn {
	count := func(f func(store.ExportRally) int) func(store.ExportRally) string {
		return func(r store.ExportRally) string { return strconv.Itoa(f(r)) }
	}
	cols := []exportColumn{
		{"chapter", nil, func(r store.ExportRally) string { return r.ChapterName }},
		{"title", nil, func(r store.ExportRally) string { return r.Title }},
		{"start_utc", nil, func(r store.ExportRally) string { return r.StartsAt.UTC().Format(time.RFC3339) }},
		{"status", nil, func(r store.ExportRally) string { return l.T("csv_status_" + string(r.Status)) }},
		{"going", nil, count(func(r store.ExportRally) int { return r.GoingTotal() })},
		{"maybe", nil, count(func(r store.ExportRally) int { return r.Maybe })},
		{"waitlist", nil, count(func(r store.ExportRally) int { return r.Waitlist })},
		{"action", nil, func(r store.ExportRally) string { return r.ActionTitle }},
	}
	for i := range cols {
		id := "csv_" + cols[i].header
		cols[i].title = func(l Lang) string { return l.T(id) }
	}
	for _, role := range store.Roles {
		named := func(id string) func(Lang) string {
			return func(l Lang) string { return l.T(id, "Role", l.T("csv_role_"+string(role))) }
		}
		cols = append(cols,
			exportColumn{string(role) + "_filled", named("csv_filled"), count(func(r store.ExportRally) int { return r.Staffing.Of(role).Filled })},
			exportColumn{string(role) + "_needed", named("csv_needed"), count(func(r store.ExportRally) int { return r.Staffing.Of(role).Needed })})
	}
	// Members who checked in: the count the rally keeps after retention
	// deletes who they were.
	cols = append(cols, exportColumn{"checked_in", func(l Lang) string { return l.T("csv_checked_in") },
		count(func(r store.ExportRally) int { return r.CheckedIn })})
	// How many members going need each thing (needs_asl, …): counts, the
	// only form needs take outside the member's own reply.
	for _, n := range store.Needs {
		cols = append(cols, exportColumn{"needs_" + string(n),
			func(l Lang) string { return l.T("csv_needs", "Need", l.T("csv_need_"+string(n))) },
			count(func(r store.ExportRally) int { return r.Needs[n] })})
	}
	return cols
}

// turnoutCSV writes one row per rally with encoding/csv, which quotes
// commas, quotes and line breaks; cells a spreadsheet would run as a formula
// are neutralised first.
func turnoutCSV(l Lang, rallies []store.ExportRally) ([]byte, error) {
	cols := exportColumns(l)
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	row := make([]string, len(cols))
	for i, c := range cols {
		row[i] = c.title(l)
	}
	if err := w.Write(row); err != nil {
		return nil, err
	}
	for _, r := range rallies {
		for i, c := range cols {
			row[i] = spreadsheetSafe(c.value(r))
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// spreadsheetSafe keeps a cell from being read as a formula (CSV injection):
// one starting with = + - @, a tab or a carriage return gets a leading
// apostrophe, which spreadsheets show as text.
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
