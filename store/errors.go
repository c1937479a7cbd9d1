package store

import (
	"errors"
	"fmt"
)

// Error codes: what kind of refusal an error is. Anything without one is
// internal.
const (
	EInvalid  = "invalid"
	ENotFound = "not_found"
	EConflict = "conflict"
	EInternal = "internal"
)

// Error is a domain error: a code and a short description for logs. It holds
// no sentence for users; the caller writes those (and may translate them).
type Error struct {
	Code string
	Desc string
}

func (e *Error) Error() string { return e.Desc }

// The domain errors. Those that need data to be told (a title, a name) come
// wrapped in one of the error types below; errors.Is still finds them.
var (
	ErrNoSuchRally       = &Error{Code: ENotFound, Desc: "no such rally"}
	ErrNoSuchChapter     = &Error{Code: ENotFound, Desc: "no such chapter"}
	ErrRallyCancelled    = &Error{Code: EConflict, Desc: "rally cancelled"}
	ErrRallyStarted      = &Error{Code: EConflict, Desc: "rally started"}
	ErrRallyOver         = &Error{Code: EConflict, Desc: "rally over"}
	ErrBadRSVPStatus     = &Error{Code: EInvalid, Desc: "bad rsvp status"}
	ErrChapterExists     = &Error{Code: EConflict, Desc: "chapter exists"}
	ErrChapterHasRallies = &Error{Code: EConflict, Desc: "chapter has upcoming rallies"}
)

// ErrorCode returns the code of an *Error in err's chain, EInternal for any
// other error, or "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EInternal
}

// RallyChange names the change a rally refused; the same refusal is told
// differently for an edit, a cancel and an RSVP.
type RallyChange string

// The changes a rally can refuse.
const (
	ChangeEdit   RallyChange = "edit"
	ChangeCancel RallyChange = "cancel"
	ChangeRSVP   RallyChange = "rsvp"
	ChangeRemove RallyChange = "remove"
)

// RallyStateError is a change refused because of the rally's state: Err is
// ErrRallyCancelled, ErrRallyStarted or ErrRallyOver.
type RallyStateError struct {
	Change RallyChange
	Title  string
	Err    error
}

func (e *RallyStateError) Error() string {
	return fmt.Sprintf("%s refused: %v", e.Change, e.Err)
}

func (e *RallyStateError) Unwrap() error { return e.Err }

// NoSuchChapterError is ErrNoSuchChapter with the name that was looked up.
type NoSuchChapterError struct{ Name string }

func (e *NoSuchChapterError) Error() string { return ErrNoSuchChapter.Desc }
func (e *NoSuchChapterError) Unwrap() error { return ErrNoSuchChapter }

// ChapterExistsError is ErrChapterExists: a new or renamed chapter took a
// name already used in the guild. Renamed tells the two apart.
type ChapterExistsError struct {
	Name    string
	Renamed bool
}

func (e *ChapterExistsError) Error() string { return ErrChapterExists.Desc }
func (e *ChapterExistsError) Unwrap() error { return ErrChapterExists }

// ChapterHasRalliesError is ErrChapterHasRallies: the chapter cannot be
// removed while it has upcoming rallies.
type ChapterHasRalliesError struct {
	Name     string
	Upcoming int
}

func (e *ChapterHasRalliesError) Error() string {
	return fmt.Sprintf("%s: %d upcoming", ErrChapterHasRallies.Desc, e.Upcoming)
}
func (e *ChapterHasRalliesError) Unwrap() error { return ErrChapterHasRallies }

// wrap prefixes a public method's error with the operation that failed:
// defer wrap(&err, "set rsvp").
func wrap(err *error, op string) {
	if *err != nil {
		*err = fmt.Errorf("%s: %w", op, *err)
	}
}
