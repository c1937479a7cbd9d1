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

// routeTable holds path templates split into segments once, by segment
// count, so a request is matched without splitting every template again
// (the fake answers thousands of callbacks a second in the benchmarks).
type routeTable map[int][]routeTemplate

type routeTemplate struct {
	template string
	segs     []string // "" for a {parameter}
}

func newRouteTable(templates []string) routeTable {
	t := routeTable{}
	seen := map[string]bool{}
	for _, tmpl := range templates {
		if seen[tmpl] {
			continue
		}
		seen[tmpl] = true
		segs := strings.Split(strings.Trim(tmpl, "/"), "/")
		for i, s := range segs {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				segs[i] = ""
			}
		}
		t[len(segs)] = append(t[len(segs)], routeTemplate{template: tmpl, segs: segs})
	}
	return t
}

// match finds the template for path. Literal segments beat parameters
// position by position, so "/messages/@original" wins over
// "/messages/{message_id}" as it does on Discord's router.
func (t routeTable) match(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best *routeTemplate
	for i := range t[len(segs)] {
		c := &t[len(segs)][i]
		ok := true
		for j, s := range c.segs {
			if s != "" && s != segs[j] {
				ok = false
				break
			}
		}
		if ok && (best == nil || moreSpecific(c.segs, best.segs)) {
			best = c
		}
	}
	if best == nil {
		return ""
	}
	return best.template
}

// moreSpecific reports whether a has a literal segment where b has a
// parameter, at the first position where they differ in that.
func moreSpecific(a, b []string) bool {
	for i := range a {
		if (a[i] != "") != (b[i] != "") {
			return a[i] != ""
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
