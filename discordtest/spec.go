package discordtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"rallybot/fakediscord"
)

// specRelPath is where the Discord OpenAPI document sits relative to some
// ancestor of the working directory (the spec is checked out next to the repo).
const specRelPath = "shared/discord-api-spec/openapi.json"

// specCache is the one piece of package-level state: a test binary creates
// dozens of servers and the spec is 1.2 MB, so parsing and compiling it per
// server would dominate the run time. Entries are immutable once loaded except
// for their own mutex-guarded schema cache.
var specCache sync.Map // absolute path -> *specEntry

type specEntry struct {
	once sync.Once
	spec *openAPI
	err  error
}

// openAPI holds the parsed document and lazily compiled request schemas.
type openAPI struct {
	url       string
	templates []string
	// bodies maps "METHOD template" to the JSON pointer of its JSON request
	// schema; an operation without a JSON body is absent.
	bodies map[string]string
	// multipart holds the "METHOD template"s that accept multipart/form-data
	// (a payload_json part and files[n] uploads).
	multipart map[string]bool

	// mu serializes the compiler, which is not safe for concurrent use; it is
	// held shared while validating so a compile in progress (which may touch
	// schemas shared through $ref) never overlaps a validation.
	mu       sync.RWMutex
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema

	// passed holds the bodies already found valid, by operation: a check is
	// a function of the operation and the bytes alone, and a bot sends the
	// same bytes again and again (every member's Going reply is the same
	// reply). A body seen before is not checked again, so a benchmark's
	// fake spends its time as Discord would, not re-walking the schema.
	// Bounded by passedMax bytes of keys; failures are never kept.
	passedMu    sync.Mutex
	passed      map[string]struct{}
	passedBytes int
}

// Routes implements fakediscord.Spec.
func (o *openAPI) Routes() []string { return o.templates }

// Multipart implements fakediscord.Spec.
func (o *openAPI) Multipart(method, route string) bool { return o.multipart[method+" "+route] }

// Validate implements fakediscord.Spec.
func (o *openAPI) Validate(method, route string, body []byte) (reason string, errs map[string]any, ok bool) {
	key := method + " " + route + "\x00" + string(body)
	o.passedMu.Lock()
	_, seen := o.passed[key]
	o.passedMu.Unlock()
	if seen {
		return "", nil, true
	}
	reason, errs, ok = o.validateBody(method, route, body)
	if ok {
		o.passedMu.Lock()
		if o.passed == nil || o.passedBytes+len(key) > passedMax {
			o.passed, o.passedBytes = map[string]struct{}{}, 0
		}
		o.passed[key] = struct{}{}
		o.passedBytes += len(key)
		o.passedMu.Unlock()
	}
	return reason, errs, ok
}

// passedMax bounds the bodies an openAPI remembers as valid.
const passedMax = 8 << 20

