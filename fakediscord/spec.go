package fakediscord

import (
	"encoding/json"
	"strings"
)

// Spec is Discord's OpenAPI document as the fake uses it: the routes it
// names, and a check of a request's body. discordtest provides one that
// validates against the document's JSON schemas.
type Spec interface {
	// Routes are the document's path templates, e.g.
	// "/channels/{channel_id}/messages".
	Routes() []string
	// Multipart tells whether the operation accepts multipart/form-data.
	Multipart(method, route string) bool
	// Validate checks a JSON body sent to the operation. When it does not
	// hold, reason says why and errs is Discord's nested "errors" object.
	Validate(method, route string, body []byte) (reason string, errs map[string]any, ok bool)
}

// matchRoute finds the template for path among templates. Literal segments
// beat parameters position by position, so "/messages/@original" wins over
// "/messages/{message_id}" as it does on Discord's router.
func matchRoute(templates []string, path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best := ""
	var bestScore []bool
	for _, t := range templates {
		ts := strings.Split(strings.Trim(t, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		score := make([]bool, len(ts))
		ok := true
		for i, s := range ts {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				continue
			}
			if s != segs[i] {
				ok = false
				break
			}
			score[i] = true
		}
		if !ok {
			continue
		}
		if best == "" || moreSpecific(score, bestScore) {
			best, bestScore = t, score
		}
	}
	return best
}

func moreSpecific(a, b []bool) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i]
		}
	}
	return false
}

// marshalErrors is used where a nil map must still render as {}.
func marshalErrors(errs map[string]any) json.RawMessage {
	if errs == nil {
		errs = map[string]any{}
	}
	b, _ := json.Marshal(errs)
	return b
}

// AddFieldError nests an error the way Discord's 50035 responses do:
// {"embeds":{"0":{"title":{"_errors":[{"code":…,"message":…}]}}}}.
func AddFieldError(errs map[string]any, loc []string, code, msg string) {
	m := errs
	for _, k := range loc {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	list, _ := m["_errors"].([]any)
	m["_errors"] = append(list, map[string]any{"code": code, "message": msg})
}
