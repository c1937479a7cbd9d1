package commands

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"rallybot/store"
)

// Codes of a refusal: what kind of problem the member's request had.
const (
	EInvalid   = "invalid"
	ENotFound  = "not_found"
	EConflict  = "conflict"
	EForbidden = "forbidden"
)

// Error is a refusal told to the member: a code and the sentence they read,
// which says what was wrong and how to fix it. Every sentence a member reads
// about an error is written in this package.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func invalid(format string, args ...any) error {
	return &Error{Code: EInvalid, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &Error{Code: ENotFound, Message: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) error {
	return &Error{Code: EConflict, Message: fmt.Sprintf(format, args...)}
}

func forbidden(format string, args ...any) error {
	return &Error{Code: EForbidden, Message: fmt.Sprintf(format, args...)}
}

// internalMessage is all a member learns of an error that is not theirs to fix.
const internalMessage = "Something went wrong on our side. Please try again in a minute."

// errorReply turns a handler's error into its ephemeral reply. A refusal is
// told as its sentence and logged by code only (it can quote what the member
// typed); anything else is logged in full and told as internalMessage.
func errorReply(log *slog.Logger, err error) *Response {
	e := userError(err)
	if e == nil {
		log.Error("handler failed", "err", err)
		return &Response{Content: "⚠️ " + internalMessage, Ephemeral: true}
	}
	log.Debug("refused", "code", e.Code)
	// A refusal longer than Discord takes would reach the member as nothing.
	return &Response{Content: truncate("⚠️ "+e.Message, maxReply), Ephemeral: true}
}

// rallyRefusal is the sentence for a rally refusing a change because of its
// state; %s is the quoted title. "" for a pair store does not return.
func rallyRefusal(change store.RallyChange, reason error) string {
	switch {
	case change == store.ChangeEdit && reason == store.ErrRallyCancelled:
		return "%s was cancelled; it can no longer be edited."
	case change == store.ChangeEdit && reason == store.ErrRallyStarted:
		return "%s has already started; it can no longer be edited."
	case change == store.ChangeCancel && reason == store.ErrRallyCancelled:
		return "%s is already cancelled."
	case change == store.ChangeCancel && reason == store.ErrRallyOver:
		return "%s is already over; there is nothing to cancel."
	case change == store.ChangeRSVP && reason == store.ErrRallyCancelled:
		return "%s was cancelled, so RSVPs are closed."
	case change == store.ChangeRSVP && reason == store.ErrRallyStarted:
		return "%s has already started, so RSVPs are closed."
	}
	return ""
}

// userError returns the refusal err stands for: one of this package's, or
// one of store's typed errors put into words. It returns nil for an internal
// error.
func userError(err error) *Error {
	var (
		own     *Error
		state   *store.RallyStateError
		missing *store.NoSuchChapterError
		exists  *store.ChapterExistsError
		busy    *store.ChapterHasRalliesError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &own):
		return own
	case errors.As(err, &state):
		if format := rallyRefusal(state.Change, state.Err); format != "" {
			return &Error{Code: EConflict, Message: fmt.Sprintf(format, echo(state.Title))}
		}
	case errors.Is(err, store.ErrNoSuchRally):
		return &Error{Code: ENotFound, Message: "No such rally. Pick one from the list as you type, or see /rally list."}
	case errors.As(err, &missing):
		return &Error{Code: ENotFound, Message: fmt.Sprintf("There is no chapter called %s here. Run /chapter list to see the chapters.", echo(missing.Name))}
	case errors.As(err, &exists) && exists.Renamed:
		return &Error{Code: EConflict, Message: fmt.Sprintf("A chapter called %s already exists. Pick another name.", echo(exists.Name))}
	case errors.As(err, &exists):
		return &Error{Code: EConflict, Message: fmt.Sprintf("A chapter called %s already exists. Pick another name, or change it with /chapter setup.", echo(exists.Name))}
	case errors.As(err, &busy):
		return &Error{Code: EConflict, Message: fmt.Sprintf("%s has %d upcoming rall%s. Cancel %s with /rally cancel first, then remove the chapter.",
			escape(busy.Name), busy.Upcoming, ending(busy.Upcoming, "y", "ies"), ending(busy.Upcoming, "it", "them"))}
	case errors.Is(err, store.ErrNotInSeries):
		return &Error{Code: EInvalid, Message: "That rally is not part of a series. Leave out `series` to cancel it alone."}
	case errors.Is(err, store.ErrBadRSVPStatus):
		return &Error{Code: EInvalid, Message: "RSVP must be going, maybe or not_going."}
	}
	return nil
}

// maxEcho is the most of a member's input a refusal quotes back: enough to
// recognise it, while the sentence stays far below Discord's 2,000
// characters (escaping can double it).
const maxEcho = 60

// maxEchoes is how many values of a list a refusal names before "and N more".
const maxEchoes = 5

// echo is what a member typed as a refusal quotes it: clipped to maxEcho,
// escaped for markdown, in double quotes. Every refusal that repeats input
// goes through it, so no value can push the reply past Discord's limit.
func echo(s string) string { return `"` + escape(truncate(s, maxEcho)) + `"` }

// echoList is echo for several values: the first maxEchoes, then how many more.
func echoList(values []string) string {
	var out []string
	for i, v := range values {
		if i == maxEchoes {
			out = append(out, fmt.Sprintf("and %d more", len(values)-maxEchoes))
			break
		}
		out = append(out, echo(v))
	}
	return strings.Join(out, ", ")
}

// maxReply is Discord's limit on a message's content for a bot.
const maxReply = 2000