// findSpec finds Discord's OpenAPI document: $DISCORD_OPENAPI, else
// shared/discord-api-spec/openapi.json in the nearest ancestor directory.
func findSpec(configured string) string {
	if configured != "" {
		return configured
	}
	if p := os.Getenv("DISCORD_OPENAPI"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, specRelPath)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func loadSpec(path string) (*openAPI, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	v, _ := specCache.LoadOrStore(abs, &specEntry{})
	e := v.(*specEntry)
	e.once.Do(func() { e.spec, e.err = parseSpec(abs) })
	return e.spec, e.err
}

func parseSpec(abs string) (*openAPI, error) {
	f, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", abs, err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not an object", abs)
	}
	paths, ok := root["paths"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: no paths", abs)
	}
	o := &openAPI{
		url:       "file://" + filepath.ToSlash(abs),
		bodies:    map[string]string{},
		multipart: map[string]bool{},
		compiled:  map[string]*jsonschema.Schema{},
	}
	for tmpl, item := range paths {
		o.templates = append(o.templates, tmpl)
		ops, _ := item.(map[string]any)
		for method, op := range ops {
			opm, _ := op.(map[string]any)
			rb, _ := opm["requestBody"].(map[string]any)
			content, _ := rb["content"].(map[string]any)
			if _, ok := content["multipart/form-data"]; ok {
				o.multipart[strings.ToUpper(method)+" "+tmpl] = true
			}
			if _, ok := content["application/json"]; !ok {
				continue
			}
			o.bodies[strings.ToUpper(method)+" "+tmpl] = "/paths/" + escapePointer(tmpl) + "/" + method + "/requestBody/content/application~1json/schema"
		}
	}
	sort.Strings(o.templates)
	c := jsonschema.NewCompiler()
	// OpenAPI 3.1 schemas are draft 2020-12 but the document carries no $schema.
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(o.url, doc); err != nil {
		return nil, err
	}
	o.compiler = c
	return o, nil
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// schema returns the compiled request schema, or nil if the operation takes
// no JSON body.
func (o *openAPI) schema(method, tmpl string) (*jsonschema.Schema, error) {
	key := method + " " + tmpl
	ptr, ok := o.bodies[key]
	if !ok {
		return nil, nil
	}
	o.mu.RLock()
	s, ok := o.compiled[key]
	o.mu.RUnlock()
	if ok {
		return s, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if s, ok := o.compiled[key]; ok {
		return s, nil
	}
	s, err := o.compiler.Compile(o.url + "#" + ptr)
	if err != nil {
		return nil, err
	}
	o.compiled[key] = s
	return s, nil
}

// validateBody checks body against the operation's schema. It returns a
// human-readable reason and Discord's nested "errors" object, or ok.
func (o *openAPI) validateBody(method, tmpl string, body []byte) (reason string, errs map[string]any, ok bool) {
	sch, err := o.schema(method, tmpl)
	if err != nil {
		return "discordtest: cannot compile schema: " + err.Error(), nil, false
	}
	if sch == nil {
		return "", nil, true
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(body)))
	if err != nil {
		return "body is not JSON: " + err.Error(), map[string]any{"_errors": []any{discordErr("BASE_TYPE_INVALID", "Invalid JSON")}}, false
	}
	if strings.Contains(tmpl, "/commands") {
		v = permissionsAsNumber(v)
	}
	o.mu.RLock()
	err = sch.Validate(v)
	o.mu.RUnlock()
	if err == nil {
		return "", nil, true
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error(), nil, false
	}
	errs = map[string]any{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		fakediscord.AddFieldError(errs, e.InstanceLocation, errorCode(e), fmt.Sprint(e.ErrorKind))
	}
	walk(ve)
	return ve.Error(), errs, false
}

func errorCode(e *jsonschema.ValidationError) string {
	kw := e.ErrorKind.KeywordPath()
	if len(kw) == 0 {
		return "BASE_TYPE_INVALID"
	}
	switch kw[len(kw)-1] {
	case "maxLength", "maxItems":
		return "BASE_TYPE_MAX_LENGTH"
	case "minLength", "minItems":
		return "BASE_TYPE_MIN_LENGTH"
	case "required":
		return "BASE_TYPE_REQUIRED"
	case "enum", "const":
		return "BASE_TYPE_CHOICES"
	default:
		return "BASE_TYPE_INVALID"
	}
}

func discordErr(code, msg string) map[string]any {
	return map[string]any{"code": code, "message": msg}
}

// digits is a permission set as Discord documents it: a string of digits.
var digits = regexp.MustCompile(`^[0-9]{1,20}$`)

// permissionsAsNumber reads an application command's
// default_member_permissions written as a string of digits as the number it
// stands for. Discord documents the field as a string and accepts it, while
// its OpenAPI file types it as an integer; this one field is read as Discord
// reads it, and everything else in the body is still checked against the
// schema (a string that is not digits stays a string, and is refused).
// body is one command (POST, PATCH) or a list of them (PUT).
func permissionsAsNumber(body any) any {
	fix := func(cmd any) {
		m, ok := cmd.(map[string]any)
		if !ok {
			return
		}
		if s, ok := m["default_member_permissions"].(string); ok && digits.MatchString(s) {
			m["default_member_permissions"] = json.Number(s)
		}
	}
	if list, ok := body.([]any); ok {
		for _, cmd := range list {
			fix(cmd)
		}
		return body
	}
	fix(body)
	return body
}
