package commands

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
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
			return nil, invalid("`days` must be between 1 and %d.", maxExportDays)
		}
		days = n
	}
	from, until := in.Now.AddDate(0, 0, -int(days)), in.Now.AddDate(0, 0, int(days))
	rallies, err := a.db.ExportRallies(ctx, in.GuildID, from, until)
	if err != nil {
		return nil, err
	}
	if len(rallies) == 0 {
		return ephemeral("No rallies from %s to %s, so there is nothing to export. Try a larger `days`.",
			timestamp(from, "d"), timestamp(until, "d")), nil
	}
	data, err := turnoutCSV(rallies)
	if err != nil {
		return nil, err
	}
	name := "turnout-" + in.Now.UTC().Format("2006-01-02") + ".csv"
	return &Response{
		Content: fmt.Sprintf("📊 %d rall%s from %s to %s: one row each, counts only. Times are UTC.",
			len(rallies), ending(len(rallies), "y", "ies"), timestamp(from, "d"), timestamp(until, "d")),
		Ephemeral: true,
		Files:     []File{{Name: name, ContentType: csvContentType, Data: data}},
	}, nil
}

// exportColumn is one column of the turnout CSV. Only data the store holds
// has a column; check-ins append theirs here when they exist.
type exportColumn struct {
	header string
	value  func(store.ExportRally) string
}

// exportColumns are the CSV's columns, the original seven first so a sheet
// built on an earlier export still finds them where they were. Each safety
// role is two numeric columns, filled and needed, rather than one "1/2" cell,
// which spreadsheets read as a date.
func exportColumns() []exportColumn {
	count := func(f func(store.ExportRally) int) func(store.ExportRally) string {
		return func(r store.ExportRally) string { return strconv.Itoa(f(r)) }
	}
	cols := []exportColumn{
		{"chapter", func(r store.ExportRally) string { return r.ChapterName }},
		{"title", func(r store.ExportRally) string { return r.Title }},
		{"start_utc", func(r store.ExportRally) string { return r.StartsAt.UTC().Format(time.RFC3339) }},
		{"status", func(r store.ExportRally) string { return string(r.Status) }},
		{"going", count(func(r store.ExportRally) int { return r.GoingTotal() })},
		{"maybe", count(func(r store.ExportRally) int { return r.Maybe })},
		{"waitlist", count(func(r store.ExportRally) int { return r.Waitlist })},
		{"action", func(r store.ExportRally) string { return r.ActionTitle }},
	}
	for _, role := range store.Roles {
		cols = append(cols,
			exportColumn{string(role) + "_filled", count(func(r store.ExportRally) int { return r.Staffing.Of(role).Filled })},
			exportColumn{string(role) + "_needed", count(func(r store.ExportRally) int { return r.Staffing.Of(role).Needed })})
	}
	return cols
}

// turnoutCSV writes one row per rally with encoding/csv, which quotes
// commas, quotes and line breaks; cells a spreadsheet would run as a formula
// are neutralised first.
func turnoutCSV(rallies []store.ExportRally) ([]byte, error) {
	cols := exportColumns()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	row := make([]string, len(cols))
	for i, c := range cols {
		row[i] = c.header
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
