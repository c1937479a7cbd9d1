package commands

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"rallybot/store"
)

// Access says who may use a route. Each route in the table declares one, and
// authorize checks it before the handler runs; a new rule (safety roles, say)
// is a new Access here, never a check inside a handler.
type Access int

// Who may use a route. Server admins (Manage Server or Administrator) pass
// every rule.
const (
	// Everyone in the server.
	Everyone Access = iota
	// Admin: server admins only.
	Admin
	// Coordinator: members with the guild's coordinator role (/setup coordinators).
	Coordinator
	// RallyLead: leads of the chapter of the rally the route names, by its
	// `rally` option or its custom_id's rally group.
	RallyLead
	// ChapterLead: leads of the chapter named by the route's `chapter` option.
	ChapterLead
	// Recipient: the member a DM was sent to, clicking its button outside
	// any server. The route acts for the clicker alone, on the rally its
	// custom_id names; pressed in a server, it is refused (Handle), unless
	// the route is offered there too (Route.AlsoInServers).
	Recipient
)

// authorize lets the member through to a route with the given access, or
// returns the refusal. What it loads to decide (the rally, the chapter, the
// guild's settings) is left on in for the handler. A rally or chapter that
// does not exist is told as such, before any refusal.
func (a *App) authorize(ctx context.Context, access Access, in *Input) error {
	switch access {
	case Everyone, Recipient:
		return nil
	case Admin:
		if permits(in, access, grants{}) {
			return nil
		}
		if in.Path == "" { // a button
			return forbidden("err_admin_only")
		}
		return forbidden("err_admin_only_command", "Command", in.Path)
	case Coordinator:
		g, err := a.db.Guild(ctx, in.GuildID)
		if err != nil {
			return err
		}
		in.Guild = g
		if permits(in, access, grants{coordinatorRole: g.CoordinatorRoleID}) {
			return nil
		}
		if g.CoordinatorRoleID == "" {
			return forbidden("err_coordinators_unset", "Command", in.Path)
		}
		return forbidden("err_coordinators_only", "Role", "<@&"+g.CoordinatorRoleID+">", "Command", in.Path)
	case RallyLead:
		r, err := a.namedRally(ctx, in)
		if err != nil {
			return err
		}
		in.Rally = r
		return requireLead(in, access, r.ChapterLeadRoleID, r.ChapterName)
	case ChapterLead:
		ch, err := a.db.ChapterByName(ctx, in.GuildID, in.str("chapter"))
		if err != nil {
			return err
		}
		in.Chapter = ch
		return requireLead(in, access, ch.LeadRoleID, ch.Name)
	}
	return fmt.Errorf("route has unknown access %d", access)
}

// grants are the roles an Access is checked against: the guild's coordinator
// role, and the lead roles of the chapters in question (the one of the
// rally or chapter a route names; every chapter's for /help, which asks
// whether the member leads any).
type grants struct {
	coordinatorRole string
	leadRoles       []string
}

// permits is the one rule of who passes an Access; authorize and /help both
// ask it, so help cannot offer a command the member would be refused. Server
// admins pass every rule.
func permits(in *Input, access Access, g grants) bool {
	switch access {
	case Everyone, Recipient:
		return true // Recipient: the route acts for the clicker alone
	}
	if in.isAdmin() {
		return true
	}
	switch access {
	case Coordinator:
		return in.hasRole(g.coordinatorRole)
	case RallyLead, ChapterLead:
		return slices.ContainsFunc(g.leadRoles, in.hasRole)
	}
	return false
}

// namedRally reads the rally a route names: a button's custom_id rally group,
// else the rally option.
func (a *App) namedRally(ctx context.Context, in *Input) (store.Rally, error) {
	if raw, ok := in.Params["rally"]; ok {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			return store.Rally{}, store.ErrNoSuchRally
		}
		return a.db.Rally(ctx, in.GuildID, id)
	}
	return a.rallyFromOption(ctx, in)
}

// requireLead lets the chapter's leads and the server's admins through.
func requireLead(in *Input, access Access, leadRoleID, chapter string) error {
	if permits(in, access, grants{leadRoles: []string{leadRoleID}}) {
		return nil
	}
	if leadRoleID == "" {
		return forbidden("err_lead_unset", "Chapter", escape(chapter))
	}
	if in.Path == "" { // a button
		return forbidden("err_leads_only", "Chapter", escape(chapter), "Role", "<@&"+leadRoleID+">")
	}
	return forbidden("err_leads_only_command", "Chapter", escape(chapter), "Role", "<@&"+leadRoleID+">", "Command", in.Path)
}
