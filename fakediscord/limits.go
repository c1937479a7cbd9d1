package fakediscord

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Limits Discord documents but its OpenAPI document does not encode. Each
// is counted in characters (code points), as Discord counts them.
const (
	maxEmbedTotal   = 6000 // title, description, field names and values, footer text and author name of all of a message's embeds
	maxActionRows   = 5    // top-level rows of a message without IS_COMPONENTS_V2
	maxChoiceString = 100  // an autocomplete choice's string value (the spec says 6000)
)

// limitError is one broken limit: where, Discord's error code, and its
// message.
type limitError struct {
	loc  []string
	code string
	msg  string
}

// checkMessageLimits checks a message body (a create, an edit, or an
// interaction callback's data) against the limits the spec leaves out.
func checkMessageLimits(m map[string]any, channelMessage bool) []limitError {
	var errs []limitError
	add := func(code, msg string, loc ...string) {
		errs = append(errs, limitError{loc: loc, code: code, msg: msg})
	}
	embeds, _ := m["embeds"].([]any)
	total := 0
	for i, e := range embeds {
		em, _ := e.(map[string]any)
		total += chars(em["title"]) + chars(em["description"])
		if f, ok := em["footer"].(map[string]any); ok {
			total += chars(f["text"])
		}
		if a, ok := em["author"].(map[string]any); ok {
			total += chars(a["name"])
		}
		fields, _ := em["fields"].([]any)
		for j, f := range fields {
			fm, _ := f.(map[string]any)
			total += chars(fm["name"]) + chars(fm["value"])
			for _, k := range []string{"name", "value"} {
				if s, _ := fm[k].(string); s == "" {
					add("BASE_TYPE_REQUIRED", "This field is required", "embeds", strconv.Itoa(i), "fields", strconv.Itoa(j), k)
				}
			}
		}
	}
	if total > maxEmbedTotal {
		add("BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Embed size exceeds maximum size of %d (%d characters)", maxEmbedTotal, total), "embeds")
	}
	flags := numInt(m["flags"])
	if channelMessage && flags&int64(discordgo.MessageFlagsEphemeral) != 0 {
		add("MESSAGE_FLAGS_INVALID", "Ephemeral messages can only be sent in reply to an interaction", "flags")
	}
	const componentsV2 = 1 << 15
	rows, _ := m["components"].([]any)
	if flags&componentsV2 == 0 && len(rows) > maxActionRows {
		add("BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxActionRows), "components")
	}
	seen := map[string]bool{}
	for i, r := range rows {
		rm, _ := r.(map[string]any)
		ri := strconv.Itoa(i)
		if flags&componentsV2 == 0 && numInt(rm["type"]) != int64(discordgo.ActionsRowComponent) {
			add("UNION_TYPE_CHOICES", "Value of field \"type\" must be one of (1,).", "components", ri, "type")
		}
		items, _ := rm["components"].([]any)
		for j, c := range items {
			cm, _ := c.(map[string]any)
			ci := strconv.Itoa(j)
			t := discordgo.ComponentType(numInt(cm["type"]))
			if t != discordgo.ButtonComponent && len(items) > 1 {
				add("COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width", "components", ri, "components", ci)
			}
			id, _ := cm["custom_id"].(string)
			if t == discordgo.ButtonComponent {
				link := numInt(cm["style"]) == int64(discordgo.LinkButton)
				url, _ := cm["url"].(string)
				switch {
				case link && (url == "" || id != ""):
					add("BUTTON_COMPONENT_URL_REQUIRED", "A link button needs a url and no custom_id", "components", ri, "components", ci)
				case !link && (id == "" || url != ""):
					add("BUTTON_COMPONENT_CUSTOM_ID_REQUIRED", "A non-link button needs a custom_id and no url", "components", ri, "components", ci)
				}
				if label, _ := cm["label"].(string); label == "" && cm["emoji"] == nil {
					add("BUTTON_COMPONENT_INVALID", "A button needs a label or an emoji", "components", ri, "components", ci)
				}
			}
			if id != "" {
				if seen[id] {
					add("COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated", "components", ri, "components", ci, "custom_id")
				}
				seen[id] = true
			}
			if t == discordgo.SelectMenuComponent {
				opts, _ := cm["options"].([]any)
				values := map[string]bool{}
				for k, o := range opts {
					om, _ := o.(map[string]any)
					v, _ := om["value"].(string)
					if values[v] {
						add("SELECT_COMPONENT_OPTION_VALUE_DUPLICATED", "Select option values must be unique", "components", ri, "components", ci, "options", strconv.Itoa(k), "value")
					}
					values[v] = true
				}
				lo, hi := int64(1), int64(1)
				if v, ok := cm["min_values"]; ok && v != nil {
					lo = numInt(v)
				}
				if v, ok := cm["max_values"]; ok && v != nil {
					hi = numInt(v)
				}
				if lo > hi || hi > int64(len(opts)) {
					add("SELECT_COMPONENT_VALUES_INVALID", fmt.Sprintf("min_values %d, max_values %d for %d options", lo, hi, len(opts)), "components", ri, "components", ci)
				}
			}
		}
	}
	return errs
}

// checkChoiceLimits checks an autocomplete answer: a string choice's value
// is at most 100 characters.
func checkChoiceLimits(data map[string]any) []limitError {
	var errs []limitError
	choices, _ := data["choices"].([]any)
	for i, c := range choices {
		cm, _ := c.(map[string]any)
		if v, ok := cm["value"].(string); ok && utf8.RuneCountInString(v) > maxChoiceString {
			errs = append(errs, limitError{loc: []string{"data", "choices", strconv.Itoa(i), "value"}, code: "BASE_TYPE_MAX_LENGTH", msg: fmt.Sprintf("Must be %d or fewer in length.", maxChoiceString)})
		}
	}
	return errs
}

func chars(v any) int {
	s, _ := v.(string)
	return utf8.RuneCountInString(s)
}

// limitRefusal is Discord's 400 for broken limits, with the nested errors
// object, and a reason for the violation list.
func limitRefusal(errs []limitError) (string, map[string]any) {
	body := map[string]any{}
	reason := ""
	for i, e := range errs {
		AddFieldError(body, e.loc, e.code, e.msg)
		if i > 0 {
			reason += "; "
		}
		reason += fmt.Sprintf("%v: %s", e.loc, e.msg)
	}
	return reason, map[string]any{"code": 50035, "message": "Invalid Form Body", "errors": body}
}
