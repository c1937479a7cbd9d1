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
// which says what was wrong and how to fix it. The sentence is a catalogue
// message (ID and its placeholders), told in the member's language; Message
// is its English, for logs and tests.
type Error struct {
	Code    string
	Message string
	ID      string
	Data    []any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// In is the refusal's sentence in l.
func (e *Error) In(l Lang) string { return l.T(e.ID, inLang(l, e.Data)...) }

// perLang is a placeholder value that is itself words, told in the
// refusal's language when it is.
type perLang func(Lang) string

func inLang(l Lang, kv []any) []any {
	out := make([]any, len(kv))
	for i, v := range kv {
		if f, ok := v.(perLang); ok {
			v = f(l)
		}
		out[i] = v
	}
	return out
}

func refusal(code, id string, kv []any) *Error {
	return &Error{Code: code, Message: English.T(id, inLang(English, kv)...), ID: id, Data: kv}
}

// invalid, notFound, conflict and forbidden are refusals with a catalogue
// message id and its placeholders as key, value pairs.
func invalid(id string, kv ...any) error   { return refusal(EInvalid, id, kv) }
func notFound(id string, kv ...any) error  { return refusal(ENotFound, id, kv) }
func conflict(id string, kv ...any) error  { return refusal(EConflict, id, kv) }
func forbidden(id string, kv ...any) error { return refusal(EForbidden, id, kv) }

// internalMessage is all a member learns of an error that is not theirs to
// fix (its catalogue id).
const internalMessage = "err_internal"

// errorReply turns a handler's error into its ephemeral reply in l. A refusal
// is told as its sentence and logged by code only (it can quote what the
// member typed); anything else is logged in full and told as internalMessage.
func errorReply(log *slog.Logger, l Lang, err error) *Response {
	e := userError(err)
	if e == nil {
		log.Error("handler failed", "err", err)
		return &Response{Content: "⚠️ " + l.T(internalMessage), Ephemeral: true}
	}
	log.Debug("refused", "code", e.Code)
	// A refusal longer than Discord takes would reach the member as nothing.
	return &Response{Content: truncate("⚠️ "+e.In(l), maxReply), Ephemeral: true}
}

// rallyRefusal is the message for a rally refusing a change because of its
// state; its Title is the quoted title. "" for a pair store does not return.
func rallyRefusal(change store.RallyChange, reason error) string {
	switch {
	case change == store.ChangeEdit && reason == store.ErrRallyCancelled:
		return "err_edit_cancelled"
	case change == store.ChangeEdit && reason == store.ErrRallyStarted:
		return "err_edit_started"
	case change == store.ChangeCancel && reason == store.ErrRallyCancelled:
		return "err_cancel_cancelled"
	case change == store.ChangeCancel && reason == store.ErrRallyOver:
		return "err_cancel_over"
	case change == store.ChangeRSVP && reason == store.ErrRallyCancelled:
		return "err_rsvp_cancelled"
	case change == store.ChangeRSVP && reason == store.ErrRallyStarted:
		return "err_rsvp_started"
	case change == store.ChangeRemove && reason == store.ErrRallyOver:
		return "err_remove_over"
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
		removed *store.RemovedError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &own):
		return own
	case errors.As(err, &state):
		if id := rallyRefusal(state.Change, state.Err); id != "" {
			return refusal(EConflict, id, []any{"Title", echo(state.Title)})
		}
	case errors.Is(err, store.ErrNoSuchRally):
		return refusal(ENotFound, "err_no_such_rally", nil)
	case errors.As(err, &missing):
		return refusal(ENotFound, "err_no_such_chapter", []any{"Name", echo(missing.Name)})
	case errors.As(err, &exists) && exists.Renamed:
		return refusal(EConflict, "err_chapter_exists_renamed", []any{"Name", echo(exists.Name)})
	case errors.As(err, &exists):
		return refusal(EConflict, "err_chapter_exists", []any{"Name", echo(exists.Name)})
	case errors.As(err, &busy):
		return refusal(EConflict, "err_chapter_has_rallies", []any{"Name", escape(busy.Name), "Count", busy.Upcoming})
	case errors.Is(err, store.ErrNotInSeries):
		return refusal(EInvalid, "err_not_in_series", nil)
	case errors.Is(err, store.ErrBadRSVPStatus):
		return refusal(EInvalid, "err_bad_rsvp_status", []any{"Choices", choiceNames(string(store.Going), string(store.Maybe), string(store.NotGoing))})
	case errors.As(err, &removed):
		return refusal(EConflict, "err_removed_from_rally", []any{"Title", escape(removed.Title), "Chapter", escape(removed.ChapterName)})
	case errors.Is(err, store.ErrNoSuchRequest):
		return refusal(EConflict, "request_not_waiting", nil)
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
			out = append(out, fmt.Sprintf("… +%d", len(values)-maxEchoes)) // no words: it sits in either language
			break
		}
		out = append(out, echo(v))
	}
	return strings.Join(out, ", ")
}

// maxReply is Discord's limit on a message's content for a bot.
const maxReply = 2000
